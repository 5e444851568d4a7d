"""What each tensor's tangent is, and where it lives.

A tangent is d(tensor) / d(in), stored by columns [P][elements] with P = IN_SIZE: column c holds the derivatives
of every element with respect to in[c], contiguous, so a dense layer's tangent is P matrix-vector products with
the target's own kernel (tc_matvec). Three kinds:
    zero      the tensor does not depend on the inputs (weights, constants): no storage, no code
    sel(o)    element i's tangent is the unit row e_(o + i): a model input, or a contiguous block of inputs
              (a Concat, Slice, Split or view of them); no storage either, rules fold it into their code
    buf       a tangent array in the tangent arena (`jac`, row-major [OUT][IN], gets the outputs' at the end)
Views share their input's tangent (same elements, same order). Buffers are packed by the compiler's memory
planner over the same step indices the primal arena uses.
"""
from dataclasses import dataclass

from tinyctl.compiler import ops
from tinyctl.compiler.errors import node_error
from tinyctl.compiler.plan import Buffer, plan

ZERO, SEL, BUF = "zero", "sel", "buf"


@dataclass(frozen=True)
class Tangent:
    kind: str
    offset: int = 0          # sel: the input column of element 0

    @property
    def zero(self):
        return self.kind == ZERO


TZERO = Tangent(ZERO)


class TangentPlan:
    """Kinds and storage of every tangent, built before any code is printed."""

    def __init__(self, graph, storage, layout, rules):
        self.graph, self.storage, self.rules = graph, storage, rules
        self.p = layout["sizes"]["in"]
        self.root = {}       # tensor -> the tensor whose tangent it shares
        self.kind = {}       # root -> Tangent
        self.where = {}      # root -> (array, element offset) of its buffer
        self.constants = []  # (C name, float32 array): folded weights the rules asked for
        self._namer = None
        in_offsets = {e["name"]: e["offset"] for e in layout["inputs"]}
        for name, t in graph.tensors.items():
            self.root[name] = name
            self.kind[name] = Tangent(SEL, in_offsets[name]) if name in in_offsets else TZERO
        for node in graph.nodes:
            rule = rules(node)
            if ops.lookup(node.op).is_view(node, graph):
                self.root[node.outputs[0]] = self.root[node.inputs[0]]
                continue
            for out, kind in zip(node.outputs, rule.kinds(node, self)):
                if out:
                    self.kind[out] = kind
        self.arena_size = self._place()

    def of(self, name):
        return self.kind[self.root[name]]

    def active(self, name):
        return not self.of(name).zero

    def ptr(self, name):
        base, offset = self.where[self.root[name]]
        return f"{base} + {offset}" if offset else base

    def size(self, name):
        """Elements of the tensor: the stride between its tangent's columns."""
        return self.graph.tensor(self.root[name]).size

    def at(self, name, index, column="c"):
        """The C lvalue d(element `index` of name) / d(in[column]) of a buffer tangent."""
        base, offset = self.where[self.root[name]]
        return f"{base}[{str(offset) + ' + ' if offset else ''}({column}) * {self.size(name)} + {index}]"

    def _place(self):
        first, last = {}, {}
        for k, node in enumerate(self.graph.nodes):
            for name in node.inputs:
                if name:
                    last[self.root[name]] = k
            if ops.lookup(node.op).is_view(node, self.graph):
                continue
            for out in node.outputs:
                if out and self.kind[out].kind == BUF:
                    first[out] = k
        end = len(self.graph.nodes)
        for name in self.graph.outputs:
            last[self.root[name]] = end
        buffers = []
        for root, k in first.items():
            buffers.append(Buffer(root, self.graph.tensor(root).size * self.p, k, max(last.get(root, k), k)))
        offsets, size = plan(buffers)
        for b in buffers:
            self.where[b.key] = ("tan", offsets[b.key])
        return size

    def use_namer(self, namer):
        self._namer = namer

    def constant(self, base, value):
        """A constant array the Jacobian code needs (folded weights); returns its C name."""
        cname = self._namer(f"jac_{base}")
        self.constants.append((cname, value))
        return cname

    def element(self, name, index, column="c"):
        """C expression of d(element `index` of name) / d(in[column]); None when it is zero."""
        t = self.of(name)
        if t.zero:
            return None
        if t.kind == SEL:
            target = f"{index} + {t.offset}" if t.offset else index
            return f"({column} == {target} ? 1.0f : 0.0f)"
        return self.at(name, index, column)


def unsupported(node, why=""):
    return node_error(node, "has no derivative rule for --jacobian" + (f" ({why})" if why else "") +
                      ": the Jacobian supports Gemm/MatMul with constant weights, dense layers with their "
                      "activations, Add/Sub/Mul/Div/Neg/Abs/Clip, Concat/Slice/Split/Transpose and reshapes")
