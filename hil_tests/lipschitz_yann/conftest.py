"""A Lipschitz-bounded hover policy trained quickly (the `tinyctl train lipschitz` path, smaller), compiled with
--lipschitz for the Cortex-M4F and verified; and its firmware for the default board."""
import os
import shutil
from argparse import Namespace

import pytest

GAMMA = 4.0


@pytest.fixture(scope="session")
def lipschitz_model(tmp_path_factory):
    """(compiled model directory, ONNX path, training.json as a dict) for a gamma-4 LBDN hover policy."""
    import json
    import torch
    from tinyctl.compiler import compile_model
    from tinyctl.training.lipschitz.command import run
    root = tmp_path_factory.mktemp("lipschitz")
    threads = torch.get_num_threads()
    try:
        run(Namespace(gamma=GAMMA, out=str(root), episodes=150, epochs=25, hidden="32,32", seed=0, threads=1,
                      force=False))
    finally:
        torch.set_num_threads(threads)
    onnx = os.path.join(root, "lipschitz.onnx")
    compile_model(onnx, str(root / "policy"), name="lipschitz", target="cortex-m4f", verify=True, lipschitz=True)
    with open(os.path.join(root, "training.json")) as f:
        return str(root / "policy"), onnx, json.load(f)


@pytest.fixture(scope="session")
def lipschitz_firmware(lipschitz_model, tmp_path_factory):
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("the ARM toolchain or qemu-system-arm is not installed (scripts/setup.sh installs them)")
    from tinyctl.firmware import build
    return build(lipschitz_model[0], board="qemu-stm32f405", controller="lipschitz",
                 out_dir=str(tmp_path_factory.mktemp("lipschitz_fw")))
