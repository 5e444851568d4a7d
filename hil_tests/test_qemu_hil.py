"""The firmware in QEMU flies the simulators in lock-step over the link (contract 2): it matches the float
reference, and when it crashes, hangs or answers garbage the harness stops with a clear report."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tinyctl import scenarios
from tinyctl.hil_tests import deviation, make_executor, make_sim, run_scenario
from tinyctl.hil_tests.executors.firmware import qemu_executor

pytestmark = [pytest.mark.hil, pytest.mark.qemu]


@pytest.fixture(scope="module")
def qemu(hil_firmware, hil_model):
    ex = qemu_executor(hil_firmware)
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def reference(hil_model):
    return make_executor("reference", hil_model[0])


def test_hello_names_board_model_and_rate(qemu, hil_model):
    d = qemu.describe()
    assert d["board"] == "qemu-stm32f405" and d["model"] == "raptor" and d["controller"] == "raptor"
    assert d["control_period_us"] == 10_000 and d["cost_unit"] == "instructions"


def test_slow_figure_eight_in_rotorpy_matches_the_reference(qemu, reference):
    """The bar: RMSE within 1 mm of the float reference flown in-process, same seeds, same simulator."""
    sc = scenarios.get("figure8_slow")
    (_, qt, qm), = run_scenario(sc, make_sim("rotorpy"), qemu)
    (_, rt, rm), = run_scenario(sc, make_sim("rotorpy"), reference)
    assert qm["full_duration"] and not qt.crashed and qm["success"]
    assert abs(qm["rmse"] - rm["rmse"]) < 1e-3
    d = deviation(qt, rt)
    assert d["steps"] == len(rt) and d["max_position_deviation"] < 1e-3
    # every step was measured on the emulated MCU: at least one instruction per multiply-accumulate of the
    # policy (1952), and nowhere near a runaway
    assert 1952 <= np.min(qt.cost) and np.max(qt.cost) < 100_000


def test_recovery_successes_equal_the_reference(qemu, reference):
    sc = scenarios.get("recovery")
    q = run_scenario(sc, make_sim("rotorpy"), qemu, runs=3, seed=11)
    r = run_scenario(sc, make_sim("rotorpy"), reference, runs=3, seed=11)
    assert [m["success"] for _, _, m in q] == [m["success"] for _, _, m in r]
    assert max(deviation(a, b)["max_position_deviation"] for (_, a, _), (_, b, _) in zip(q, r)) < 1e-3


def test_killed_qemu_stops_the_flight_with_a_report(hil_firmware):
    """QEMU killed mid-flight: the harness stops within seconds, names the last good step and what QEMU said."""
    ex = qemu_executor(hil_firmware)
    real_step = ex.step

    def step(state):
        if state.time_us == 500_000:
            os.kill(ex.session.proc.pid, signal.SIGKILL)
            ex.session.proc.wait()
        return real_step(state)
    ex.step = step
    tr, m = _fly_and_close(ex)
    assert len(tr) == 50 and not m["success"] and not m["completed"]
    fault = tr.info["fault"]
    assert fault["last_good_step"] == 49 and "stopped at step 50" in tr.stop
    assert "exit" in fault["message"] or "closed" in fault["message"]
    assert "QEMU exit code" in fault["last_text"]


def _fly_and_close(ex, **kw):
    """Fly hover with the executor, close it, and check the harness did not hang on it."""
    try:
        t0 = time.monotonic()
        (_, tr, m), = run_scenario(scenarios.get("hover"), make_sim("builtin"), ex, **kw)
        assert time.monotonic() - t0 < 20
    finally:
        ex.close()
    return tr, m


class _Corrupting:
    """Sits on the link's transport and flips one payload byte of ACTION frames QEMU sent: from the `first`-th
    ACTION on, `count` of them. The bytes are QEMU's own and arrive in pieces; only the wire is damaged."""

    def __init__(self, transport, first, count):
        self.transport, self.first, self.count = transport, first, count
        self.seen = self.damaged = 0
        self.tail = b""          # the last two bytes, to find a sync split across reads
        self.at = None           # offset of the next byte inside the current ACTION frame

    def write(self, data):
        self.transport.write(data)

    def read(self, timeout):
        data = bytearray(self.transport.read(timeout))
        for i in range(len(data)):
            if self.at is not None:
                if self.at == 10 and self.damage:
                    data[i] ^= 0x40                     # inside the payload: only the CRC can tell
                    self.damaged += 1
                self.at = None if self.at >= 10 else self.at + 1
            window = self.tail + bytes(data[max(0, i - 2):i + 1])
            if window[-3:] == b"\xa5\x5a\x05":
                self.seen += 1
                self.damage = self.seen >= self.first and self.damaged < self.count
                self.at = 3                             # the next byte is the seq (offset 3)
        self.tail = (self.tail + bytes(data))[-2:]
        return bytes(data)

    def close(self):
        self.transport.close()


def test_a_corrupted_action_is_resent_and_the_flight_is_unchanged(hil_firmware, reference):
    ex = qemu_executor(hil_firmware)
    ex.link.transport = wire = _Corrupting(ex.link.transport, first=40, count=1)
    try:
        (_, tr, m), = run_scenario(scenarios.get("hover"), make_sim("builtin"), ex, duration=1.0)
        stats = dict(ex.link.stats)
    finally:
        ex.close()
    (_, rt, _), = run_scenario(scenarios.get("hover"), make_sim("builtin"), reference, duration=1.0)
    assert wire.damaged == 1 and stats["bad_frames"] >= 1 and stats["resends"] >= 1
    assert not tr.stop and len(tr) == 100
    assert deviation(tr, rt)["max_position_deviation"] < 1e-6     # the cached reply: no step ran twice


def test_garbage_forever_is_reported_as_hung(hil_firmware):
    ex = qemu_executor(hil_firmware)
    ex.link.transport = _Corrupting(ex.link.transport, first=20, count=10 ** 6)
    ex.link.retries = 3
    tr, _ = _fly_and_close(ex)
    assert len(tr) == 19 and tr.info["fault"]["last_good_step"] == 18
    assert "did not answer STATE" in tr.stop


def test_cli_reports_a_qemu_that_dies(hil_firmware, hil_model, tmp_path):
    """End to end: `tinyctl hil` with QEMU killed from outside mid-flight exits non-zero with one line naming the
    report, and the report holds the flight so far and the fault."""
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "tinyctl.cli", "hil", "--model", hil_model[0], "--firmware",
           hil_firmware.elf, "--sim", "builtin", "--scenario", "hover", "--duration", "600", "-o", str(out)]
    # a flight far longer than the test waits: on a fast machine the scenario's own duration can end before the kill
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    qemu_pid = None
    deadline = time.monotonic() + 30
    while qemu_pid is None and time.monotonic() < deadline:
        kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        for pid in kids:
            if "qemu-system-arm" in open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace"):
                qemu_pid = int(pid)
        time.sleep(0.05)
    assert qemu_pid, "QEMU did not start"
    time.sleep(1.5)                                          # let it fly a while
    os.kill(qemu_pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("tinyctl hil: error: qemu stopped at step") and str(out) in last
    rep = json.loads((out / "report.json").read_text())
    assert rep["status"] == "fault" and rep["faults"][0]["last_good_step"] >= 1
    assert "Stopped" in (out / "report.md").read_text()
