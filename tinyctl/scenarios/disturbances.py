"""What a scenario does to the vehicle and its sensors: wind, random initial states, measurement noise, latency.

All randomness comes from a numpy Generator the episode hands in, so a seed reproduces a run on every simulator.
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Gust:
    """Wind along `velocity` (world, m/s) from `start` for `duration` seconds, with raised-cosine edges of `ramp` s.

    Wind acts through the simulator's drag model (the builtin plant's linear drag, RotorPy's rotor drag).
    """
    velocity: tuple = (3.0, 0.0, 0.0)
    start: float = 1.0
    duration: float = 2.0
    ramp: float = 0.2

    @property
    def end(self):
        return self.start + self.duration

    def at(self, t):
        t = np.asarray(t, dtype=float)
        rise = np.clip((t - self.start) / self.ramp, 0.0, 1.0)
        fall = np.clip((self.end - t) / self.ramp, 0.0, 1.0)
        shape = 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))
        return shape[..., None] * np.asarray(self.velocity, dtype=float)


def axis_angle_quaternion(axis, angle):
    """Unit quaternion (w, x, y, z) of a rotation by `angle` about `axis`."""
    axis = np.asarray(axis, dtype=float)
    n = np.linalg.norm(axis)
    if n == 0:
        return np.array([1.0, 0.0, 0.0, 0.0])
    return np.concatenate([[np.cos(angle / 2)], np.sin(angle / 2) * axis / n])


def _quat_mul(a, b):
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return np.array([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw])


@dataclass(frozen=True)
class InitialCondition:
    """Where an episode starts; the simulator spins the motors up to its own hover speed."""
    position: tuple
    velocity: tuple = (0.0, 0.0, 0.0)
    quaternion: tuple = (1.0, 0.0, 0.0, 0.0)
    angular_velocity: tuple = (0.0, 0.0, 0.0)

    def to_dict(self):
        return {k: [float(v) for v in getattr(self, k)] for k in ("position", "velocity", "quaternion",
                                                                   "angular_velocity")}


@dataclass(frozen=True)
class RandomState:
    """Initial states spread around the reference's start: position offset uniform in a cube of half-side
    `position`, velocity uniform per axis within `velocity`, tilt about a random axis uniform in [0, `tilt_deg`],
    yaw uniform within `yaw_deg`, body rates uniform per axis within `angular_velocity`."""
    position: float = 0.5
    velocity: float = 0.5
    tilt_deg: float = 30.0
    yaw_deg: float = 90.0
    angular_velocity: float = 1.0

    def sample(self, rng, start_position):
        p = np.asarray(start_position, dtype=float) + rng.uniform(-self.position, self.position, 3)
        v = rng.uniform(-self.velocity, self.velocity, 3)
        heading = rng.uniform(0.0, 2 * np.pi)
        tilt = np.deg2rad(rng.uniform(0.0, self.tilt_deg))
        yaw = np.deg2rad(rng.uniform(-self.yaw_deg, self.yaw_deg))
        q = _quat_mul(axis_angle_quaternion((0, 0, 1), yaw),
                      axis_angle_quaternion((np.cos(heading), np.sin(heading), 0.0), tilt))
        w = rng.uniform(-self.angular_velocity, self.angular_velocity, 3)
        return InitialCondition(tuple(p), tuple(v), tuple(q), tuple(w))


@dataclass(frozen=True)
class SensorNoise:
    """Zero-mean Gaussian noise on what the controller is told (standard deviations, SI): position, velocity,
    attitude (a small rotation about a random axis, applied in the body frame) and body rates."""
    position: float = 0.01
    velocity: float = 0.05
    attitude: float = 0.02
    angular_velocity: float = 0.1

    def apply(self, rng, position, quaternion, velocity, angular_velocity):
        p = np.asarray(position, dtype=float) + rng.normal(0.0, self.position, 3)
        v = np.asarray(velocity, dtype=float) + rng.normal(0.0, self.velocity, 3)
        rot = rng.normal(0.0, self.attitude, 3)
        q = _quat_mul(np.asarray(quaternion, dtype=float), axis_angle_quaternion(rot, np.linalg.norm(rot)))
        w = np.asarray(angular_velocity, dtype=float) + rng.normal(0.0, self.angular_velocity, 3)
        return p, q / np.linalg.norm(q), v, w
