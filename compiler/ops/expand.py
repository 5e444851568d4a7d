"""Expand: broadcast a tensor to a constant shape (NumPy rules, both ways), a copy with broadcast indices."""
import numpy as np

from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.broadcast import broadcast_shape, loops


@register
class Expand(Op):
    op_types = ("Expand",)
    template = "elementwise.c.j2"
    const_inputs = (1,)

    def read(self, node, graph):
        self.check_arity(node, 2)
        return {"shape": [int(d) for d in np.asarray(self.const_value(node, graph, 1, "the shape")).ravel()]}

    def infer(self, node, graph):
        x = graph.tensor(node.inputs[0])
        shape = broadcast_shape(lambda m: self.error(node, m), [x.shape, tuple(node.params["shape"])])
        return [(x.dtype, shape)]

    def evaluate(self, node, inputs):
        x = inputs[0]
        return [np.array(np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(node.params["shape"]))))]

    def emit_args(self, node, ctx):
        out = node.outputs[0]
        dims, idx = loops(ctx.shape(out), [ctx.shape(node.inputs[0])])
        return {"dims": dims, "lhs": ctx.at(out, idx[0]), "expr": ctx.at(node.inputs[0], idx[1])}
