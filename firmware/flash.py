"""`tinyctl flash`: write a firmware ELF through a GDB server, verify it by reading it back, restart the target.

Against QEMU (no --gdb): QEMU starts with an empty flash, halted, its gdbstub listening; the image goes in over
the gdbstub exactly as it would through a Black Magic Probe or a J-Link GDB server; then the firmware must boot
and say HELLO naming the right board. Nothing reports success without a verified read-back.
"""
import os
import time
from dataclasses import dataclass

from tinyctl import boards
from tinyctl.errors import TinyctlError
from tinyctl.firmware.elf import Elf
from tinyctl.firmware.gdb_rsp import GdbError, GdbRemote


@dataclass
class FlashReport:
    board: str
    bytes: int
    segments: int
    seconds: float
    verified: bool
    hello: object = None      # link_protocol.Hello when the firmware was seen booting


def image_segments(elf, board):
    """The (address, bytes) to write: every load segment with file contents, at its load address, which must lie
    in the board's flash (an image linked for another board's memory map is refused before anything is written)."""
    out = []
    for seg in elf.segments:
        if not seg.data:
            continue
        lo, hi = board.flash_origin, board.flash_origin + board.flash_size
        if not (lo <= seg.paddr and seg.paddr + len(seg.data) <= hi):
            raise TinyctlError(f"{elf.path} loads {len(seg.data):,} B at 0x{seg.paddr:08x}, outside {board.name}'s "
                               f"flash 0x{lo:08x}..0x{hi:08x}: it was built for another board")
        out.append((seg.paddr, seg.data))
    if not out:
        raise TinyctlError(f"{elf.path} has nothing to flash")
    return out


def check_build_board(elf_path, board):
    """A firmware.json beside the ELF names the board it was built for: refuse another one up front."""
    path = os.path.join(os.path.dirname(os.path.abspath(elf_path)), "firmware.json")
    if os.path.isfile(path):
        import json
        with open(path) as f:
            built_for = json.load(f).get("board")
        if built_for and built_for != board.name:
            raise TinyctlError(f"{elf_path} was built for {built_for}, not {board.name}: "
                               f"flash it with --board {built_for} or rebuild with --board {board.name}")


def write_and_verify(remote, segments, progress=None):
    """M packets for every segment, then m packets to read each back; raises on the first difference."""
    total = 0
    for addr, data in segments:
        remote.write_memory(addr, data, progress)
        total += len(data)
    for addr, data in segments:
        back = remote.read_memory(addr, len(data))
        if back != data:
            at = next(i for i, (a, b) in enumerate(zip(back, data)) if a != b)
            raise GdbError(f"verify failed: 0x{addr + at:08x} reads 0x{back[at]:02x}, the image has 0x{data[at]:02x} "
                           f"({sum(a != b for a, b in zip(back, data)):,} of {len(data):,} bytes differ); "
                           "the target did not take the write (is its flash erased or write-protected?)")
    return total


def flash_remote(remote, elf_path, board, reset="system_reset", progress=None):
    """Flash through an open GdbRemote; reset with a monitor command, or "registers" (SP and PC from the
    image's vector table), then detach so the target runs."""
    elf = Elf(elf_path)
    segments = image_segments(elf, board)
    started = time.monotonic()
    written = write_and_verify(remote, segments, progress)
    if reset == "registers":
        remote.reset_by_registers(segments[0][1][:8])
    elif reset:
        remote.monitor(reset)
    remote.detach()
    return FlashReport(board.name, written, len(segments), time.monotonic() - started, True)


def flash(elf_path, board=boards.DEFAULT_BOARD, gdb=None, reset=None, serial=None, boot_timeout=10.0,
          progress=None):
    """Flash elf_path. gdb "HOST:PORT" uses that GDB server (then `serial` names the port to wait for HELLO on);
    without it QEMU is started for the board, flashed, and must answer HELLO before this returns."""
    b = boards.board(board)
    check_build_board(elf_path, b)
    image_segments(Elf(elf_path), b)           # refuse a foreign image before touching anything
    if gdb is None:
        if not b.qemu_machine:
            raise TinyctlError(f"board {b.name} has no emulator: give --gdb HOST:PORT of its probe's GDB server")
        from tinyctl.firmware.qemu import QemuSession
        with QemuSession(elf_path, board=b.name, via_gdb=True, boot_timeout=boot_timeout, progress=progress) as q:
            report = q.flash_report
            report.hello = q.hello
        return report
    host, _, port = gdb.rpartition(":")
    if not port.isdigit():
        raise TinyctlError(f"--gdb {gdb}: write it as HOST:PORT (e.g. localhost:3333)")
    remote = GdbRemote(host or "localhost", int(port))
    try:
        report = flash_remote(remote, elf_path, b, reset=reset or "reset", progress=progress)
    finally:
        remote.close()
    if serial:
        from tinyctl.firmware.link_client import LinkClient
        from tinyctl.firmware.transport import SerialTransport
        from tinyctl import link_protocol as lp
        transport = SerialTransport(serial)
        try:
            link = LinkClient(transport, name=f"{b.name} on {serial}")
            report.hello = lp.Hello.from_frame(link.wait_for(lp.MsgType.HELLO, boot_timeout))
        finally:
            transport.close()
        if report.hello.board != b.name:
            raise TinyctlError(f"the flashed firmware says it runs on {report.hello.board}, not {b.name}")
    return report
