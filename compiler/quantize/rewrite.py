"""The quantising rewrite of a float graph (after the pass pipeline) into the integer or int8-weight ops.

int8w: tc.Dense -> tc.DenseW8 and one-step GRUs -> tc.GRUStepW8; everything else stays float.
int8 / q15: tc.Dense (relu, leaky relu, tanh, sigmoid or none) -> tc.QDense and one-step sigmoid/tanh GRUs ->
tc.QGRUStep, with integer activations between them (int8 storage for int8, int16 for q15; the GRU state q15 in
both). Views pass integer tensors through. Graph inputs and states enter through tc.Quantize with a power-of-two
scale per element (int16, from each element's calibrated range, folded into the weights of the layer that reads
them); outputs and next states leave as floats (a tc.QDense writing floats, or tc.Dequantize). Any other op
stays float between a tc.Dequantize and a tc.Quantize, which the manifest reports (and which needs floating
point: on a core without FPU, the soft-float library).
"""
import math

import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.ir import FLOAT, INT8, INT16, Node, Tensor
from tinyctl.compiler.quantize import fixed

INT_ACTS = (None, "Relu", "LeakyRelu", "Tanh", "Sigmoid")
VIEWS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity")
INPUT_HEADROOM = 2.0       # graph inputs and floats re-entering: int16 with room for twice the calibrated range
FLOAT_OUT_HEADROOM = 16.0  # sums written as floats: int32 with room for 16x the calibrated range
W8_MAX = 127


def per_row_int8(w):
    """Symmetric int8 per output row: (q int8, scale float64 [rows])."""
    w = np.asarray(w, np.float64)
    amax = np.abs(w).max(axis=1)
    scale = np.where(amax > 0, amax / W8_MAX, 1.0)
    q = np.clip(np.round(w / scale[:, None]), -W8_MAX, W8_MAX).astype(np.int8)
    return q, scale


def pow2_fbits(amax, qmax, headroom):
    """The largest f with amax * headroom * 2^f <= qmax (0 range: 15), as int8."""
    amax = np.asarray(amax, np.float64)
    with np.errstate(divide="ignore"):
        f = np.floor(np.log2(qmax / np.maximum(amax * headroom, 1e-30)))
    return np.clip(np.where(amax > 0, f, 15), -24, 30).astype(np.int8)


def one_step_gru(node, graph):
    return node.op == "GRU" and ops.lookup("GRU").one_step(node, graph) and bool(node.outputs[1:2] and node.outputs[1])


