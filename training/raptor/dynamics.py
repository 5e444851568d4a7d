"""The builtin quadrotor of the shared core (tinyctl.plants.quadrotor), batched in torch: one vehicle per row.

Same state layout, same parameter schema, same equations and the same RK4 step as the NumPy definition (its module
docstring writes them out); a test holds the two to 1e-6 in float64 over 500 steps. What differs is only the
batching: every parameter is a tensor with a leading vehicle axis, so thousands of different quadrotors step at
once, and the per-vehicle constants the right-hand side needs (mixer, inverse mass and inertia) are prepared once
per step instead of once per derivative.

    vehicles = VehicleBatch.from_params([CRAZYFLIE, other, ...])      # or training.raptor.domain.sample_vehicles
    x = hover_states(vehicles)                                         # [B, 17]
    x = step(vehicles, x, u, 0.01, wind=None, force=None)              # u [B, 4] in [0, 1]
"""
from dataclasses import dataclass, fields

import numpy as np
import torch

from tinyctl.plants.quadrotor import STATE_SIZE, QuadrotorParams


@dataclass
class VehicleBatch:
    """QuadrotorParams for B vehicles, field for field, as tensors with a leading batch axis."""
    mass: torch.Tensor                  # [B] kg
    inertia: torch.Tensor               # [B, 3] kg m^2
    rotor_positions: torch.Tensor       # [B, 4, 3] m, M1..M4
    rotor_yaw_directions: torch.Tensor  # [B, 4]
    thrust_curve: torch.Tensor          # [B, 3] (c0, c1, c2), N
    torque_constant: torch.Tensor       # [B] m
    motor_tau_rise: torch.Tensor        # [B] s
    motor_tau_fall: torch.Tensor        # [B] s
    drag: torch.Tensor                  # [B, 3] N/(m/s), body axes
    gravity: torch.Tensor               # [B] m/s^2
    ground_height: torch.Tensor         # [B] m

    @classmethod
    def from_params(cls, params, dtype=torch.float64):
        """Stack QuadrotorParams (a list) into one batch."""
        def col(name):
            return torch.as_tensor(np.array([np.asarray(getattr(p, name), dtype=float) for p in params]), dtype=dtype)
        return cls(**{f.name: col(f.name) for f in fields(cls)})

    def to_params(self, i, name=None):
        """Vehicle i as the core's QuadrotorParams (for the NumPy plant, the HIL harness's builtin simulator)."""
        g = {f.name: getattr(self, f.name)[i].detach().cpu().double().numpy() for f in fields(self)}
        return QuadrotorParams(
            name=name or f"vehicle-{i}", mass=float(g["mass"]), inertia=tuple(map(float, g["inertia"])),
            rotor_positions=tuple(tuple(map(float, r)) for r in g["rotor_positions"]),
            rotor_yaw_directions=tuple(map(float, g["rotor_yaw_directions"])),
            thrust_curve=tuple(map(float, g["thrust_curve"])), torque_constant=float(g["torque_constant"]),
            motor_tau_rise=float(g["motor_tau_rise"]), motor_tau_fall=float(g["motor_tau_fall"]),
            drag=tuple(map(float, g["drag"])), gravity=float(g["gravity"]), ground_height=float(g["ground_height"]))

    def __len__(self):
        return self.mass.shape[0]

    def map(self, fn):
        return VehicleBatch(**{f.name: fn(getattr(self, f.name)) for f in fields(self)})

    def to(self, dtype):
        return self.map(lambda t: t.to(dtype))

    def __getitem__(self, index):
        """A sub-batch (index: slice, index tensor or boolean mask)."""
        return self.map(lambda t: t[index])

    @staticmethod
    def cat(batches):
        return VehicleBatch(**{f.name: torch.cat([getattr(b, f.name) for b in batches]) for f in fields(VehicleBatch)})

    def state_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_state_dict(cls, d):
        return cls(**{f.name: d[f.name] for f in fields(cls)})

    # derived quantities, as QuadrotorParams defines them ---------------------------------------------------
    def thrust(self, m):
        """Thrust per rotor (N) at normalised rotor speeds m [B, k]."""
        c = self.thrust_curve
        return c[:, :1] + c[:, 1:2] * m + c[:, 2:3] * m * m

    @property
    def max_thrust(self):
        return 4.0 * self.thrust_curve.sum(dim=1)

    @property
    def weight(self):
        return self.mass * self.gravity

    @property
    def thrust_to_weight(self):
        return self.max_thrust / self.weight

    def motor_for_thrust(self, f):
        """The normalised rotor speed giving per-rotor thrust f [B, k] (the thrust curve inverted; can leave [0, 1])."""
        c0, c1, c2 = (self.thrust_curve[:, i:i + 1] for i in range(3))
        disc = torch.clamp(c1 * c1 - 4.0 * c2 * (c0 - f), min=0.0)
        return (-c1 + torch.sqrt(disc)) / (2.0 * c2)

    @property
    def hover_motor(self):
        """[B] the normalised rotor speed at which four rotors carry the weight."""
        return self.motor_for_thrust((self.weight / 4.0)[:, None])[:, 0]

    def mixer(self):
        """[B, 4, 3]: body torque = thrusts [B, 4] @ mixer; row i is (y_i, -x_i, s_i k) of rotor i."""
        r = self.rotor_positions
        return torch.stack([r[..., 1], -r[..., 0], self.rotor_yaw_directions * self.torque_constant[:, None]], dim=-1)


