"""Op lowerings, one module per op (or per family of elementwise ops) with its C template beside it.

Modules register their classes with @register; every module in this package is imported here, so adding an
op means adding one file. `supported_ops()` lists the ONNX op types (internal ones start with "tc.").
"""
import importlib
import pkgutil

REGISTRY = {}


def register(cls):
    instance = cls()
    for op_type in cls.op_types:
        if op_type in REGISTRY:
            raise RuntimeError(f"op {op_type} registered twice")
        REGISTRY[op_type] = instance
    return cls


def lookup(op_type):
    return REGISTRY.get(op_type)


def supported_ops():
    return sorted(op for op in REGISTRY if not op.startswith("tc."))


for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")
