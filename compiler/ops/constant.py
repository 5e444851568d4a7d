"""Constant: the frontend turns Constant nodes into constant tensors, so none reaches the passes."""
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


@register
class Constant(Op):
    op_types = ("Constant",)

    def infer(self, node, graph):
        raise self.error(node, "Constant nodes become constant tensors in the frontend")