class Plant:
    """The right-hand side and RK4 step for a fixed batch of vehicles, on states stored component-major.

    States here are [17, B] (one contiguous row per component) and commands [4, B]: written out component by
    component exactly like the core's _derivative, each operation runs on a contiguous vector of B vehicles, which
    is 3-5x faster in eager torch than the same equations on [B, 3, 3] rotation matrices. The vehicles' constants
    are laid out once, when the plant is made, since they do not change during a rollout.
    """

    def __init__(self, vehicles):
        v = vehicles
        self.vehicles = v
        col = lambda t: t.contiguous()                                     # noqa: E731
        self.c0, self.c1, self.c2 = (col(v.thrust_curve[:, i]) for i in range(3))
        mixer = v.mixer()
        self.mixer = [[col(mixer[:, i, j]) for j in range(3)] for i in range(4)]
        self.inv_mass = 1.0 / v.mass
        self.inertia = [col(v.inertia[:, i]) for i in range(3)]
        self.gravity = v.gravity
        self.tau_rise, self.tau_fall = v.motor_tau_rise, v.motor_tau_fall
        self.drag = [col(v.drag[:, i]) for i in range(3)]
        self.has_drag = bool(torch.any(v.drag != 0))

    def derivative(self, x, u, wind=None, force=None):
        """dx/dt as a list of 17 [B] tensors; x: 17 components, u: 4 (already clipped), wind, force: 3 or None."""
        _, _, _, vx, vy, vz, qw, qx, qy, qz, wx, wy, wz, m1, m2, m3, m4 = x
        f = [self.c0 + self.c1 * m + self.c2 * m * m for m in (m1, m2, m3, m4)]
        fz = f[0] + f[1] + f[2] + f[3]
        fx = fy = None
        if self.has_drag:
            # air velocity in the body frame: R^T (v - wind)
            ax, ay, az = (vx, vy, vz) if wind is None else (vx - wind[0], vy - wind[1], vz - wind[2])
            bx = (1 - 2 * (qy * qy + qz * qz)) * ax + 2 * (qx * qy + qw * qz) * ay + 2 * (qx * qz - qw * qy) * az
            by = 2 * (qx * qy - qw * qz) * ax + (1 - 2 * (qx * qx + qz * qz)) * ay + 2 * (qy * qz + qw * qx) * az
            bz = 2 * (qx * qz + qw * qy) * ax + 2 * (qy * qz - qw * qx) * ay + (1 - 2 * (qx * qx + qy * qy)) * az
            fx, fy, fz = -self.drag[0] * bx, -self.drag[1] * by, fz - self.drag[2] * bz
        # torque: sum_i f_i (y_i, -x_i, s_i k)
        mx = self.mixer
        tx, ty, tz = (mx[0][j] * f[0] + mx[1][j] * f[1] + mx[2][j] * f[2] + mx[3][j] * f[3] for j in range(3))
        # linear acceleration: R F_b / mass + force / mass - g e_z
        im = self.inv_mass
        r02, r12, r22 = 2 * (qx * qz + qw * qy), 2 * (qy * qz - qw * qx), 1 - 2 * (qx * qx + qy * qy)
        dvx, dvy, dvz = r02 * fz, r12 * fz, r22 * fz
        if fx is not None:
            dvx = dvx + (1 - 2 * (qy * qy + qz * qz)) * fx + 2 * (qx * qy - qw * qz) * fy
            dvy = dvy + 2 * (qx * qy + qw * qz) * fx + (1 - 2 * (qx * qx + qz * qz)) * fy
            dvz = dvz + 2 * (qx * qz - qw * qy) * fx + 2 * (qy * qz + qw * qx) * fy
        if force is not None:
            dvx, dvy, dvz = dvx + force[0], dvy + force[1], dvz + force[2]
        dvx, dvy, dvz = dvx * im, dvy * im, dvz * im - self.gravity
        # q' = 1/2 q (x) (0, omega)
        dqw = -0.5 * (qx * wx + qy * wy + qz * wz)
        dqx = 0.5 * (qw * wx + qy * wz - qz * wy)
        dqy = 0.5 * (qw * wy - qx * wz + qz * wx)
        dqz = 0.5 * (qw * wz + qx * wy - qy * wx)
        # omega' = J^-1 (tau - omega x J omega)
        jx, jy, jz = self.inertia
        dwx = (tx - (wy * jz * wz - wz * jy * wy)) / jx
        dwy = (ty - (wz * jx * wx - wx * jz * wz)) / jy
        dwz = (tz - (wx * jy * wy - wy * jx * wx)) / jz
        dm = [(ui - mi) / torch.where(ui >= mi, self.tau_rise, self.tau_fall) for ui, mi in zip(u, (m1, m2, m3, m4))]
        return [vx, vy, vz, dvx, dvy, dvz, dqw, dqx, dqy, dqz, dwx, dwy, dwz] + dm

    def step(self, x, u, dt, wind=None, force=None):
        """One RK4 step: x [17, B], u [4, B] (clipped to [0, 1] here), wind and force [3, B] or None -> [17, B]."""
        x0 = list(x.unbind(0))
        u = list(torch.clamp(u, 0.0, 1.0).unbind(0))
        wind = None if wind is None else list(wind.unbind(0))
        force = None if force is None else list(force.unbind(0))
        h = 0.5 * dt
        k1 = self.derivative(x0, u, wind, force)
        k2 = self.derivative([a + h * k for a, k in zip(x0, k1)], u, wind, force)
        k3 = self.derivative([a + h * k for a, k in zip(x0, k2)], u, wind, force)
        k4 = self.derivative([a + dt * k for a, k in zip(x0, k3)], u, wind, force)
        s = dt / 6.0
        n = [a + s * (b + 2.0 * c + 2.0 * d + e) for a, b, c, d, e in zip(x0, k1, k2, k3, k4)]
        norm = torch.sqrt(n[6] * n[6] + n[7] * n[7] + n[8] * n[8] + n[9] * n[9])
        n[6:10] = [c / norm for c in n[6:10]]
        n[13:17] = [torch.clamp(c, 0.0, 1.0) for c in n[13:17]]
        return torch.stack(n)


