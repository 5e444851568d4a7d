"""Conventions every part of tinyctl uses; adapters convert to these at their edge.

World frame FLU with z up (ENU), body frame FLU; quaternions (w, x, y, z) rotating body to world;
motor order front-right, back-right, back-left, front-left (Crazyflie M1..M4);
policy actions normalised to [-1, 1], motor commands in [0, 1]; SI units; time as integer microseconds.
"""
import numpy as np

GRAVITY = 9.81  # m/s^2, along -z of the world frame
QUATERNION_ORDER = ("w", "x", "y", "z")
MOTOR_ORDER = ("front_right", "back_right", "back_left", "front_left")
ACTION_RANGE = (-1.0, 1.0)
MOTOR_COMMAND_RANGE = (0.0, 1.0)
US_PER_S = 1_000_000


def quat_to_rotmat(q):
    """Rotation matrix body->world of a unit quaternion (w, x, y, z); works on (..., 4) arrays."""
    q = np.asarray(q, dtype=float)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    r = np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], axis=-1)
    return r.reshape(q.shape[:-1] + (3, 3))


def action_to_motor(action, low=0.0, high=1.0):
    """Map normalised actions in [-1, 1] (clipped) linearly onto motor commands in [low, high]."""
    a = np.clip(np.asarray(action, dtype=float), *ACTION_RANGE)
    return low + (a + 1.0) / 2.0 * (high - low)


def seconds_to_us(t):
    return int(round(t * US_PER_S))
