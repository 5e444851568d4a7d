"""Reference trajectories: where the vehicle should be, and how fast it should move there, at time t.

Each reference maps t (seconds, scalar or array) to (position, velocity) in the world frame (FLU, z up), the
setpoint a flight controller receives (contract 2's STATE carries both), and says where a flight on it starts.
"""
from dataclasses import dataclass

import numpy as np


def _broadcast(t, value):
    t = np.asarray(t, dtype=float)
    return np.broadcast_to(np.asarray(value, dtype=float), t.shape + (3,)).copy()


@dataclass(frozen=True)
class Hover:
    """Hold one point."""
    point: tuple = (0.0, 0.0, 1.0)

    def at(self, t):
        return _broadcast(t, self.point), _broadcast(t, (0.0, 0.0, 0.0))

    def start_state(self):
        """Where a flight on this reference starts (position, velocity)."""
        return self.at(0.0)


@dataclass(frozen=True)
class Step:
    """Hold `start` until `time`, then `end`: a setpoint step, velocity zero throughout."""
    start: tuple = (0.0, 0.0, 1.0)
    end: tuple = (1.0, 0.0, 1.0)
    time: float = 0.0

    def at(self, t):
        t = np.asarray(t, dtype=float)
        after = (t >= self.time)[..., None]
        return np.where(after, _broadcast(t, self.end), _broadcast(t, self.start)), _broadcast(t, (0.0, 0.0, 0.0))

    def start_state(self):
        """A step flight starts at rest on `start`, even when the step happens at t = 0."""
        return np.asarray(self.start, dtype=float), np.zeros(3)

    @property
    def size(self):
        return float(np.linalg.norm(np.subtract(self.end, self.start)))

    @property
    def direction(self):
        d = np.subtract(self.end, self.start)
        return d / np.linalg.norm(d)


# Mean of sqrt(cos^2 s + cos^2 2s) over a lap: a figure eight with half-widths (a, a/2) has length 2 pi a times it.
_FIGURE_EIGHT_LENGTH_FACTOR = 0.9704032544031165


@dataclass(frozen=True)
class FigureEight:
    """x = a sin(w t), y = a/2 sin(2 w t) around `center`, at a mean speed of `speed` m/s along the path.

    It starts at the centre moving diagonally with zero acceleration, so a level vehicle at the reference's
    position and velocity is a consistent initial state.
    """
    speed: float = 0.56
    half_width: float = 1.0
    center: tuple = (0.0, 0.0, 1.0)

    @property
    def lap_length(self):
        return 2 * np.pi * self.half_width * _FIGURE_EIGHT_LENGTH_FACTOR

    @property
    def period(self):
        return self.lap_length / self.speed

    def at(self, t):
        t = np.asarray(t, dtype=float)
        w = 2 * np.pi / self.period
        a, b = self.half_width, self.half_width / 2
        c = np.asarray(self.center, dtype=float)
        pos = np.stack([a * np.sin(w * t), b * np.sin(2 * w * t), np.zeros_like(t)], axis=-1) + c
        vel = np.stack([a * w * np.cos(w * t), 2 * b * w * np.cos(2 * w * t), np.zeros_like(t)], axis=-1)
        return pos, vel

    def start_state(self):
        return self.at(0.0)
