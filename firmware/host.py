"""The host board: the firmware as a native process, the link on its stdin and stdout (software in the loop)."""
import subprocess
import tempfile

from tinyctl import link_protocol as lp
from tinyctl.errors import TinyctlError
from tinyctl.firmware.link_client import LinkClient
from tinyctl.firmware.transport import PipeTransport


class Session:
    """What every session offers: .link (LinkClient), .hello (the boot HELLO), a context manager, close()."""
    link = None
    hello = None
    firmware = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        raise NotImplementedError

    def _boot(self, boot_timeout, board, check_board=True):
        """Wait for the boot HELLO and check it names the board it runs on."""
        self.hello = lp.Hello.from_frame(self.link.wait_for(lp.MsgType.HELLO, boot_timeout))
        if check_board and self.hello.board != board:
            raise TinyctlError(f"the flashed firmware says it runs on {self.hello.board}, not {board}")
        return self.hello


class HostSession(Session):
    def __init__(self, firmware, timeout=0.2, retries=25, boot_timeout=10.0):
        if firmware.board != "host":
            raise TinyctlError(f"HostSession runs host builds; this firmware is for {firmware.board}")
        self.firmware = firmware
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([firmware.elf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, bufsize=0)
        self.link = LinkClient(PipeTransport(self.proc), name="host firmware", timeout=timeout, retries=retries,
                               diagnostics=self._diagnostics)
        try:
            self._boot(boot_timeout, "host")
        except BaseException:
            self.close()
            raise

    def _diagnostics(self):
        code = self.proc.poll()
        self._stderr.seek(0)
        err = self._stderr.read().decode("utf-8", "replace").strip()
        return "\n".join(t for t in (err[-2000:], f"(exit code {code})" if code is not None else "") if t)

    def close(self):
        if self.proc.poll() is None:
            self.link.transport.close()     # EOF on stdin: the host board exits on its own
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        return self.proc.returncode


