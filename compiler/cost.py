"""The cost model: parameters, multiply-accumulates, and the bytes of weights, arena and state."""
from collections import Counter

from tinyctl.compiler import ops
from tinyctl.compiler.ir import INT64, ITEMSIZE


def cost(graph, storage, onnx_op_counts):
    weights = [name for name, region in storage.region.items()
               if region == "const" and graph.tensor(name).dtype != INT64 and _emitted(graph, storage, name)]
    params = sum(graph.tensor(n).size for n in weights)
    weight_bytes = sum(graph.tensor(n).size * ITEMSIZE[graph.tensor(n).dtype] for n in weights)
    macs = sum(ops.lookup(node.op).macs(node, graph) for node in graph.nodes)
    state = sum(graph.tensor(s.input).size for s in graph.state)
    return {
        "params": int(params),
        "macs": int(macs),
        "memory": {"weights_bytes": int(weight_bytes), "arena_bytes": storage.arena_bytes, "state_bytes": 4 * state},
        "ops": dict(sorted(onnx_op_counts.items())),
        "lowered_ops": dict(sorted(Counter(node.op for node in graph.nodes).items())),
        "arena": {"bytes": storage.arena_bytes, "lower_bound_bytes": storage.bytes_bound,
                  "unshared_bytes": storage.bytes_unshared, "buffers": len(storage.buffers)},
    }


def _emitted(graph, storage, name):
    for node in graph.nodes:
        op = ops.lookup(node.op)
        if any(i and storage.root[i] == name and k not in op.const_inputs for k, i in enumerate(node.inputs)):
            return True
    return any(storage.root[src] == name for _, src, _ in storage.final_copies)
