"""Firmware for Cortex-M boards (and the host), built from a compiled model directory; flashed through a GDB
server; run under QEMU, natively, or in unicorn; every step measured.

The Python API (stable; the HIL harness drives firmware through it):

    from tinyctl.firmware import build, flash, open_session, PilRunner
    from tinyctl.link_protocol import State

    fw = build("build/raptor", board="qemu-stm32f405", out_dir="build/fw")   # -> Firmware
    fw.elf, fw.board, fw.size                  # firmware.elf; the size report (flash/RAM per section vs budget)
    fw = Firmware.load("build/fw")             # a previous build

    with open_session(fw) as s:                # QemuSession for qemu-* boards, HostSession for `host`
        hello = s.link.hello()                 # link_protocol.Hello: board, model, sha256, sizes, rates, mode
        act = s.link.step(State(time_us, position, quaternion, velocity, body_rates, target_position,
                                target_velocity))   # -> link_protocol.Action: .values (motors in [0, 1]),
                                                    # .flags (.committed, .failsafe), .step, .cost, .errors
        raw = s.link.observation(x, commit=True)    # raw model inputs -> Action with the raw outputs
        s.link.reset()                          # controller reset; returns the HELLO that answers it
        s.instructions(act.cost)                # QemuSession(icount=True): SysTick ticks -> instructions

    QemuSession(fw, icount=False, via_gdb=False)   # via_gdb: start with empty flash, flash over the gdbstub;
                                                   # .instructions(cost) under icount; .proc is QEMU
    HostSession(fw)                                # the same firmware sources as a native process on stdio
    build(..., board="host", sanitize=True)        # the host board under ASan/UBSan

    flash(fw.elf, board, gdb="HOST:PORT")      # M packets, read-back verification, reset: FlashReport
    flash(fw.elf, board)                       # starts QEMU with an empty flash, flashes, waits for HELLO

    pil = PilRunner(fw.elf)                    # unicorn, Cortex-M4/M7: the model's step from the firmware ELF
    state = pil.reset()
    out, state, instructions = pil.step(x, state)
    outs, state, instructions = pil.rollout(xs)   # instructions per step, exact

Link behaviour (contract 2, tinyctl.link_protocol): every request waits `timeout` seconds (0.2) for its reply, is
resent with the same seq after a corrupt or missing reply or an ERROR asking for it (the firmware answers a
repeat with its cached reply, so `Action.step` does not advance), and after `retries` (25) resends the firmware is
reported hung: FirmwareHung (a TinyctlError) with `.last_text`, the last text it printed. Frames the firmware sends
on its own (seq 0: the boot HELLO, a timeout ERROR) land in `link.events`; `link.errors_since(n)` lists the ERRORs.
The firmware's failsafe timeout (500 ms by default, `build(timeout_ms=...)`) runs on the board's clock, which under
QEMU follows the host's: a host that pauses longer than that between STATEs trips it (a latched failsafe's ERROR
names its cause; RESET clears it).
"""

from tinyctl.firmware.build import Firmware, build
from tinyctl.firmware.flash import FlashReport, flash
from tinyctl.firmware.host import HostSession, Session
from tinyctl.firmware.link_client import FirmwareHung, LinkClient, LinkError


def open_session(firmware, **options):
    """A running firmware with its link: HostSession for the host board, QemuSession for the qemu-* boards."""
    from tinyctl.firmware.qemu import QemuSession
    fw = firmware if isinstance(firmware, Firmware) else Firmware.load(firmware)
    return HostSession(fw, **options) if fw.board == "host" else QemuSession(fw, **options)


def __getattr__(name):
    # QemuSession and PilRunner load lazily: unicorn is an optional dependency
    if name == "QemuSession":
        from tinyctl.firmware.qemu import QemuSession
        return QemuSession
    if name == "PilRunner":
        from tinyctl.firmware.pil import PilRunner
        return PilRunner
    raise AttributeError(name)


__all__ = ["Firmware", "FirmwareHung", "FlashReport", "HostSession", "LinkClient", "LinkError", "PilRunner",
           "QemuSession", "Session", "build", "flash", "open_session"]
