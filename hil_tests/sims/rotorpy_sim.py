"""RotorPy 3.x (extra `sims`) as a HIL plant: its Multirotor stepped one control period at a time with motor-speed
commands, its own Crazyflie parameters and its aerodynamics (rotor drag), so wind acts as RotorPy models it.

Conversions, done here and only here:
- rotor order: RotorPy numbers its rotors r1..r4 = front-left, front-right, rear-right, rear-left; ours are
  M1..M4 = front-right, back-right, back-left, front-left. So RotorPy rotor j is our motor ROTORPY_TO_OURS[j].
- quaternion: RotorPy stores (x, y, z, w); ours is (w, x, y, z).
- motor commands: ours are in [0, 1]; RotorPy takes rotor speeds in rad/s. We map linearly onto
  [rotor_speed_min, rotor_speed_max], as RotorPy's own RAPTOR wrapper does (thrust is k_eta w^2, so the thrust
  curve is quadratic in the command, like the builtin plant's).
- frames: RotorPy's world is ENU with z up and its body frame is FLU: the same as ours.
"""
import numpy as np

from tinyctl.hil_tests.sims.base import FlightState, SimUnavailable

ROTORPY_TO_OURS = (3, 0, 1, 2)      # RotorPy r1 (FL) is our M4, r2 (FR) M1, r3 (RR) M2, r4 (RL) M3
OURS_TO_ROTORPY = (1, 2, 3, 0)      # our M1 (FR) is RotorPy r2, M2 (BR) r3, M3 (BL) r4, M4 (FL) r1


def to_rotorpy_motors(values):
    """Per-motor values in our order M1..M4 -> RotorPy's rotor order r1..r4."""
    return np.asarray(values, dtype=float)[list(ROTORPY_TO_OURS)]


def from_rotorpy_motors(values):
    """Per-rotor values in RotorPy's order r1..r4 -> our order M1..M4."""
    return np.asarray(values, dtype=float)[list(OURS_TO_ROTORPY)]


def to_rotorpy_quaternion(q):
    w, x, y, z = q
    return np.array([x, y, z, w], dtype=float)


def from_rotorpy_quaternion(q):
    x, y, z, w = q
    return np.array([w, x, y, z], dtype=float)


def _import_rotorpy():
    try:
        from rotorpy.vehicles.crazyflie_params import quad_params
        from rotorpy.vehicles.multirotor import Multirotor
    except ImportError as e:
        raise SimUnavailable(f"the rotorpy simulator needs RotorPy 3.0.0 ({e}): pip install -e '.[sims]'") from None
    return Multirotor, quad_params


class RotorPySim:
    name = "rotorpy"

    def __init__(self, quad_params=None, aero=True, integrator=None):
        Multirotor, cf_params = _import_rotorpy()
        self._multirotor = Multirotor
        self.nominal = dict(quad_params or cf_params)
        self.aero = aero
        self.integrator = integrator          # None: RotorPy's default (scipy RK45)
        self.params = self.nominal
        self.vehicle = None
        self.state = None
        self.ground_height = 0.0

    @property
    def speed_range(self):
        return float(self.params["rotor_speed_min"]), float(self.params["rotor_speed_max"])

    def hover_rotor_speed(self, params):
        return float(np.sqrt(params["mass"] * 9.81 / (4 * params["k_eta"])))

    def reset(self, episode):
        scale = episode.scenario.mass_scale
        params = dict(self.nominal)
        if scale != 1.0:
            params.update(mass=params["mass"] * scale,
                          **{k: params[k] * scale for k in ("Ixx", "Iyy", "Izz", "Ixy", "Iyz", "Ixz")})
        self.params = params
        ic = episode.initial
        hover = self.hover_rotor_speed(self.nominal)
        self.state = {"x": np.array(ic.position, float), "v": np.array(ic.velocity, float),
                      "q": to_rotorpy_quaternion(ic.quaternion), "w": np.array(ic.angular_velocity, float),
                      "wind": np.zeros(3), "rotor_speeds": np.full(4, hover)}
        kwargs = {} if self.integrator is None else {"integrator_kwargs": self.integrator}
        self.vehicle = self._multirotor(params, initial_state=self.state, control_abstraction="cmd_motor_speeds",
                                        aero=self.aero, enable_ground=False, **kwargs)

    def observe(self):
        s = self.state
        lo, hi = self.speed_range
        return FlightState(np.array(s["x"], float), from_rotorpy_quaternion(s["q"]), np.array(s["v"], float),
                           np.array(s["w"], float), (from_rotorpy_motors(s["rotor_speeds"]) - lo) / (hi - lo))

    def step(self, motors, dt, wind=None):
        lo, hi = self.speed_range
        u = np.clip(np.asarray(motors, dtype=float), 0.0, 1.0)
        self.state["wind"] = np.zeros(3) if wind is None else np.asarray(wind, dtype=float)
        cmd = lo + to_rotorpy_motors(u) * (hi - lo)
        self.state = self.vehicle.step(self.state, {"cmd_motor_speeds": cmd}, dt)

    @property
    def crashed(self):
        s = self.state
        finite = all(np.all(np.isfinite(s[k])) for k in ("x", "v", "q", "w"))
        return bool(not finite or s["x"][2] < self.ground_height)

    def describe(self):
        from importlib.metadata import version
        p = self.params
        keep = ("mass", "Ixx", "Iyy", "Izz", "k_eta", "k_m", "k_d", "k_z", "tau_m", "rotor_speed_min",
                "rotor_speed_max")
        return {"simulator": f"rotorpy {version('rotorpy')}", "vehicle": "crazyflie (RotorPy)",
                "mass": p["mass"], "thrust_to_weight": 4 * p["k_eta"] * p["rotor_speed_max"] ** 2 / (p["mass"] * 9.81),
                "integrator": "scipy solve_ivp " + str((self.integrator or {"method": "RK45"}).get("method")),
                "aero": self.aero, "parameters": {k: float(p[k]) for k in keep if k in p}}
