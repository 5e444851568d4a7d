"""Firmware under QEMU: boot from the ELF or flash it over the gdbstub, the link on QEMU's serial port, and
per-step instruction counts from SysTick under -icount.

Under `-icount shift=S,align=off,sleep=on` each executed instruction advances the virtual clock by 2**S ns, so
SysTick (at the core clock f) advances f * 2**S / 1e9 ticks per instruction: the ACTION's cost in ticks becomes an
instruction count. S per board (firmware/boards/*/board.json) gives a few ticks per instruction. sleep=on lets the
virtual clock follow real time while the firmware sleeps in WFI, so the failsafe timeout still means wall time.
"""
import os
import shutil
import socket
import subprocess
import tempfile

from tinyctl import boards
from tinyctl.errors import TinyctlError
from tinyctl.firmware.build import Firmware, board_description
from tinyctl.firmware.host import Session
from tinyctl.firmware.link_client import LinkClient
from tinyctl.firmware.transport import PipeTransport

QEMU = "qemu-system-arm"


def qemu_binary():
    path = shutil.which(QEMU)
    if path is None:
        raise TinyctlError(f"no {QEMU} on PATH: install qemu-system-arm (scripts/setup.sh does)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def icount_shift(board_name):
    return int(board_description(board_name).get("icount_shift", 0))


def qemu_command(board, kernel=None, gdb_port=None, icount=False):
    b = boards.board(board)
    if not b.qemu_machine:
        raise TinyctlError(f"board {b.name} has no QEMU machine; use the host session or real hardware")
    cmd = [qemu_binary(), "-M", b.qemu_machine, "-display", "none", "-monitor", "none", "-nodefaults",
           "-serial", "stdio"]
    if icount:
        cmd += ["-icount", f"shift={icount_shift(b.name)},align=off,sleep=on"]
    if kernel:
        cmd += ["-kernel", kernel]
    if gdb_port is not None:
        cmd += ["-S", "-gdb", f"tcp:127.0.0.1:{gdb_port}"]
    return cmd


class QemuSession(Session):
    """A firmware running in QEMU, the link on its serial port #0 (stdio pipes).

    firmware: a Firmware, a build directory, or an ELF path (then give board=). via_gdb: start with an empty flash
    and write the image through the gdbstub (tinyctl.firmware.flash), as a probe would. check_board=False runs
    an image whose HELLO names another board (deliberately, e.g. an M4F image on the M3 to see it fault).
    """

    def __init__(self, firmware, board=None, icount=False, via_gdb=False, timeout=0.2, retries=25,
                 boot_timeout=10.0, progress=None, check_board=True):
        if isinstance(firmware, Firmware):
            self.firmware, elf = firmware, firmware.elf
        elif os.path.isdir(firmware):
            self.firmware = Firmware.load(firmware)
            elf = self.firmware.elf
        else:
            self.firmware, elf = None, firmware
        self.board = boards.board(board or self.firmware.board)
        if self.firmware is not None and self.firmware.board != self.board.name:
            raise TinyctlError(f"this firmware was built for {self.firmware.board}, not {self.board.name}")
        self.icount = icount
        self.shift = icount_shift(self.board.name)
        self.flash_report = None
        self._stderr = tempfile.TemporaryFile()
        gdb_port = free_port() if via_gdb else None
        cmd = qemu_command(self.board.name, None if via_gdb else elf, gdb_port, icount)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     bufsize=0)
        self.link = LinkClient(PipeTransport(self.proc), name=f"{self.board.name} in QEMU", timeout=timeout,
                               retries=retries, diagnostics=self._diagnostics)
        try:
            if via_gdb:
                self._flash(elf, gdb_port, progress)
            self._boot(boot_timeout, self.board.name, check_board)
        except BaseException:
            self.close()
            raise

    def _flash(self, elf, port, progress):
        from tinyctl.firmware.flash import check_build_board, flash_remote
        from tinyctl.firmware.gdb_rsp import GdbError, GdbRemote
        check_build_board(elf, self.board)
        try:
            remote = GdbRemote("127.0.0.1", port)
        except GdbError as e:
            raise TinyctlError(f"{e}; QEMU said: {self._diagnostics() or 'nothing'}") from None
        try:
            self.flash_report = flash_remote(remote, elf, self.board, reset="system_reset", progress=progress)
        finally:
            remote.close()

    def _diagnostics(self):
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        code = self.proc.poll()
        return "\n".join(t for t in (text[-2000:], f"(QEMU exit code {code})" if code is not None else "") if t)

    def ticks_per_instruction(self):
        return self.hello.clock_hz * (2 ** self.shift) / 1e9

    def instructions(self, ticks):
        """SysTick ticks of an ACTION's cost -> executed instructions (needs icount=True)."""
        if not self.icount:
            raise TinyctlError("instruction counts need a QemuSession(icount=True): without -icount SysTick "
                               "follows the host's clock")
        return ticks / self.ticks_per_instruction()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.link.transport.close()
        self._stderr.close()
