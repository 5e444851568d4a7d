"""The builtin quadrotor: rigid body with a unit quaternion, per-rotor quadratic thrust curve, first-order motors with
separate rise and fall time constants, optional linear drag, RK4. Pure NumPy, broadcasting over leading batch axes.

This module is the definition training re-implements batched in torch (a test holds the two to 1e-6 over 500 steps),
so every equation is written out here once, in the project's conventions (tinyctl.conventions):

State x, 17 floats (STATE_LAYOUT):
    p      [0:3]    position, world FLU (z up), m
    v      [3:6]    linear velocity, world, m/s
    q      [6:10]   attitude, unit quaternion (w, x, y, z) rotating body to world
    omega  [10:13]  angular velocity, body FLU, rad/s
    m      [13:17]  motor states, normalised rotor speed in [0, 1], order M1..M4 (FR, BR, BL, FL)
Inputs, held constant over one step:
    u      (4,)     motor commands in [0, 1] (clipped), order M1..M4
    wind   (3,)     air velocity, world, m/s (acts only through drag)
    force  (3,)     external force on the centre of mass, world, N (pokes, disturbances)

Right-hand side (rhs):
    f_i    = c0 + c1 m_i + c2 m_i^2                          thrust of rotor i along body z, N
    F_b    = (0, 0, sum_i f_i) - D R^T (v - wind)             body-frame force; D = diag(drag), N/(m/s)
    tau_b  = sum_i r_i x (0, 0, f_i) + (0, 0, sum_i s_i k f_i)   s_i = yaw direction, k = torque constant (m)
    p'     = v
    v'     = (R F_b + force) / mass - (0, 0, g)
    q'     = 1/2 q (x) (0, omega)                             Hamilton product, scalar first
    omega' = J^-1 (tau_b - omega x J omega)                   J = diag(inertia)
    m_i'   = (u_i - m_i) / T_i,  T_i = tau_rise if u_i >= m_i else tau_fall
step: one classic RK4 step of length dt (inputs held), then q <- q / |q| and m <- clip(m, 0, 1).
A vehicle whose centre goes below the ground height has crashed (`crashed`); the step itself does not
model contact forces: ground contact ends the flight.
"""
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

import numpy as np

STATE_SIZE = 17
STATE_LAYOUT = {"position": slice(0, 3), "velocity": slice(3, 6), "quaternion": slice(6, 10),
                "angular_velocity": slice(10, 13), "motors": slice(13, 17)}


@dataclass(frozen=True)
class QuadrotorParams:
    """Physical parameters of a quadrotor in the project's conventions; every field is SI.

    Rotors are listed in the order M1..M4 (front-right, back-right, back-left, front-left).
    """
    name: str
    mass: float                              # kg
    inertia: tuple                           # (Jxx, Jyy, Jzz), kg m^2, principal axes = body axes
    rotor_positions: tuple                   # 4 x (x, y, z) in the body frame, m
    rotor_yaw_directions: tuple              # 4 x +-1: sign of the rotor's reaction torque about body z
    thrust_curve: tuple                      # (c0, c1, c2): thrust per rotor f = c0 + c1 m + c2 m^2, N, m in [0, 1]
    torque_constant: float                   # yaw reaction torque per newton of thrust, m
    motor_tau_rise: float                    # s, time constant while the motor speeds up
    motor_tau_fall: float                    # s, time constant while it slows down
    drag: tuple = (0.0, 0.0, 0.0)            # linear drag along body x, y, z, N/(m/s); zeros = no drag
    gravity: float = 9.81                    # m/s^2
    ground_height: float = 0.0               # m; below it the vehicle has crashed
    sources: dict = field(default_factory=dict, compare=False)  # field -> citation

    def __post_init__(self):
        if self.mass <= 0 or min(self.inertia) <= 0:
            raise ValueError(f"{self.name}: mass and inertia must be positive")
        jx, jy, jz = self.inertia
        if jx + jy < jz or jy + jz < jx or jz + jx < jy:
            raise ValueError(f"{self.name}: inertia {self.inertia} violates the triangle inequality of a rigid body")
        if np.shape(self.rotor_positions) != (4, 3) or len(self.rotor_yaw_directions) != 4:
            raise ValueError(f"{self.name}: four rotors expected (positions 4x3, yaw directions 4)")
        if self.motor_tau_rise <= 0 or self.motor_tau_fall <= 0:
            raise ValueError(f"{self.name}: motor time constants must be positive")

    # derived quantities ------------------------------------------------------------------------------
    def thrust(self, m):
        """Thrust per rotor (N) at normalised rotor speed m (array)."""
        c0, c1, c2 = self.thrust_curve
        m = np.asarray(m, dtype=float)
        return c0 + c1 * m + c2 * m * m

    @property
    def max_thrust(self):
        return 4.0 * float(self.thrust(1.0))

    @property
    def thrust_to_weight(self):
        return self.max_thrust / (self.mass * self.gravity)

    @property
    def hover_motor(self):
        """The normalised rotor speed at which four rotors carry the weight (nan when they cannot)."""
        c0, c1, c2 = self.thrust_curve
        c = c0 - self.mass * self.gravity / 4.0
        disc = c1 * c1 - 4.0 * c2 * c
        if c2 == 0:
            return -c / c1
        return (-c1 + np.sqrt(disc)) / (2.0 * c2) if disc >= 0 else float("nan")

    def with_mass_scale(self, factor):
        """The same vehicle carrying `factor` times its mass (inertia scaled alike: a payload spread like the frame)."""
        return replace(self, name=f"{self.name} x{factor:g} mass", mass=self.mass * factor,
                       inertia=tuple(j * factor for j in self.inertia))

    def to_dict(self):
        d = asdict(self)
        d["rotor_positions"] = [list(r) for r in self.rotor_positions]
        return d


