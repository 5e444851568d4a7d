"""Transpose: a strided copy with the input's strides permuted."""
import numpy as np

from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.strided import contiguous_strides, strided_loops


@register
class Transpose(Op):
    op_types = ("Transpose",)
    template = "elementwise.c.j2"

    def read(self, node, graph):
        perm = node.attrs.get("perm")
        return {"perm": None if perm is None else [int(p) for p in perm]}

    def _perm(self, node, rank):
        perm = node.params["perm"]
        return list(reversed(range(rank))) if perm is None else perm

    def infer(self, node, graph):
        self.check_arity(node, 1)
        x = graph.tensor(node.inputs[0])
        perm = self._perm(node, len(x.shape))
        if sorted(perm) != list(range(len(x.shape))):
            raise self.error(node, f"perm {perm} is not a permutation of the {len(x.shape)} axes of {list(x.shape)}")
        return [(x.dtype, tuple(x.shape[p] for p in perm))]

    def is_view(self, node, graph):
        """Moving only axes of size 1 leaves the data in place: no copy."""
        shape = graph.tensor(node.inputs[0]).shape
        moved = [p for p in self._perm(node, len(shape)) if shape[p] != 1]
        return moved == sorted(moved)

    def evaluate(self, node, inputs):
        return [np.transpose(inputs[0], self._perm(node, inputs[0].ndim))]

    def emit_args(self, node, ctx):
        shape = ctx.shape(node.inputs[0])
        perm = self._perm(node, len(shape))
        strides = contiguous_strides(shape)
        dims, yi, xi = strided_loops(ctx.shape(node.outputs[0]), 0, [strides[p] for p in perm])
        return {"dims": dims, "lhs": ctx.at(node.outputs[0], yi), "expr": ctx.at(node.inputs[0], xi)}
