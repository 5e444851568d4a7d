"""RAPTOR's distribution of quadrotors, initial states and episode ends, on the builtin plant's parameter schema.

Vehicles are sampled the way the RAPTOR authors' simulator (L2F, `sample_initial_parameters`) does, starting
from the nominal Crazyflie (tinyctl.plants.CRAZYFLIE, the same identified set L2F ships):
  1. thrust-to-weight uniform in [1.5, 5];
  2. mass uniform in size: the cube root of the mass uniform between those of 0.02 and 5 kg;
  3. the thrust curve scaled so the vehicle reaches that thrust-to-weight at that mass;
  4. torque-to-inertia (the roll acceleration two rotors at full thrust give, sqrt(2) |x_1| f_max / Jxx)
     uniform in [40, 1200] rad/s^2;
  5. arm length scaled with the cube root of the mass, times a size factor within +-10 % (reciprocal-symmetric);
  6. inertia scaled (all axes alike, so the nominal's shape and triangle inequality hold) to meet step 4;
  7. motor time constants uniform in [0.03, 0.10] s rising and [0.03, 0.30] s falling; the rotors' yaw torque
     per newton of thrust uniform in [0.005, 0.05] m;
  8. a constant disturbance force per episode, Gaussian per axis with a standard deviation uniform in
     [0, 0.3 (T/W - 1) m g / 3]: up to 0.3 of the spare thrust at three sigma.
One addition: L2F has no drag but the builtin plant (and its Crazyflie) has rotor drag, so each vehicle gets the
Crazyflie's drag per unit mass times a factor uniform in [0, 2].

Initial states cover the core's recovery scenario (position +-0.5 m, velocity +-0.5 m/s, tilt <= 30 deg,
yaw +-90 deg, rates +-1 rad/s) with margin; a fraction of episodes starts at rest on the target, as L2F's
"guidance" episodes do. Training flies relative to the target with no ground; an episode ends when the vehicle
is hopelessly far (position error, speed, rates beyond the limits below) or its state is not finite.
"""
from dataclasses import asdict, dataclass

import numpy as np
import torch

from tinyctl.errors import TinyctlError
from tinyctl.plants import CRAZYFLIE
from tinyctl.training.raptor.dynamics import VehicleBatch

SQRT2 = 1.4142135623730951


@dataclass(frozen=True)
class DomainRanges:
    thrust_to_weight: tuple = (1.5, 5.0)
    mass: tuple = (0.02, 5.0)                 # kg, sampled uniform in cube root
    size_deviation: float = 0.10              # arm length around the mass-scaled nominal
    torque_to_inertia: tuple = (40.0, 1200.0)  # rad/s^2
    motor_tau_rise: tuple = (0.03, 0.10)      # s
    motor_tau_fall: tuple = (0.03, 0.30)      # s
    torque_constant: tuple = (0.005, 0.05)    # m (yaw torque per newton of thrust)
    disturbance_force: float = 0.3            # 3 sigma of the constant force, as a fraction of the spare thrust
    drag_factor: tuple = (0.0, 2.0)           # times the nominal's drag per unit mass

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class InitialStates:
    position: float = 0.75          # m, uniform per axis around the target
    velocity: float = 1.0           # m/s, uniform per axis
    tilt_deg: float = 45.0          # uniform in [0, tilt] about a random horizontal axis
    yaw_deg: float = 180.0          # uniform in [-yaw, yaw]
    angular_velocity: float = 2.0   # rad/s, uniform per axis
    at_rest: float = 0.1            # fraction of episodes starting at rest on the target
    motor_noise: float = 0.05       # motors start at hover plus uniform noise within this (normalised speed)

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class Termination:
    position: float = 3.0           # m from the target
    velocity: float = 10.0          # m/s
    angular_velocity: float = 35.0  # rad/s

    def to_dict(self):
        return asdict(self)


DEFAULT_RANGES = DomainRanges()
DEFAULT_INITIAL = InitialStates()
DEFAULT_TERMINATION = Termination()
# Named distributions: RAPTOR's (the default), and Crazyflie-class vehicles (ranges around the nominal
# Crazyflie: thrust-to-weight 1.47, 30.6 g, torque-to-inertia 463 rad/s^2, motors 0.055 s / 0.25 s), which a
# small run (--quick) can learn in a minute.
DOMAINS = {
    "raptor": DEFAULT_RANGES,
    "crazyflie": DomainRanges(thrust_to_weight=(1.4, 2.0), mass=(0.025, 0.040), torque_to_inertia=(300.0, 650.0),
                              motor_tau_rise=(0.04, 0.07), motor_tau_fall=(0.15, 0.30),
                              torque_constant=(0.004, 0.008)),
}


def ranges(name):
    try:
        return DOMAINS[name]
    except KeyError:
        raise TinyctlError(f"unknown domain '{name}': choose one of {', '.join(DOMAINS)}") from None


def _uniform(gen, n, lo, hi, dtype):
    return lo + (hi - lo) * torch.rand(n, generator=gen, dtype=dtype)


