"""L2F (PyPI `l2f`, the RAPTOR authors' simulator) as a HIL plant, when it is installed.

Its source build takes about 12 minutes and 6 GB of compiler memory, so it is an optional extra: the harness
refuses it with that reason when the package is missing. L2F already uses the project's conventions (world and
body FLU, quaternion (w, x, y, z), Crazyflie motor order M1..M4); its actions are normalised rotor-speed setpoints
in [-1, 1], so a motor command u in [0, 1] becomes 2u - 1. Its integration step is fixed at 10 ms at compile time
and it has no wind model: scenarios with wind are refused rather than flown without it.
"""
import json

import numpy as np

from tinyctl.hil_tests.sims.base import FlightState, SimUnavailable

L2F_DT = 0.01


def _import_l2f():
    try:
        import l2f
    except ImportError:
        raise SimUnavailable("the l2f simulator is not installed: `pip install l2f==2.0.18` builds it from source "
                             "(about 12 minutes and 6 GB of compiler memory on 2 cores)") from None
    return l2f


class L2FSim:
    name = "l2f"

    def __init__(self):
        self.l2f = _import_l2f()
        L = self.l2f
        self.device, self.rng, self.env = L.Device(), L.Rng(), L.Environment()
        self.params = L.Parameters()
        try:
            L.initialize_environment(self.device, self.env)
        except TypeError:                       # some 2.0.x releases also take the parameters
            L.initialize_environment(self.device, self.env, self.params)
        L.initialize_rng(self.device, self.rng, 0)
        L.initial_parameters(self.device, self.env, self.params)
        self.nominal_json = L.parameters_to_json(self.device, self.env, self.params)
        self.state, self.next_state = L.State(), L.State()

    def reset(self, episode):
        L = self.l2f
        if episode.scenario.wind is not None:
            raise SimUnavailable(f"l2f has no wind model: scenario '{episode.scenario.name}' needs one; "
                                 "fly it in builtin or rotorpy")
        params = json.loads(self.nominal_json)
        scale = episode.scenario.mass_scale
        L.initial_parameters(self.device, self.env, self.params)
        if scale != 1.0:
            # only through JSON, which L2F prints with 6 decimals: the inertia loses digits (9.4e-6 -> 9e-6)
            dyn = params["dynamics"]
            dyn["mass"] *= scale
            dyn["J"] = [[v * scale for v in row] for row in dyn["J"]]
            dyn["J_inv"] = [[v / scale for v in row] for row in dyn["J_inv"]]
            L.parameters_from_json(self.device, self.env, json.dumps(params), self.params)
        L.initial_state(self.device, self.env, self.params, self.state)
        ic = episode.initial
        self.state.position = list(ic.position)
        self.state.orientation = list(ic.quaternion)
        self.state.linear_velocity = list(ic.velocity)
        self.state.angular_velocity = list(ic.angular_velocity)
        hover = params["dynamics"].get("hovering_throttle_relative")
        if hover is not None:
            self.state.rpm = [float(hover)] * 4

    def observe(self):
        s = self.state
        return FlightState(np.array(s.position, float), np.array(s.orientation, float),
                           np.array(s.linear_velocity, float), np.array(s.angular_velocity, float),
                           np.array(s.rpm, float))

    def step(self, motors, dt, wind=None):
        if abs(dt - L2F_DT) > 1e-9:
            raise SimUnavailable(f"l2f integrates with a fixed 10 ms step; the control period is {dt * 1000:g} ms")
        action = np.asarray(2.0 * np.clip(motors, 0.0, 1.0) - 1.0, dtype=np.float32)
        self.l2f.step(self.device, self.env, self.params, self.state, action, self.next_state, self.rng)
        self.state.assign(self.next_state)

    @property
    def crashed(self):
        s = self.observe()
        return bool(not s.finite() or s.position[2] < 0.0)

    def describe(self):
        params = json.loads(self.nominal_json)
        return {"simulator": "l2f", "vehicle": "crazyflie (L2F nominal)", "mass": params["dynamics"]["mass"],
                "integrator": "RK4, 10 ms", "parameters": params["dynamics"]}
