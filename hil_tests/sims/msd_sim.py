"""The mass-spring-damper of the MPC benchmark (tinyctl.plants.msd) as a HIL plant: its state vector and
reference go to the controller in PLANT frames; the force it answers is held for one period."""
from dataclasses import replace

import numpy as np

from tinyctl.plants import msd


class MsdSim:
    name = "msd"
    state_names = msd.STATE_NAMES
    input_names = msd.INPUT_NAMES

    def __init__(self, params=msd.DEFAULT):
        self.params = params
        self._unsaturated = replace(params, force_limit=np.inf)   # the disturbance bypasses the actuator
        self.x = np.zeros(msd.NX)

    def reset(self, x0):
        self.x = np.asarray(x0, dtype=float).copy()

    def observe(self):
        return self.x.copy()

    def step(self, u, dt, disturbance=None):
        """Advance dt (one control period of the plant's parameters) holding the force u (saturated) plus an
        external force `disturbance` (N), which the actuator limit does not apply to."""
        if abs(dt - self.params.dt) > 1e-12:
            raise ValueError(f"the msd plant steps {self.params.dt} s, not {dt} s")
        force = float(msd.saturate(np.ravel(u)[0], self.params)) + (0.0 if disturbance is None else float(disturbance))
        self.x = msd.step(self.x, np.array([force]), self._unsaturated)

    @property
    def crashed(self):
        return not np.all(np.isfinite(self.x))

    def describe(self):
        p = self.params
        return {"simulator": "msd", "mass": p.mass, "stiffness": p.stiffness, "cubic_stiffness": p.cubic_stiffness,
                "damping": p.damping, "force_limit": p.force_limit, "dt": p.dt,
                "integrator": f"RK4, {p.substeps} substeps per period"}
