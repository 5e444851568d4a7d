"""Elementwise ops with NumPy broadcasting: arithmetic, Min/Max (variadic), comparisons, Where.

A table gives each op its arity, input and output types, C expression and NumPy definition; the loops come
from broadcast.loops. Comparison results are bool, stored at run time as 0.0f/1.0f.
"""
import numpy as np

from tinyctl.compiler.ir import BOOL, FLOAT
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.broadcast import broadcast_shape, loops


def _chain(fn):
    def expr(args):
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        return out
    return expr


def _np_chain(fn):
    def run(*xs):
        out = xs[0]
        for x in xs[1:]:
            out = fn(out, x)
        return out
    return run


def _cmp(c_op):
    return lambda a: f"({a[0]} {c_op} {a[1]} ? 1.0f : 0.0f)"


# op: (min inputs, max inputs, input dtypes, output dtype, C expression of operand list, NumPy definition)
BROADCASTING = {
    "Add": (2, 2, FLOAT, FLOAT, lambda a: f"{a[0]} + {a[1]}", np.add),
    "Sub": (2, 2, FLOAT, FLOAT, lambda a: f"{a[0]} - {a[1]}", np.subtract),
    "Mul": (2, 2, FLOAT, FLOAT, lambda a: f"{a[0]} * {a[1]}", np.multiply),
    "Div": (2, 2, FLOAT, FLOAT, lambda a: f"{a[0]} / {a[1]}", np.divide),
    "Min": (1, 64, FLOAT, FLOAT, _chain(lambda x, y: f"tc_min({x}, {y})"), _np_chain(np.minimum)),
    "Max": (1, 64, FLOAT, FLOAT, _chain(lambda x, y: f"tc_max({x}, {y})"), _np_chain(np.maximum)),
    "Greater": (2, 2, FLOAT, BOOL, _cmp(">"), np.greater),
    "GreaterOrEqual": (2, 2, FLOAT, BOOL, _cmp(">="), np.greater_equal),
    "Less": (2, 2, FLOAT, BOOL, _cmp("<"), np.less),
    "LessOrEqual": (2, 2, FLOAT, BOOL, _cmp("<="), np.less_equal),
    "Where": (3, 3, (BOOL, FLOAT, FLOAT), FLOAT, lambda a: f"({a[0]} != 0.0f ? {a[1]} : {a[2]})", np.where),
}


@register
class Broadcasting(Op):
    op_types = tuple(BROADCASTING)
    template = "elementwise.c.j2"
    headers = ("tinyctl/activations.h",)

    def read(self, node, graph):
        return {}

    def infer(self, node, graph):
        low, high, in_types, out_type, _, _ = BROADCASTING[node.op]
        self.check_arity(node, low, high)
        if any(not i for i in node.inputs):
            raise self.error(node, "an input is missing")
        for k, name in enumerate(node.inputs):
            t = graph.tensor(name)
            want = in_types[k] if isinstance(in_types, tuple) else in_types
            if t.dtype != want:
                raise self.error(node, f"input {k} ('{name}') is {t.dtype}; this op takes {want} there "
                                       "(integer tensors exist only as constant shapes and indices)")
        shape = broadcast_shape(lambda m: self.error(node, m), [graph.tensor(i).shape for i in node.inputs])
        return [(out_type, shape)]

    def evaluate(self, node, inputs):
        with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):  # IEEE results, as in C
            result = BROADCASTING[node.op][5](*inputs)
        return [np.asarray(result, dtype=bool if BROADCASTING[node.op][3] == BOOL else np.float32)]

    def emit_args(self, node, ctx):
        out = node.outputs[0]
        dims, idx = loops(ctx.shape(out), [ctx.shape(i) for i in node.inputs])
        operands = [ctx.at(name, ix) for name, ix in zip(node.inputs, idx[1:])]
        return {"dims": dims, "lhs": ctx.at(out, idx[0]), "expr": BROADCASTING[node.op][4](operands)}

    def inplace(self, node, graph):
        """Inputs of the output's full shape may share its buffer: each element is read before it is written."""
        out_shape = tuple(graph.tensor(node.outputs[0]).shape)
        return [k for k, name in enumerate(node.inputs) if tuple(graph.tensor(name).shape) == out_shape]
