"""What GRU and LSTM share: attributes (direction, layout, clip, activations), shapes, and state inputs.

Only the forward direction is compiled; sequence_lens, when given, must be a constant equal to the sequence
length for every batch entry.
"""
import numpy as np

from tinyctl.compiler.ir import FLOAT
from tinyctl.compiler.literals import c_float
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.dense import ACTIVATIONS
from tinyctl.compiler.ops.unary import UNARY

# ONNX RNN activation names -> the unary op that defines them
RNN_ACTIVATIONS = {"Sigmoid": "Sigmoid", "Tanh": "Tanh", "Relu": "Relu", "LeakyRelu": "LeakyRelu",
                   "HardSigmoid": "HardSigmoid", "Elu": "Elu", "Softplus": "Softplus"}


class Recurrent(Op):
    gates = 0                  # 3 for GRU, 4 for LSTM
    default_activations = ()
    headers = ("tinyctl/recurrent.h",)
    optional_outputs = True
    const_inputs = (4,)        # sequence_lens: checked at compile time, never read by the kernel

    def read(self, node, graph):
        a = node.attrs
        direction = a.get("direction", "forward")
        if direction != "forward":
            raise self.error(node, f"direction '{direction}' is not supported: tinyctl compiles forward "
                                   "recurrences only (export a unidirectional, non-reversed layer)")
        names = list(a.get("activations", self.default_activations))
        if len(names) != len(self.default_activations):
            raise self.error(node, f"expects {len(self.default_activations)} activations, got {names}")
        alphas, betas = list(a.get("activation_alpha", [])), list(a.get("activation_beta", []))
        acts = []
        for name in names:
            if name not in RNN_ACTIVATIONS:
                raise self.error(node, f"activation '{name}' is not supported (supported: {', '.join(RNN_ACTIVATIONS)})")
            defaults = dict(UNARY[RNN_ACTIVATIONS[name]][2])
            params = {}
            if "alpha" in defaults:
                params["alpha"] = float(alphas.pop(0)) if alphas else defaults["alpha"]
            if "beta" in defaults:
                params["beta"] = float(betas.pop(0)) if betas else defaults["beta"]
            acts.append((RNN_ACTIVATIONS[name], params))
        clip = a.get("clip")
        return {"activations": acts, "clip": None if clip is None else float(clip), "layout": int(a.get("layout", 0)),
                "hidden_size": a.get("hidden_size"), "input_forget": int(a.get("input_forget", 0)),
                "linear_before_reset": int(a.get("linear_before_reset", 0))}

    def dims(self, node, graph):
        """(seq, batch, input size, hidden size) after checking every input's shape."""
        x, w, r = (graph.tensor(node.inputs[k]) for k in range(3))
        if len(x.shape) != 3:
            raise self.error(node, f"X must be 3-D, got {list(x.shape)}")
        seq, batch, in_size = (x.shape[1], x.shape[0], x.shape[2]) if node.params["layout"] else x.shape
        g = self.gates
        hid = r.shape[-1] if len(r.shape) == 3 else None
        expect = {1: (1, g * hid, in_size), 2: (1, g * hid, hid)}
        for k, shape in expect.items():
            if tuple(graph.tensor(node.inputs[k]).shape) != shape:
                raise self.error(node, f"input {k} ('{node.inputs[k]}') has shape {list(graph.tensor(node.inputs[k]).shape)}, "
                                       f"expected {list(shape)} (forward direction, hidden size {hid})")
        if node.params["hidden_size"] is not None and int(node.params["hidden_size"]) != hid:
            raise self.error(node, f"hidden_size {node.params['hidden_size']} disagrees with R's shape {list(r.shape)}")
        opt = self.optional_shapes(seq, batch, hid, node.params["layout"])
        for k, shape in opt.items():
            if len(node.inputs) > k and node.inputs[k]:
                t = graph.tensor(node.inputs[k])
                if tuple(t.shape) != shape:
                    raise self.error(node, f"input {k} ('{t.name}') has shape {list(t.shape)}, expected {list(shape)}")
        if len(node.inputs) > 4 and node.inputs[4]:
            lens = graph.tensor(node.inputs[4])
            if not lens.is_const or np.any(lens.value != seq):
                raise self.error(node, f"sequence_lens must be a constant equal to the sequence length {seq} "
                                       "for every batch entry (variable lengths are not supported)")
        for name in node.inputs:
            if name and name != (node.inputs[4] if len(node.inputs) > 4 else None) and graph.tensor(name).dtype != FLOAT:
                raise self.error(node, f"input '{name}' is {graph.tensor(name).dtype}; expected float32")
        return seq, batch, in_size, hid

    def optional_shapes(self, seq, batch, hid, layout):
        raise NotImplementedError

    def output_shapes(self, seq, batch, hid, layout):
        y = (batch, seq, 1, hid) if layout else (seq, 1, batch, hid)
        y_h = (batch, 1, hid) if layout else (1, batch, hid)
        return y, y_h

    def act_args(self, node):
        """C arguments for each activation: enum, alpha, beta."""
        out = []
        for name, params in node.params["activations"]:
            out.append((ACTIVATIONS[name], c_float(params.get("alpha", 0.0)), c_float(params.get("beta", 0.0))))
        return out

    def np_act(self, k, node, clipped=True):
        """Activation k in NumPy; the clip applies to gate pre-activations, not to LSTM's cell output."""
        name, params = node.params["activations"][k]
        fn = UNARY[name][1]
        clip = node.params["clip"] if clipped else None

        def apply(v):
            if clip is not None:
                v = np.clip(v, -clip, clip)
            with np.errstate(over="ignore", under="ignore"):
                return fn(v, **params).astype(np.float32)
        return apply

    @staticmethod
    def opt(inputs, k):
        return inputs[k] if len(inputs) > k else None

    @staticmethod
    def ptr_or_null(ctx, node, k):
        return ctx.ptr(node.inputs[k]) if len(node.inputs) > k and node.inputs[k] else "NULL"

    @staticmethod
    def out_or_null(ctx, node, k):
        return ctx.ptr(node.outputs[k]) if len(node.outputs) > k and node.outputs[k] else "NULL"
