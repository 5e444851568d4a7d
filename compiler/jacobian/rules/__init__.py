"""Derivative rules, one module per op family with its C template beside it, as compiler/ops does for values.

A rule says what kind of tangent each output has (tangents.Tangent) and prints the code that computes it,
before or after the node's own (primal) code: rules that read the node's inputs run before it, because an
elementwise op may overwrite an input that dies with it; rules that read its output run after.
"""
import importlib
import pkgutil

from tinyctl.compiler.jacobian.tangents import unsupported

REGISTRY = {}


def register(cls):
    instance = cls()
    for op_type in cls.op_types:
        if op_type in REGISTRY:
            raise RuntimeError(f"jacobian rule for {op_type} registered twice")
        REGISTRY[op_type] = instance
    return cls


def rule_for(node):
    rule = REGISTRY.get(node.op)
    if rule is None:
        raise unsupported(node)
    return rule


def supported_ops():
    return sorted(op for op in REGISTRY if not op.startswith("tc."))


for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")
