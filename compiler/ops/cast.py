"""Cast: to float32 from float32 or bool (a view: bools are stored as 0.0f/1.0f); to bool from float32.

Casts of constants to any type fold at compile time; run-time casts to integers are refused.
"""
import numpy as np
import onnx

from tinyctl.compiler.ir import BOOL, FLOAT, INT64
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op

_FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16}
_INTS = {onnx.TensorProto.INT64, onnx.TensorProto.INT32, onnx.TensorProto.INT16, onnx.TensorProto.INT8,
         onnx.TensorProto.UINT8, onnx.TensorProto.UINT16, onnx.TensorProto.UINT32, onnx.TensorProto.UINT64}


@register
class Cast(Op):
    op_types = ("Cast",)
    template = "cast.c.j2"
    headers = ("tinyctl/copy.h",)

    def read(self, node, graph):
        to = int(node.attrs.get("to", 0))
        if to in _FLOATS:
            return {"to": FLOAT}
        if to == onnx.TensorProto.BOOL:
            return {"to": BOOL}
        if to in _INTS:
            return {"to": INT64}
        raise self.error(node, f"cast to {onnx.TensorProto.DataType.Name(to)} is not supported "
                               "(float32 and bool at run time; integers for constants)")

    def infer(self, node, graph):
        self.check_arity(node, 1)
        x = graph.tensor(node.inputs[0])
        if not x.is_const and (node.params["to"] == INT64 or x.dtype == INT64):
            raise self.error(node, f"casts '{x.name}' between {x.dtype} and {node.params['to']} at run time; tinyctl "
                                   "computes in float32 (integers only as constant shapes and indices)")
        return [(node.params["to"], x.shape)]

    def evaluate(self, node, inputs):
        dtype = {FLOAT: np.float32, BOOL: bool, INT64: np.int64}[node.params["to"]]
        return [np.asarray(inputs[0]).astype(dtype)]

    def is_view(self, node, graph):
        return not (graph.tensor(node.inputs[0]).dtype == FLOAT and node.params["to"] == BOOL)

    def emit_args(self, node, ctx):
        return {"y": ctx.ptr(node.outputs[0]), "x": ctx.ptr(node.inputs[0]), "n": ctx.size(node.outputs[0]),
                "lhs": ctx.at(node.outputs[0], "i0"), "rhs": ctx.at(node.inputs[0], "i0"),
                "to_bool": ctx.dtype(node.outputs[0]) == BOOL and ctx.dtype(node.inputs[0]) == FLOAT}

    def inplace(self, node, graph):
        return [0]
