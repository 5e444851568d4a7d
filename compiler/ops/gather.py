"""Gather with constant indices: per outer index and per index, one contiguous copy."""
import numpy as np

from tinyctl.compiler.ir import INT64
from tinyctl.compiler.literals import c_int_array
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


@register
class Gather(Op):
    op_types = ("Gather",)
    template = "gather.c.j2"
    headers = ("tinyctl/copy.h",)
    const_inputs = (1,)

    def read(self, node, graph):
        self.check_arity(node, 2)
        idx = self.const_value(node, graph, 1, "the indices")
        if graph.tensor(node.inputs[1]).dtype != INT64:
            raise self.error(node, "indices must be integers")
        return {"axis": int(node.attrs.get("axis", 0)), "indices": np.asarray(idx, dtype=np.int64)}

    def _normalised(self, node, shape):
        axis = node.params["axis"]
        if not -len(shape) <= axis < len(shape):
            raise self.error(node, f"axis {axis} is out of range for rank {len(shape)}")
        axis %= len(shape)
        idx = node.params["indices"]
        if idx.size and (idx.min() < -shape[axis] or idx.max() >= shape[axis]):
            raise self.error(node, f"indices {idx.ravel().tolist()} are out of range for axis {axis} of size {shape[axis]}")
        return axis, np.where(idx < 0, idx + shape[axis], idx)

    def infer(self, node, graph):
        x = graph.tensor(node.inputs[0])
        axis, idx = self._normalised(node, x.shape)
        return [(x.dtype, tuple(x.shape[:axis]) + tuple(idx.shape) + tuple(x.shape[axis + 1:]))]

    def evaluate(self, node, inputs):
        axis, idx = self._normalised(node, inputs[0].shape)
        return [np.take(inputs[0], idx, axis=axis)]

    def emit_args(self, node, ctx):
        shape = ctx.shape(node.inputs[0])
        axis, idx = self._normalised(node, shape)
        return {"y": ctx.ptr(node.outputs[0]), "x": ctx.ptr(node.inputs[0]), "outer": int(np.prod(shape[:axis])),
                "inner": int(np.prod(shape[axis + 1:])), "dim": shape[axis], "count": int(idx.size),
                "indices": c_int_array(idx, indent="        ")}
