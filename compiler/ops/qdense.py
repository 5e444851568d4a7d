"""tc.QDense: a dense layer of the integer builds (dtype int8 / q15), made by compiler/quantize.

inputs: x (int8 or int16), w (int8 [N, K]), bias (int32 [N] or ""), mult (int32 [N]), table (int16 tanh table, or
"" when the activation needs none). attrs: shift (the layer's), activation (None, Relu, LeakyRelu, Tanh, Sigmoid),
alpha_q15 (LeakyRelu), out ("int8", "int16" or "float32"), fbits (the float output's 2^-fbits of the rescaled
sums). Semantics: compiler/quantize/fixed.py; kernel: runtime tinyctl/qdense.h.
"""
import numpy as np

from tinyctl.compiler.ir import FLOAT, INT8, INT16
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.dense import ACTIVATIONS
from tinyctl.compiler.quantize import fixed

QACTIVATIONS = (None, "Relu", "LeakyRelu", "Tanh", "Sigmoid")
BITS = {INT8: 8, INT16: 16}


def qact(v, act, alpha_q15, table, out, fbits):
    """The activation of rescaled sums v (int64) as stored: fixed.py's reading of tc_qact_store."""
    if act in ("Tanh", "Sigmoid"):
        pre = fixed.saturate(v, fixed.PRE_LIMIT)
        t = fixed.qtanh(pre, table) if act == "Tanh" else fixed.qsigmoid(pre, table)
        return fixed.to_float(t, 15) if out == FLOAT else fixed.from_q15(t, out).astype(np.dtype(out))
    if act == "Relu":
        v = np.maximum(v, 0)
    if act == "LeakyRelu":
        v = np.where(v < 0, (v * alpha_q15 + (1 << 14)) >> 15, v)
    if out == FLOAT:
        return fixed.to_float(fixed.saturate(v, 2**31 - 1), fbits)
    return fixed.saturate(v, fixed.QMAX[out]).astype(np.dtype(out))


@register
class QDense(Op):
    op_types = ("tc.QDense",)
    template = "qdense.c.j2"
    headers = ("tinyctl/qdense.h",)
    foldable = False

    def read(self, node, graph):
        a = node.attrs
        return {"activation": a.get("activation"), "alpha_q15": int(a.get("alpha_q15", 0)), "out": a["out"],
                "fbits": int(a.get("fbits", 0)), "shift": int(a["shift"])}

    def infer(self, node, graph):
        x, w = graph.tensor(node.inputs[0]), graph.tensor(node.inputs[1])
        p = node.params
        if x.dtype not in BITS or w.dtype != INT8 or len(w.shape) != 2 or x.shape[-1] != w.shape[1]:
            raise self.error(node, f"needs int8/int16 x [.., K] and int8 weights [N, K], got {x.dtype} "
                                   f"{list(x.shape)} and {w.dtype} {list(w.shape)}")
        if p["activation"] not in QACTIVATIONS or p["out"] not in (INT8, INT16, FLOAT):
            raise self.error(node, f"activation {p['activation']} to {p['out']} is not an integer lowering")
        return [(p["out"], tuple(x.shape[:-1]) + (w.shape[0],))]

    def evaluate(self, node, inputs):
        x, w, bias, mult = inputs[:4]
        table = inputs[4] if len(inputs) > 4 else None
        p = node.params
        acc = np.asarray(x, np.int64) @ w.astype(np.int64).T
        if bias is not None:
            acc = acc + bias.astype(np.int64)
        v = fixed.requantize(acc, mult, p["shift"])
        return [qact(v, p["activation"], p["alpha_q15"], table, p["out"], p["fbits"])]

    def macs(self, node, graph):
        x, w = graph.tensor(node.inputs[0]), graph.tensor(node.inputs[1])
        return int(np.prod(x.shape[:-1])) * w.shape[0] * w.shape[1]

    def emit_args(self, node, ctx):
        x_shape, (n, k) = ctx.shape(node.inputs[0]), ctx.shape(node.inputs[1])
        p = node.params
        opt = lambda i: ctx.ptr(node.inputs[i]) if len(node.inputs) > i and node.inputs[i] else "NULL"
        out_float = p["out"] == FLOAT
        return {"x": ctx.ptr(node.inputs[0]), "xbits": BITS[ctx.dtype(node.inputs[0])], "w": ctx.ptr(node.inputs[1]),
                "bias": opt(2), "mult": ctx.ptr(node.inputs[3]), "shift": p["shift"], "table": opt(4),
                "y": "NULL" if out_float else ctx.ptr(node.outputs[0]), "ybits": 0 if out_float else BITS[p["out"]],
                "yf": ctx.ptr(node.outputs[0]) if out_float else "NULL", "fbits": p["fbits"],
                "m": int(np.prod(x_shape[:-1])), "k": k, "n": n, "act": ACTIVATIONS[p["activation"]],
                "alpha": p["alpha_q15"]}