def sample_vehicles(n, generator, ranges=DEFAULT_RANGES, nominal=CRAZYFLIE, dtype=torch.float64):
    """n vehicles (a VehicleBatch) from the RAPTOR distribution around `nominal` (steps 1-7 above)."""
    r = ranges
    base = VehicleBatch.from_params([nominal], dtype=dtype)
    u = lambda lo_hi: _uniform(generator, n, lo_hi[0], lo_hi[1], dtype)        # noqa: E731
    g = float(nominal.gravity)
    tw = u(r.thrust_to_weight)
    size = _uniform(generator, n, r.mass[0] ** (1 / 3), r.mass[1] ** (1 / 3), dtype)
    mass = torch.clamp(size ** 3, r.mass[0], r.mass[1])
    # thrust curve: the nominal's shape, scaled to reach tw * m g at full speed
    max_thrust_nominal = float(base.max_thrust[0])
    curve = base.thrust_curve * (tw * mass * g / max_thrust_nominal)[:, None]
    # size: arms with the cube root of the mass ratio, times a reciprocal-symmetric factor within +-size_deviation
    dev = _uniform(generator, n, -r.size_deviation, r.size_deviation, dtype)
    size_factor = torch.where(dev < 0, 1.0 / (1.0 - dev), 1.0 + dev)
    arm_factor = (mass / nominal.mass) ** (1 / 3) * size_factor
    positions = base.rotor_positions * arm_factor[:, None, None]
    # inertia: meet the sampled torque-to-inertia with the new arms and thrust (all axes scaled alike)
    tti = u(r.torque_to_inertia)
    max_rotor_thrust = tw * mass * g / 4.0
    max_torque = positions[:, 0, 0].abs() * SQRT2 * max_rotor_thrust
    inertia = base.inertia * (max_torque / (tti * float(base.inertia[0, 0])))[:, None]
    drag_per_mass = base.drag / nominal.mass
    drag = drag_per_mass * (mass * u(r.drag_factor))[:, None]
    ones = torch.ones(n, dtype=dtype)
    return VehicleBatch(
        mass=mass, inertia=inertia, rotor_positions=positions,
        rotor_yaw_directions=base.rotor_yaw_directions.expand(n, 4).clone(), thrust_curve=curve,
        torque_constant=u(r.torque_constant), motor_tau_rise=u(r.motor_tau_rise), motor_tau_fall=u(r.motor_tau_fall),
        drag=drag, gravity=ones * g, ground_height=ones * float(nominal.ground_height))


def torque_to_inertia(vehicles):
    """[B] sqrt(2) |x_1| f_max / Jxx: the roll acceleration of two rotors at full thrust (step 4's definition)."""
    f_max = vehicles.thrust_curve.sum(dim=1)
    return vehicles.rotor_positions[:, 0, 0].abs() * SQRT2 * f_max / vehicles.inertia[:, 0]


def sample_disturbances(vehicles, generator, ranges=DEFAULT_RANGES):
    """[B, 3] constant forces (world, N), one per episode (step 8)."""
    n, dtype = len(vehicles), vehicles.mass.dtype
    spare = torch.clamp(vehicles.thrust_to_weight - 1.0, min=0.0)
    sigma = torch.rand(n, generator=generator, dtype=dtype) * spare * ranges.disturbance_force \
        * vehicles.weight / 3.0
    return torch.randn(n, 3, generator=generator, dtype=dtype) * sigma[:, None]


def _axis_angle(axis, angle):
    """[B, 4] quaternions of rotations by angle [B] about unit axes [B, 3]."""
    return torch.cat([torch.cos(angle / 2)[:, None], torch.sin(angle / 2)[:, None] * axis], dim=1)


def quat_multiply(a, b):
    aw, ax, ay, az = a.unbind(1)
    bw, bx, by, bz = b.unbind(1)
    return torch.stack([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                        aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw], dim=1)


def sample_initial_states(vehicles, generator, init=DEFAULT_INITIAL):
    """[B, 17] initial states relative to a target at the origin (the core's state layout)."""
    n, dtype = len(vehicles), vehicles.mass.dtype
    def sym(scale, k=3):
        return (torch.rand(n, k, generator=generator, dtype=dtype) * 2.0 - 1.0) * scale
    heading = torch.rand(n, generator=generator, dtype=dtype) * 2 * np.pi
    tilt = torch.rand(n, generator=generator, dtype=dtype) * np.deg2rad(init.tilt_deg)
    yaw = (torch.rand(n, generator=generator, dtype=dtype) * 2.0 - 1.0) * np.deg2rad(init.yaw_deg)
    z = torch.zeros(n, dtype=dtype)
    q = quat_multiply(_axis_angle(torch.stack([z, z, z + 1], 1), yaw),
                      _axis_angle(torch.stack([torch.cos(heading), torch.sin(heading), z], 1), tilt))
    motors = torch.clamp(vehicles.hover_motor[:, None] + sym(init.motor_noise, 4), 0.0, 1.0)
    x = torch.cat([sym(init.position), sym(init.velocity), q, sym(init.angular_velocity), motors], dim=1)
    rest = torch.rand(n, generator=generator, dtype=dtype) < init.at_rest
    x[rest, 0:6] = 0.0
    x[rest, 6:10] = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=dtype)
    x[rest, 10:13] = 0.0
    x[rest, 13:17] = vehicles.hover_motor[rest, None]
    return x


def terminated(x, target_position, termination=DEFAULT_TERMINATION):
    """[B] bool: too far, too fast, spinning too fast, or not finite. x [B, 17]."""
    far = torch.linalg.vector_norm(x[:, 0:3] - target_position, dim=1) > termination.position
    fast = torch.linalg.vector_norm(x[:, 3:6], dim=1) > termination.velocity
    spin = torch.linalg.vector_norm(x[:, 10:13], dim=1) > termination.angular_velocity
    return far | fast | spin | ~torch.isfinite(x).all(dim=1)
