"""tc.Quantize and tc.Dequantize: where the float API meets the integer builds (compiler/quantize).

tc.Quantize: float x and constant int8 fbits (one per element, or one) -> int8/int16, round(x * 2^f) saturated
(attrs: out). tc.Dequantize: int x -> float, v * 2^-fbits by integer operations (attrs: fbits), or, for a
tensor whose scale is no power of two (a float op between integer ones), v * scale (attrs: scale), which is a
float multiply. Kernels: runtime tinyctl/qfixed.h.
"""
import numpy as np

from tinyctl.compiler.ir import FLOAT, INT8, INT16
from tinyctl.compiler.literals import c_float, c_int_array
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.quantize import fixed

BITS = {INT8: 8, INT16: 16}


@register
class Quantize(Op):
    op_types = ("tc.Quantize",)
    template = "qconvert.c.j2"
    headers = ("tinyctl/qfixed.h",)
    foldable = False
    const_inputs = (1,)       # the fbits table is printed by the template, beside its loop

    def read(self, node, graph):
        return {"out": node.attrs["out"]}

    def infer(self, node, graph):
        x, f = graph.tensor(node.inputs[0]), graph.tensor(node.inputs[1])
        if x.dtype != FLOAT or f.dtype != INT8 or f.size not in (1, x.size) or node.params["out"] not in BITS:
            raise self.error(node, f"quantizes float to int8/int16 with int8 fbits of size 1 or {x.size}")
        return [(node.params["out"], x.shape)]

    def evaluate(self, node, inputs):
        x, f = inputs
        f = np.broadcast_to(np.asarray(f).ravel(), np.asarray(x).size).reshape(np.shape(x))
        q = fixed.quantize_pow2(x, f, fixed.QMAX[node.params["out"]])
        return [q.astype(np.dtype(node.params["out"]))]

    def emit_args(self, node, ctx):
        f = ctx.graph.tensor(node.inputs[1])
        return {"kind": "quantize", "x": ctx.ptr(node.inputs[0]), "y": ctx.ptr(node.outputs[0]),
                "bits": BITS[node.params["out"]], "n": ctx.size(node.inputs[0]),
                "per_element": f.size > 1, "f0": int(f.value.ravel()[0]), "f": c_int_array(f.value, indent="        ")}


@register
class Dequantize(Op):
    op_types = ("tc.Dequantize",)
    template = "qconvert.c.j2"
    headers = ("tinyctl/qfixed.h",)
    foldable = False

    def read(self, node, graph):
        return {"fbits": node.attrs.get("fbits"), "scale": node.attrs.get("scale")}

    def infer(self, node, graph):
        x = graph.tensor(node.inputs[0])
        p = node.params
        if x.dtype not in BITS or (p["fbits"] is None) == (p["scale"] is None):
            raise self.error(node, "dequantizes int8/int16 with either fbits or a scale")
        return [(FLOAT, x.shape)]

    def evaluate(self, node, inputs):
        p = node.params
        if p["fbits"] is not None:
            return [fixed.to_float(inputs[0], p["fbits"])]
        return [(np.asarray(inputs[0], np.float32) * np.float32(p["scale"])).astype(np.float32)]

    def emit_args(self, node, ctx):
        p = node.params
        return {"kind": "dequantize", "x": ctx.ptr(node.inputs[0]), "y": ctx.ptr(node.outputs[0]),
                "bits": BITS[ctx.dtype(node.inputs[0])], "n": ctx.size(node.inputs[0]), "fbits": p["fbits"],
                "scale": None if p["scale"] is None else c_float(p["scale"])}
