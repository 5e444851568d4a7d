"""Split along one axis into parts given by the split input, the num_outputs attribute, or equally."""
import numpy as np

from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


@register
class Split(Op):
    op_types = ("Split",)
    template = "split.c.j2"
    headers = ("tinyctl/copy.h",)
    const_inputs = (1,)

    def read(self, node, graph):
        split = self.const_value(node, graph, 1, "the split sizes") if len(node.inputs) > 1 else None
        if split is None and "split" in node.attrs:
            split = node.attrs["split"]
        return {"axis": int(node.attrs.get("axis", 0)),
                "split": None if split is None else [int(s) for s in np.asarray(split).ravel()],
                "num_outputs": node.attrs.get("num_outputs")}

    def _sizes(self, node, shape):
        axis = node.params["axis"]
        if not -len(shape) <= axis < len(shape):
            raise self.error(node, f"axis {axis} is out of range for rank {len(shape)}")
        axis %= len(shape)
        n, dim = len(node.outputs), shape[axis]
        sizes = node.params["split"]
        if sizes is None:
            parts = int(node.params["num_outputs"] or n)
            if node.params["num_outputs"] is not None:
                chunk = -(-dim // parts)  # opset 18: the last part may be smaller
                sizes = [min(chunk, dim - k * chunk) for k in range(parts)]
            elif dim % parts:
                raise self.error(node, f"cannot split axis {axis} of size {dim} into {parts} equal parts")
            else:
                sizes = [dim // parts] * parts
        if len(sizes) != n or sum(sizes) != dim or min(sizes) < 0:
            raise self.error(node, f"split sizes {sizes} do not divide axis {axis} of size {dim} into {n} outputs")
        return axis, sizes

    def infer(self, node, graph):
        x = graph.tensor(node.inputs[0])
        axis, sizes = self._sizes(node, x.shape)
        return [(x.dtype, tuple(s if k == axis else d for k, d in enumerate(x.shape))) for s in sizes]

    def evaluate(self, node, inputs):
        axis, sizes = self._sizes(node, inputs[0].shape)
        return np.split(inputs[0], np.cumsum(sizes)[:-1], axis=axis)

    def emit_args(self, node, ctx):
        shape = ctx.shape(node.inputs[0])
        axis, sizes = self._sizes(node, shape)
        outer, inner_unit = int(np.prod(shape[:axis])), int(np.prod(shape[axis + 1:]))
        parts, offset = [], 0
        for name, s in zip(node.outputs, sizes):
            if name and s:
                parts.append({"y": ctx.ptr(name), "inner": s * inner_unit, "offset": offset})
            offset += s * inner_unit
        return {"x": ctx.ptr(node.inputs[0]), "outer": outer, "total": shape[axis] * inner_unit, "parts": parts}
