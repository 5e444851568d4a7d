"""Gemm and MatMul left unfused (transA, a bias that is not a bias, batched MatMul): t_y = alpha t_A B.

B must be a constant (the weights); C may be a constant. A product of two computed tensors has no rule.
"""
from tinyctl.compiler import ops
from tinyctl.compiler.jacobian.rules import register
from tinyctl.compiler.jacobian.rules.base import Rule
from tinyctl.compiler.jacobian.tangents import SEL, unsupported


@register
class GemmRule(Rule):
    op_types = ("Gemm", "MatMul")

    def kinds(self, node, tp):
        for k, name in enumerate(node.inputs):
            if k > 0 and name and tp.active(name):
                raise unsupported(node, f"input '{name}' is computed from the model's inputs; only A may be")
        return super().kinds(node, tp)

    def after(self, node, tp, ctx):
        a = node.inputs[0]
        if not tp.active(a):
            return ""
        args = ops.lookup(node.op).emit_args(node, ctx)
        t = tp.of(a)
        size = ctx.size(a)
        common = dict(ty=tp.ptr(node.outputs[0]), p=tp.p, sel=t.kind == SEL, offset=t.offset, size=size,
                      size_y=ctx.size(node.outputs[0]), ta=tp.ptr(a) if t.kind != SEL else "tsel")
        if node.op == "Gemm":
            return self.render("gemm.c.j2", batched=False, **common, **args)
        return self.render("gemm.c.j2", batched=True, alpha="1.0f", **common, **args)
