"""Linear MPC problems the YANN work is measured on.

double_integrator(N): the benchmark of the YANN paper (dt 0.1, Q = diag(1, 0.1), R = 0.1, |u| <= 1,
x in [-5, 5] x [-2, 2], terminal weight from the DARE); horizons 3, 4, 5 give 31, 53, 85 regions.
pendulum(N): Gymnasium's Pendulum-v1 linearised about the upright equilibrium (see pendulum.py).
"""
import numpy as np

from tinyctl.training.yann.mpc import LinearMPC


def double_integrator(horizon=3, dt=0.1):
    a = np.array([[1.0, dt], [0.0, 1.0]])
    b = np.array([[0.5 * dt * dt], [dt]])
    return LinearMPC(a, b, np.diag([1.0, 0.1]), np.array([[0.1]]), horizon, [-1.0], [1.0], [-5.0, -2.0], [5.0, 2.0],
                     name=f"double_integrator_n{horizon}", meta={"problem": "double-integrator", "dt": dt})


PROBLEMS = {"double-integrator": double_integrator}
