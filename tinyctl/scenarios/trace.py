"""The record of one closed-loop flight, in the project's conventions: what every simulator and executor produces
and what the metrics read. Row k holds the true state at time t[k], the reference at t[k], and the motor commands
the controller answered for it (held until t[k + 1]).
"""
from dataclasses import dataclass, field

import numpy as np

_ARRAYS = ("t", "position", "velocity", "quaternion", "angular_velocity", "reference_position", "reference_velocity",
           "motors", "cost")


@dataclass
class Trace:
    t: np.ndarray                       # (T,) s
    position: np.ndarray                # (T, 3) world, m
    velocity: np.ndarray                # (T, 3) world, m/s
    quaternion: np.ndarray              # (T, 4) (w, x, y, z) body -> world
    angular_velocity: np.ndarray        # (T, 3) body, rad/s
    reference_position: np.ndarray      # (T, 3)
    reference_velocity: np.ndarray      # (T, 3)
    motors: np.ndarray                  # (T, 4) commands in [0, 1], M1..M4
    cost: np.ndarray = None             # (T,) instructions or cycles per step, when the executor measures them
    crashed: bool = False
    crash_time: float = None
    wall_time: float = 0.0              # s of host time the flight took
    stop: str = ""                      # why the flight ended early ("" when it ran its whole duration)
    info: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.t)

    @property
    def error(self):
        """3-D position error |p - p_ref| per row, m."""
        return np.linalg.norm(self.position - self.reference_position, axis=-1)

    def to_arrays(self):
        return {k: getattr(self, k) for k in _ARRAYS if getattr(self, k) is not None}

    @classmethod
    def from_rows(cls, rows, **kw):
        """Build from a list of per-step dicts holding the array fields (cost optional)."""
        def col(name, width):
            if not rows:
                return np.zeros((0, width)) if width else np.zeros(0)
            return np.array([r[name] for r in rows], dtype=float)
        cost = None
        if rows and rows[0].get("cost") is not None:
            cost = np.array([r.get("cost", np.nan) for r in rows], dtype=float)
        return cls(t=col("t", 0), position=col("position", 3), velocity=col("velocity", 3),
                   quaternion=col("quaternion", 4), angular_velocity=col("angular_velocity", 3),
                   reference_position=col("reference_position", 3), reference_velocity=col("reference_velocity", 3),
                   motors=col("motors", 4), cost=cost, **kw)
