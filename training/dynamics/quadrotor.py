"""Quadrotor loops of the builtin simulator (tinyctl.plants.quadrotor, Crazyflie 2.1 parameters) as plants for
dynamics models: the full 17-state rigid body steps underneath; a loop exposes the part of its state and inputs
an MPC of that loop controls.

altitude   state (z, vz, m): height, vertical velocity, the motors' normalised speed (all four alike); input the
           common motor command. With equal commands a level vehicle stays level (the rotors' torques cancel), so
           this loop is exact, not an approximation.
attitude   state (qx, qy, qz, wx, wy, wz, m1..m4): the quaternion's vector part (w >= 0 implied), body rates and
           motor speeds; inputs the four motor commands. The vehicle is at rest in translation when a sample starts.
"""
import numpy as np

from tinyctl.plants import CRAZYFLIE, STATE_LAYOUT
from tinyctl.plants import quadrotor as Q
from tinyctl.training.dynamics.plants import DynamicsPlant

P, V, QUAT, W, M = (STATE_LAYOUT[k] for k in ("position", "velocity", "quaternion", "angular_velocity", "motors"))
ALTITUDE_DT = 0.02
ATTITUDE_DT = 0.01


def altitude_full_state(x):
    """Builtin-simulator states (B, 17) from altitude-loop states (B, 3)."""
    x = np.atleast_2d(x)
    full = np.zeros((len(x), Q.STATE_SIZE))
    full[:, 2], full[:, 5], full[:, 6] = x[:, 0], x[:, 1], 1.0
    full[:, M] = x[:, 2:3]
    return full


def altitude_of(full):
    """(z, vz, mean motor speed) of builtin-simulator states (..., 17)."""
    full = np.asarray(full, float)
    return np.stack([full[..., 2], full[..., 5], full[..., M].mean(axis=-1)], axis=-1)


def _altitude_step(params=CRAZYFLIE, dt=ALTITUDE_DT):
    def step(x, u):
        full = altitude_full_state(x)
        motors = np.repeat(np.clip(np.atleast_2d(u)[:, :1], 0.0, 1.0), 4, axis=1)
        return altitude_of(Q.step(params, full, motors, dt))
    return step


def attitude_full_state(x):
    x = np.atleast_2d(x)
    full = np.zeros((len(x), Q.STATE_SIZE))
    vec = x[:, 0:3]
    w = np.sqrt(np.clip(1.0 - np.sum(vec * vec, axis=1), 0.0, 1.0))
    full[:, 6], full[:, 7:10] = w, vec
    full[:, W], full[:, M] = x[:, 3:6], x[:, 6:10]
    return full


def attitude_of(full):
    full = np.asarray(full, float)
    q = full[..., QUAT] * np.where(full[..., 6:7] < 0, -1.0, 1.0)   # the hemisphere with w >= 0
    return np.concatenate([q[..., 1:4], full[..., W], full[..., M]], axis=-1)


def _attitude_step(params=CRAZYFLIE, dt=ATTITUDE_DT):
    def step(x, u):
        return attitude_of(Q.step(params, attitude_full_state(x), np.clip(np.atleast_2d(u), 0.0, 1.0), dt))
    return step


def plant(loop):
    hover = float(CRAZYFLIE.hover_motor)
    if loop == "altitude":
        return DynamicsPlant(
            name="quadrotor-altitude",
            description=f"builtin quadrotor ({CRAZYFLIE.name}), altitude loop: equal motor commands, level",
            state_names=("z", "vz", "motor"), input_names=("motor_command",), dt=ALTITUDE_DT,
            state_low=(-1.0, -3.0, 0.0), state_high=(3.0, 3.0, 1.0), input_low=(0.0,), input_high=(1.0,),
            simulator=_altitude_step, hidden=(16, 16), input_nominal=(hover,),
            mpc={"horizon": 15, "control_horizon": 3, "q": [200.0, 5.0, 0.0], "r": [2.0], "barrier": 1e-3,
                 "disturbance": 0.3})
    if loop == "attitude":
        names = ("qx", "qy", "qz", "wx", "wy", "wz", "m1", "m2", "m3", "m4")
        return DynamicsPlant(
            name="quadrotor-attitude",
            description=f"builtin quadrotor ({CRAZYFLIE.name}), attitude loop: quaternion vector part, body rates, "
                        "motors; four motor commands",
            state_names=names, input_names=("u1", "u2", "u3", "u4"), dt=ATTITUDE_DT,
            state_low=(-0.4, -0.4, -0.4, -6.0, -6.0, -3.0, 0.2, 0.2, 0.2, 0.2),
            state_high=(0.4, 0.4, 0.4, 6.0, 6.0, 3.0, 1.0, 1.0, 1.0, 1.0),
            input_low=(0.0,) * 4, input_high=(1.0,) * 4, simulator=_attitude_step, hidden=(32, 32),
            input_nominal=(hover,) * 4, rollout_steps=20, rollout_spread=0.03,   # open loop, it tumbles
            mpc={"horizon": 10, "control_horizon": 2, "q": [400.0, 400.0, 100.0, 1.0, 1.0, 0.5, 0, 0, 0, 0],
                 "r": [0.5] * 4, "barrier": 1e-3, "disturbance": 0.3})
    raise ValueError(f"unknown quadrotor loop '{loop}'")
