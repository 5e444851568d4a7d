"""What every simulator adapter gives the harness, in the project's conventions (tinyctl.conventions): world FLU
with z up, quaternion (w, x, y, z) body -> world, body rates in the body frame, motors M1..M4 (FR, BR, BL, FL) as
commands in [0, 1]. Each adapter converts at its own edge, explicitly, and nowhere else.

    sim.reset(episode)                  # initial condition, the scenario's vehicle (mass scale), motors at hover
    s = sim.observe()                   # FlightState
    sim.step(motors, dt, wind)          # advance dt seconds holding the motor commands and the wind
    sim.crashed                         # ground contact or a non-finite state
    sim.describe()                      # what was simulated, for the report
"""
from dataclasses import dataclass

import numpy as np

from tinyctl.errors import TinyctlError


class SimUnavailable(TinyctlError):
    """The simulator's package is not installed; the message says how to get it."""


@dataclass
class FlightState:
    position: np.ndarray          # world, m
    quaternion: np.ndarray        # (w, x, y, z) body -> world
    velocity: np.ndarray          # world, m/s
    body_rates: np.ndarray        # body, rad/s
    motors: np.ndarray            # normalised rotor speeds, M1..M4, [0, 1]

    def finite(self):
        return all(np.all(np.isfinite(v)) for v in (self.position, self.quaternion, self.velocity, self.body_rates))
