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


def altitude(horizon=4, dt=0.02, params=None):
    """The builtin quadrotor's altitude loop linearised at hover: state (z - z_ref, vz, m - m_hover), input
    u - m_hover (one command for all four motors), zero-order hold at dt (the altitude scenario's 50 Hz).

    z'' = 4 (c1 + 2 c2 m_h) / mass * (m - m_h) and m' = (u - m) / tau, tau the mean of the motors' rise and fall
    time constants. The state and input bounds are the plant-law spec's (tinyctl.controllers.altitude: the domain
    box the firmware clips theta to, |z - z_ref| <= 1 m, |vz| <= 3 m/s, motor speed and command in [0, 1]), so
    the law and the glue that runs it cannot disagree.
    """
    from scipy.linalg import expm
    from tinyctl.controllers.altitude import altitude_law_spec
    from tinyctl.plants import CRAZYFLIE
    p = params or CRAZYFLIE
    spec = altitude_law_spec(p)
    m_h = spec.output_offset[0]
    c0, c1, c2 = p.thrust_curve
    gain = 4 * (c1 + 2 * c2 * m_h) / p.mass
    tau = (p.motor_tau_rise + p.motor_tau_fall) / 2
    a_c = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, gain], [0.0, 0.0, -1.0 / tau]])
    b_c = np.array([[0.0], [0.0], [1.0 / tau]])
    block = expm(np.block([[a_c, b_c], [np.zeros((1, 4))]]) * dt)
    a, b = block[:3, :3], block[:3, 3:]
    return LinearMPC(a, b, np.diag([40.0, 4.0, 0.1]), np.array([[1.0]]), horizon,
                     [spec.output_low[0] - m_h], [spec.output_high[0] - m_h], spec.input_low, spec.input_high,
                     name=f"altitude_n{horizon}",
                     meta={"problem": "quadrotor-altitude", "dt": dt, "hover_motor": m_h, "tau": tau, "gain": gain})


PROBLEMS["quadrotor-altitude"] = altitude
