"""RotorPy's SE(3) geometric controller (Lee, Leok, McClamroch 2010) as a baseline executor, with RotorPy's own
Crazyflie parameters and gains: the figures the learned policy is compared with. It reads the same contract-2
STATE as the firmware and answers motor commands in our convention (converted from RotorPy's rotor speeds and
rotor order). Its feedforward acceleration comes from the scenario's reference (central differences)."""
import numpy as np

from tinyctl.hil_tests.executors.base import Executor, StepResult
from tinyctl.hil_tests.sims.base import SimUnavailable
from tinyctl.hil_tests.sims.rotorpy_sim import from_rotorpy_motors, to_rotorpy_quaternion


class Se3Executor(Executor):
    name = "se3"

    def __init__(self, control_period_us=10_000, quad_params=None):
        try:
            from rotorpy.controllers.quadrotor_control import SE3Control
            from rotorpy.vehicles.crazyflie_params import quad_params as cf
        except ImportError as e:
            raise SimUnavailable(f"the se3 baseline is RotorPy's controller ({e}): pip install -e '.[sims]'") from None
        self.params = dict(quad_params or cf)
        self.control = SE3Control(self.params)
        self.control_period_us = int(control_period_us)
        self.reference = None

    def begin(self, episode):
        self.reference = episode.scenario.reference

    def reset(self):
        pass

    def _acceleration(self, t, h=1e-3):
        if self.reference is None:
            return np.zeros(3)
        _, v1 = self.reference.at(t + h)
        _, v0 = self.reference.at(max(t - h, 0.0))
        return (np.asarray(v1) - np.asarray(v0)) / (t + h - max(t - h, 0.0))

    def step(self, state):
        t = state.time_us / 1e6
        rp_state = {"x": np.asarray(state.position, float), "v": np.asarray(state.velocity, float),
                    "q": to_rotorpy_quaternion(np.asarray(state.quaternion, float)),
                    "w": np.asarray(state.body_rates, float)}
        flat = {"x": np.asarray(state.target_position, float), "x_dot": np.asarray(state.target_velocity, float),
                "x_ddot": self._acceleration(t), "x_dddot": np.zeros(3), "x_ddddot": np.zeros(3),
                "yaw": 0.0, "yaw_dot": 0.0, "yaw_ddot": 0.0}
        cmd = self.control.update(t, rp_state, flat)["cmd_motor_speeds"]
        lo, hi = float(self.params["rotor_speed_min"]), float(self.params["rotor_speed_max"])
        motors = np.clip((from_rotorpy_motors(cmd) - lo) / (hi - lo), 0.0, 1.0)
        return StepResult(motors)

    def describe(self):
        return {**super().describe(), "runs": "RotorPy SE3Control (geometric controller, RotorPy's gains), in Python"}
