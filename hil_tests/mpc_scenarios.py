"""The MPC's HIL scenarios and their baseline.

msd_<path>        the mass-spring-damper from rest tracking one of the benchmark's reference paths
                  (tinyctl.plants.msd.REFERENCE_PATHS) for 12 s; judged by the position RMSE against a PID tuned on
                  those very paths (the seed paper's baseline)
altitude_step_gust  the quadrotor hovering at 1 m: a 0.5 m step up at 1 s, then a 2 m/s downward gust from 4 s to
                  6 s (0.2 s raised-cosine edges); judged by the error after the step and through the gust
"""
from dataclasses import dataclass

import numpy as np

from tinyctl.plants import CRAZYFLIE, msd
from tinyctl.scenarios.disturbances import Gust

MSD_PATHS = tuple(msd.REFERENCE_PATHS)
MSD_DURATION = 12.0


@dataclass(frozen=True)
class PlantScenario:
    name: str
    plant: str                       # a tinyctl.training.dynamics plant name
    description: str
    duration: float
    dt: float
    x0: tuple
    reference_fn: object             # times (T,) -> reference states (T, NX)
    disturbance_fn: object = None    # time -> what the simulator takes as its disturbance

    def reference(self, t):
        return np.asarray(self.reference_fn(np.asarray(t, float)), float)

    def disturbance(self, t):
        return None if self.disturbance_fn is None else self.disturbance_fn(t)


def msd_scenario(path):
    return PlantScenario(f"msd_{path}", "msd", f"mass-spring-damper tracking the {path} path from rest",
                         MSD_DURATION, msd.DEFAULT.dt, (0.0, 0.0), lambda t: msd.reference_states(path, t))


ALTITUDE_START, ALTITUDE_STEP, STEP_TIME = 1.0, 0.5, 1.0
GUST = Gust(velocity=(0.0, 0.0, -2.0), start=4.0, duration=2.0, ramp=0.2)


def _altitude_reference(t):
    z = np.where(t >= STEP_TIME, ALTITUDE_START + ALTITUDE_STEP, ALTITUDE_START)
    return np.stack([z, np.zeros_like(z), np.full_like(z, CRAZYFLIE.hover_motor)], axis=-1)


def altitude_scenario():
    return PlantScenario("altitude_step_gust", "quadrotor-altitude",
                         f"hover at {ALTITUDE_START} m, a {ALTITUDE_STEP} m step up at {STEP_TIME} s, a 2 m/s downward "
                         f"gust from {GUST.start} s to {GUST.end} s", 8.0, 0.02,
                         (ALTITUDE_START, 0.0, float(CRAZYFLIE.hover_motor)), _altitude_reference, GUST.at)


def scenarios():
    out = {s.name: s for s in (msd_scenario(p) for p in MSD_PATHS)}
    out["altitude_step_gust"] = altitude_scenario()
    return out


def _tabulated_step(params):
    """The plant's step as x A' + u b: RK4 of a linear spring is linear, so its matrices are the step applied to
    the unit vectors (exact but for rounding); a hardening spring keeps the full step."""
    if params.cubic_stiffness:
        return lambda x, u: msd.step(x, u[:, None], params)
    a = msd.step(np.eye(2), np.zeros((2, 1)), params)
    b = msd.step(np.zeros(2), np.ones(1), params)
    return lambda x, u: x @ a + u[:, None] * b


def tune_pid(paths=MSD_PATHS, params=msd.DEFAULT, start=(40.0, 20.0, 8.0), evaluations=400):
    """PID gains (kp, ki, kd) for the mass-spring-damper minimising the mean position RMSE over `paths` on the
    simulated plant itself (saturation and anti-windup included): the baseline at its best on the benchmark."""
    from scipy.optimize import minimize
    t = np.arange(int(round(MSD_DURATION / params.dt))) * params.dt
    refs = np.stack([msd.reference_states(p, t) for p in paths])          # (paths, T, 2)
    step = _tabulated_step(params)

    def rmse(log_gains):
        kp, ki, kd = np.exp(log_gains)
        x, integral = np.zeros((len(paths), 2)), np.zeros(len(paths))
        err2 = np.zeros(len(paths))
        for k in range(len(t)):
            e = refs[:, k, 0] - x[:, 0]
            de = refs[:, k, 1] - x[:, 1]
            raw = kp * e + ki * (integral + e * params.dt) + kd * de
            u = np.clip(raw, -params.force_limit, params.force_limit)
            integral = np.where((raw == u) | (np.sign(e) != np.sign(raw - u)), integral + e * params.dt, integral)
            err2 += e * e
            x = step(x, u)
        return float(np.mean(np.sqrt(err2 / len(t))))

    best = minimize(rmse, np.log(start), method="Nelder-Mead",
                    options={"maxfev": evaluations, "xatol": 1e-3, "fatol": 1e-6})
    return tuple(float(g) for g in np.exp(best.x)), float(best.fun)
