"""The builtin quadrotor's altitude loop as a YANN-RL environment: the explicit MPC of its linearisation is the
starting actor, and the plant it must improve on is the nonlinear one.

Dynamics: tinyctl.plants' rigid body itself (batched NumPy; RK4 in two steps of 10 ms per 50 Hz control period,
as the HIL simulator integrates, and a test holds the two together), level, all four motors at the one command (tinyctl.training.dynamics.quadrotor's altitude loop, exact): the quadratic thrust curve, the
motors' first-order lag with a rise time constant of 55 ms and a fall time constant of 250 ms (the MPC's model
takes their mean), motor speeds and commands held in [0, 1] (thrust to weight 1.47: 0.19 of command above hover)
and drag. None of that is in the linear model, so the law has something to learn.

The controller sees what the firmware's mode `law` gives it, from the same spec (tinyctl.controllers.ALTITUDE_LAW):
theta = (z - z_ref, vz, m - m_hover) clipped to the law's domain, and the plant input is hover + the action,
saturated to [0, 1]. The cost of a step is the MPC's stage cost theta' Q theta + a' R a on the clipped theta and
the applied action, so the RL improves the very objective the MPC optimises on its linear model. Episodes are
150 steps (3 s) from rest-like starts: height error up to 0.6 m either way, |vz| <= 1 m/s, motor speed near
hover; the reference height is 2 m (the ground never comes near).
"""
import numpy as np
import torch

from tinyctl.controllers import ALTITUDE_LAW

SPEC = ALTITUDE_LAW
DT = SPEC.control_period_us / 1e6
HOVER = SPEC.output_offset[0]
Z_REF = 2.0
EPISODE_STEPS = 150
SUBSTEPS = 2                         # RK4 steps per control period: the HIL simulator's steps of at most 10 ms
# YANN-RL's branches (20 of them: 19 regions and outside) and step sizes; the DDPG baseline's noise (command units)
RL_SETTINGS = {"hidden": (16, 16), "warmup_critic": 300, "actor_lr": 1e-4, "updates_per_step": 1,
               "baseline_noise": 0.1}
START_LOW = (-1.0, -2.0, -0.2)      # theta at the start: height error, vz, motor speed - hover
START_HIGH = (1.0, 2.0, 0.15)
ACTION_LOW = SPEC.output_low[0] - HOVER      # the action is the command's deviation from hover
ACTION_HIGH = SPEC.output_high[0] - HOVER
_S = torch.tensor(SPEC.input_state, dtype=torch.float64)
_R = torch.tensor(SPEC.input_reference, dtype=torch.float64)
_C = torch.tensor(SPEC.input_offset, dtype=torch.float64)
_LO = torch.tensor(SPEC.input_low, dtype=torch.float64)
_HI = torch.tensor(SPEC.input_high, dtype=torch.float64)
_REF = torch.tensor([Z_REF, 0.0, HOVER], dtype=torch.float64)


def mpc(horizon=4):
    """The altitude MPC whose explicit law the actor starts from (horizon 4: 19 regions)."""
    from tinyctl.training.yann.problems import altitude
    return altitude(horizon, dt=DT)


def weights():
    """(Q, R) of the MPC: the stage cost (the same for every horizon)."""
    linear = mpc(1)
    return linear.q, linear.r


_WEIGHTS = weights()


def observe(x):
    """theta [B, 3] of plant states x [B, 3] = (z, vz, m): the spec's input map and clip box."""
    theta = x.to(torch.float64) @ _S.T + _REF @ _R.T + _C
    return torch.minimum(torch.maximum(theta, _LO), _HI).to(x.dtype)


def step(x, a):
    """x [B, 3] (z, vz, m), a [B, 1] (command - hover) -> (next x, cost [B])."""
    from tinyctl.plants import CRAZYFLIE
    from tinyctl.plants import quadrotor as Q
    from tinyctl.training.dynamics.quadrotor import altitude_full_state, altitude_of
    q, r = (torch.as_tensor(m, dtype=x.dtype) for m in _WEIGHTS)
    theta = observe(x)
    a = a.clamp(ACTION_LOW, ACTION_HIGH)
    cost = torch.einsum("bi,ij,bj->b", theta, q, theta) + torch.einsum("bi,ij,bj->b", a, r, a)
    command = np.clip(HOVER + a.detach().numpy().astype(float), 0.0, 1.0)
    full = altitude_full_state(x.detach().numpy())
    for _ in range(SUBSTEPS):
        full = Q.step(CRAZYFLIE, full, np.repeat(command, 4, axis=1), DT / SUBSTEPS)
    return torch.as_tensor(altitude_of(full), dtype=x.dtype), cost


def starts(n, generator, dtype=torch.float64):
    lo, hi = torch.tensor(START_LOW, dtype=dtype), torch.tensor(START_HIGH, dtype=dtype)
    theta = lo + (hi - lo) * torch.rand(n, 3, generator=generator, dtype=dtype)
    return theta + _REF.to(dtype)