class Rewriter:
    def __init__(self, graph, dtype, amax=None, elem=None):
        self.g, self.dtype = graph, dtype
        self.store = INT8 if dtype == "int8" else INT16
        self.amax, self.elem = amax or {}, elem or {}
        self.qt = {}              # (float tensor, kind) -> (int tensor, scale: float or per-element array)
        self.available = set(graph.inputs) | set(graph.state_inputs()) | {n for n, t in graph.tensors.items()
                                                                           if t.is_const}
        self.nodes, self.layers, self.float_ops = [], [], []
        self._table = None

    # -- helpers ------------------------------------------------------------------------------------------
    def tensor(self, base, dtype):
        name = self.g.fresh_name(base)
        self.g.tensors[name] = Tensor(name, dtype, None)
        return name

    def const(self, base, value):
        return self.g.add_const(base, value)

    def node(self, op, name, inputs, outputs, attrs, replaces=False):
        """A new node; one that replaces an original keeps its name (the original leaves the graph)."""
        self.nodes.append(Node(op, name if replaces else self.g.fresh_name(name), list(inputs), list(outputs),
                               dict(attrs)))

    def table(self):
        if self._table is None:
            self._table = self.const("tanh_q15_table", fixed.tanh_table())
        return self._table

    def quantized(self, name, q15=False):
        """The integer version of float tensor `name` (quantising it here if needed): (tensor, scale)."""
        key = (name, "q15" if q15 else "q")
        if key in self.qt:
            return self.qt[key]
        self.need_float(name)
        t = self.g.tensor(name)
        if q15:
            f = np.array([15], np.int8)
        elif name in self.g.inputs or name in self.g.state_inputs():
            f = pow2_fbits(self.elem.get(name, np.zeros(t.size)), fixed.QMAX[INT16], INPUT_HEADROOM)
        else:
            f = pow2_fbits([self.amax.get(name, 0.0)], fixed.QMAX[INT16], INPUT_HEADROOM)
        q = self.tensor(f"{name}_q", INT16)
        self.node("tc.Quantize", f"{name}_quantize", [name, self.const(f"{name}_fbits", f)], [q], {"out": INT16})
        scale = np.exp2(-f.astype(np.float64))
        self.qt[key] = (q, scale if scale.size > 1 else float(scale[0]))
        return self.qt[key]

    def need_float(self, name):
        """Make float tensor `name` exist (dequantising its integer version if only that was made)."""
        if not name or name in self.available:
            return
        q, scale = self.qt[(name, "q")] if (name, "q") in self.qt else self.qt[(name, "q15")]
        f = -math.log2(scale) if isinstance(scale, float) else None
        if f is not None and f == round(f):
            self.node("tc.Dequantize", f"{name}_dequantize", [q], [name], {"fbits": int(round(f))})
        else:
            self.node("tc.Dequantize", f"{name}_dequantize", [q], [name], {"scale": float(scale)})
        self.available.add(name)

    def int_consumer(self, name, consumers):
        """Whether every reader of `name` takes it as an integer tensor (so no float version is needed)."""
        if name in self.g.live_roots():
            return False
        users = consumers.get(name, [])
        for user in users:
            if self.dtype != "int8w" and user.op == "tc.Dense" and user.inputs[0] == name \
                    and user.params.get("activation") in INT_ACTS:
                continue
            if self.dtype != "int8w" and one_step_gru(user, self.g) and self.gru_int(user) and user.inputs[0] == name:
                continue
            if user.op in VIEWS and self.int_consumer(user.outputs[0], consumers):
                continue
            return False
        return bool(users)

    def gru_int(self, node):
        names = [a for a, _ in node.params["activations"]]
        return names == ["Sigmoid", "Tanh"] and node.params["clip"] is None

    # -- the rewrite --------------------------------------------------------------------------------------
    def run(self):
        consumers = self.g.consumers()
        for node in self.g.nodes:
            if self.dtype == "int8w":
                self.rewrite_w8(node)
            elif node.op == "tc.Dense" and node.params.get("activation") in INT_ACTS:
                self.dense(node, consumers)
            elif node.op == "tc.Dense":     # an activation without an integer lowering: it runs in float
                self.dense_then_float_activation(node, consumers)
            elif one_step_gru(node, self.g) and self.gru_int(node):
                self.gru(node, consumers)
            elif node.op in VIEWS and (node.inputs[0], "q") in self.qt and node.inputs[0] not in self.available:
                q, scale = self.qt[(node.inputs[0], "q")]
                out = self.tensor(f"{node.outputs[0]}_q", None)
                self.node(node.op, node.name, [q] + node.inputs[1:], [out], node.attrs, replaces=True)
                self.qt[(node.outputs[0], "q")] = (out, scale)
            else:
                self.keep_float(node)
        for name in self.g.live_roots():
            self.need_float(name)
        self.g.nodes = self.nodes
        return self.g

    def keep_float(self, node):
        for name in node.inputs:
            self.need_float(name)
        self.nodes.append(node)
        self.available.update(o for o in node.outputs if o)
        if self.dtype != "int8w" and not ops.lookup(node.op).is_view(node, self.g):
            self.float_ops.append(f"{node.op} '{node.name}'")

    def rewrite_w8(self, node):
        if node.op == "tc.Dense":
            w = self.g.tensor(node.inputs[1]).value
            q, scale = per_row_int8(w)
            inputs = [node.inputs[0], self.const(f"{node.inputs[1]}_int8", q),
                      self.const(f"{node.inputs[1]}_scale", scale.astype(np.float32))] + node.inputs[2:3]
            self.nodes.append(Node("tc.DenseW8", node.name, inputs, list(node.outputs), dict(node.attrs)))
            self.layers.append(self.layer_record(node, "tc.DenseW8", scale, None, FLOAT, None))
        elif one_step_gru(node, self.g):
            w, r = (self.g.tensor(node.inputs[k]).value[0] for k in (1, 2))
            (qw, sw), (qr, sr) = per_row_int8(w), per_row_int8(r)
            hid = r.shape[1]
            b = self.g.tensor(node.inputs[3]).value[0] if len(node.inputs) > 3 and node.inputs[3] else None
            inputs = [node.inputs[0], node.inputs[5], self.const(f"{node.inputs[1]}_int8", qw),
                      self.const(f"{node.inputs[1]}_scale", sw.astype(np.float32)),
                      self.const(f"{node.inputs[2]}_int8", qr), self.const(f"{node.inputs[2]}_scale",
                                                                         sr.astype(np.float32))]
            if b is not None:
                inputs += [self.const(f"{node.inputs[3]}_w", b[:3 * hid]), self.const(f"{node.inputs[3]}_r", b[3 * hid:])]
            p = node.params
            out = node.outputs[1]
            self.nodes.append(Node("tc.GRUStepW8", node.name, inputs, [out],
                                   {"linear_before_reset": p["linear_before_reset"], "clip": p["clip"],
                                    "activations": p["activations"]}))
            if node.outputs[0]:
                self.nodes.append(Node("Reshape", self.g.fresh_name(f"{node.name}_y"),
                                       [out, self.const(f"{node.name}_y_shape", np.array(self.g.tensor(node.outputs[0]).shape, np.int64))],
                                       [node.outputs[0]], {}))
            self.layers.append(self.layer_record(node, "tc.GRUStepW8", np.concatenate([sw, sr]), None, FLOAT, None))
        else:
            self.nodes.append(node)
        self.available.update(o for o in node.outputs if o)

    def dense(self, node, consumers, force_float=False):
        act = node.params.get("activation")
        x, scale_x = self.quantized(node.inputs[0])
        w = self.g.tensor(node.inputs[1]).value.astype(np.float64) * np.asarray(scale_x, np.float64)
        q, s_w = per_row_int8(w)
        bias = self.g.tensor(node.inputs[2]).value.astype(np.float64) if len(node.inputs) > 2 and node.inputs[2] \
            else None
        y = node.outputs[0]
        y_range = self.amax.get(y, 0.0)
        out_float = force_float or not self.int_consumer(y, consumers)
        attrs = {"activation": act, "alpha_q15": 0, "fbits": 0, "w_scale": s_w.tolist(),
                 "x_scale": np.atleast_1d(np.asarray(scale_x, np.float64)).tolist()}   # emitted.py reads them
        if act == "LeakyRelu":
            attrs["alpha_q15"] = int(round(float(node.params["alpha"]) * 32768))
        if act in ("Tanh", "Sigmoid"):
            target = 2.0 ** fixed.Q23 * (0.5 if act == "Sigmoid" else 1.0)
            out_scale = 2.0 ** -15 if out_float or self.store == INT16 else 2.0 ** -7
        elif out_float:
            f = int(pow2_fbits([y_range], 2 ** 31 - 1, FLOAT_OUT_HEADROOM)[0])
            target, out_scale = 2.0 ** f, 2.0 ** -f
            attrs["fbits"] = f
        else:
            out_scale = max(y_range, 1e-30) / fixed.QMAX[self.store]
            target = 1.0 / out_scale
        mult, attrs["shift"] = fixed.multipliers(s_w * target)
        inputs = [x, self.const(f"{node.inputs[1]}_int8", q)]
        inputs.append(self.const(f"{node.name}_bias_int32", np.clip(np.round(bias / s_w), -2**31, 2**31 - 1)
                                 .astype(np.int32)) if bias is not None else "")
        inputs.append(self.const(f"{node.name}_mult", mult))
        if act in ("Tanh", "Sigmoid"):
            inputs.append(self.table())
        if out_float:
            attrs["out"] = FLOAT
            self.node("tc.QDense", node.name, inputs, [y], attrs, replaces=True)
            self.available.add(y)
        else:
            attrs["out"] = self.store
            qy = self.tensor(f"{y}_q", self.store)
            self.node("tc.QDense", node.name, inputs, [qy], attrs, replaces=True)
            self.qt[(y, "q")] = (qy, out_scale)
        self.layers.append(self.layer_record(node, "tc.QDense", s_w, scale_x, attrs["out"], out_scale))

    def dense_then_float_activation(self, node, consumers):
        act = node.params["activation"]
        pre = self.tensor(f"{node.outputs[0]}_pre", FLOAT)
        self.amax[pre] = self.amax.get(node.outputs[0], 0.0)
        linear = Node("tc.Dense", node.name, list(node.inputs), [pre], {"activation": None})
        linear.params = {"activation": None}
        self.dense(linear, {pre: []}, force_float=True)
        self.node(act, f"{node.name}_{act.lower()}", [pre], list(node.outputs),
                  node.attrs.get("activation_params", {}))
        self.available.update(node.outputs)
        self.float_ops.append(f"{act} '{node.name}'")

    def gru(self, node, consumers):
        x, scale_x = self.quantized(node.inputs[0])
        h, _ = self.quantized(node.inputs[5], q15=True)
        w, r = (self.g.tensor(node.inputs[k]).value[0].astype(np.float64) for k in (1, 2))
        hid = r.shape[1]
        qw, sw = per_row_int8(w * np.asarray(scale_x, np.float64))
        qr, sr = per_row_int8(r * 2.0 ** -15)
        gate = np.where(np.arange(3 * hid) < 2 * hid, 0.5, 1.0) * 2.0 ** fixed.Q23    # z, r carry the 1/2
        mw, shw = fixed.multipliers(sw * gate)
        mr, shr = fixed.multipliers(sr * gate)
        b = self.g.tensor(node.inputs[3]).value[0].astype(np.float64) if len(node.inputs) > 3 and node.inputs[3] \
            else np.zeros(6 * hid)
        wb, rb = b[:3 * hid], b[3 * hid:]
        limit = fixed.PRE_LIMIT // 2
        if np.abs(b).max() * 2.0 ** fixed.Q23 > limit:
            raise CompileError(f"node '{node.name}' (GRU): a bias of {np.abs(b).max():.3g} exceeds the integer "
                               f"GRU's range (+-{limit / 2 ** fixed.Q23:g}); compile with --dtype int8w")
        bzr = np.round((wb[:2 * hid] + rb[:2 * hid]) * 2.0 ** fixed.Q23 * 0.5).astype(np.int32)
        bn = np.round(np.concatenate([wb[2 * hid:], rb[2 * hid:]]) * 2.0 ** fixed.Q23).astype(np.int32)
        y_h = node.outputs[1]
        qy = self.tensor(f"{y_h}_q", INT16)
        inputs = [x, h, self.const(f"{node.inputs[1]}_int8", qw), self.const(f"{node.name}_mw", mw),
                  self.const(f"{node.inputs[2]}_int8", qr), self.const(f"{node.name}_mr", mr),
                  self.const(f"{node.name}_bzr", bzr), self.const(f"{node.name}_bn", bn), self.table()]
        self.node("tc.QGRUStep", node.name, inputs, [qy], {"linear_before_reset": node.params["linear_before_reset"],
                                                           "shift_w": shw, "shift_r": shr}, replaces=True)
        self.qt[(y_h, "q")] = (qy, 2.0 ** -15)
        if node.outputs[0]:
            qseq = self.tensor(f"{node.outputs[0]}_q", INT16)
            shape = np.array(self.g.tensor(node.outputs[0]).shape, np.int64)
            self.node("Reshape", f"{node.name}_y", [qy, self.const(f"{node.name}_y_shape", shape)], [qseq], {})
            self.qt[(node.outputs[0], "q")] = (qseq, 2.0 ** -15)
        self.layers.append(self.layer_record(node, "tc.QGRUStep", np.concatenate([sw, sr]), scale_x, INT16, 2.0 ** -15))

    def layer_record(self, node, op, w_scales, x_scale, out, out_scale):
        rec = {"node": node.name, "op": op, "weights": {"dtype": "int8", "per": "output row",
                                                         "scale_min": float(np.min(w_scales)),
                                                         "scale_max": float(np.max(w_scales))},
               "output": {"dtype": out}}
        if x_scale is not None:
            xs = np.atleast_1d(np.asarray(x_scale, np.float64))
            rec["input"] = {"scale_min": float(xs.min()), "scale_max": float(xs.max()),
                            "per_element": bool(xs.size > 1)}
        if out_scale is not None and out != FLOAT:
            rec["output"]["scale"] = float(out_scale)
        return rec
