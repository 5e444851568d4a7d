"""The quantised RAPTOR policy in closed loop (hil_tests): the int8w and int8 builds fly the figure eight and the
recovery scenario in the builtin simulator as the float build does (RMSE within 5 % or 1 cm, the same
successes), through the compiled C on the host (bit for bit the integer build's code on the M3, see
test_raptor); and the int8 firmware on the Cortex-M3 in QEMU holds hover."""
import pytest

from tinyctl import scenarios

pytestmark = pytest.mark.hil


def _fly(scenario, executors):
    from tinyctl.hil_tests.command import fly_executors
    sc = scenarios.get(scenario)
    _, flown = fly_executors(sc, "builtin", executors)
    return {name: sc.summarize([m for _, _, m in results]) for name, (_, results) in flown.items()}


def _close(a, b):
    return abs(a - b) <= max(0.05 * b, 0.01)


@pytest.mark.parametrize("scenario", ["figure8_slow", "recovery"])
def test_quantised_policy_flies_like_the_float_one(raptor_quantized, scenario):
    from tinyctl.hil_tests.executors import make_executor
    executors = {d: make_executor("sil", raptor_quantized(d).directory) for d in ("float32", "int8w", "int8")}
    summary = _fly(scenario, executors)
    ref = summary["float32"]
    assert ref["successes"] == ref["runs"]
    for dtype in ("int8w", "int8"):
        s = summary[dtype]
        assert s["successes"] == ref["successes"] and s["crashes"] == 0, (dtype, s)
        assert _close(s["rmse"], ref["rmse"]), (dtype, s["rmse"], ref["rmse"])


@pytest.mark.qemu
def test_cortex_m3_firmware_hovers(raptor_quantized, tmp_path):
    from tinyctl.firmware import build
    from tinyctl.hil_tests.executors.firmware import qemu_executor
    fw = build(raptor_quantized("int8").directory, board="qemu-m3", out_dir=str(tmp_path / "fw"))
    ex = qemu_executor(fw.elf)
    try:
        s = _fly("hover", {"qemu-m3": ex})["qemu-m3"]
    finally:
        ex.close()
    assert s["successes"] == 1 and s["crashes"] == 0
