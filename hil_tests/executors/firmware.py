"""Executors that talk to firmware over the link of contract 2, in lock-step: the firmware in QEMU (`qemu`) and a
real board on a serial port (`port`). Both use the firmware engineer's link client (tinyctl.firmware): requests
resent after a corrupt or lost reply, FirmwareHung with the last text the firmware printed when it stops answering.
The board, the control period and the unit of the step cost come from the firmware's HELLO.
"""
import os

import numpy as np

from tinyctl.errors import TinyctlError
from tinyctl.hil_tests.executors.base import Executor, ExecutorFault, StepResult
from tinyctl.link_protocol import CostUnit


class FirmwareExecutor(Executor):
    def __init__(self, name, link, hello, instructions=None, close=None, describe=None):
        self.name = name
        self.link = link
        self.hello = hello
        self.control_period_us = int(hello.control_period_us)
        self._instructions = instructions        # QEMU -icount: SysTick ticks -> instructions
        self._close = close
        self._describe = describe or {}
        unit = CostUnit(hello.cost_unit)
        self.cost_unit = {CostUnit.CYCLES: "cycles", CostUnit.TICKS: "instructions" if instructions else "ticks",
                          CostUnit.NONE: None}[unit]
        if hello.mode_name != "policy":
            raise TinyctlError(f"the firmware on {hello.board} runs in {hello.mode_name} mode; HIL flies a policy "
                               "build (tinyctl build --mode policy)")

    def _fault(self, e, what):
        text = getattr(e, "last_text", "") or self.link.last_text()
        return ExecutorFault(f"{self.name} on {self.hello.board} {what}: {e}", last_text=text)

    def reset(self):
        try:
            self.link.reset()
        except TinyctlError as e:
            raise self._fault(e, "did not answer RESET") from None

    def step(self, state):
        try:
            act = self.link.step(state)
        except ExecutorFault:
            raise
        except TinyctlError as e:
            raise self._fault(e, f"failed at t = {state.time_us / 1e6:.3f} s") from None
        values = np.asarray(act.values, dtype=float)
        if values.shape != (4,):
            raise ExecutorFault(f"{self.name} answered STATE with {values.size} values instead of 4 motor commands",
                                last_text=self.link.last_text())
        cost = act.cost if self._instructions is None else self._instructions(act.cost)
        return StepResult(values, cost=float(cost) if self.cost_unit else None, committed=act.committed,
                          failsafe=act.failsafe, errors=[str(e) for e in act.errors])

    def describe(self):
        h = self.hello
        return {**super().describe(), "board": h.board, "model": h.model, "model_sha256": h.sha256,
                "controller": h.controller, "clock_hz": h.clock_hz, **self._describe}

    def close(self):
        if self._close is not None:
            self._close()
            self._close = None


def load_firmware(path):
    """A firmware build from its directory or its ELF (the directory holding firmware.elf and firmware.json)."""
    from tinyctl.firmware import Firmware
    if hasattr(path, "elf"):
        return path
    directory = os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else path
    return Firmware.load(directory)


def qemu_executor(firmware, icount=True, session=None):
    """The firmware in QEMU (its board's machine), counting instructions per step with -icount."""
    from tinyctl.firmware import QemuSession
    fw = load_firmware(firmware)
    s = session or QemuSession(fw, icount=icount)
    ex = FirmwareExecutor("qemu", s.link, s.hello, s.instructions if icount else None, s.close,
                          {"runs": f"{os.path.basename(fw.elf)} in QEMU ({fw.board})"})
    ex.session = s                 # tests reach the emulator through it (kill it mid-flight, read its text)
    return ex


def port_executor(port, baudrate=115200, timeout=1.0):
    """A board on a serial port: the same link; the board says who it is in its HELLO."""
    from tinyctl.firmware.link_client import LinkClient
    from tinyctl.firmware.transport import SerialTransport
    transport = SerialTransport(port, baudrate=baudrate)
    link = LinkClient(transport, name=port, timeout=timeout)
    try:
        hello = link.hello()
    except TinyctlError as e:
        transport.close()
        raise TinyctlError(f"no tinyctl firmware answered HELLO on {port}: {e}") from None
    return FirmwareExecutor("port", link, hello, None, transport.close, {"runs": f"{hello.board} on {port}"})
