"""Byte transports for the link: a child process's pipes (QEMU -serial stdio, the host board), a TCP socket
(QEMU -serial tcp with nodelay, a networked serial bridge), a serial port (real boards, through pyserial).

Each has write(bytes), read(timeout) -> bytes (b"" on timeout; raises LinkClosed when the other end is gone) and
close().
"""
import os
import select
import socket
import time

from tinyctl.errors import TinyctlError


class LinkClosed(TinyctlError):
    """The other end of the link went away (the process exited, the socket closed, the port vanished)."""


class PipeTransport:
    def __init__(self, proc):
        self.proc = proc
        self._out = proc.stdout.fileno()
        os.set_blocking(self._out, False)

    def write(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise LinkClosed(f"the firmware process exited (code {self.proc.poll()})") from None

    def read(self, timeout):
        ready, _, _ = select.select([self._out], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            data = os.read(self._out, 65536)
        except BlockingIOError:
            return b""
        if not data:
            raise LinkClosed(f"the firmware process closed its output (exit code {self.proc.poll()})")
        return data

    def close(self):
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


class SocketTransport:
    def __init__(self, address, connect_timeout=10.0):
        host, port = address
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=1.0)
                break
            except OSError as e:
                if time.monotonic() > deadline:
                    raise LinkClosed(f"cannot connect to {host}:{port}: {e.strerror or e}") from None
                time.sleep(0.02)
        # Nagle would hold each small frame back for an ACK: about 20 round trips per second instead of thousands
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)

    def write(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise LinkClosed(f"the link socket failed: {e.strerror or e}") from None

    def read(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return b""
        except OSError as e:
            raise LinkClosed(f"the link socket failed: {e.strerror or e}") from None
        if not data:
            raise LinkClosed("the other end closed the link socket")
        return data

    def close(self):
        self.sock.close()


class SerialTransport:
    """A serial port (a real board's UART through a USB adapter or a debug probe's virtual COM port)."""

    def __init__(self, port, baudrate=115200):
        try:
            import serial
        except ImportError:
            raise TinyctlError("serial ports need pyserial: pip install pyserial") from None
        self._serial_error = serial.SerialException
        try:
            self.port = serial.Serial(port, baudrate=baudrate, timeout=0)
        except serial.SerialException as e:
            raise LinkClosed(f"cannot open {port}: {e}") from None

    def write(self, data):
        try:
            self.port.write(data)
            self.port.flush()
        except (self._serial_error, OSError) as e:
            raise LinkClosed(f"serial port failed: {e}") from None

    def read(self, timeout):
        try:
            ready, _, _ = select.select([self.port.fileno()], [], [], max(0.0, timeout))
            return self.port.read(4096) if ready else b""
        except (self._serial_error, OSError) as e:   # a pty whose QEMU exited raises here
            raise LinkClosed(f"serial port failed: {e}") from None

    def close(self):
        self.port.close()
