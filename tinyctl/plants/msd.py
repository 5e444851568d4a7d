"""The mass-spring-damper of the Newton-Raphson MPC benchmark (the seed paper compares its NR-MPC with a PID
on such a plant), in pure NumPy: the simulator the dynamics models learn from and the HIL plant they fly.

    m x'' = u - k x - k3 x^3 - c x'

State x = (position [m], velocity [m/s]); input u = force [N], saturated at the actuator's limit. The
parameters are ours (the paper does not publish its plant): a lightly damped spring (zeta 0.2, natural
period about 3 s) with a force limit that the reference paths reach, so saturation and overshoot matter.
`cubic_stiffness` makes the spring harden; it is 0 for the benchmark. Integration is RK4 with substeps,
vectorised over leading dimensions so training can roll out thousands of trajectories at once.
"""
from dataclasses import dataclass

import numpy as np

NX, NU = 2, 1
STATE_NAMES = ("position", "velocity")
INPUT_NAMES = ("force",)


@dataclass(frozen=True)
class MsdParams:
    mass: float = 1.0              # kg
    stiffness: float = 4.0         # N/m
    cubic_stiffness: float = 0.0   # N/m^3 (hardening spring when positive)
    damping: float = 0.8           # N s/m
    force_limit: float = 10.0      # N, symmetric actuator limit
    dt: float = 0.02               # s, the control period (and the learned model's step)
    substeps: int = 4              # RK4 substeps per control period


DEFAULT = MsdParams()


def derivative(x, u, p=DEFAULT):
    """dx/dt for states x (..., 2) and forces u (..., 1) (already saturated)."""
    x, u = np.asarray(x, float), np.asarray(u, float)
    pos, vel = x[..., 0], x[..., 1]
    acc = (u[..., 0] - p.stiffness * pos - p.cubic_stiffness * pos ** 3 - p.damping * vel) / p.mass
    return np.stack([vel, acc], axis=-1)


def saturate(u, p=DEFAULT):
    return np.clip(np.asarray(u, float), -p.force_limit, p.force_limit)


def step(x, u, p=DEFAULT):
    """The state one control period later, the force held constant (zero-order hold) and saturated."""
    u = saturate(u, p)
    h = p.dt / p.substeps
    x = np.asarray(x, float)
    for _ in range(p.substeps):
        k1 = derivative(x, u, p)
        k2 = derivative(x + 0.5 * h * k1, u, p)
        k3 = derivative(x + 0.5 * h * k2, u, p)
        k4 = derivative(x + h * k3, u, p)
        x = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def equilibrium_force(position, p=DEFAULT):
    """The force that holds the mass still at `position`."""
    return p.stiffness * position + p.cubic_stiffness * position ** 3


class Msd:
    """One simulated plant: reset, step with a force, read the state and the time."""

    def __init__(self, params=DEFAULT, x0=(0.0, 0.0)):
        self.params = params
        self.reset(x0)

    def reset(self, x0=(0.0, 0.0)):
        self.x = np.asarray(x0, float).copy()
        self.t = 0.0
        return self.x.copy()

    def step(self, u):
        self.x = step(self.x, np.atleast_1d(u), self.params)
        self.t += self.params.dt
        return self.x.copy()


# Reference paths: position and velocity of the target at time t (vectorised over t) ---------------------
def _sine(t, amplitude, period):
    w = 2 * np.pi / period
    return amplitude * np.sin(w * t), amplitude * w * np.cos(w * t)


def _square(t, amplitude, period):
    phase = np.mod(t, period) / period
    return np.where(phase < 0.5, amplitude, -amplitude), np.zeros_like(t)


def _triangle(t, amplitude, period):
    phase = np.mod(t + period / 4, period) / period
    pos = amplitude * (4 * np.abs(phase - 0.5) - 1) * -1
    vel = np.where(phase < 0.5, 4 * amplitude / period, -4 * amplitude / period)
    return pos, vel


def _steps(t, amplitude, period):
    levels = amplitude * np.array([0.0, 1.0, -0.5, 0.5, -1.0, 0.25])
    k = np.floor(t / (period / 2)).astype(int) % len(levels)
    return levels[k], np.zeros_like(t)


REFERENCE_PATHS = {
    # name: (function, amplitude [m], period [s])
    "sine": (_sine, 1.0, 4.0),
    "square": (_square, 1.0, 6.0),
    "triangle": (_triangle, 1.0, 4.0),
    "steps": (_steps, 1.0, 6.0),
}


def reference(name, t):
    """(position, velocity) of reference path `name` at time(s) t."""
    try:
        fn, amplitude, period = REFERENCE_PATHS[name]
    except KeyError:
        raise ValueError(f"unknown reference path '{name}': choose one of {', '.join(REFERENCE_PATHS)}") from None
    t = np.asarray(t, float)
    pos, vel = fn(t, amplitude, period)
    return np.asarray(pos, float), np.asarray(vel, float)


def reference_states(name, t):
    """Reference states (..., 2) of path `name` at times t."""
    pos, vel = reference(name, t)
    return np.stack([pos, vel], axis=-1)
