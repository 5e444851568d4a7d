"""The policy `tinyctl train raptor --quick` writes takes the published policy's road, command for command:
`tinyctl compile --target cortex-m4f --verify`, `tinyctl build --board qemu-stm32f405`, and `tinyctl hil` with the
firmware in QEMU flying the builtin simulator's hover scenario, compared with the ONNX in onnxruntime on the same
run. The bar is the published policy's (hil_tests/test_qemu_hil.py): the QEMU flight within 1 mm of the reference."""
import json
import shutil

import pytest

from tinyctl.cli import main

pytestmark = [pytest.mark.qemu, pytest.mark.hil]

# hil_tests/test_qemu_hil.py's bar for the published policy: QEMU against onnxruntime, same episode and simulator
MAX_POSITION_DEVIATION = 1e-3   # m


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A quick run's directory (student.onnx), compiled for the Cortex-M4F beside it and built for the STM32F405:
    (run directory, compiled model directory, firmware directory)."""
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("the ARM toolchain or qemu-system-arm is not installed (scripts/setup.sh installs them)")
    run = tmp_path_factory.mktemp("trained") / "quick"
    assert main(["train", "raptor", "--quick", "--no-eval", "-o", str(run)]) == 0
    model, firmware = run / "student", run / "fw"
    assert main(["compile", str(run / "student.onnx"), "-o", str(model), "--target", "cortex-m4f", "--verify"]) == 0
    assert main(["build", "--board", "qemu-stm32f405", "--model", str(model), "-o", str(firmware)]) == 0
    return run, model, firmware


def test_compiled_policy_verifies_against_onnxruntime(trained):
    _, model, _ = trained
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["target"] == "cortex-m4f" and manifest["params"] == 2068
    assert [s["name"] for s in manifest["state"]] and manifest["memory"]["state_bytes"] == 64
    v = manifest["verify"]      # compile --verify fails unless every output is within the contract's tolerance
    assert v is not None and v["reference"].startswith("onnxruntime") and v["steps"] > 0
    assert v["tolerance"] == {"atol": 1e-5, "rtol": 1e-5}     # contract 1: |y - r| <= 1e-5 + 1e-5 |r|


def test_firmware_in_qemu_hovers_like_onnxruntime(trained, tmp_path):
    run, model, firmware = trained
    out = tmp_path / "hover"
    assert main(["hil", "--model", str(model), "--firmware", str(firmware / "firmware.elf"), "--sim", "builtin",
                 "--scenario", "hover", "--compare", "reference", "-o", str(out)]) == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["status"] == "ok" and rep["scenario"]["name"] == "hover"
    qemu, reference = rep["executors"]["qemu"], rep["executors"]["reference"]
    assert qemu["describe"]["board"] == "qemu-stm32f405" and qemu["describe"]["model"] == "student"
    (flight,) = qemu["runs"]
    m = flight["metrics"]
    assert m["success"] and not m["crashed"] and m["final_error"] < 0.1, m
    # measured on the emulated MCU: at least an instruction per multiply-accumulate (1952), no runaway
    assert 1952 <= m["cost_mean"] and m["cost_max"] < 100_000
    assert reference["summary"]["successes"] == 1
    dev = rep["deviation"]["qemu_vs_reference"]
    (per_run,) = dev["runs"]
    assert per_run["steps"] == round(rep["scenario"]["duration"] * 1e6 / flight["control_period_us"])
    assert dev["max_position_deviation"] < MAX_POSITION_DEVIATION, dev
    assert dev["successes"] == dev["reference_successes"] == 1
