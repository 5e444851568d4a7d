"""Concat along one axis: per outer index, one contiguous copy per input."""
import numpy as np

from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


@register
class Concat(Op):
    op_types = ("Concat",)
    template = "concat.c.j2"
    headers = ("tinyctl/copy.h",)

    def read(self, node, graph):
        if "axis" not in node.attrs:
            raise self.error(node, "needs the axis attribute")
        return {"axis": int(node.attrs["axis"])}

    def infer(self, node, graph):
        if not node.inputs or any(not i for i in node.inputs):
            raise self.error(node, "needs at least one input")
        shapes = [graph.tensor(i).shape for i in node.inputs]
        dtypes = {graph.tensor(i).dtype for i in node.inputs}
        if len(dtypes) != 1:
            raise self.error(node, f"inputs mix types {sorted(dtypes)}")
        rank = len(shapes[0])
        axis = node.params["axis"]
        if not -rank <= axis < rank:
            raise self.error(node, f"axis {axis} is out of range for rank {rank}")
        axis %= rank
        for s in shapes:
            if len(s) != rank or any(a != b for k, (a, b) in enumerate(zip(s, shapes[0])) if k != axis):
                raise self.error(node, f"input shapes {[list(x) for x in shapes]} differ off axis {axis}")
        node.params["axis"] = axis
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return [(dtypes.pop(), tuple(out))]

    def evaluate(self, node, inputs):
        return [np.concatenate(inputs, axis=node.params["axis"])]

    def emit_args(self, node, ctx):
        axis = node.params["axis"]
        out_shape = ctx.shape(node.outputs[0])
        outer = int(np.prod(out_shape[:axis]))
        total = int(np.prod(out_shape[axis:]))
        parts, offset = [], 0
        for name in node.inputs:
            inner = int(np.prod(ctx.shape(name)[axis:]))
            if inner:
                parts.append({"x": ctx.ptr(name), "inner": inner, "offset": offset})
            offset += inner
        return {"y": ctx.ptr(node.outputs[0]), "outer": outer, "total": total, "parts": parts}
