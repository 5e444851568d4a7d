"""GRU (forward; linear_before_reset 0 and 1; initial_h; any sequence length and batch; layout 0 and 1).

Gates in ONNX order z, r, h:
  z = f(x Wz' + h Rz' + Wbz + Rbz),  r = f(x Wr' + h Rr' + Wbr + Rbr)
  n = g(x Wh' + (r * h) Rh' + Rbh + Wbh)          linear_before_reset = 0
  n = g(x Wh' + r * (h Rh' + Rbh) + Wbh)          linear_before_reset = 1 (PyTorch, RLtools)
  h' = (1 - z) * n + z * h
"""
import numpy as np

from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.recurrent import Recurrent


@register
class GRU(Recurrent):
    op_types = ("GRU",)
    template = "gru.c.j2"
    gates = 3
    default_activations = ("Sigmoid", "Tanh")
    state_slots = ((5, 1),)    # (input position of the initial state, output position of the final state)

    def optional_shapes(self, seq, batch, hid, layout):
        return {3: (1, 6 * hid), 5: (batch, 1, hid) if layout else (1, batch, hid)}

    def infer(self, node, graph):
        self.check_arity(node, 3, 6)
        if node.params["input_forget"]:
            raise self.error(node, "input_forget is an LSTM attribute")
        seq, batch, _, hid = self.dims(node, graph)
        y, y_h = self.output_shapes(seq, batch, hid, node.params["layout"])
        return [("float32", y), ("float32", y_h)][:len(node.outputs)]

    def evaluate(self, node, inputs):
        p = node.params
        x, w, r = inputs[0], inputs[1][0], inputs[2][0]
        b, h0 = self.opt(inputs, 3), self.opt(inputs, 5)
        if p["layout"]:
            x = x.swapaxes(0, 1)
            h0 = None if h0 is None else h0.swapaxes(0, 1)
        seq, batch, _ = x.shape
        hid = r.shape[-1]
        b = np.zeros(6 * hid, np.float32) if b is None else b[0]
        wb, rb = b[:3 * hid], b[3 * hid:]
        f, g = self.np_act(0, node), self.np_act(1, node)
        h = np.zeros((batch, hid), np.float32) if h0 is None else h0[0].astype(np.float32)
        ys = []
        for t in range(seq):
            gx = x[t] @ w.T + wb
            gh = h @ r.T + rb
            z = f(gx[:, :hid] + gh[:, :hid])
            rr = f(gx[:, hid:2 * hid] + gh[:, hid:2 * hid])
            if p["linear_before_reset"]:
                n = g(gx[:, 2 * hid:] + rr * gh[:, 2 * hid:])
            else:
                n = g(gx[:, 2 * hid:] + (rr * h) @ r[2 * hid:].T + rb[2 * hid:])
            h = ((1 - z) * n + z * h).astype(np.float32)
            ys.append(h)
        y, y_h = np.stack(ys)[:, None], h[None]
        if p["layout"]:
            y, y_h = y.transpose(2, 0, 1, 3), y_h.swapaxes(0, 1)
        return [np.ascontiguousarray(y), np.ascontiguousarray(y_h)][:len(node.outputs)]

    def macs(self, node, graph):
        seq, batch, in_size, hid = self.dims(node, graph)
        return seq * batch * 3 * hid * (in_size + hid)

    def one_step(self, node, graph):
        """One step of one sequence from a given state (a policy's step): tc_gru_step, with 3*hid of scratch."""
        seq, batch, _, _ = self.dims(node, graph)
        return seq == 1 and batch == 1 and len(node.inputs) > 5 and bool(node.inputs[5])

    def scratch(self, node, graph):
        _, batch, _, hid = self.dims(node, graph)
        return 3 * hid if self.one_step(node, graph) else batch * hid + 6 * hid

    def emit_args(self, node, ctx):
        seq, batch, in_size, hid = self.dims(node, ctx.graph)
        b = self.ptr_or_null(ctx, node, 3)
        (f, fa, fb), (g, ga, gb) = self.act_args(node)
        clip = node.params["clip"]
        return {"x": ctx.ptr(node.inputs[0]), "w": ctx.ptr(node.inputs[1]), "r": ctx.ptr(node.inputs[2]),
                "wb": b, "rb": "NULL" if b == "NULL" else f"{b} + {3 * hid}", "h0": self.ptr_or_null(ctx, node, 5),
                "y": self.out_or_null(ctx, node, 0), "y_h": self.out_or_null(ctx, node, 1),
                "work": ctx.scratch(node), "seq": seq, "batch": batch, "in_size": in_size, "hid": hid,
                "layout": node.params["layout"], "lbr": node.params["linear_before_reset"],
                "clip": "0.0f" if clip is None else ctx.c_float(clip), "f": f, "fa": fa, "fb": fb, "g": g, "ga": ga, "gb": gb,
                "one_step": self.one_step(node, ctx.graph)}
