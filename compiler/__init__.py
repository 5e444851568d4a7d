"""The ONNX-to-C compiler: frontend -> IR -> passes -> storage and memory plan -> C backend -> verify."""
from tinyctl.compiler.api import compile_model
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.ops import supported_ops

__all__ = ["compile_model", "CompileError", "supported_ops"]
