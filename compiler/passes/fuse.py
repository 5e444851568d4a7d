"""Fusion of Gemm/MatMul with constant weights, a bias Add and an activation into tc.Dense.

Weights are stored as [N, K] (one row per output) with alpha folded in; beta * C becomes the bias.
A tensor the step must expose (a graph output, a next state) is never fused away.
"""
import numpy as np

from tinyctl.compiler.ir import Node
from tinyctl.compiler.ops.dense import ACTIVATIONS
from tinyctl.compiler.passes.shapes import infer_shapes


def fuse_dense(graph, options=None):
    cache = {}
    for k, node in enumerate(graph.nodes):
        dense = _from_gemm(graph, node, cache) if node.op == "Gemm" else \
            _from_matmul(graph, node, cache) if node.op == "MatMul" else None
        if dense is not None:
            graph.nodes[k] = dense
    _absorb(graph, _bias_of)
    _absorb(graph, _activation_of)
    return infer_shapes(graph)  # the new and merged nodes read their attributes again


def _weights(graph, cache, name, transform, key):
    if (name, key) not in cache:
        cache[(name, key)] = graph.add_const(f"{name}_{key}", transform(graph.tensor(name).value))
    return cache[(name, key)]


def _from_gemm(graph, node, cache):
    p = node.params
    a, b = graph.tensor(node.inputs[0]), graph.tensor(node.inputs[1])
    c = graph.tensor(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
    if p["transA"] or a.is_const or not b.is_const or (c is not None and not c.is_const):
        return None
    m, n = graph.tensor(node.outputs[0]).shape
    bias = None
    if c is not None:
        full = np.broadcast_to(c.value, (m, n))
        if not np.array_equal(full, np.broadcast_to(full[:1], (m, n))):
            return None  # C differs per row: not a bias
        if p["beta"] == 1.0 and tuple(c.shape) == (n,):
            bias = c.name
        else:
            bias = _weights(graph, cache, c.name, lambda v: np.float32(p["beta"]) * np.broadcast_to(v, (m, n))[0],
                            f"bias_{p['beta']:g}")
    alpha, trans = np.float32(p["alpha"]), p["transB"]
    if trans and p["alpha"] == 1.0:
        w = b.name  # already [N, K]
    else:
        w = _weights(graph, cache, b.name, lambda v: np.ascontiguousarray(alpha * (v if trans else v.T)),
                     "t" if p["alpha"] == 1.0 else f"t_{p['alpha']:g}")
    return Node("tc.Dense", node.name, [a.name, w] + ([bias] if bias else []), list(node.outputs),
                {"activation": None})


def _from_matmul(graph, node, cache):
    a, b = graph.tensor(node.inputs[0]), graph.tensor(node.inputs[1])
    if a.is_const or not b.is_const or len(b.shape) != 2 or len(a.shape) < 1:
        return None
    w = _weights(graph, cache, b.name, lambda v: np.ascontiguousarray(v.T), "t")
    return Node("tc.Dense", node.name, [a.name, w], list(node.outputs), {"activation": None})


def _absorb(graph, match):
    """Merge a single-consumer follower into the tc.Dense before it, when match(follower) says how."""
    protected = set(graph.live_roots())
    changed = True
    while changed:
        changed = False
        consumers = graph.consumers()
        for node in graph.nodes:
            if node.op != "tc.Dense" or node.outputs[0] in protected:
                continue
            users = consumers.get(node.outputs[0], [])
            if len(users) != 1:
                continue
            follower = users[0]
            merged = match(graph, node, follower)
            if merged:
                node.outputs = list(follower.outputs)
                graph.nodes.remove(follower)
                changed = True
                break


def _bias_of(graph, dense, follower):
    if follower.op != "Add" or len(dense.inputs) > 2 or dense.attrs.get("activation"):
        return False
    other = [i for i in follower.inputs if i != dense.outputs[0]]
    if len(other) != 1 or not graph.tensor(other[0]).is_const:
        return False
    n = graph.tensor(dense.inputs[1]).shape[0]
    out_shape = graph.tensor(dense.outputs[0]).shape
    c = graph.tensor(other[0])
    if tuple(graph.tensor(follower.outputs[0]).shape) != tuple(out_shape) or c.size not in (1, n) \
            or (c.size == n and c.shape[-1] != n):
        return False
    dense.inputs.append(graph.add_const(f"{c.name}_bias", np.broadcast_to(c.value.reshape(-1), (n,)).astype(np.float32)))
    return True


def _activation_of(graph, dense, follower):
    if dense.attrs.get("activation") or follower.op not in ACTIVATIONS:
        return False
    dense.attrs = {"activation": follower.op, "activation_params": dict(follower.params)}
    return True
