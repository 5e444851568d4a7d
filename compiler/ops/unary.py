"""Elementwise unary ops: activations and the like, as a table of (C expression, NumPy definition, attributes).

The C side calls the scalar functions of runtime/include/tinyctl/activations.h, which fused kernels share.
"""
import numpy as np

from tinyctl.compiler.ir import FLOAT
from tinyctl.compiler.literals import c_float
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


def _softplus(x):
    return np.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(np.minimum(x, 0))))


def _elu(x, alpha):
    return np.where(x < 0, alpha * np.expm1(np.minimum(x, 0)), x)


# op: (C expression of {x} and attributes, NumPy definition, attribute defaults)
UNARY = {
    "Relu": ("tc_relu({x})", lambda x: np.maximum(x, 0), {}),
    "LeakyRelu": ("tc_leaky_relu({x}, {alpha})", lambda x, alpha: np.where(x >= 0, x, alpha * x), {"alpha": 0.01}),
    "Elu": ("tc_elu({x}, {alpha})", _elu, {"alpha": 1.0}),
    "Tanh": ("tc_tanh({x})", np.tanh, {}),
    "Sigmoid": ("tc_sigmoid({x})", lambda x: 1 / (1 + np.exp(-x)), {}),
    "Softplus": ("tc_softplus({x})", _softplus, {}),
    "HardSigmoid": ("tc_hard_sigmoid({x}, {alpha}, {beta})",
                    lambda x, alpha, beta: np.clip(alpha * x + beta, 0, 1), {"alpha": 0.2, "beta": 0.5}),
    "Abs": ("tc_abs({x})", np.abs, {}),
    "Neg": ("(-{x})", np.negative, {}),
}


@register
class Unary(Op):
    op_types = tuple(UNARY)
    template = "elementwise.c.j2"
    headers = ("tinyctl/activations.h",)

    def read(self, node, graph):
        defaults = UNARY[node.op][2]
        return {k: float(node.attrs.get(k, v)) for k, v in defaults.items()}

    def infer(self, node, graph):
        self.check_arity(node, 1)
        x = graph.tensor(node.inputs[0])
        if x.dtype != FLOAT:
            raise self.error(node, f"input '{x.name}' is {x.dtype}; this op takes float32")
        return [(FLOAT, x.shape)]

    def evaluate(self, node, inputs):
        fn = UNARY[node.op][1]
        with np.errstate(over="ignore", under="ignore"):
            return [fn(inputs[0], **node.params).astype(np.float32)]

    def emit_args(self, node, ctx):
        n = ctx.size(node.outputs[0])
        expr = UNARY[node.op][0].format(x=ctx.at(node.inputs[0], "i0"),
                                        **{k: c_float(v) for k, v in node.params.items()})
        return {"dims": [n], "lhs": ctx.at(node.outputs[0], "i0"), "expr": expr}

    def inplace(self, node, graph):
        return [0]

    def activation(self, node):
        """This op as a fused activation: (C function name, parameters)."""
        return UNARY[node.op][0].split("(")[0], node.params
