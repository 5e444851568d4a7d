"""tinyctl: small neural controllers from PyTorch to microcontrollers, verified on the way.

The package is the face (the `tinyctl` command and this Python API) and the shared core (conventions, boards,
manifest schema, plants, controller specs, scenarios), which is pure NumPy and imports no other part.
"""
__version__ = "0.1.0"


def compile(model, out_dir=None, **options):  # noqa: A001 - the verb users expect
    """Compile an ONNX model (path, bytes or onnx.ModelProto) to C; returns a CompiledModel.

    The CompiledModel runs the generated C through a host build: `state = m.reset()`,
    `out, state = m.step(inputs, state)`, and carries `m.manifest` and `m.directory`.
    Options are those of `tinyctl compile` (name, target, verify, ...).
    """
    from tinyctl.compiler.api import compile_model
    return compile_model(model, out_dir=out_dir, **options)


def load(directory):
    """Load a compiled model directory (contract 1) for host execution."""
    from tinyctl.runtime.compiled import CompiledModel
    return CompiledModel(directory)
