"""tc.Dense: y = act(x W' + b) with constant W [N, K] and b [N], the fused form of Gemm/MatMul + Add + activation.

The fusion pass builds it; the kernel (runtime tinyctl/dense.h) applies the activation as each output is
finished, so the pre-activation never reaches memory.
"""
import numpy as np

from tinyctl.compiler.ir import FLOAT
from tinyctl.compiler.literals import c_float
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.unary import UNARY

# activations the dense kernel applies itself, with their C enum
ACTIVATIONS = {None: "TC_ACT_NONE", "Relu": "TC_ACT_RELU", "LeakyRelu": "TC_ACT_LEAKY_RELU", "Elu": "TC_ACT_ELU",
               "Tanh": "TC_ACT_TANH", "Sigmoid": "TC_ACT_SIGMOID", "Softplus": "TC_ACT_SOFTPLUS",
               "HardSigmoid": "TC_ACT_HARD_SIGMOID"}


@register
class Dense(Op):
    op_types = ("tc.Dense",)
    template = "dense.c.j2"
    headers = ("tinyctl/dense.h",)

    def read(self, node, graph):
        act = node.attrs.get("activation")
        params = dict(UNARY[act][2]) if act else {}
        params.update(node.attrs.get("activation_params", {}))
        return {"activation": act, "alpha": float(params.get("alpha", 0.0)), "beta": float(params.get("beta", 0.0))}

    def infer(self, node, graph):
        x, w = graph.tensor(node.inputs[0]), graph.tensor(node.inputs[1])
        if not w.is_const or len(w.shape) != 2 or x.shape[-1] != w.shape[1]:
            raise self.error(node, f"needs constant weights [N, {x.shape[-1]}], got {list(w.shape)}")
        if len(node.inputs) > 2 and node.inputs[2] and tuple(graph.tensor(node.inputs[2]).shape) != (w.shape[0],):
            raise self.error(node, f"bias must have shape [{w.shape[0]}]")
        return [(FLOAT, tuple(x.shape[:-1]) + (w.shape[0],))]

    def evaluate(self, node, inputs):
        y = inputs[0] @ inputs[1].T
        if len(inputs) > 2 and inputs[2] is not None:
            y = y + inputs[2]
        act = node.params["activation"]
        if act:
            kwargs = {k: node.params[k] for k in UNARY[act][2]}
            with np.errstate(over="ignore", under="ignore"):
                y = UNARY[act][1](y, **kwargs)
        return [y.astype(np.float32)]

    def macs(self, node, graph):
        x, w = graph.tensor(node.inputs[0]), graph.tensor(node.inputs[1])
        return int(np.prod(x.shape[:-1])) * w.shape[0] * w.shape[1]

    def emit_args(self, node, ctx):
        x_shape, (n, k) = ctx.shape(node.inputs[0]), ctx.shape(node.inputs[1])
        has_bias = len(node.inputs) > 2 and node.inputs[2]
        return {"x": ctx.ptr(node.inputs[0]), "w": ctx.ptr(node.inputs[1]),
                "b": ctx.ptr(node.inputs[2]) if has_bias else "NULL", "y": ctx.ptr(node.outputs[0]),
                "m": int(np.prod(x_shape[:-1])), "k": k, "n": n, "act": ACTIVATIONS[node.params["activation"]],
                "alpha": c_float(node.params["alpha"]), "beta": c_float(node.params["beta"])}
