"""The builtin quadrotor's altitude loop as a HIL plant: the full rigid body (tinyctl.plants, via BuiltinSim) flies;
the controller sees (z, vz, mean motor speed) in PLANT frames and answers one motor command for all four motors,
which keeps a level vehicle level (the rotors' torques cancel exactly)."""
import numpy as np

from tinyctl import plants
from tinyctl.hil_tests.sims.builtin import BuiltinSim


class AltitudeSim:
    name = "quadrotor-altitude"
    state_names = ("z", "vz", "motor")
    input_names = ("motor_command",)

    def __init__(self, params=plants.CRAZYFLIE):
        self.sim = BuiltinSim(params)

    def reset(self, x0):
        """x0 = (z, vz, motor): at rest horizontally, level."""
        z, vz, m = x0
        self.sim.params = self.sim.nominal
        self.sim.x = plants.make_state(position=(0.0, 0.0, z), velocity=(0.0, 0.0, vz), motors=m)

    def observe(self):
        s = self.sim.observe()
        return np.array([s.position[2], s.velocity[2], float(np.mean(s.motors))])

    def step(self, u, dt, disturbance=None):
        """Advance dt with all four motors at u; disturbance: wind (world, m/s), acting through drag."""
        self.sim.step(np.repeat(float(np.ravel(u)[0]), 4), dt, None if disturbance is None else np.asarray(disturbance))

    @property
    def crashed(self):
        return self.sim.crashed

    @property
    def full_state(self):
        return self.sim.x.copy()

    def describe(self):
        return {**self.sim.describe(), "loop": "altitude: equal motor commands, level"}
