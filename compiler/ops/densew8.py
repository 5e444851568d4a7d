"""tc.DenseW8 and tc.GRUStepW8: dtype int8w, int8 weights with one float scale per output row (a quarter of the
float weights' flash) and float activations, made by compiler/quantize from tc.Dense and one-step GRUs.

tc.DenseW8 inputs: x, w (int8 [N, K]), scale (float [N]), bias (float [N] or ""); attrs as tc.Dense.
tc.GRUStepW8 inputs: x, h, W (int8 [3H, I]), sw (float [3H]), R (int8 [3H, H]), sr, wb (float [3H] or ""),
rb; attrs: linear_before_reset, clip, activations (as GRU). Kernels: runtime tinyctl/qdense.h, qrecurrent.h.
"""
import numpy as np

from tinyctl.compiler.ir import FLOAT, INT8
from tinyctl.compiler.literals import c_float
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.dense import ACTIVATIONS, Dense
from tinyctl.compiler.ops.unary import UNARY


@register
class DenseW8(Dense):
    op_types = ("tc.DenseW8",)
    template = "densew8.c.j2"
    headers = ("tinyctl/qdense.h",)

    def infer(self, node, graph):
        x, w, s = (graph.tensor(node.inputs[k]) for k in range(3))
        if w.dtype != INT8 or len(w.shape) != 2 or x.shape[-1] != w.shape[1] or s.shape != (w.shape[0],):
            raise self.error(node, f"needs int8 weights [N, {x.shape[-1]}] and N scales")
        return [(FLOAT, tuple(x.shape[:-1]) + (w.shape[0],))]

    def evaluate(self, node, inputs):
        x, w, s = inputs[:3]
        b = inputs[3] if len(inputs) > 3 else None
        y = (np.asarray(x, np.float32) @ w.astype(np.float32).T) * s
        if b is not None:
            y = y + b
        act = node.params["activation"]
        if act:
            with np.errstate(over="ignore", under="ignore"):
                y = UNARY[act][1](y, **{k: node.params[k] for k in UNARY[act][2]})
        return [y.astype(np.float32)]

    def emit_args(self, node, ctx):
        x_shape, (n, k) = ctx.shape(node.inputs[0]), ctx.shape(node.inputs[1])
        has_bias = len(node.inputs) > 3 and node.inputs[3]
        return {"x": ctx.ptr(node.inputs[0]), "w": ctx.ptr(node.inputs[1]), "s": ctx.ptr(node.inputs[2]),
                "b": ctx.ptr(node.inputs[3]) if has_bias else "NULL", "y": ctx.ptr(node.outputs[0]),
                "m": int(np.prod(x_shape[:-1])), "k": k, "n": n, "act": ACTIVATIONS[node.params["activation"]],
                "alpha": c_float(node.params["alpha"]), "beta": c_float(node.params["beta"])}


@register
class GRUStepW8(Op):
    op_types = ("tc.GRUStepW8",)
    template = "densew8.c.j2"
    headers = ("tinyctl/qrecurrent.h",)

    def read(self, node, graph):
        a = node.attrs
        return {"linear_before_reset": int(a.get("linear_before_reset", 0)), "clip": a.get("clip"),
                "activations": a["activations"]}

    def infer(self, node, graph):
        x, h, w, r = (graph.tensor(node.inputs[k]) for k in (0, 1, 2, 4))
        hid = r.shape[1]
        if w.dtype != INT8 or r.dtype != INT8 or w.shape != (3 * hid, x.size) or h.size != hid:
            raise self.error(node, "needs int8 W [3H, I] and R [3H, H]")
        return [(FLOAT, h.shape)]

    def evaluate(self, node, inputs):
        x, h, w, sw, r, sr = inputs[:6]
        wb, rb = (inputs[k] if len(inputs) > k else None for k in (6, 7))
        p = node.params
        hid = r.shape[1]
        x, h = np.asarray(x, np.float32).ravel(), np.asarray(h, np.float32).ravel()
        W, R = w.astype(np.float32) * sw[:, None], r.astype(np.float32) * sr[:, None]
        wb = np.zeros(3 * hid, np.float32) if wb is None else wb
        rb = np.zeros(3 * hid, np.float32) if rb is None else rb
        (f, fp), (g, gp) = p["activations"]
        clip = p["clip"]

        def act(name, params, v):
            if clip is not None:
                v = np.clip(v, -clip, clip)
            with np.errstate(over="ignore", under="ignore"):
                return UNARY[name][1](v, **params).astype(np.float32)
        gx, gh = W @ x + wb, R @ h + rb
        z = act(f, fp, gx[:hid] + gh[:hid])
        rr = act(f, fp, gx[hid:2 * hid] + gh[hid:2 * hid])
        if p["linear_before_reset"]:
            n = act(g, gp, gx[2 * hid:] + rr * gh[2 * hid:])
        else:
            n = act(g, gp, gx[2 * hid:] + R[2 * hid:] @ (rr * h) + rb[2 * hid:])
        y = n + z * (h - n)
        return [y.astype(np.float32).reshape(np.shape(inputs[1]))]

    def macs(self, node, graph):
        r = graph.tensor(node.inputs[4])
        return 3 * r.shape[1] * (graph.tensor(node.inputs[0]).size + r.shape[1])

    def scratch(self, node, graph):
        return 3 * graph.tensor(node.inputs[4]).shape[1]

    def emit_args(self, node, ctx):
        p = node.params
        hid = ctx.shape(node.inputs[4])[1]
        opt = lambda i: ctx.ptr(node.inputs[i]) if len(node.inputs) > i and node.inputs[i] else "NULL"
        (f, fp), (g, gp) = p["activations"]
        return {"gru": True, "x": ctx.ptr(node.inputs[0]), "h": ctx.ptr(node.inputs[1]), "w": ctx.ptr(node.inputs[2]),
                "sw": ctx.ptr(node.inputs[3]), "r": ctx.ptr(node.inputs[4]), "sr": ctx.ptr(node.inputs[5]),
                "wb": opt(6), "rb": opt(7), "y": ctx.ptr(node.outputs[0]), "work": ctx.scratch(node),
                "in_size": ctx.size(node.inputs[0]), "hid": hid, "lbr": p["linear_before_reset"],
                "clip": "0.0f" if p["clip"] is None else c_float(p["clip"]),
                "f": ACTIVATIONS[f], "fa": c_float(fp.get("alpha", 0.0)), "fb": c_float(fp.get("beta", 0.0)),
                "g": ACTIVATIONS[g], "ga": c_float(gp.get("alpha", 0.0)), "gb": c_float(gp.get("beta", 0.0))}
