"""Shape inference: each op's read phase normalises attributes, its infer phase checks and types the outputs.

Integer tensors are compile-time values in tinyctl (shapes, axes, indices), so shape inference evaluates them
as it goes: a Shape of a static tensor, and any integer computation on constants, become constants before
the ops that read them as shapes (exporters build reshape targets and zero states that way).
"""
from tinyctl.compiler import ops
from tinyctl.compiler.errors import CompileError, node_error
from tinyctl.compiler.ir import INT64
from tinyctl.compiler.passes.fold import all_inputs_const, fold_node


def infer_shapes(graph, options=None):
    kept = []
    for node in graph.nodes:
        op = ops.lookup(node.op)
        if all_inputs_const(graph, node) and any(graph.tensor(i).dtype == INT64 for i in node.inputs if i):
            node.params = op.read(node, graph) or {}
            fold_node(graph, node)  # integer arithmetic on constants: computed now, whatever its op
            continue
        node.params = op.read(node, graph) or {}
        for k in range(len(node.inputs)):
            name = node.inputs[k]
            if name and k not in op.const_inputs and graph.tensor(name).dtype == INT64 \
                    and not graph.tensor(name).is_const:
                raise node_error(node, f"input '{name}' is an integer tensor computed at run time; tinyctl computes "
                                       "in float32 and takes integers only as constant shapes and indices")
        results = op.infer(node, graph)
        if len(results) < len([o for o in node.outputs if o]):
            raise node_error(node, f"has {len(node.outputs)} outputs, but the op defines {len(results)}")
        for name, (dtype, shape) in zip(node.outputs, results):
            if not name:
                continue
            t = graph.tensor(name)
            t.dtype, t.shape = dtype, tuple(int(d) for d in shape)
            if t.size == 0 and not t.is_const:
                raise node_error(node, f"produces '{name}' with shape {list(t.shape)}, which holds no values: "
                                       "empty tensors cannot be compiled")
        static = op.static_values(node, graph)
        if static is not None:
            fold_node(graph, node, static)
        elif not (all_inputs_const(graph, node) and any(graph.tensor(o).dtype == INT64 for o in node.outputs if o)
                  and fold_node(graph, node)):
            kept.append(node)
    graph.nodes = kept
    _check_declared_outputs(graph)
    return graph


def _check_declared_outputs(graph):
    for name, declared in graph.meta.get("declared_outputs", {}).items():
        if declared is None or name not in graph.tensors:
            continue
        actual = graph.tensor(name).shape
        if len(declared) != len(actual) or any(d not in (None, 0, a) and not (k == 0 and a == 1)
                                               for k, (d, a) in enumerate(zip(declared, actual))):
            raise CompileError(f"graph output '{name}' is declared with shape {declared}, but the model computes "
                               f"{list(actual)}: the file is inconsistent; export it again")
