"""Fixtures every test layer shares."""
import pytest


@pytest.fixture(scope="session")
def raptor_onnx(tmp_path_factory):
    """The published RAPTOR policy exported to ONNX (tinyctl export raptor)."""
    from tinyctl.training.foundation import export
    path = tmp_path_factory.mktemp("raptor") / "raptor.onnx"
    export(str(path))
    return str(path)


@pytest.fixture(scope="session")
def raptor_compiled(raptor_onnx, tmp_path_factory):
    """The RAPTOR policy compiled for the Cortex-M4F (float32), verified: a contract-1 directory."""
    from tinyctl.compiler import compile_model
    out = tmp_path_factory.mktemp("raptor_c") / "raptor"
    return compile_model(raptor_onnx, str(out), name="raptor", target="cortex-m4f", verify=True)
