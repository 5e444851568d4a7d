"""tc.QGRUStep: one GRU step of the integer builds (dtype int8 / q15), made by compiler/quantize from a GRU with
one step of one sequence, sigmoid and tanh, no clip.

inputs: x (int8/int16 [1, 1, I] or [1, I]), h (int16 q15, [1, 1, H]), W (int8 [3H, I]), mw (int32 [3H]),
R (int8 [3H, H]), mr, bzr (int32 [2H]), bn (int32 [2H]), table (int16 tanh table). attrs: linear_before_reset,
shift_w, shift_r (one for all of W's rows, one for R's). Output: the new state, int16 q15 [1, 1, H].
Scratch: 3H int32.
Semantics: compiler/quantize/fixed.py (below); kernel: runtime tinyctl/qrecurrent.h.
"""
import numpy as np

from tinyctl.compiler.ir import INT8, INT16, INT32
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.quantize import fixed

BITS = {INT8: 8, INT16: 16}


def _rows(x, w, m, s):
    """Each row's sum rescaled to Q8.23 and clamped, for a vector x."""
    acc = w.astype(np.int64) @ np.asarray(x, np.int64).ravel()
    return fixed.saturate(fixed.requantize(acc, m, s), fixed.PRE_LIMIT)


@register
class QGRUStep(Op):
    op_types = ("tc.QGRUStep",)
    template = "qgru.c.j2"
    headers = ("tinyctl/qrecurrent.h",)
    foldable = False

    def read(self, node, graph):
        a = node.attrs
        return {"linear_before_reset": int(a.get("linear_before_reset", 0)), "shift_w": int(a["shift_w"]),
                "shift_r": int(a["shift_r"])}

    def dims(self, node, graph):
        x, h, w, r = (graph.tensor(node.inputs[k]) for k in (0, 1, 2, 4))
        hid = r.shape[1]
        if x.dtype not in BITS or h.dtype != INT16 or w.dtype != INT8 or r.dtype != INT8 \
                or w.shape != (3 * hid, x.size) or r.shape != (3 * hid, hid) or h.size != hid:
            raise self.error(node, "needs int8/int16 x, int16 h, int8 W [3H, I] and R [3H, H]")
        return x.size, hid

    def infer(self, node, graph):
        _, hid = self.dims(node, graph)
        return [(INT16, tuple(graph.tensor(node.inputs[1]).shape))]

    def evaluate(self, node, inputs):
        x, h, w, mw, r, mr, bzr, bn, table = inputs
        sw, sr = node.params["shift_w"], node.params["shift_r"]
        hid = r.shape[1]
        h = np.asarray(h, np.int64).ravel()
        zr = fixed.qsigmoid(_rows(x, w[:2 * hid], mw[:2 * hid], sw) + _rows(h, r[:2 * hid], mr[:2 * hid], sr)
                            + bzr.astype(np.int64), table)
        z, rr = zr[:hid], zr[hid:]
        wn, rn, n_ = w[2 * hid:], r[2 * hid:], slice(2 * hid, 3 * hid)
        gx = _rows(x, wn, mw[n_], sw) + bn[:hid].astype(np.int64)
        if node.params["linear_before_reset"]:
            gh = _rows(h, rn, mr[n_], sr) + bn[hid:].astype(np.int64)
            n = fixed.qtanh(gx + ((rr * gh + (1 << 14)) >> 15), table)
        else:
            rh = (rr * h + (1 << 14)) >> 15
            n = fixed.qtanh(gx + _rows(rh, rn, mr[n_], sr) + bn[hid:].astype(np.int64), table)
        y = n + ((z * (h - n) + (1 << 14)) >> 15)
        return [y.astype(np.int16).reshape(np.shape(inputs[1]))]

    def macs(self, node, graph):
        i, hid = self.dims(node, graph)
        return 3 * hid * (i + hid)

    def scratch(self, node, graph):
        _, hid = self.dims(node, graph)
        return 3 * hid, INT32

    def emit_args(self, node, ctx):
        i, hid = self.dims(node, ctx.graph)
        names = ["x", "h", "w", "mw", "r", "mr", "bzr", "bn", "table"]
        args = {k: ctx.ptr(v) for k, v in zip(names, node.inputs)}
        args.update(xbits=BITS[ctx.dtype(node.inputs[0])], y=ctx.ptr(node.outputs[0]), work=ctx.scratch(node),
                    in_size=i, hid=hid, lbr=node.params["linear_before_reset"], sw=node.params["shift_w"],
                    sr=node.params["shift_r"])
        return args
