"""The pendulum of the YANN-RL paper: Gymnasium's Pendulum-v1, batched in torch, and its linear MPC.

Dynamics (theta = 0 upright, g = 10, m = l = 1, dt = 0.05), semi-implicit Euler with the speed clipped:
    theta_dot' = clip(theta_dot + (3 g / (2 l) sin theta + 3 / (m l^2) u) dt, -8, 8),  theta' = theta + theta_dot' dt
u is clipped to [-2, 2]; the cost of a step is normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2 (Gymnasium's reward
is its negative). A test holds this module to Gymnasium's own environment.

The MPC is the linearisation about the upright equilibrium, with the same weights, horizon 2 and the
environment's limits (|u| <= 2, |theta| <= pi, |theta_dot| <= 8): 7 critical regions, as in the paper.
Episodes are 200 steps from theta0 in [-pi/2, pi/2] and theta_dot0 in [-1, 1] (the "clipped" start set):
beyond about 24 degrees the torque cannot hold the pendulum, so the linear law has something to learn.
"""
import math

import numpy as np
import torch

from tinyctl.training.yann.mpc import LinearMPC

DT, G, MASS, LENGTH = 0.05, 10.0, 1.0, 1.0
MAX_SPEED, MAX_TORQUE = 8.0, 2.0
ACTION_LOW, ACTION_HIGH = -MAX_TORQUE, MAX_TORQUE
Q = (1.0, 0.1)
R = 0.001
EPISODE_STEPS = 200
# YANN-RL's branches and step sizes here, and the DDPG baseline's exploration noise (torque units)
RL_SETTINGS = {"hidden": (32, 32), "warmup_critic": 400, "actor_lr": 3e-5, "updates_per_step": 2,
               "baseline_noise": 0.4}
START_ANGLE, START_SPEED = math.pi / 2, 1.0


def normalize_angle(theta):
    return torch.remainder(theta + math.pi, 2 * math.pi) - math.pi


def step(x, u):
    """x [B, 2] (theta, theta_dot), u [B, 1] -> (next x, cost [B])."""
    theta, speed = x[:, 0], x[:, 1]
    u = u[:, 0].clamp(-MAX_TORQUE, MAX_TORQUE)
    cost = normalize_angle(theta) ** 2 + Q[1] * speed ** 2 + R * u ** 2
    speed = (speed + (3 * G / (2 * LENGTH) * torch.sin(theta) + 3.0 / (MASS * LENGTH ** 2) * u) * DT).clamp(
        -MAX_SPEED, MAX_SPEED)
    theta = theta + speed * DT
    return torch.stack([theta, speed], dim=1), cost


def observe(x):
    """The controller's input: the angle wrapped to [-pi, pi) and the speed (the MPC's state)."""
    return torch.stack([normalize_angle(x[:, 0]), x[:, 1]], dim=1)


def starts(n, generator, dtype=torch.float64):
    theta = (2 * torch.rand(n, generator=generator, dtype=dtype) - 1) * START_ANGLE
    speed = (2 * torch.rand(n, generator=generator, dtype=dtype) - 1) * START_SPEED
    return torch.stack([theta, speed], dim=1)


def linear_model():
    """(A, B) of the same semi-implicit Euler step, linearised at theta = 0 (sin theta ~ theta)."""
    k = 3 * G / (2 * LENGTH)
    b = 3.0 / (MASS * LENGTH ** 2)
    a = np.array([[1 + k * DT * DT, DT], [k * DT, 1.0]])
    return a, np.array([[b * DT * DT], [b * DT]])


def weights():
    """(Q, R) of the environment's cost, which the MPC uses too."""
    return np.diag(Q), np.array([[R]])


def mpc(horizon=2):
    a, b = linear_model()
    return LinearMPC(a, b, *weights(), horizon, [-MAX_TORQUE], [MAX_TORQUE],
                     [-math.pi, -MAX_SPEED], [math.pi, MAX_SPEED], name=f"pendulum_n{horizon}",
                     meta={"problem": "pendulum", "dt": DT})

