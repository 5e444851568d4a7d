"""LSTM (forward; initial_h and initial_c; peepholes; any sequence length and batch; layout 0 and 1).

Gates in ONNX order i, o, f, c; peepholes P = [Pi, Po, Pf]:
  i = f(x Wi' + h Ri' + Pi * c + Wbi + Rbi),  f_ = f(x Wf' + h Rf' + Pf * c + Wbf + Rbf)
  c~ = g(x Wc' + h Rc' + Wbc + Rbc),          c' = f_ * c + i * c~
  o = f(x Wo' + h Ro' + Po * c' + Wbo + Rbo),  h' = o * h(c')
"""
import numpy as np

from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.recurrent import Recurrent


@register
class LSTM(Recurrent):
    op_types = ("LSTM",)
    template = "lstm.c.j2"
    gates = 4
    default_activations = ("Sigmoid", "Tanh", "Tanh")
    state_slots = ((5, 1), (6, 2))

    def optional_shapes(self, seq, batch, hid, layout):
        state = (batch, 1, hid) if layout else (1, batch, hid)
        return {3: (1, 8 * hid), 5: state, 6: state, 7: (1, 3 * hid)}

    def infer(self, node, graph):
        self.check_arity(node, 3, 8)
        if node.params["input_forget"]:
            raise self.error(node, "input_forget=1 is not supported")
        seq, batch, _, hid = self.dims(node, graph)
        y, y_h = self.output_shapes(seq, batch, hid, node.params["layout"])
        return [("float32", y), ("float32", y_h), ("float32", y_h)][:len(node.outputs)]

    def evaluate(self, node, inputs):
        p = node.params
        x, w, r = inputs[0], inputs[1][0], inputs[2][0]
        b, h0, c0, peep = (self.opt(inputs, k) for k in (3, 5, 6, 7))
        if p["layout"]:
            x = x.swapaxes(0, 1)
            h0 = None if h0 is None else h0.swapaxes(0, 1)
            c0 = None if c0 is None else c0.swapaxes(0, 1)
        seq, batch, _ = x.shape
        hid = r.shape[-1]
        b = np.zeros(8 * hid, np.float32) if b is None else b[0]
        pi, po, pf = np.split(np.zeros(3 * hid, np.float32) if peep is None else peep[0], 3)
        f, g, hact = self.np_act(0, node), self.np_act(1, node), self.np_act(2, node, clipped=False)
        h = np.zeros((batch, hid), np.float32) if h0 is None else h0[0].astype(np.float32)
        c = np.zeros((batch, hid), np.float32) if c0 is None else c0[0].astype(np.float32)
        ys = []
        for t in range(seq):
            gates = x[t] @ w.T + h @ r.T + b[:4 * hid] + b[4 * hid:]
            gi, go, gf, gc = np.split(gates, 4, axis=1)
            i = f(gi + pi * c)
            fg = f(gf + pf * c)
            c = (fg * c + i * g(gc)).astype(np.float32)
            o = f(go + po * c)
            h = (o * hact(c)).astype(np.float32)
            ys.append(h)
        y, y_h, y_c = np.stack(ys)[:, None], h[None], c[None]
        if p["layout"]:
            y, y_h, y_c = y.transpose(2, 0, 1, 3), y_h.swapaxes(0, 1), y_c.swapaxes(0, 1)
        return [np.ascontiguousarray(v) for v in (y, y_h, y_c)][:len(node.outputs)]

    def macs(self, node, graph):
        seq, batch, in_size, hid = self.dims(node, graph)
        return seq * batch * 4 * hid * (in_size + hid)

    def scratch(self, node, graph):
        _, batch, _, hid = self.dims(node, graph)
        return 2 * batch * hid + 4 * hid

    def emit_args(self, node, ctx):
        seq, batch, in_size, hid = self.dims(node, ctx.graph)
        b = self.ptr_or_null(ctx, node, 3)
        (f, fa, fb), (g, ga, gb), (h, ha, hb) = self.act_args(node)
        clip = node.params["clip"]
        return {"x": ctx.ptr(node.inputs[0]), "w": ctx.ptr(node.inputs[1]), "r": ctx.ptr(node.inputs[2]),
                "wb": b, "rb": "NULL" if b == "NULL" else f"{b} + {4 * hid}", "h0": self.ptr_or_null(ctx, node, 5),
                "c0": self.ptr_or_null(ctx, node, 6), "p": self.ptr_or_null(ctx, node, 7),
                "y": self.out_or_null(ctx, node, 0), "y_h": self.out_or_null(ctx, node, 1),
                "y_c": self.out_or_null(ctx, node, 2), "work": ctx.scratch(node),
                "seq": seq, "batch": batch, "in_size": in_size, "hid": hid, "layout": node.params["layout"],
                "clip": "0.0f" if clip is None else ctx.c_float(clip),
                "f": f, "fa": fa, "fb": fb, "g": g, "ga": ga, "gb": gb, "h": h, "ha": ha, "hb": hb}
