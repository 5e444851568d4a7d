"""Slice with constant starts, ends, axes and steps (negative steps included): a strided copy."""
import numpy as np

from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.strided import contiguous_strides, strided_loops


@register
class Slice(Op):
    op_types = ("Slice",)
    template = "elementwise.c.j2"
    const_inputs = (1, 2, 3, 4)

    def read(self, node, graph):
        self.check_arity(node, 3, 5)
        vals = [self.const_value(node, graph, k, what) for k, what in
                ((1, "starts"), (2, "ends"), (3, "axes"), (4, "steps"))]
        return {k: None if v is None else [int(x) for x in np.asarray(v).ravel()]
                for k, v in zip(("starts", "ends", "axes", "steps"), vals)}

    def _ranges(self, node, shape):
        """Per axis (start, step, count), following NumPy's slice semantics, which ONNX Slice matches."""
        p, rank = node.params, len(shape)
        axes = p["axes"] if p["axes"] is not None else list(range(len(p["starts"])))
        steps = p["steps"] if p["steps"] is not None else [1] * len(axes)
        if not len(p["starts"]) == len(p["ends"]) == len(axes) == len(steps):
            raise self.error(node, "starts, ends, axes and steps differ in length")
        ranges = [(0, 1, d) for d in shape]
        seen = set()
        for start, end, axis, step in zip(p["starts"], p["ends"], axes, steps):
            if not -rank <= axis < rank:
                raise self.error(node, f"axis {axis} is out of range for rank {rank}")
            axis %= rank
            if axis in seen:
                raise self.error(node, f"axis {axis} is sliced twice")
            seen.add(axis)
            if step == 0:
                raise self.error(node, "a step of 0 is not allowed")
            first, stop, stride = slice(start, end, step).indices(shape[axis])
            ranges[axis] = (first, stride, len(range(first, stop, stride)))
        return ranges

    def infer(self, node, graph):
        x = graph.tensor(node.inputs[0])
        return [(x.dtype, tuple(c for _, _, c in self._ranges(node, x.shape)))]

    def evaluate(self, node, inputs):
        ranges = self._ranges(node, inputs[0].shape)
        index = np.ix_(*[first + step * np.arange(count) for first, step, count in ranges])
        return [inputs[0][index]]

    def emit_args(self, node, ctx):
        shape = ctx.shape(node.inputs[0])
        ranges = self._ranges(node, shape)
        strides = contiguous_strides(shape)
        base = sum(first * s for (first, _, _), s in zip(ranges, strides))
        dims, yi, xi = strided_loops([c for _, _, c in ranges], base, [step * s for (_, step, _), s in zip(ranges, strides)])
        return {"dims": dims, "lhs": ctx.at(node.outputs[0], yi), "expr": ctx.at(node.inputs[0], xi)}
