"""Gemm: Y = alpha * A' B' + beta * C, with transposes as strides and C broadcast by strides.

A Gemm with constant weights and a bias-like C is rewritten into tc.Dense by the fusion pass; this lowering
serves the rest (weights computed at run time, transA, a full C).
"""
import numpy as np

from tinyctl.compiler.ir import FLOAT
from tinyctl.compiler.literals import c_float
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


@register
class Gemm(Op):
    op_types = ("Gemm",)
    template = "gemm.c.j2"
    headers = ("tinyctl/matmul.h",)

    def read(self, node, graph):
        return {"alpha": float(node.attrs.get("alpha", 1.0)), "beta": float(node.attrs.get("beta", 1.0)),
                "transA": int(node.attrs.get("transA", 0)), "transB": int(node.attrs.get("transB", 0))}

    def _mkn(self, node, a_shape, b_shape):
        p = node.params
        if len(a_shape) != 2 or len(b_shape) != 2:
            raise self.error(node, f"A and B must be 2-D, got {list(a_shape)} and {list(b_shape)}")
        m, k = a_shape[::-1] if p["transA"] else a_shape
        k2, n = b_shape[::-1] if p["transB"] else b_shape
        if k != k2:
            raise self.error(node, f"inner dimensions differ: A {list(a_shape)} (transA={p['transA']}) and "
                                   f"B {list(b_shape)} (transB={p['transB']})")
        return m, k, n

    def infer(self, node, graph):
        self.check_arity(node, 2, 3)
        for name in node.inputs:
            if name and graph.tensor(name).dtype != FLOAT:
                raise self.error(node, f"input '{name}' is {graph.tensor(name).dtype}; Gemm takes float32")
        m, _, n = self._mkn(node, graph.tensor(node.inputs[0]).shape, graph.tensor(node.inputs[1]).shape)
        if len(node.inputs) > 2 and node.inputs[2]:
            c = graph.tensor(node.inputs[2]).shape
            try:
                if np.broadcast_shapes(tuple(c), (m, n)) != (m, n):
                    raise ValueError
            except ValueError:
                raise self.error(node, f"C of shape {list(c)} does not broadcast to the output [{m}, {n}]") from None
        return [(FLOAT, (m, n))]

    def evaluate(self, node, inputs):
        p = node.params
        a = inputs[0].T if p["transA"] else inputs[0]
        b = inputs[1].T if p["transB"] else inputs[1]
        y = np.float32(p["alpha"]) * (a @ b)
        if len(inputs) > 2 and inputs[2] is not None:
            y = y + np.float32(p["beta"]) * inputs[2]
        return [y.astype(np.float32)]

    def macs(self, node, graph):
        m, k, n = self._mkn(node, graph.tensor(node.inputs[0]).shape, graph.tensor(node.inputs[1]).shape)
        return m * k * n

    def emit_args(self, node, ctx):
        p = node.params
        a_shape, b_shape = ctx.shape(node.inputs[0]), ctx.shape(node.inputs[1])
        m, k, n = self._mkn(node, a_shape, b_shape)
        a_rs, a_cs = (1, a_shape[1]) if p["transA"] else (a_shape[1], 1)
        b_rs, b_cs = (1, b_shape[1]) if p["transB"] else (b_shape[1], 1)
        c, c_rs, c_cs = "NULL", 0, 0
        if len(node.inputs) > 2 and node.inputs[2]:
            c_shape = (1,) * (2 - len(ctx.shape(node.inputs[2]))) + tuple(ctx.shape(node.inputs[2]))
            c = ctx.ptr(node.inputs[2])
            c_rs = c_shape[1] if c_shape[0] != 1 else 0
            c_cs = 1 if c_shape[1] != 1 else 0
        return {"a": ctx.ptr(node.inputs[0]), "b": ctx.ptr(node.inputs[1]), "c": c, "y": ctx.ptr(node.outputs[0]),
                "m": m, "k": k, "n": n, "a_rs": a_rs, "a_cs": a_cs, "b_rs": b_rs, "b_cs": b_cs,
                "c_rs": c_rs, "c_cs": c_cs, "alpha": c_float(p["alpha"]), "beta": c_float(p["beta"])}
