"""tc.Dense (Gemm/MatMul + bias + activation, fused): t_y = act'(y) (W t_x), after the node (act' from y).

When x is a block of the model's inputs (a `sel` tangent) and there is one row, the tangent is the weights
themselves, scaled: W t_x = W S is folded at compile time into a constant (the weights, when the block is
all of `in`), so the first layer costs n * P multiplies instead of n * k * P.
"""
import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.errors import node_error
from tinyctl.compiler.jacobian.rules import register
from tinyctl.compiler.jacobian.rules.base import Rule
from tinyctl.compiler.jacobian.tangents import SEL

_NEEDS_POSITIVE_ALPHA = ("LeakyRelu", "Elu")


@register
class DenseRule(Rule):
    op_types = ("tc.Dense",)

    def after(self, node, tp, ctx):
        x = node.inputs[0]
        if not tp.active(x):
            return ""
        act = node.params["activation"]
        if act in _NEEDS_POSITIVE_ALPHA and node.params["alpha"] <= 0:
            raise node_error(node, f"{act} with alpha {node.params['alpha']:g} has no derivative tinyctl can take "
                                   "from its output; the Jacobian needs alpha > 0")
        a = ops.lookup(node.op).emit_args(node, ctx)
        t = tp.of(x)
        ty = tp.ptr(node.outputs[0])
        if t.kind == SEL and a["m"] == 1:
            w = ctx.graph.tensor(node.inputs[1]).value
            if t.offset == 0 and a["k"] == tp.p:
                ws = a["w"]
            else:
                seeded = np.zeros((a["n"], tp.p), np.float32)
                seeded[:, t.offset:t.offset + a["k"]] = w
                ws = tp.constant(f"{node.name}_seeded", seeded)
            return self.render("dense.c.j2", seeded=True, ws=ws, ty=ty, p=tp.p, **a)
        tx = tp.ptr(x) if t.kind != SEL else "tsel"
        return self.render("dense.c.j2", seeded=False, sel=t.kind == SEL, offset=t.offset, tx=tx, ty=ty, p=tp.p,
                           **a)
