"""`--port /dev/ttyX`: a real board over its serial port, the same link. Tested with QEMU's serial port on a pty,
which is what a USB serial adapter looks like to the host."""
import json
import re
import subprocess
import time

import pytest

from tinyctl.cli import main

pytestmark = [pytest.mark.hil, pytest.mark.qemu]


@pytest.fixture
def qemu_pty(hil_firmware):
    from tinyctl.firmware.qemu import qemu_command
    cmd = qemu_command(hil_firmware.board, kernel=hil_firmware.elf)
    cmd[cmd.index("stdio")] = "pty"
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    path, deadline, seen = None, time.monotonic() + 20, ""
    while path is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        m = re.search(r"(/dev/pts/\d+)", line)
        if m:
            path = m.group(1)
        elif proc.poll() is not None:
            break
    if path is None:
        proc.kill()
        pytest.fail(f"QEMU did not open a pty: {seen!r}")
    yield path, proc
    proc.kill()
    proc.wait()


def test_fly_a_board_on_a_serial_port(qemu_pty, hil_model, tmp_path):
    path, proc = qemu_pty
    out = tmp_path / "port"
    code = main(["hil", "--port", path, "--model", hil_model[0], "--sim", "builtin", "--scenario", "hover",
                 "--duration", "2", "--compare", "reference", "-o", str(out)])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    port = rep["executors"]["port"]
    assert port["describe"]["board"] == "qemu-stm32f405"            # the board comes from its HELLO
    assert port["summary"]["steps"] == 200 and port["summary"]["successes"] == 1
    assert rep["deviation"]["port_vs_reference"]["max_position_deviation"] < 1e-4


def test_nothing_on_the_port_is_one_clear_line(tmp_path, capsys, hil_model):
    code = main(["hil", "--port", str(tmp_path / "ttyNOPE"), "--model", hil_model[0], "-o", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "ttyNOPE" in err[0]
