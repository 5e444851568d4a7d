"""Simulator adapters: every one speaks the project's conventions at its edge (motor order, quaternion order)."""
import numpy as np
import pytest

from tinyctl import scenarios
from tinyctl.hil_tests.sims import SimUnavailable, make_sim
from tinyctl.hil_tests.sims.rotorpy_sim import (from_rotorpy_motors, from_rotorpy_quaternion, to_rotorpy_motors,
                                               to_rotorpy_quaternion)
from tinyctl.scenarios.disturbances import InitialCondition

pytestmark = pytest.mark.hil


class _Tilted:
    """An initial-condition sampler for one fixed, tilted state."""
    def __init__(self, q):
        self.q = tuple(q)

    def sample(self, rng, p0):
        return InitialCondition(tuple(p0), (0.1, -0.2, 0.0), self.q, (0.3, 0.0, -0.1))


def _episode(q=(1.0, 0.0, 0.0, 0.0)):
    from dataclasses import replace
    return replace(scenarios.get("hover"), initial=_Tilted(q)).episodes(1)[0]


def test_conversions_are_inverse_and_follow_rotor_positions():
    from rotorpy.vehicles.crazyflie_params import quad_params
    ours = np.array([1.0, 2.0, 3.0, 4.0])
    assert np.array_equal(from_rotorpy_motors(to_rotorpy_motors(ours)), ours)
    q = np.array([0.9, 0.1, -0.3, 0.2])
    assert np.array_equal(from_rotorpy_quaternion(to_rotorpy_quaternion(q)), q)
    # RotorPy's rotor positions, put in our order, are front-right, back-right, back-left, front-left (FLU body)
    pos = np.array([quad_params["rotor_pos"][k] for k in ("r1", "r2", "r3", "r4")])
    ours_pos = from_rotorpy_motors(pos)
    np.testing.assert_array_equal(np.sign(ours_pos[:, :2]), [[1, -1], [-1, -1], [-1, 1], [1, 1]])
    assert np.array_equal(to_rotorpy_motors(np.arange(4)), [3, 0, 1, 2])


@pytest.mark.parametrize("name", ["builtin", "rotorpy"])
def test_initial_state_comes_back_in_our_conventions(name):
    q = np.array([np.cos(0.3), np.sin(0.3) * 0.6, np.sin(0.3) * 0.8, 0.0])
    sim = make_sim(name)
    sim.reset(_episode(q))
    s = sim.observe()
    np.testing.assert_allclose(s.quaternion, q, atol=1e-12)
    np.testing.assert_allclose(s.position, (0, 0, 1), atol=1e-12)
    np.testing.assert_allclose(s.velocity, (0.1, -0.2, 0.0), atol=1e-12)
    np.testing.assert_allclose(s.body_rates, (0.3, 0.0, -0.1), atol=1e-12)
    assert np.all((0 < s.motors) & (s.motors < 1)) and np.ptp(s.motors) < 1e-12


@pytest.mark.parametrize("motor,axis,sign", [(0, 1, -1), (2, 1, +1), (3, 0, +1), (1, 0, -1), (0, 2, -1), (1, 2, +1)])
def test_one_motor_up_turns_both_simulators_the_same_way(motor, axis, sign):
    """Raise one motor above hover for 20 ms: the body rates that follow have the same sign in both simulators,
    which holds only if the RotorPy adapter maps M1..M4 onto the right rotors. (FR up: nose down (-y rate) and
    yaw -z; BL up: nose up; FL up: roll +x; BR up: roll -x, yaw +z.)"""
    for name in ("builtin", "rotorpy"):
        sim = make_sim(name)
        sim.reset(_episode())
        hover = sim.observe().motors[0]
        u = np.full(4, hover)
        u[motor] = min(1.0, hover + 0.2)
        before = sim.observe().body_rates.copy()
        for _ in range(4):
            sim.step(u, 0.005)
        rate = sim.observe().body_rates[axis] - before[axis]
        assert np.sign(rate) == sign, f"{name}: motor M{motor + 1} changed rate {axis} by {rate}"


def test_rotorpy_wind_pushes_along_the_wind():
    sim = make_sim("rotorpy")
    ep = scenarios.get("hover").episodes(1)[0]
    sim.reset(ep)
    hover = sim.observe().motors
    for _ in range(20):
        sim.step(hover, 0.01, wind=np.array([3.0, 0.0, 0.0]))
    assert sim.observe().velocity[0] > 0.05


def test_mass_scale_reaches_each_simulator():
    ep = scenarios.get("mass").episodes(1)[0]
    for name in ("builtin", "rotorpy"):
        sim = make_sim(name)
        sim.reset(ep)
        hover = sim.observe().motors
        for _ in range(30):
            sim.step(hover, 0.01)
        assert sim.observe().velocity[2] < -0.3, f"{name}: a 30 % heavier vehicle at nominal hover should sink"


def test_l2f_is_used_when_installed_and_skipped_with_the_reason_otherwise():
    try:
        sim = make_sim("l2f")
    except SimUnavailable as e:
        assert "pip install l2f" in str(e)
        pytest.skip(str(e))
    sim.reset(scenarios.get("hover").episodes(1)[0])
    s0 = sim.observe()
    sim.step(s0.motors, 0.01)
    assert sim.observe().finite()
