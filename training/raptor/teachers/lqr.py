"""The expert teacher: an LQR controller per vehicle, designed on that vehicle's true parameters.

Design (once per vehicle, batched): the builtin plant linearised at hover, with the motors in the state, so the
gains know each vehicle's motor delays, the exact mixer (rotor positions, yaw directions, torque constant) and
thrust-curve slope in the input matrix, and the integral of the position error as three more states:
    state (19)  position, velocity (heading frame), roll, pitch, yaw (Z-Y-X), body rates, motor speeds,
                position-error integral
    input (4)   motor commands
    p' = v,  v' = g (theta, -phi, 0) + f'/m (0, 0, sum dm) - D/m v,  (phi, theta, psi)' = omega,
    omega' = J^-1 M^T f' dm,  dm' = (u - m) / tau  (tau: the mean of rising and falling),  i' = p
discretised with a zero-order hold at the control period and solved as a discrete LQR.

Acting (every step, nonlinear where it matters):
  - position and velocity errors clipped as the student's observation clips them, then rotated into the heading
    frame (yaw-free), so the linear design holds at any yaw;
  - the equilibrium includes the episode's disturbance force, which the teacher knows: the thrust vector
    m g e_z - F_d sets the equilibrium tilt and, through the exact inverted thrust curve, the equilibrium motor
    speed. The student has to infer that force (and the vehicle) from context: this is what makes it adapt;
  - optionally (LqrWeights.integral > 0; off by default) the integral of the position error: the teacher needs
    none (it knows the equilibrium), but a student flying with an offset then gets labels that grow with the
    offset's integral, a function of the flight so far it has seen, and so learns integral action. In our runs
    it lowered the student's steady-state error but slowed its recoveries; the default reaches a lower error
    by training longer instead (docs/training-raptor.md);
  - u = m_eq - K (x - x_eq), then a desaturating mixer: attitude before collective, roll and pitch before yaw.
"""
from dataclasses import asdict, dataclass

import torch

from tinyctl.controllers import RAPTOR
from tinyctl.training.raptor.observation import motors_to_action, rotation_rows
from tinyctl.training.raptor.teachers.base import Teacher
from tinyctl.training.raptor.teachers.riccati import lqr_gains, zero_order_hold

N_STATE = 19


@dataclass(frozen=True)
class LqrWeights:
    """Characteristic sizes of the LQR cost (Bryson's rule): each error costs (error / size)^2."""
    position: float = 0.4           # m
    velocity: float = 0.5           # m/s
    tilt: float = 0.4               # rad
    yaw: float = 1.0                # rad
    body_rates: float = 3.0         # rad/s
    yaw_rate: float = 3.0           # rad/s
    integral: float = 0.0           # m s (0: no integral state)
    motor_command: float = 0.15     # normalised speed, away from the equilibrium
    position_clip: float = 0.5      # m per axis, as the observation clips (0: no clip)
    velocity_clip: float = 1.0      # m/s per axis
    yaw_clip: float = 1.0           # rad: larger yaw errors ask for no more yaw torque than this
    integral_clip: float = 0.2      # m s per axis (anti-windup)

    def to_dict(self):
        return asdict(self)


def linear_model(vehicles):
    """Continuous (A [B, 19, 19], B [B, 19, 4]) of the plant at hover (see the module docstring)."""
    v = vehicles.to(torch.float64)
    n, dt = len(v), torch.float64
    m_h = v.hover_motor
    slope = v.thrust_curve[:, 1] + 2.0 * v.thrust_curve[:, 2] * m_h          # df/dm at hover [B]
    tau = 0.5 * (v.motor_tau_rise + v.motor_tau_fall)
    a = torch.zeros(n, N_STATE, N_STATE, dtype=dt)
    b = torch.zeros(n, N_STATE, 4, dtype=dt)
    idx = torch.arange(3)
    a[:, idx, idx + 3] = 1.0                                                # p' = v
    a[:, 3, 7] = v.gravity                                                  # vx' = g theta
    a[:, 4, 6] = -v.gravity                                                 # vy' = -g phi
    a[:, 5, 12:16] = (slope / v.mass)[:, None]                              # vz' = f'/m sum dm
    a[:, idx + 3, idx + 3] = -v.drag / v.mass[:, None]
    a[:, idx + 6, idx + 9] = 1.0                                            # euler' = omega
    torque = v.mixer() * slope[:, None, None]                               # [B, 4, 3]
    a[:, 9:12, 12:16] = torque.transpose(1, 2) / v.inertia[:, :, None]      # omega' = J^-1 M^T f' dm
    a[:, 12:16, 12:16] = -torch.eye(4, dtype=dt) / tau[:, None, None]
    a[:, idx + 16, idx] = 1.0                                               # i' = p
    b[:, 12:16, :] = torch.eye(4, dtype=dt) / tau[:, None, None]
    return a, b


def cost_matrices(n, weights):
    w = weights
    sizes = [w.position] * 3 + [w.velocity] * 3 + [w.tilt, w.tilt, w.yaw] + [w.body_rates] * 2 + [w.yaw_rate]
    q = torch.zeros(n, N_STATE, N_STATE, dtype=torch.float64)
    q[:, range(12), range(12)] = torch.tensor([1.0 / s ** 2 for s in sizes], dtype=torch.float64)
    if w.integral:
        q[:, range(16, 19), range(16, 19)] = 1.0 / w.integral ** 2
    r = torch.eye(4, dtype=torch.float64).expand(n, 4, 4) / w.motor_command ** 2
    return q, r.clone()


