"""ConstantOfShape: a tensor of one value with a constant shape; always folds."""
import numpy as np

from tinyctl.compiler.ir import BOOL, FLOAT, INT64
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


@register
class ConstantOfShape(Op):
    op_types = ("ConstantOfShape",)
    const_inputs = (0,)

    def read(self, node, graph):
        self.check_arity(node, 1)
        shape = self.const_value(node, graph, 0, "the shape")
        value = node.attrs.get("value")
        value = np.zeros(1, np.float32) if value is None else np.asarray(value).ravel()
        if value.size != 1:
            raise self.error(node, "value must hold one element")
        return {"shape": [int(d) for d in np.asarray(shape).ravel()], "value": value}

    def infer(self, node, graph):
        if any(d < 0 for d in node.params["shape"]):
            raise self.error(node, f"shape {node.params['shape']} has a negative dimension")
        kind = node.params["value"].dtype.kind
        return [({"f": FLOAT, "b": BOOL}.get(kind, INT64), tuple(node.params["shape"]))]

    def static_values(self, node, graph):
        return [np.full(node.params["shape"], node.params["value"][0], dtype=node.params["value"].dtype)]

    def evaluate(self, node, inputs):
        return self.static_values(node, None)