# dynamics --------------------------------------------------------------------------------------------------
# The equations are written once, on components, with arithmetic only: the same code runs on Python floats (one
# vehicle: about 20x faster than NumPy on 3-vectors, which matters at thousands of closed-loop steps per second)
# and on NumPy arrays of any shape (a batch of vehicles).

def _select(cond, a, b):
    return (a if cond else b) if isinstance(cond, bool) else np.where(cond, a, b)


def _clip01(a):
    return min(max(a, 0.0), 1.0) if isinstance(a, float) else np.clip(a, 0.0, 1.0)


def _derivative(P, x, u, wind, force):
    """dx/dt as a list of 17 components; x, u, wind, force are sequences of components (floats or arrays)."""
    _, _, _, vx, vy, vz, qw, qx, qy, qz, wx, wy, wz, m1, m2, m3, m4 = x
    c0, c1, c2 = P.thrust_curve
    f = [c0 + c1 * m + c2 * m * m for m in (m1, m2, m3, m4)]
    fz = f[0] + f[1] + f[2] + f[3]
    fx = fy = 0.0
    if P.has_drag:
        # air velocity in the body frame: R^T (v - wind)
        ax, ay, az = vx - wind[0], vy - wind[1], vz - wind[2]
        bx = (1 - 2 * (qy * qy + qz * qz)) * ax + 2 * (qx * qy + qw * qz) * ay + 2 * (qx * qz - qw * qy) * az
        by = 2 * (qx * qy - qw * qz) * ax + (1 - 2 * (qx * qx + qz * qz)) * ay + 2 * (qy * qz + qw * qx) * az
        bz = 2 * (qx * qz + qw * qy) * ax + 2 * (qy * qz - qw * qx) * ay + (1 - 2 * (qx * qx + qy * qy)) * az
        fx, fy, fz = -P.drag[0] * bx, -P.drag[1] * by, fz - P.drag[2] * bz
    # torque: r_i x (0, 0, f_i) = (y_i f_i, -x_i f_i, 0), plus the rotors' reaction torque about z
    tx = ty = tz = 0.0
    for (rx, ry, _), s, fi in zip(P.rotor_positions, P.rotor_yaw_directions, f):
        tx = tx + ry * fi
        ty = ty - rx * fi
        tz = tz + s * P.torque_constant * fi
    # linear acceleration: R F_b / mass + force / mass - g e_z
    im = 1.0 / P.mass
    dvx = ((1 - 2 * (qy * qy + qz * qz)) * fx + 2 * (qx * qy - qw * qz) * fy + 2 * (qx * qz + qw * qy) * fz) * im
    dvy = (2 * (qx * qy + qw * qz) * fx + (1 - 2 * (qx * qx + qz * qz)) * fy + 2 * (qy * qz - qw * qx) * fz) * im
    dvz = (2 * (qx * qz - qw * qy) * fx + 2 * (qy * qz + qw * qx) * fy + (1 - 2 * (qx * qx + qy * qy)) * fz) * im
    dvx, dvy, dvz = dvx + force[0] * im, dvy + force[1] * im, dvz + force[2] * im - P.gravity
    # q' = 1/2 q (x) (0, omega)
    dqw = -0.5 * (qx * wx + qy * wy + qz * wz)
    dqx = 0.5 * (qw * wx + qy * wz - qz * wy)
    dqy = 0.5 * (qw * wy - qx * wz + qz * wx)
    dqz = 0.5 * (qw * wz + qx * wy - qy * wx)
    # omega' = J^-1 (tau - omega x J omega)
    jx, jy, jz = P.inertia
    dwx = (tx - (wy * jz * wz - wz * jy * wy)) / jx
    dwy = (ty - (wz * jx * wx - wx * jz * wz)) / jy
    dwz = (tz - (wx * jy * wy - wy * jx * wx)) / jz
    dm = [(ui - mi) / _select(ui >= mi, P.motor_tau_rise, P.motor_tau_fall) for ui, mi in zip(u, (m1, m2, m3, m4))]
    return [vx, vy, vz, dvx, dvy, dvz, dqw, dqx, dqy, dqz, dwx, dwy, dwz] + dm


