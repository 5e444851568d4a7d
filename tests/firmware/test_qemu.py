"""The firmware in QEMU: flashed through the gdbstub on every Cortex-M board, the checkpoint's example inputs give the
host build's outputs; flashing refuses what it cannot verify; a faulting firmware is reported hung with its last
words; an idle firmware sleeps."""
import os
import shutil
import time

import numpy as np
import pytest

from tinyctl.errors import TinyctlError
from tinyctl.firmware import FirmwareHung, QemuSession, flash
from tinyctl.firmware.gdb_rsp import GdbError, GdbRemote
from tinyctl.firmware.flash import write_and_verify
from tinyctl.firmware.qemu import free_port, qemu_command
from tinyctl.training.foundation import load_checkpoint

pytestmark = pytest.mark.qemu


def within_contract_1(y, r):
    return np.all(np.abs(y - r) <= 1e-5 + 1e-5 * np.abs(r))


@pytest.mark.parametrize("board,sequences", [("qemu-stm32f405", 2), ("qemu-m4", 1), ("qemu-m7", 1)])
def test_checkpoint_examples_match_the_host_build(board, sequences, firmware, raptor_compiled, raptor_m7):
    """Raw OBSERVATION frames: the checkpoint's 500-step sequences, recurrent state carried in the firmware."""
    fw = firmware(board)
    host = raptor_m7 if board == "qemu-m7" else raptor_compiled
    _, (x, y) = load_checkpoint()
    with QemuSession(fw, via_gdb=True) as q:
        assert q.flash_report.verified and q.flash_report.bytes == fw.size["flash"]["used"]
        assert q.hello.board == board
        for k in range(sequences):
            q.link.reset()
            got = np.array([q.link.observation(x[t, k]).values for t in range(x.shape[0])])
            reference, _ = host.rollout(x[:, k])
            assert within_contract_1(got, reference), np.abs(got - reference).max()
            assert within_contract_1(got, y[:, k])


def test_passthrough_boots_on_the_m3_and_echoes(firmware):
    with QemuSession(firmware("qemu-m3", mode="passthrough"), via_gdb=True) as q:
        assert (q.hello.board, q.hello.mode_name, q.hello.model) == ("qemu-m3", "passthrough", "none")
        values = np.arange(60, dtype=np.float32) / 7
        assert np.array_equal(q.link.observation(values).values, values)


def test_a_faulting_firmware_is_reported_hung_with_its_last_text(firmware, tmp_path):
    """An M4F image on the M3 (no FPU) boots, but its first FPU instruction raises UsageFault NOCP: the fault
    handler prints the fault and sleeps, the request goes unanswered, and the link says so with that text."""
    elf = tmp_path / "m4.elf"
    shutil.copy(firmware("qemu-m4").elf, elf)                 # without its firmware.json: nothing to stop us
    with QemuSession(str(elf), board="qemu-m3", retries=2, check_board=False) as q:
        assert q.hello.board == "qemu-m4"
        with pytest.raises(FirmwareHung, match=r"did not answer OBSERVATION .* after 3 tries.*fault") as e:
            q.link.observation(np.zeros(22))
    assert "CFSR=0x00080000" in e.value.last_text                # UFSR.NOCP: no coprocessor


def test_flash_refuses_another_boards_image(firmware):
    with pytest.raises(TinyctlError, match="built for qemu-m4, not qemu-stm32f405"):
        flash(firmware("qemu-m4").elf, board="qemu-stm32f405")


def test_flash_refuses_an_image_outside_the_flash(firmware, tmp_path):
    elf = tmp_path / "m4.elf"
    shutil.copy(firmware("qemu-m4").elf, elf)
    with pytest.raises(TinyctlError, match=r"loads .* at 0x00000000, outside qemu-stm32f405's flash"):
        flash(str(elf), board="qemu-stm32f405")


def test_hello_from_another_board_is_an_error(firmware, tmp_path):
    elf = tmp_path / "m4.elf"                                 # same memory map as the M7: it flashes, boots ...
    shutil.copy(firmware("qemu-m4").elf, elf)
    with pytest.raises(TinyctlError, match="the flashed firmware says it runs on qemu-m4, not qemu-m7"):
        flash(str(elf), board="qemu-m7")


def test_failed_verify_is_an_error():
    """Memory that does not keep what is written (here QEMU's stub of the STM32 RCC, like write-protected flash)
    fails the read-back."""
    import subprocess
    port = free_port()
    proc = subprocess.Popen(qemu_command("qemu-stm32f405", gdb_port=port), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        remote = GdbRemote("127.0.0.1", port)
        write_and_verify(remote, [(0x08000000, b"\x11" * 64)])          # flash takes it
        with pytest.raises(GdbError, match=r"verify failed: 0x40023800 reads 0x00, the image has 0x5a"):
            write_and_verify(remote, [(0x40023800, b"\x5a" * 16)])
        remote.close()
    finally:
        proc.kill()
        proc.wait()


def test_flash_command_end_to_end(firmware):
    import subprocess
    import sys
    fw = firmware("qemu-stm32f405")
    proc = subprocess.run([sys.executable, "-m", "tinyctl.cli", "flash", fw.elf], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "read back and verified" in proc.stdout and "HELLO from qemu-stm32f405: model raptor" in proc.stdout


def test_idle_firmware_sleeps(firmware):
    """WFI while idle: QEMU uses a small share of a host core when nothing is sent (a busy-polling loop uses all)."""
    with QemuSession(firmware("qemu-stm32f405")) as q:
        q.link.step(__import__("tinyctl.link_protocol", fromlist=["State"]).State(
            0, [0, 0, 1], [1, 0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]))
        ticks = os.sysconf("SC_CLK_TCK")

        def cpu_seconds():
            with open(f"/proc/{q.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks
        before, t0 = cpu_seconds(), time.monotonic()
        time.sleep(1.0)
        used = (cpu_seconds() - before) / (time.monotonic() - t0)
    assert used < 0.25, f"QEMU used {used:.0%} of a core while the firmware had nothing to do"
