"""The SE(3) expert is RotorPy's SE3Control on the builtin vehicle, and its observations are the glue's."""
import numpy as np
import pytest

from tinyctl import plants
from tinyctl.controllers import LIPSCHITZ, build_observation
from tinyctl.scenarios.disturbances import RandomState
from tinyctl.training.lipschitz.expert import HOME, SE3Expert, demonstrations, initial_state, observations, to_state


def test_expert_is_rotorpys_se3_control():
    se3 = pytest.importorskip("rotorpy.controllers.quadrotor_control")
    from rotorpy.vehicles.crazyflie_params import quad_params
    p = plants.CRAZYFLIE
    order = (3, 0, 1, 2)                       # RotorPy's r1..r4 are our M4, M1, M2, M3
    q = dict(quad_params)
    q.update(mass=p.mass, Ixx=p.inertia[0], Iyy=p.inertia[1], Izz=p.inertia[2], Ixy=0.0, Ixz=0.0, Iyz=0.0,
             k_m=p.torque_constant * q["k_eta"],
             rotor_pos={f"r{i + 1}": np.array(p.rotor_positions[order[i]]) for i in range(4)},
             rotor_directions=np.array([p.rotor_yaw_directions[order[i]] for i in range(4)]))
    reference = se3.SE3Control(q)
    rng = np.random.default_rng(0)
    xs = np.stack([initial_state(rng, RandomState()) for _ in range(40)])
    ours = SE3Expert().thrusts(xs)
    flat = {"x": np.array(HOME), "x_dot": np.zeros(3), "x_ddot": np.zeros(3), "x_dddot": np.zeros(3),
            "x_ddddot": np.zeros(3), "yaw": 0.0, "yaw_dot": 0.0, "yaw_ddot": 0.0}
    for x, mine in zip(xs, ours):
        state = {"x": x[0:3], "v": x[3:6], "q": np.array([x[7], x[8], x[9], x[6]]), "w": x[10:13]}
        theirs = np.asarray(reference.update(0.0, state, flat)["cmd_motor_thrusts"])[[1, 2, 3, 0]]
        assert np.allclose(mine, theirs, rtol=1e-9, atol=1e-12)


def test_batched_observations_are_the_glues():
    rng = np.random.default_rng(1)
    xs = np.stack([initial_state(rng, RandomState(position=1.5, velocity=3.0)) for _ in range(40)])
    batched = observations(LIPSCHITZ, xs)
    for x, o in zip(xs, batched):
        want, _ = build_observation(LIPSCHITZ, to_state(x, 0.0), np.zeros(4, np.float32))
        assert np.allclose(o, want, atol=2e-7)


def test_expert_holds_hover_and_demonstrations_are_labelled():
    expert = SE3Expert()
    x = plants.hover_state(plants.CRAZYFLIE, HOME)[None]
    for _ in range(300):
        x = plants.step(plants.CRAZYFLIE, x, expert.motors(x), 0.01)
    assert np.linalg.norm(x[0, 0:3] - HOME) < 1e-6
    obs, act = demonstrations(LIPSCHITZ, episodes=12, seconds=1.0)
    assert obs.shape[1] == 18 and act.shape[1] == 4 and len(obs) == len(act) >= 600
    assert act.min() >= -1.0 and act.max() <= 1.0
