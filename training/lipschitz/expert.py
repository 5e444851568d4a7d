"""Expert demonstrations for imitation: an SE(3) geometric controller flying the builtin quadrotor.

The expert is the geometric controller of Lee, Leok and McClamroch (2010) exactly as RotorPy's SE3Control
computes it (its gains; a test holds the two together), here in NumPy over a batch of vehicles and with the
builtin Crazyflie's own mass, inertia, rotor positions and yaw-torque constant. Its per-rotor thrusts become motor
commands through the inverse of the builtin thrust curve (c0 + c1 m + c2 m^2), so the expert knows the plant it
flies; RotorPy's rotor-speed map (k_eta w^2, 2500 rad/s) describes another vehicle.

Demonstrations follow DART (Laskey et al. 2017): the vehicle flies the expert's command plus Gaussian noise, and
the clean command is the label, so the data covers the states a slightly wrong student will visit. All flights
run side by side (tinyctl.plants broadcasts over a batch). Observations are those the controller glue builds
from the 'lipschitz' spec (tinyctl/controllers/lipschitz.py; a test holds `observations` to the glue); actions
are normalised to [-1, 1] (motor command = (action + 1) / 2).
"""
import math

import numpy as np

from tinyctl import plants
from tinyctl.controllers import build_observation
from tinyctl.errors import TinyctlError
from tinyctl.link_protocol import State
from tinyctl.scenarios.disturbances import RandomState

CONTROL_DT = 0.01
HOME = (0.0, 0.0, 1.0)
GRAVITY = 9.81
KP_POS, KD_POS = np.array([6.5, 6.5, 15.0]), np.array([4.0, 4.0, 9.0])     # RotorPy SE3Control's gains
KP_ATT, KD_ATT = 310.0, 57.0


def rotation(q):
    """[..., 3, 3] body->world rotations of unit quaternions [..., 4] (w, x, y, z)."""
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
                     np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
                     np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1)], -2)


class SE3Expert:
    def __init__(self, params=plants.CRAZYFLIE):
        self.params = params
        self.mass = params.mass
        self.inertia = np.diag(params.inertia)
        pos = np.asarray(params.rotor_positions, float)
        f_to_tm = np.vstack([np.ones(4), pos[:, 1], -pos[:, 0],
                             params.torque_constant * np.asarray(params.rotor_yaw_directions, float)])
        self.tm_to_f = np.linalg.inv(f_to_tm)

    def thrusts(self, x, target=HOME):
        """Per-rotor thrust commands [B, 4] (N, M1..M4) for plant states x [B, 17], yaw 0, holding target."""
        x = np.atleast_2d(x)
        pos_err, vel_err = x[:, 0:3] - np.asarray(target, float), x[:, 3:6]
        f_des = self.mass * (-KP_POS * pos_err - KD_POS * vel_err + np.array([0.0, 0.0, GRAVITY]))
        r = rotation(x[:, 6:10])
        u1 = np.einsum("bi,bi->b", f_des, r[:, :, 2])
        b3 = f_des / np.linalg.norm(f_des, axis=1, keepdims=True)
        b2 = np.cross(b3, np.array([1.0, 0.0, 0.0]))
        b2 /= np.linalg.norm(b2, axis=1, keepdims=True)
        r_des = np.stack([np.cross(b2, b3), b2, b3], axis=2)
        s_err = 0.5 * (np.swapaxes(r_des, 1, 2) @ r - np.swapaxes(r, 1, 2) @ r_des)
        att_err = np.stack([-s_err[:, 1, 2], s_err[:, 0, 2], -s_err[:, 0, 1]], axis=1)
        w = x[:, 10:13]
        u2 = (-KP_ATT * att_err - KD_ATT * w) @ self.inertia.T + np.cross(w, w @ self.inertia.T)
        return np.concatenate([u1[:, None], u2], axis=1) @ self.tm_to_f.T

    def motors(self, x, target=HOME):
        """Motor commands [B, 4] in [0, 1]."""
        c0, c1, c2 = self.params.thrust_curve
        disc = np.maximum(c1 * c1 - 4 * c2 * (c0 - self.thrusts(x, target)), 0.0)
        return np.clip((-c1 + np.sqrt(disc)) / (2 * c2), 0.0, 1.0)


