"""Processor in the loop: the model's step from the firmware ELF in unicorn, exact instruction counts; and QEMU's
-icount SysTick measurement of the same step agrees with them."""
import numpy as np
import pytest

from tinyctl.errors import TinyctlError
from tinyctl.firmware import PilRunner, QemuSession
from tinyctl.firmware.pil import thumb_instructions
from tinyctl.training.foundation import load_checkpoint

pytestmark = pytest.mark.pil


def test_thumb_instruction_lengths():
    # movs r0, #1 (16-bit); bl (32-bit pair); vfma.f32 (32-bit); bx lr (16-bit)
    code = bytes.fromhex("0120") + bytes.fromhex("00f000f8") + bytes.fromhex("a0ee010a") + bytes.fromhex("7047")
    assert thumb_instructions(code) == 4


@pytest.mark.parametrize("board", ["qemu-stm32f405", "qemu-m7"])
def test_pil_matches_the_host_build(board, firmware, raptor_compiled, raptor_m7):
    host = raptor_m7 if board == "qemu-m7" else raptor_compiled
    pil = PilRunner(firmware(board).elf)
    _, (x, y) = load_checkpoint()
    assert np.array_equal(pil.reset(), host.reset())
    out, state, counts = pil.rollout(x[:200, 0])
    reference, ref_state = host.rollout(x[:200, 0])
    assert np.all(np.abs(out - reference) <= 1e-5 + 1e-5 * np.abs(reference))
    assert np.all(np.abs(out - y[:200, 0]) <= 1e-5 + 1e-5 * np.abs(y[:200, 0]))
    # exact and repeatable: the same step from the same state costs the same instructions
    again = [pil.step(x[k, 0], s)[2] for k, s in ((0, pil.reset()), (0, pil.reset()))]
    assert again[0] == again[1] == counts[0]
    # 1952 multiply-accumulates, each at least one instruction; activations cost more than that again
    assert 1952 < counts.min() and counts.max() < 60_000


def test_pil_refuses_what_it_cannot_run(firmware):
    with pytest.raises(TinyctlError, match="not an Arm firmware"):
        PilRunner(firmware("host").elf)


@pytest.mark.qemu
@pytest.mark.parametrize("board", ["qemu-stm32f405", "qemu-m7"])
def test_qemu_icount_agrees_with_unicorn(board, firmware):
    """Instructions per step from SysTick under -icount (the ACTION's cost) within 1 % of unicorn's exact count."""
    fw = firmware(board)
    _, (x, _) = load_checkpoint()
    _, _, exact = PilRunner(fw.elf).rollout(x[:40, 0])
    with QemuSession(fw, icount=True) as q:
        measured = np.array([q.instructions(q.link.observation(x[k, 0]).cost) for k in range(40)])
    assert np.all(np.abs(measured - exact) <= 0.01 * exact), np.abs(measured / exact - 1).max()
    # and not by accident: where per-step counts vary with the input (libm's activation paths), both see the same
    # variation; the Cortex-M4F/M7 kernels are branch-free, one count for every step, which QEMU sees too
    if np.ptp(exact) > 0:
        assert np.corrcoef(measured, exact)[0, 1] > 0.99
    else:
        assert np.ptp(measured) <= 0.01 * exact[0]
