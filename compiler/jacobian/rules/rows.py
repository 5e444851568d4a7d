"""Ops that move elements without arithmetic: Concat, Split, Slice, Transpose, and the reshapes (views).

Each output element takes one input element's tangent row. The row map is computed at compile time by running
the op's own NumPy definition on element indices, so every op of this family is handled by one rule. When
every row is a unit row of contiguous input columns the output stays a `sel` tangent and costs no code;
otherwise rows are copied in runs (a table of source rows when the runs are many, as for a transpose).
"""
import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.jacobian.rules import register
from tinyctl.compiler.jacobian.rules.base import Rule
from tinyctl.compiler.jacobian.tangents import BUF, SEL, TZERO, Tangent

_BASE = 1 << 24          # input k's element i is numbered k * _BASE + i
_MAX_RUNS = 16           # more runs than this from one source: copy through a row table


def row_maps(node, graph):
    """Per output, an int64 array of k * _BASE + i: the input (k) and element (i) each output element takes."""
    op = ops.lookup(node.op)
    inputs = []
    for k, name in enumerate(node.inputs):
        if not name:
            inputs.append(None)
        elif k in op.const_inputs:
            inputs.append(graph.tensor(name).value)
        else:
            t = graph.tensor(name)
            inputs.append((k * _BASE + np.arange(t.size, dtype=np.int64)).reshape(t.shape))
    return [np.asarray(v, np.int64).ravel() for v in op.evaluate(node, inputs)]


def runs(rows):
    """Split a row map into runs (output start, input k, input start, length) of consecutive rows."""
    out, start = [], 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1 or rows[i] // _BASE != rows[start] // _BASE:
            out.append((start, int(rows[start] // _BASE), int(rows[start] % _BASE), i - start))
            start = i
    return out


@register
class RowsRule(Rule):
    op_types = ("Concat", "Split", "Slice", "Transpose")

    def kinds(self, node, tp):
        kinds = []
        for out, rows in zip(node.outputs, row_maps(node, tp.graph)):
            sources = [tp.of(node.inputs[k]) for k in np.unique(rows // _BASE)]
            if all(s.zero for s in sources):
                kinds.append(TZERO)
                continue
            cols = [_column(tp.of(node.inputs[r // _BASE]), r % _BASE) for r in rows]
            contiguous = cols[0] is not None and all(c == cols[0] + i for i, c in enumerate(cols))
            kinds.append(Tangent(SEL, cols[0]) if contiguous else Tangent(BUF))
        return kinds

    def before(self, node, tp, ctx):
        blocks = []
        for out, rows in zip(node.outputs, row_maps(node, tp.graph)):
            if not out or tp.of(out).kind != BUF:
                continue
            pieces = runs(rows)
            if len(pieces) > _MAX_RUNS and len({k for _, k, _, _ in pieces}) == 1:
                src = node.inputs[pieces[0][1]]
                blocks.append(self.render("rows.c.j2", table=[int(r % _BASE) for r in rows], n=len(rows),
                                          ty=tp.ptr(out), sy=tp.size(out), src=self._source(tp, src), p=tp.p,
                                          runs=[]))
                continue
            blocks.append(self.render("rows.c.j2", table=None, ty=tp.ptr(out), sy=tp.size(out), p=tp.p, runs=[
                {"out": o, "len": n, "src": self._source(tp, node.inputs[k]), "row": r} for o, k, r, n in pieces]))
        return "\n".join(blocks)

    @staticmethod
    def _source(tp, name):
        t = tp.of(name)
        return {"kind": t.kind, "offset": t.offset, "ptr": tp.ptr(name) if t.kind == BUF else None,
                "size": tp.size(name)}


def _column(tangent, row):
    return tangent.offset + row if tangent.kind == SEL else None


@register
class ViewRule(Rule):
    """Reshapes share their input's tangent (tangents.TangentPlan maps them): no code."""
    op_types = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity")
