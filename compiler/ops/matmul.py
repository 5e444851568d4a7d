"""MatMul with NumPy semantics: 1-D operands promoted, batch dimensions broadcast, one tc_gemm per matrix."""
import numpy as np

from tinyctl.compiler.ir import FLOAT
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op
from tinyctl.compiler.ops.broadcast import broadcast_shape, loops


def _as_matrices(shape, is_a):
    """(batch shape, rows, cols) of an operand, promoting 1-D as NumPy does."""
    if len(shape) == 1:
        return (), (1, shape[0]) if is_a else (shape[0], 1)
    return tuple(shape[:-2]), tuple(shape[-2:])


@register
class MatMul(Op):
    op_types = ("MatMul",)
    template = "matmul.c.j2"
    headers = ("tinyctl/matmul.h",)

    def read(self, node, graph):
        return {}

    def _plan(self, node, a_shape, b_shape):
        if not a_shape or not b_shape:
            raise self.error(node, "operands must have at least one dimension")
        a_batch, (m, k) = _as_matrices(a_shape, True)
        b_batch, (k2, n) = _as_matrices(b_shape, False)
        if k != k2:
            raise self.error(node, f"inner dimensions differ: {list(a_shape)} @ {list(b_shape)}")
        batch = broadcast_shape(lambda msg: self.error(node, msg), [a_batch, b_batch])
        out = list(batch)
        if len(a_shape) > 1:
            out.append(m)
        if len(b_shape) > 1:
            out.append(n)
        return a_batch, b_batch, batch, m, k, n, tuple(out)

    def infer(self, node, graph):
        self.check_arity(node, 2)
        for name in node.inputs:
            if graph.tensor(name).dtype != FLOAT:
                raise self.error(node, f"input '{name}' is {graph.tensor(name).dtype}; MatMul takes float32")
        return [(FLOAT, self._plan(node, graph.tensor(node.inputs[0]).shape, graph.tensor(node.inputs[1]).shape)[-1])]

    def evaluate(self, node, inputs):
        return [np.matmul(inputs[0], inputs[1]).astype(np.float32)]

    def macs(self, node, graph):
        _, _, batch, m, k, n, _ = self._plan(node, graph.tensor(node.inputs[0]).shape, graph.tensor(node.inputs[1]).shape)
        return int(np.prod(batch)) * m * k * n

    def emit_args(self, node, ctx):
        a_batch, b_batch, batch, m, k, n, _ = self._plan(node, ctx.shape(node.inputs[0]), ctx.shape(node.inputs[1]))
        dims, idx = loops(batch, [a_batch, b_batch])
        return {"dims": dims, "idx": idx, "a": ctx.ptr(node.inputs[0]), "b": ctx.ptr(node.inputs[1]),
                "y": ctx.ptr(node.outputs[0]), "m": m, "k": k, "n": n}
