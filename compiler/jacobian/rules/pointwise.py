"""Elementwise ops: activations and the like (t_y = f'(.) t_x) and broadcasting arithmetic.

Derivatives of activations are taken from the output, after the node (tanh' = 1 - y^2 costs no tanh); those
that need the input (Abs, Clip), and the products and quotients, run before the node, since an elementwise
node may write its output over an input that dies there.
"""
from tinyctl.compiler.errors import node_error
from tinyctl.compiler.jacobian.rules import register
from tinyctl.compiler.jacobian.rules.base import Rule
from tinyctl.compiler.literals import c_float
from tinyctl.compiler.ops.broadcast import loops

# op: (runs "before" or "after" the node, C expression of f' in terms of {x} (input) or {y} (output))
UNARY = {
    "Relu": ("after", "({y} > 0.0f ? 1.0f : 0.0f)"),
    "LeakyRelu": ("after", "({y} > 0.0f ? 1.0f : {alpha})"),
    "Elu": ("after", "({y} > 0.0f ? 1.0f : {y} + {alpha})"),
    "Tanh": ("after", "(1.0f - {y} * {y})"),
    "Sigmoid": ("after", "({y} * (1.0f - {y}))"),
    "Softplus": ("after", "(-expm1f(-{y}))"),
    "HardSigmoid": ("after", "({y} > 0.0f && {y} < 1.0f ? {alpha} : 0.0f)"),
    "Abs": ("before", "({x} > 0.0f ? 1.0f : ({x} < 0.0f ? -1.0f : 0.0f))"),
    "Neg": ("after", "-1.0f"),
    "Clip": ("before", "({inside} ? 1.0f : 0.0f)"),
}


@register
class UnaryRule(Rule):
    op_types = tuple(UNARY)

    def _code(self, node, tp, ctx, when):
        x, y = node.inputs[0], node.outputs[0]
        if UNARY[node.op][0] != when or not tp.active(x):
            return ""
        if node.op in ("LeakyRelu", "Elu") and node.params["alpha"] <= 0:
            raise node_error(node, f"alpha {node.params['alpha']:g}: the Jacobian takes this derivative from the "
                                   "output, which needs alpha > 0")
        d = UNARY[node.op][1].format(x=ctx.at(x, "i0"), y=ctx.at(y, "i0"), inside=self._inside(node, ctx),
                                     alpha=c_float(node.params.get("alpha", 0.0)))
        return self.render("pointwise.c.j2", dims=[ctx.size(y)], pre=[f"const float d = {d};"],
                           lhs=tp.at(y, "i0"), expr=f"d * {tp.element(x, 'i0')}", p=tp.p)

    @staticmethod
    def _inside(node, ctx):
        if node.op != "Clip":
            return ""
        x, lo, hi = ctx.at(node.inputs[0], "i0"), node.params.get("min"), node.params.get("max")
        tests = ([f"{x} >= {c_float(lo)}"] if lo is not None else []) + \
                ([f"{x} <= {c_float(hi)}"] if hi is not None else [])
        return " && ".join(tests) or "1"

    def before(self, node, tp, ctx):
        return self._code(node, tp, ctx, "before")

    def after(self, node, tp, ctx):
        return self._code(node, tp, ctx, "after")


@register
class ArithmeticRule(Rule):
    op_types = ("Add", "Sub", "Mul", "Div")

    def before(self, node, tp, ctx):
        a, b, y = node.inputs[0], node.inputs[1], node.outputs[0]
        if not (tp.active(a) or tp.active(b)):
            return ""
        dims, (yi, ai, bi) = loops(ctx.shape(y), [ctx.shape(a), ctx.shape(b)])
        ta, tb = tp.element(a, ai), tp.element(b, bi)
        pre, expr = [], None
        if node.op in ("Add", "Sub"):
            sign = "+" if node.op == "Add" else "-"
            expr = f"{ta} {sign} {tb}" if ta and tb else (ta if ta else f"{sign}{tb}".lstrip("+"))
        elif node.op == "Mul":
            pre = ([f"const float bv = {ctx.at(b, bi)};"] if ta else []) + \
                  ([f"const float av = {ctx.at(a, ai)};"] if tb else [])
            expr = " + ".join(t for t in (f"bv * {ta}" if ta else "", f"av * {tb}" if tb else "") if t)
        else:  # Div: d(a/b) = da/b - a db/b^2
            pre = [f"const float inv = 1.0f / {ctx.at(b, bi)};"] + \
                  ([f"const float q = {ctx.at(a, ai)} * inv;"] if tb else [])
            expr = " - ".join(t for t in (f"inv * {ta}" if ta else "", f"q * inv * {tb}" if tb else "") if t)
            if not ta:
                expr = "-" + expr
        return self.render("pointwise.c.j2", dims=dims, pre=pre, lhs=tp.at(y, yi),
                           expr=expr, p=tp.p)
