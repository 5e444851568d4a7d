"""The builtin quadrotor of the shared core (tinyctl.plants), already in the project's conventions."""
import math

from tinyctl import plants
from tinyctl.hil_tests.sims.base import FlightState


class BuiltinSim:
    """tinyctl.plants with a parameter set (default: the Crazyflie 2.1); RK4 with steps of at most `max_dt`."""
    name = "builtin"

    def __init__(self, params=plants.CRAZYFLIE, max_dt=0.01):
        self.nominal = params
        self.params = params
        self.max_dt = max_dt
        self.x = plants.hover_state(params)

    def reset(self, episode):
        ic = episode.initial
        self.params = self.nominal.with_mass_scale(episode.scenario.mass_scale) \
            if episode.scenario.mass_scale != 1.0 else self.nominal
        # motors spin at the nominal vehicle's hover speed: a heavier vehicle starts sinking, as a payload would
        self.x = plants.make_state(ic.position, ic.velocity, ic.quaternion, ic.angular_velocity,
                                   motors=self.nominal.hover_motor)

    def observe(self):
        x = self.x
        return FlightState(x[0:3].copy(), x[6:10].copy(), x[3:6].copy(), x[10:13].copy(), x[13:17].copy())

    def step(self, motors, dt, wind=None):
        n = max(1, math.ceil(dt / self.max_dt - 1e-9))
        for _ in range(n):
            self.x = plants.step(self.params, self.x, motors, dt / n, wind=wind)

    @property
    def crashed(self):
        return bool(plants.crashed(self.params, self.x))

    def describe(self):
        p = self.params
        return {"simulator": "builtin", "vehicle": p.name, "mass": p.mass, "thrust_to_weight": p.thrust_to_weight,
                "integrator": f"RK4, steps of at most {self.max_dt * 1000:g} ms", "drag": list(p.drag),
                "parameters": {k: v for k, v in p.to_dict().items() if k != "sources"}}
