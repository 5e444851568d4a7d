"""Compile errors: one line that names the node, the op and what to do."""
from tinyctl.errors import TinyctlError


class CompileError(TinyctlError):
    """The model cannot be compiled as given."""


def node_error(node, message):
    """A CompileError that names the node and its op, the way every op reports a problem."""
    return CompileError(f"node '{node.name}' ({node.op}): {message}")
