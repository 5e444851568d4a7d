"""A GDB remote serial protocol client: what a debugger says to a GDB server (QEMU's gdbstub, a Black Magic
Probe, a J-Link or OpenOCD GDB server) to write flash, read it back and restart the target.

Memory is written with `M addr,len:hex`: QEMU 7.2's gdbstub refuses the binary `X` packet. Reads stay at or
under 2 KB per `m` packet (QEMU's packet buffer is 0x1000 bytes of hex). TCP_NODELAY matters: with Nagle on,
a 32 KB image takes seconds instead of milliseconds.
"""
import socket
import time

from tinyctl.errors import TinyctlError


class GdbError(TinyctlError):
    """The GDB server refused a request or stopped answering."""


def _checksum(data):
    return sum(data) & 0xFF


class GdbRemote:
    WRITE_CHUNK = 1024      # bytes per M packet (2 hex characters each)
    READ_CHUNK = 2048       # bytes per m packet

    def __init__(self, host, port, timeout=5.0, connect_timeout=10.0):
        self.address = f"{host}:{port}"
        self.timeout = timeout
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=timeout)
                break
            except OSError as e:
                if time.monotonic() > deadline:
                    raise GdbError(f"cannot reach a GDB server at {self.address}: {e.strerror or e}") from None
                time.sleep(0.02)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.ack = True
        self.packet_size = 0x400
        self._handshake()

    # packets -------------------------------------------------------------------------------------------------
    def _recv(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise GdbError(f"the GDB server at {self.address} did not answer within {self.timeout:g} s") from None
        if not data:
            raise GdbError(f"the GDB server at {self.address} closed the connection")
        self.buf += data

    def _read_packet(self):
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    body = bytes(self.buf[start + 1:end])
                    sent = int(self.buf[end + 1:end + 3], 16)
                    del self.buf[:end + 3]
                    if _checksum(body) != sent:
                        if self.ack:
                            self.sock.sendall(b"-")
                        continue
                    if self.ack:
                        self.sock.sendall(b"+")
                    return body.decode("latin-1")
            self._recv()

    def command(self, text, expect_reply=True):
        data = text.encode("latin-1")
        packet = b"$" + data + b"#" + b"%02x" % _checksum(data)
        for _ in range(3):
            self.sock.sendall(packet)
            if not self.ack:
                break
            while not self.buf:
                self._recv()
            first, self.buf = self.buf[:1], self.buf[1:]
            if first == b"+":
                break
            if first != b"-":
                self.buf = first + self.buf     # no ack: the reply itself
                break
        else:
            raise GdbError(f"the GDB server at {self.address} kept rejecting '{text[:20]}'")
        if not expect_reply:
            return ""
        while True:
            reply = self._read_packet()
            if reply.startswith("O") and reply != "OK":   # console output of a monitor command
                continue
            return reply

    def _ok(self, text, what):
        reply = self.command(text)
        if reply != "OK":
            raise GdbError(f"{what} failed at {self.address}: the GDB server answered '{reply}'")

    def _handshake(self):
        reply = self.command("qSupported:multiprocess-;swbreak+;hwbreak+")
        for item in reply.split(";"):
            if item.startswith("PacketSize="):
                self.packet_size = int(item.split("=")[1], 16)
        if "QStartNoAckMode+" in reply and self.command("QStartNoAckMode") == "OK":
            self.ack = False
        self.command("?")     # the stop reason; the target is halted (QEMU -S) or gets halted by the probe

    # memory ---------------------------------------------------------------------------------------------------
    def write_memory(self, addr, data, progress=None):
        chunk = max(16, min(self.WRITE_CHUNK, (self.packet_size - 32) // 2))
        for at in range(0, len(data), chunk):
            piece = data[at:at + chunk]
            self._ok(f"M{addr + at:x},{len(piece):x}:{piece.hex()}", f"writing 0x{addr + at:08x}")
            if progress:
                progress(len(piece))

    def read_memory(self, addr, length):
        out = bytearray()
        chunk = max(16, min(self.READ_CHUNK, (self.packet_size - 8) // 2))
        for at in range(0, length, chunk):
            n = min(chunk, length - at)
            reply = self.command(f"m{addr + at:x},{n:x}")
            if reply.startswith("E") or len(reply) != 2 * n:
                raise GdbError(f"reading 0x{addr + at:08x} failed at {self.address}: '{reply[:16]}'")
            out += bytes.fromhex(reply)
        return bytes(out)

    # control --------------------------------------------------------------------------------------------------
    def monitor(self, text):
        """A server-specific command (gdb's `monitor ...`), e.g. QEMU's `system_reset`."""
        reply = self.command("qRcmd," + text.encode().hex())
        if reply.startswith("E") or reply == "":
            raise GdbError(f"the GDB server at {self.address} does not take `monitor {text}` ('{reply}')")
        return reply

    def write_register(self, number, value):
        self._ok(f"P{number:x}={value.to_bytes(4, 'little').hex()}", f"writing register {number}")

    def reset_by_registers(self, vector_table):
        """Start from a vector table the way the core does at reset: SP from entry 0, PC from entry 1, Thumb state.
        For servers without a reset command."""
        sp = int.from_bytes(vector_table[0:4], "little")
        pc = int.from_bytes(vector_table[4:8], "little")
        self.write_register(13, sp)
        self.write_register(15, pc & ~1)
        self.write_register(25, 0x01000000)       # xPSR: the Thumb bit

    def detach(self):
        """Let the target run and end the session."""
        try:
            self.command("D")
        except GdbError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
