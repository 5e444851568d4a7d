"""Fixtures of the HIL suites: the RAPTOR policy exported and compiled (host C for SIL; the ONNX beside it, as
`tinyctl hil` finds it), and the firmware built for qemu-stm32f405 once per session."""
import shutil

import pytest


@pytest.fixture(scope="session")
def hil_model(tmp_path_factory):
    """(compiled model directory, ONNX path): the directory's manifest names the ONNX, which sits beside it."""
    from tinyctl.compiler import compile_model
    from tinyctl.training.foundation import export
    root = tmp_path_factory.mktemp("hil_model")
    onnx = root / "raptor.onnx"
    export(str(onnx))
    compile_model(str(onnx), str(root / "raptor"), name="raptor", target="cortex-m4f", verify=False)
    return str(root / "raptor"), str(onnx)


@pytest.fixture(scope="session")
def hil_firmware(hil_model, tmp_path_factory):
    """The RAPTOR firmware for the default board (skips when the ARM toolchain or QEMU is missing)."""
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("the ARM toolchain or qemu-system-arm is not installed (scripts/setup.sh installs them)")
    from tinyctl.firmware import build
    return build(hil_model[0], board="qemu-stm32f405", out_dir=str(tmp_path_factory.mktemp("hil_fw")))
