"""Fixtures of the quantisation tests: the RAPTOR checkpoint's sequences as calibration data, and RAPTOR compiled
in each dtype (cortex-m3 for the integer ones, as the board without FPU runs them; cortex-m4f otherwise)."""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def raptor_calibration(tmp_path_factory):
    """The checkpoint's example sequences, [S, T, 22], as a .npy file: what a user would calibrate with."""
    from tinyctl.training.foundation import load_checkpoint
    _, (x, _) = load_checkpoint()
    path = tmp_path_factory.mktemp("calib") / "raptor_sequences.npy"
    np.save(path, np.swapaxes(x, 0, 1).astype(np.float32))
    return str(path)


@pytest.fixture(scope="session")
def raptor_quantized(raptor_onnx, raptor_calibration, tmp_path_factory):
    """dtype -> CompiledModel of RAPTOR (verified), compiled on first use."""
    from tinyctl.compiler import compile_model
    built = {}

    def get(dtype):
        if dtype not in built:
            target = "cortex-m3" if dtype in ("int8", "q15") else "cortex-m4f"
            out = tmp_path_factory.mktemp(f"raptor_{dtype}") / "raptor"
            built[dtype] = compile_model(raptor_onnx, str(out), name="raptor", target=target, dtype=dtype,
                                         calibration=None if dtype == "float32" else raptor_calibration, verify=True)
        return built[dtype]
    return get
