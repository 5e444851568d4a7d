"""The three phases every op has (read attributes, infer, emit) plus its NumPy meaning and cost.

read  turns ONNX attributes and constant inputs into normalised `node.attrs`, with defaults;
infer validates everything and returns the output (dtype, shape) list: errors name the node and the op;
emit  prints C from the template beside the op's module and never validates.
evaluate is the op's definition in NumPy (the interpreter, the test oracle and constant folding use it).
"""
import os

import jinja2

from tinyctl.compiler.errors import node_error

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.dirname(__file__)),
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


class Op:
    op_types = ()          # ONNX op types (or internal ones) this class lowers
    template = None        # file name of the C template beside the module
    headers = ()           # runtime headers the emitted code includes
    foldable = True        # evaluate on constant inputs at compile time
    const_inputs = ()      # input positions that must be compile-time constants

    def read(self, node, graph):
        """Normalise node.attrs (already holding the raw ONNX attributes)."""

    def infer(self, node, graph):
        raise NotImplementedError

    def evaluate(self, node, inputs):
        raise NotImplementedError

    def emit(self, node, ctx):
        return self.render(self.template, node=node, ctx=ctx, **self.emit_args(node, ctx))

    def emit_args(self, node, ctx):
        return {}

    def macs(self, node, graph):
        return 0

    def inplace(self, node, graph):
        """Input positions whose buffer the (single) output may overwrite, when that input dies here."""
        return []

    def is_view(self, node, graph):
        """True when the output is the input's data under another shape: no code, one buffer."""
        return False

    def static_values(self, node, graph):
        """Output values known at compile time even though an input is not (Shape of a static tensor), or None."""
        return None

    def scratch(self, node, graph):
        """Floats of scratch space the emitted code needs while this node runs."""
        return 0

    # helpers shared by every op
    @staticmethod
    def render(template, **kwargs):
        return _TEMPLATES.get_template(template).render(**kwargs).rstrip("\n")

    @staticmethod
    def error(node, message):
        return node_error(node, message)

    def check_arity(self, node, low, high=None):
        n = len([i for i in node.inputs])
        high = low if high is None else high
        if not low <= n <= high:
            want = str(low) if low == high else f"{low} to {high}"
            raise self.error(node, f"takes {want} inputs, got {n}")

    def const_value(self, node, graph, index, what):
        name = node.inputs[index] if index < len(node.inputs) else ""
        if not name:
            return None
        t = graph.tensor(name)
        if not t.is_const:
            raise self.error(node, f"{what} ('{name}') must be a constant (an initializer or a Constant node), "
                                   "but it is computed at run time")
        return t.value