def _columns(t):
    return None if t is None else t.T.contiguous()


def rhs(vehicles, x, u, wind=None, force=None):
    """dx/dt [B, 17] for states x [B, 17], motor commands u [B, 4] (clipped to [0, 1]), wind and force [B, 3]."""
    plant = Plant(vehicles)
    d = plant.derivative(list(_columns(x)), list(_columns(torch.clamp(u, 0.0, 1.0))),
                         None if wind is None else list(_columns(wind)), None if force is None else list(_columns(force)))
    return torch.stack(d, dim=1)


def step(vehicles, x, u, dt, wind=None, force=None):
    """One RK4 step of length dt with inputs held [B, 17] -> [B, 17]; renormalises q and clips motors to [0, 1]."""
    return Plant(vehicles).step(_columns(x), _columns(u), dt, _columns(wind), _columns(force)).T


def crashed(vehicles, x):
    """[B] bool: below the ground height, or a state that is no longer finite (as tinyctl.plants.crashed)."""
    return (x[:, 2] < vehicles.ground_height) | ~torch.isfinite(x).all(dim=1)


def make_states(position, velocity, quaternion, angular_velocity, motors):
    """[B, 17] from parts ([B, 3], [B, 3], [B, 4] normalised here, [B, 3], [B, 4])."""
    q = quaternion / torch.linalg.vector_norm(quaternion, dim=1, keepdim=True)
    return torch.cat([position, velocity, q, angular_velocity, motors], dim=1)


def hover_states(vehicles, position=None):
    """At rest at `position` [B, 3] (default the origin), level, motors at each vehicle's hover speed."""
    b, dt = len(vehicles), vehicles.mass.dtype
    x = torch.zeros(b, STATE_SIZE, dtype=dt)
    if position is not None:
        x[:, :3] = position
    x[:, 6] = 1.0
    x[:, 13:17] = vehicles.hover_motor[:, None]
    return x
