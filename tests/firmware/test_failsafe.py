"""The failsafe (contract 2): NaN or Inf in, NaN or Inf out, time running backwards, no STATE within the timeout
-> the configured safe output and an ERROR; it holds until RESET. On the host board and in QEMU."""
import time

import numpy as np
import pytest

from tinyctl import link_protocol as lp
from tinyctl.compiler import compile_model
from tinyctl.controllers import RAPTOR

from .models import overflowing

BOARDS = [pytest.param("host", marks=pytest.mark.hostc), pytest.param("qemu-stm32f405", marks=pytest.mark.qemu)]
SAFE = np.asarray(RAPTOR.safe_output, np.float32)


def hover(t):
    return lp.State(t, [0, 0, 1], [1, 0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0])


def assert_safe(act, code):
    assert act.failsafe and np.array_equal(act.values, SAFE)
    assert [e.name for e in act.errors] == [code]


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("field,index,value", [("velocity", 1, np.nan), ("quaternion", 0, np.inf),
                                               ("target_position", 2, -np.inf)])
def test_nonfinite_input(board, field, index, value, session):
    link = session(board).link
    assert not link.step(hover(0)).failsafe
    bad = hover(2000)
    getattr(bad, field)[index] = value
    act = link.step(bad)
    assert_safe(act, "NONFINITE_INPUT")
    assert act.step == 1                                   # the policy never ran on it
    assert_safe(link.step(hover(4000)), "FAILSAFE_LATCHED")
    link.reset()
    assert not link.step(hover(0)).failsafe


@pytest.mark.parametrize("board", BOARDS)
def test_zero_quaternion_is_caught_in_the_observation(board, session):
    link = session(board).link
    bad = hover(0)
    bad.quaternion[:] = 0
    assert_safe(link.step(bad), "NONFINITE_INPUT")


@pytest.mark.parametrize("board", BOARDS)
def test_time_backwards(board, session):
    link = session(board).link
    link.step(hover(10_000))
    assert_safe(link.step(hover(9_000)), "TIME_BACKWARDS")


@pytest.mark.parametrize("board", [pytest.param("host", marks=pytest.mark.hostc),
                                   pytest.param("qemu-m4", marks=pytest.mark.qemu)])
def test_nonfinite_output(board, firmware, tmp_path_factory):
    """A model whose weights overflow float32: finite observations, infinite actions -> failsafe."""
    from tinyctl.firmware import open_session
    d = tmp_path_factory.mktemp("overflow")
    model = compile_model(overflowing(d / "overflow.onnx"), str(d / "overflow"), name="overflow", target="cortex-m4f")
    with open_session(firmware(board, model=model.directory)) as s:
        act = s.link.step(hover(0))
        assert_safe(act, "NONFINITE_OUTPUT")
        assert act.step == 1                               # the model ran; its output was refused


@pytest.mark.parametrize("board", [pytest.param("host", marks=pytest.mark.hostc),
                                   pytest.param("qemu-stm32f405", marks=pytest.mark.qemu)])
def test_no_state_within_the_timeout(board, session):
    """On the board's own clock (SysTick in QEMU): a 150 ms build, one STATE, then silence."""
    s = session(board, timeout_ms=150)
    link = s.link
    assert s.link.hello().timeout_us == 150_000
    seen = len(link.events)
    link.step(hover(0))
    time.sleep(0.05)
    link.poll(0.0)
    assert link.errors_since(seen) == []                   # not yet
    deadline = time.monotonic() + 3.0
    while not link.errors_since(seen) and time.monotonic() < deadline:
        link.poll(0.05)
    errors = link.errors_since(seen)
    assert [(e.name, e.seq) for e in errors] == [("TIMEOUT", 0)]   # once, unsolicited
    latched = link.step(hover(2000))
    assert_safe(latched, "FAILSAFE_LATCHED")
    assert "(no STATE within the failsafe timeout" in latched.errors[0].text    # says what latched it
    link.reset()
    assert not link.step(hover(0)).failsafe


@pytest.mark.parametrize("board", BOARDS)
def test_no_timeout_before_the_first_state(board, session):
    link = session(board, timeout_ms=150).link
    seen = len(link.events)
    link.poll(0.4)
    assert link.errors_since(seen) == []