def design_problem(vehicles, dt, weights):
    """The discrete LQR problem (A, B, Q, R) of each vehicle at control period dt: 19 states with the integral,
    16 without (an integral state with no cost would be an undetectable integrator)."""
    a, b = linear_model(vehicles)
    ad, bd = zero_order_hold(a, b, dt)
    q, r = cost_matrices(len(vehicles), weights)
    n = N_STATE if weights.integral else 16
    return ad[:, :n, :n], bd[:, :n], q[:, :n, :n], r


def design(vehicles, dt, weights):
    """[B, 4, 19] discrete LQR gains of each vehicle at control period dt ([B, 4, 16] without the integral)."""
    return lqr_gains(*design_problem(vehicles, dt, weights))


def _wrap(angle):
    return torch.remainder(angle + torch.pi, 2 * torch.pi) - torch.pi


def desaturate(u, yaw_pattern):
    """Motor commands into [0, 1] keeping what matters most: the spread between motors (attitude) before their
    mean (collective thrust), and within the spread roll and pitch before yaw (yaw_pattern: the +-1 yaw
    directions). Commands already inside [0, 1] are returned unchanged."""
    c = u.mean(dim=1, keepdim=True)
    d = u - c
    d_yaw = (d * yaw_pattern).mean(dim=1, keepdim=True) * yaw_pattern
    d_rp = d - d_yaw
    def span(x):
        return x.amax(dim=1, keepdim=True) - x.amin(dim=1, keepdim=True)
    s_rp, s_all = span(d_rp), span(d)
    # span is convex in the yaw share, so interpolating to a span of 1 is safe
    alpha = torch.where(s_all > 1.0, torch.clamp((1.0 - s_rp) / (s_all - s_rp).clamp(min=1e-12), 0.0, 1.0),
                        torch.ones_like(s_all))
    d_rp = d_rp / torch.clamp(s_rp, min=1.0)
    d = d_rp + alpha * d_yaw
    c = torch.minimum(torch.maximum(c, -d.amin(dim=1, keepdim=True)), 1.0 - d.amax(dim=1, keepdim=True))
    inside = ((u >= 0.0) & (u <= 1.0)).all(dim=1, keepdim=True)
    return torch.where(inside, u, torch.clamp(c + d, 0.0, 1.0))


class LqrTeacher(Teacher):
    name = "lqr"

    def __init__(self, vehicles, disturbance, dt=RAPTOR.training_period_us * 1e-6, weights=LqrWeights(),
                 gains=None, spec=RAPTOR):
        super().__init__(vehicles, disturbance)
        self.dt, self.weights, self.spec = dt, weights, spec
        self.gains = design(vehicles, dt, weights) if gains is None else gains
        self._dtype = vehicles.mass.dtype
        self.reset()

    def reset(self):
        self.integral = torch.zeros(len(self.vehicles), 3, dtype=self._dtype)

    def select(self, index):
        return LqrTeacher(self.vehicles[index], self.disturbance[index], self.dt, self.weights,
                          self.gains[index], self.spec)

    def equilibrium(self, yaw):
        """Per vehicle, for the current yaw: (roll, pitch, motor speed) that hold still against the disturbance."""
        v = self.vehicles
        c, s = torch.cos(yaw), torch.sin(yaw)
        d = self.disturbance
        tx, ty = -(c * d[:, 0] + s * d[:, 1]), -(-s * d[:, 0] + c * d[:, 1])   # heading frame, -F_d
        tz = v.weight - d[:, 2]
        norm = torch.sqrt(tx * tx + ty * ty + tz * tz)
        roll = torch.asin(torch.clamp(-ty / norm, -1.0, 1.0))
        pitch = torch.atan2(tx, tz)
        motor = torch.clamp(v.motor_for_thrust((norm / 4.0)[:, None])[:, 0], 0.0, 1.0)
        return roll, pitch, motor

    def motors(self, x, target_position, target_velocity):
        """Motor commands [B, 4] in [0, 1] for this step (advances the integral by one control period)."""
        w, dtype = self.weights, self._dtype
        x = x.to(dtype)
        r = rotation_rows(x[:, 6:10])
        yaw = torch.atan2(r[:, 3], r[:, 0])
        pitch = torch.asin(torch.clamp(-r[:, 6], -1.0, 1.0))
        roll = torch.atan2(r[:, 7], r[:, 8])
        ep = x[:, 0:3] - target_position.to(dtype)
        ev = x[:, 3:6] - target_velocity.to(dtype)
        if w.position_clip:
            ep = torch.clamp(ep, -w.position_clip, w.position_clip)
        if w.velocity_clip:
            ev = torch.clamp(ev, -w.velocity_clip, w.velocity_clip)
        c, s = torch.cos(yaw), torch.sin(yaw)
        def heading(e):
            return torch.stack([c * e[:, 0] + s * e[:, 1], -s * e[:, 0] + c * e[:, 1], e[:, 2]], dim=1)
        roll_eq, pitch_eq, m_eq = self.equilibrium(yaw)
        yaw_err = _wrap(yaw)
        if w.yaw_clip:
            yaw_err = torch.clamp(yaw_err, -w.yaw_clip, w.yaw_clip)
        parts = [heading(ep), heading(ev), (roll - roll_eq)[:, None], (pitch - pitch_eq)[:, None], yaw_err[:, None],
                 x[:, 10:13], x[:, 13:17] - m_eq[:, None]]
        if w.integral:
            self.integral = torch.clamp(self.integral + ep * self.dt, -w.integral_clip, w.integral_clip)
            parts.append(heading(self.integral))
        u = m_eq[:, None] - torch.einsum("bij,bj->bi", self.gains.to(dtype), torch.cat(parts, dim=1))
        return desaturate(u, self.vehicles.rotor_yaw_directions.to(dtype))

    def act(self, x, target_position, target_velocity, previous_action):
        return motors_to_action(self.motors(x, target_position, target_velocity), self.spec).to(torch.float32)