def observations(spec, x, target=HOME):
    """The 'lipschitz' spec's observations [B, 18] of plant states x [B, 17], as the glue builds them (float32)."""
    if [f.kind for f in spec.features] != ["position_error", "rotation_matrix", "velocity_error", "body_rates"]:
        raise TinyctlError(f"batched observations are written for the 'lipschitz' spec, not '{spec.name}'")
    clip = {f.kind: f.clip for f in spec.features}
    x = np.atleast_2d(x).astype(np.float32)
    pe = np.clip(x[:, 0:3] - np.asarray(target, np.float32), -clip["position_error"], clip["position_error"])
    ve = np.clip(x[:, 3:6], -clip["velocity_error"], clip["velocity_error"])
    r = rotation(x[:, 6:10].astype(np.float32)).reshape(-1, 9)
    return np.concatenate([pe, r, ve, x[:, 10:13]], axis=1).astype(np.float32)


def to_state(x, t, target=HOME):
    return State(int(round(t * 1e6)), x[0:3], x[6:10], x[3:6], x[10:13], np.asarray(target, np.float32),
                 np.zeros(3, np.float32))


def initial_state(rng, spread, params=plants.CRAZYFLIE):
    ic = spread.sample(rng, HOME)
    return plants.make_state(position=ic.position, velocity=ic.velocity, quaternion=ic.quaternion,
                             angular_velocity=ic.angular_velocity, motors=params.hover_motor)


def demonstrations(spec, episodes=150, seconds=4.0, noise=0.05, seed=0, spread=None, progress=None):
    """(observations [N, obs], actions [N, 4] in [-1, 1]) from DART-noised expert flights from random states.

    Every third flight starts close to the target: holding it precisely is what a hover is judged by, and a policy
    without integral action turns any imitation error there into a steady offset. Flights the expert itself does
    not bring back within 0.3 m of the target are dropped (from the harsher starts it can saturate and crash).
    """
    expert = SE3Expert()
    spread = spread or RandomState(position=0.7, velocity=0.7, tilt_deg=20.0, yaw_deg=90.0, angular_velocity=1.0)
    near = RandomState(position=0.1, velocity=0.1, tilt_deg=5.0, yaw_deg=20.0, angular_velocity=0.2)
    rng = np.random.default_rng(seed)
    x = np.stack([initial_state(rng, near if ep % 3 == 2 else spread) for ep in range(episodes)])
    steps = int(round(seconds / CONTROL_DT))
    obs = np.zeros((steps, episodes, spec.observation_size), np.float32)
    act = np.zeros((steps, episodes, 4), np.float32)
    alive = np.ones(episodes, bool)
    for k in range(steps):
        u = expert.motors(x)
        obs[k], act[k] = observations(spec, x), 2.0 * u - 1.0
        x = plants.step(expert.params, x, np.clip(u + noise * rng.standard_normal(u.shape), 0.0, 1.0), CONTROL_DT)
        alive &= np.all(np.isfinite(x), axis=1) & ~np.asarray(plants.crashed(expert.params, x))
        x[~alive] = plants.hover_state(expert.params, HOME)     # parked: those flights are dropped below
        if progress is not None:
            progress(k + 1, steps)
    keep = alive & (np.linalg.norm(x[:, 0:3] - np.asarray(HOME), axis=1) < 0.3)
    if not keep.any():
        raise TinyctlError("the SE(3) expert completed no demonstration flight")
    return obs[:, keep].reshape(-1, spec.observation_size), act[:, keep].reshape(-1, 4)


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
