"""Controller specs and the glue in NumPy (what the firmware does, and what in-process executors call)."""
import numpy as np
import pytest

from tinyctl.controllers import RAPTOR, Controller, ControllerSpec, Feature, build_observation, spec_by_name
from tinyctl.controllers.glue import action_to_motors, rotation_matrix
from tinyctl.conventions import quat_to_rotmat
from tinyctl.errors import TinyctlError
from tinyctl.link_protocol import State


def test_raptor_spec():
    assert spec_by_name("raptor") is RAPTOR
    assert RAPTOR.observation_size == 22 and RAPTOR.action_size == 4
    assert [(f.kind, off, n) for f, off, n in RAPTOR.layout()] == [
        ("position_error", 0, 3), ("rotation_matrix", 3, 9), ("velocity_error", 12, 3), ("body_rates", 15, 3),
        ("previous_action", 18, 4)]
    assert RAPTOR.training_period_us == 10_000
    with pytest.raises(TinyctlError, match="unknown controller"):
        spec_by_name("pid")


def test_spec_validation():
    with pytest.raises(TinyctlError, match="unknown feature"):
        ControllerSpec("x", (Feature("altitude"),), 4, 10_000, (0, 0, 0, 0))
    with pytest.raises(TinyctlError, match="previous_action_reset"):
        ControllerSpec("x", (Feature("body_rates"),), 4, 10_000, (0, 0))
    with pytest.raises(TinyctlError, match="observation of 22"):
        RAPTOR.check_model(21, 4)


def test_observation_features():
    q = np.array([0.9, 0.1, -0.2, 0.3])
    s = State(0, [0.1, 2.0, -0.3], q, [0.5, -3.0, 0.0], [1, 2, 3], [0, 0, 0.2], [0, 0.5, 0])
    obs, clipped = build_observation(RAPTOR, s, np.full(4, 0.32, np.float32))
    assert obs.dtype == np.float32 and obs.shape == (22,)
    assert np.allclose(obs[0:3], [0.1, 0.5, -0.5])                # position error clipped to 0.5 m
    assert np.allclose(obs[3:12], quat_to_rotmat(q / np.linalg.norm(q)).ravel(), atol=1e-6)
    assert np.allclose(obs[12:15], [0.5, -1.0, 0.0])              # velocity error clipped to 1 m/s
    assert np.allclose(obs[15:18], [1, 2, 3]) and np.allclose(obs[18:22], 0.32)
    assert clipped
    assert np.allclose(rotation_matrix([1, 0, 0, 0]), np.eye(3).ravel())


def test_action_to_motors():
    assert np.allclose(action_to_motors(RAPTOR, np.array([-1, 0, 1, 0.5], np.float32)), [0, 0.5, 1, 0.75])


def hover(t, **kw):
    return State(t, [0, 0, 1], [1, 0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0], **kw)


def test_dual_rate_commits_once_per_training_period(raptor_compiled):
    c = Controller(RAPTOR, raptor_compiled)
    committed = [c.step(hover(t)).committed for t in range(0, 30_001, 2_000)]   # 500 Hz for 30 ms
    assert committed == [True, False, False, False, False, True, False, False, False, False, True,
                         False, False, False, False, True]
    # between commits every step runs from the same committed state: same input, same output
    a, b = c.step(hover(30_500)), c.step(hover(31_000))
    assert np.array_equal(a.motors, b.motors) and not a.committed


def test_failsafe_latches_until_reset(raptor_compiled):
    c = Controller(RAPTOR, raptor_compiled)
    assert not c.step(hover(0)).failsafe
    bad = hover(2000)
    bad.velocity[1] = np.nan
    out = c.step(bad)
    assert out.failsafe and out.error == "NONFINITE_INPUT" and np.array_equal(out.motors, RAPTOR.safe_output)
    assert c.step(hover(4000)).error == "FAILSAFE_LATCHED"
    c.reset()
    assert not c.step(hover(0)).failsafe
    assert c.step(hover(-1 + 0)).error == "TIME_BACKWARDS"
