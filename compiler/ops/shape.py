"""Shape: the shape of a tensor, known at compile time (every shape is static), so it always folds."""
import numpy as np

from tinyctl.compiler.ir import INT64
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


@register
class Shape(Op):
    op_types = ("Shape",)

    def read(self, node, graph):
        return {"start": int(node.attrs.get("start", 0)), "end": node.attrs.get("end")}

    def _dims(self, node, shape):
        end = node.params["end"]
        return np.array(shape[node.params["start"]:None if end is None else int(end)], np.int64)

    def infer(self, node, graph):
        self.check_arity(node, 1)
        return [(INT64, self._dims(node, graph.tensor(node.inputs[0]).shape).shape)]

    def static_values(self, node, graph):
        return [self._dims(node, graph.tensor(node.inputs[0]).shape)]

    def evaluate(self, node, inputs):
        return [self._dims(node, np.shape(inputs[0]))]