_ZERO3 = (0.0, 0.0, 0.0)


def _inputs(u, wind, force, columns):
    """Motor commands clipped to [0, 1], and wind and force (zeros when None), as component sequences."""
    if columns:
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        return ([u[..., i] for i in range(4)],
                _ZERO3 if wind is None else [np.asarray(wind, dtype=float)[..., i] for i in range(3)],
                _ZERO3 if force is None else [np.asarray(force, dtype=float)[..., i] for i in range(3)])
    return ([_clip01(float(a)) for a in np.ravel(u)],
            _ZERO3 if wind is None else [float(a) for a in np.ravel(wind)],
            _ZERO3 if force is None else [float(a) for a in np.ravel(force)])


def rhs(params, x, u, wind=None, force=None):
    """dx/dt for states x (..., 17), motor commands u (..., 4) in [0, 1], wind and force (..., 3) in the world frame."""
    x = np.asarray(x, dtype=float)
    batch = x.ndim > 1
    u, wind, force = _inputs(u, wind, force, batch)
    comps = [x[..., i] for i in range(STATE_SIZE)] if batch else x.tolist()
    d = _derivative(_Derived.of(params), comps, u, wind, force)
    return np.stack(np.broadcast_arrays(*d), axis=-1) if batch else np.array(d)


def step(params, x, u, dt, wind=None, force=None):
    """One RK4 step of length dt with inputs held; renormalises q and clips motors to [0, 1]."""
    x = np.asarray(x, dtype=float)
    batch = x.ndim > 1
    P = _Derived.of(params)
    u, wind, force = _inputs(u, wind, force, batch)
    x0 = [x[..., i] for i in range(STATE_SIZE)] if batch else x.tolist()
    h = 0.5 * dt
    k1 = _derivative(P, x0, u, wind, force)
    k2 = _derivative(P, [a + h * k for a, k in zip(x0, k1)], u, wind, force)
    k3 = _derivative(P, [a + h * k for a, k in zip(x0, k2)], u, wind, force)
    k4 = _derivative(P, [a + dt * k for a, k in zip(x0, k3)], u, wind, force)
    s = dt / 6.0
    n = [a + s * (b + 2.0 * c + 2.0 * d + e) for a, b, c, d, e in zip(x0, k1, k2, k3, k4)]
    norm = (n[6] * n[6] + n[7] * n[7] + n[8] * n[8] + n[9] * n[9]) ** 0.5
    n[6:10] = [c / norm for c in n[6:10]]
    n[13:17] = [_clip01(c) for c in n[13:17]]
    return np.stack(np.broadcast_arrays(*n), axis=-1) if batch else np.array(n)


class _Derived:
    """The parameters as plain floats and tuples, cached per QuadrotorParams (they are frozen)."""
    def __init__(self, p):
        self.mass, self.gravity, self.torque_constant = float(p.mass), float(p.gravity), float(p.torque_constant)
        self.inertia = tuple(float(j) for j in p.inertia)
        self.thrust_curve = tuple(float(c) for c in p.thrust_curve)
        self.rotor_positions = tuple(tuple(float(c) for c in r) for r in p.rotor_positions)
        self.rotor_yaw_directions = tuple(float(s) for s in p.rotor_yaw_directions)
        self.motor_tau_rise, self.motor_tau_fall = float(p.motor_tau_rise), float(p.motor_tau_fall)
        self.drag = tuple(float(c) for c in p.drag)
        self.has_drag = any(self.drag)

    @staticmethod
    @lru_cache(maxsize=64)
    def of(params):
        return _Derived(params)


def crashed(params, x):
    """True where the vehicle touched the ground or its state is no longer finite."""
    x = np.asarray(x, dtype=float)
    return (x[..., 2] < params.ground_height) | ~np.all(np.isfinite(x), axis=-1)


def make_state(position=(0, 0, 0), velocity=(0, 0, 0), quaternion=(1, 0, 0, 0), angular_velocity=(0, 0, 0), motors=0.0):
    """A state vector from its parts (motors: one value for all four, or four)."""
    x = np.zeros(STATE_SIZE)
    x[0:3] = position
    x[3:6] = velocity
    q = np.asarray(quaternion, dtype=float)
    x[6:10] = q / np.linalg.norm(q)
    x[10:13] = angular_velocity
    x[13:17] = motors
    return x


def hover_state(params, position=(0, 0, 0)):
    """At rest at `position`, level, motors spinning at hover speed."""
    return make_state(position=position, motors=params.hover_motor)
