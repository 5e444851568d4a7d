"""Clip: min(max(x, lo), hi) with constant bounds, either of which may be omitted."""
import numpy as np

from tinyctl.compiler.ir import FLOAT
from tinyctl.compiler.literals import c_float
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


@register
class Clip(Op):
    op_types = ("Clip",)
    template = "elementwise.c.j2"
    headers = ("tinyctl/activations.h",)
    const_inputs = (1, 2)

    def read(self, node, graph):
        self.check_arity(node, 1, 3)
        bounds = []
        for index, what in ((1, "the lower bound"), (2, "the upper bound")):
            v = self.const_value(node, graph, index, what)
            if v is not None and np.size(v) != 1:
                raise self.error(node, f"{what} must be a scalar, got shape {list(np.shape(v))}")
            bounds.append(None if v is None else float(np.asarray(v).ravel()[0]))
        return {"min": bounds[0], "max": bounds[1]}

    def infer(self, node, graph):
        x = graph.tensor(node.inputs[0])
        if x.dtype != FLOAT:
            raise self.error(node, f"input '{x.name}' is {x.dtype}; Clip takes float32")
        return [(FLOAT, x.shape)]

    def evaluate(self, node, inputs):
        y = inputs[0]
        if node.params["min"] is not None:
            y = np.maximum(y, np.float32(node.params["min"]))
        if node.params["max"] is not None:
            y = np.minimum(y, np.float32(node.params["max"]))
        return [y.astype(np.float32)]

    def emit_args(self, node, ctx):
        expr = ctx.at(node.inputs[0], "i0")
        if node.params["min"] is not None:
            expr = f"tc_max({expr}, {c_float(node.params['min'])})"
        if node.params["max"] is not None:
            expr = f"tc_min({expr}, {c_float(node.params['max'])})"
        return {"dims": [ctx.size(node.outputs[0])], "lhs": ctx.at(node.outputs[0], "i0"), "expr": expr}

    def inplace(self, node, graph):
        return [0]
