"""Expert demonstrations for imitation: an SE(3) geometric controller flying the builtin quadrotor.

The expert is RotorPy's SE3Control (Lee, Leok, McClamroch 2010) with the builtin Crazyflie's mass, inertia and
yaw-torque constant. Its per-rotor thrust commands are turned into motor commands through the inverse of the
builtin thrust curve (c0 + c1 m + c2 m^2), so the expert knows the plant it flies; RotorPy's own rotor-speed map
(k_eta w^2, 2500 rad/s) is a different vehicle. Rotor order: RotorPy's r1..r4 are our M4, M1, M2, M3.

Demonstrations follow DART (Laskey et al. 2017): the vehicle flies the expert's command plus Gaussian noise,
and the clean command is the label, so the data covers the states a slightly wrong student will visit.
Observations are built by the controller glue from the spec (tinyctl/controllers/lipschitz.py), exactly as the
firmware builds them; actions are normalised to [-1, 1] (motor command = (action + 1) / 2).
"""
import math

import numpy as np

from tinyctl import plants
from tinyctl.controllers import build_observation
from tinyctl.link_protocol import State
from tinyctl.scenarios.disturbances import RandomState
from tinyctl.errors import TinyctlError

OURS_TO_ROTORPY = (1, 2, 3, 0)
CONTROL_DT = 0.01
HOME = (0.0, 0.0, 1.0)


class SE3Expert:
    def __init__(self, params=plants.CRAZYFLIE):
        try:
            from rotorpy.controllers.quadrotor_control import SE3Control
            from rotorpy.vehicles.crazyflie_params import quad_params
        except ImportError as e:
            raise TinyctlError(f"the SE(3) expert is RotorPy's controller ({e.name} missing): "
                               "pip install -e '.[sims]'") from None
        q = dict(quad_params)
        jxx, jyy, jzz = params.inertia
        q.update(mass=params.mass, Ixx=jxx, Iyy=jyy, Izz=jzz, Ixy=0.0, Ixz=0.0, Iyz=0.0,
                 k_m=params.torque_constant * q["k_eta"])
        self.params = params
        self.control = SE3Control(q)

    def motors(self, x, target=HOME, t=0.0):
        """Motor commands in [0, 1] (M1..M4) for plant state x, holding `target`."""
        state = {"x": x[0:3], "v": x[3:6], "q": np.array([x[7], x[8], x[9], x[6]]), "w": x[10:13]}
        flat = {"x": np.asarray(target, float), "x_dot": np.zeros(3), "x_ddot": np.zeros(3), "x_dddot": np.zeros(3),
                "x_ddddot": np.zeros(3), "yaw": 0.0, "yaw_dot": 0.0, "yaw_ddot": 0.0}
        thrusts = np.asarray(self.control.update(t, state, flat)["cmd_motor_thrusts"], float)[list(OURS_TO_ROTORPY)]
        return self.motor_for_thrust(thrusts)

    def motor_for_thrust(self, thrust):
        c0, c1, c2 = self.params.thrust_curve
        disc = np.maximum(c1 * c1 - 4 * c2 * (c0 - np.asarray(thrust)), 0.0)
        return np.clip((-c1 + np.sqrt(disc)) / (2 * c2), 0.0, 1.0)


def to_state(x, t, target=HOME):
    return State(int(round(t * 1e6)), x[0:3], x[6:10], x[3:6], x[10:13], np.asarray(target, np.float32),
                 np.zeros(3, np.float32))


def initial_state(rng, spread, params=plants.CRAZYFLIE):
    ic = spread.sample(rng, HOME)
    return plants.make_state(position=ic.position, velocity=ic.velocity, quaternion=ic.quaternion,
                             angular_velocity=ic.angular_velocity, motors=params.hover_motor)


def demonstrations(spec, episodes=150, seconds=4.0, noise=0.05, seed=0, spread=None, progress=None):
    """(observations [N, obs], actions [N, 4] in [-1, 1]) from DART-noised expert flights from random states.

    Flights the expert itself does not bring back within 0.3 m of the target are dropped: from some of the
    harsher starts the SE(3) controller saturates the motors and crashes, and those are not demonstrations.
    """
    expert = SE3Expert()
    spread = spread or RandomState(position=0.7, velocity=0.7, tilt_deg=20.0, yaw_deg=90.0, angular_velocity=1.0)
    rng = np.random.default_rng(seed)
    obs, act = [], []
    steps = int(round(seconds / CONTROL_DT))
    for ep in range(episodes):
        x = initial_state(rng, spread)
        ep_obs, ep_act = [], []
        for k in range(steps):
            o, _ = build_observation(spec, to_state(x, k * CONTROL_DT), np.zeros(spec.action_size, np.float32))
            u = expert.motors(x)
            ep_obs.append(o)
            ep_act.append(2.0 * u - 1.0)
            x = plants.step(expert.params, x, np.clip(u + noise * rng.standard_normal(4), 0.0, 1.0), CONTROL_DT)
            if plants.crashed(expert.params, x) or not np.all(np.isfinite(x)):
                break
        if np.all(np.isfinite(x)) and np.linalg.norm(x[0:3] - np.asarray(HOME)) < 0.3:
            obs.extend(ep_obs)
            act.extend(ep_act)
        if progress is not None:
            progress(ep + 1)
    if not obs:
        raise TinyctlError("the SE(3) expert completed no demonstration flight")
    return np.asarray(obs, np.float32), np.asarray(act, np.float32)


def fly(policy_motors, spec, x0, seconds=5.0, target=HOME, perturb=None, params=plants.CRAZYFLIE):
    """Closed loop in the builtin plant: positions [T, 3] under policy_motors(observation) -> motors [4].

    perturb(observation) -> observation models a measurement attack or noise on what the policy sees.
    """
    x, out = np.array(x0, float), []
    for k in range(int(round(seconds / CONTROL_DT))):
        o, _ = build_observation(spec, to_state(x, k * CONTROL_DT, target), np.zeros(spec.action_size, np.float32))
        if perturb is not None:
            o = perturb(o)
        x = plants.step(params, x, np.clip(policy_motors(o), 0.0, 1.0), CONTROL_DT)
        out.append(x[0:3].copy())
        if plants.crashed(params, x) or not np.all(np.isfinite(x)):
            out.extend([np.full(3, math.nan)] * (int(round(seconds / CONTROL_DT)) - k - 1))
            break
    return np.asarray(out)
