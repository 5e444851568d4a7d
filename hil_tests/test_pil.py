"""Processor in the loop: the model's step from the firmware ELF in unicorn flies like the firmware in QEMU (same
Cortex-M4F code, same float results) and counts the same instructions for the model's step."""
import numpy as np
import pytest

from tinyctl import scenarios
from tinyctl.hil_tests import make_executor, make_sim, run_scenario

pytestmark = [pytest.mark.hil, pytest.mark.pil, pytest.mark.qemu]


def test_pil_flies_like_the_firmware_in_qemu(hil_firmware, hil_model):
    sc = scenarios.get("step")
    pil = make_executor("pil", hil_model[0], hil_firmware)
    qemu = make_executor("qemu", hil_model[0], hil_firmware)
    try:
        (_, pt, pm), = run_scenario(sc, make_sim("builtin"), pil, duration=1.5)
        (_, qt, qm), = run_scenario(sc, make_sim("builtin"), qemu, duration=1.5)
    finally:
        qemu.close()
    assert len(pt) == len(qt) == 150
    np.testing.assert_array_equal(pt.motors, qt.motors)            # the same float32 code: bit for bit
    np.testing.assert_array_equal(pt.position, qt.position)
    # unicorn counts the model's step exactly; QEMU's SysTick under -icount gives it to a few ticks
    assert pil.cost_unit == qemu.cost_unit == "instructions"
    assert abs(np.median(pt.cost) - np.median(qt.cost)) < 0.01 * np.median(pt.cost)
    assert np.ptp(pt.cost) < 0.2 * np.median(pt.cost)              # no data-dependent blow-up in the step
