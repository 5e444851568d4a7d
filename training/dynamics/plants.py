"""The plants dynamics models are learned for: their simulator (NumPy, from the shared core), the box data is
drawn from, the input limits, and the MPC settings that suit them.

Each simulator is vectorised: step(x [B, nx], u [B, nu]) -> x_next [B, nx], one control period later.
"""
from dataclasses import dataclass, field

from tinyctl.errors import TinyctlError


@dataclass(frozen=True)
class DynamicsPlant:
    name: str
    description: str
    state_names: tuple
    input_names: tuple
    dt: float
    state_low: tuple          # the box training states are drawn from
    state_high: tuple
    input_low: tuple          # actuator limits: training inputs cover them, the MPC keeps inside them
    input_high: tuple
    simulator: object         # a callable returning the vectorised step function (imported lazily)
    input_nominal: tuple = None   # the input the plant rests at (hover); default the box's centre
    rollout_steps: int = 50       # the open-loop check: this many steps, with inputs held for 10 steps at a
    rollout_spread: float = 0.25  # time, uniform within this share of the box's width around the nominal input
    hidden: tuple = (16, 16)
    mpc: dict = field(default_factory=dict)   # horizon, control_horizon, q (per state), r (per input), barrier

    @property
    def nx(self):
        return len(self.state_names)

    @property
    def nu(self):
        return len(self.input_names)

    @property
    def nominal(self):
        if self.input_nominal is not None:
            return tuple(self.input_nominal)
        return tuple((lo + hi) / 2 for lo, hi in zip(self.input_low, self.input_high))

    def step_function(self):
        return self.simulator()


def _msd_step():
    from tinyctl.plants import msd
    return lambda x, u: msd.step(x, u, msd.DEFAULT)


def _msd():
    from tinyctl.plants import msd
    p = msd.DEFAULT
    return DynamicsPlant(
        name="msd", description="mass-spring-damper (tinyctl.plants.msd), force input",
        state_names=msd.STATE_NAMES, input_names=msd.INPUT_NAMES, dt=p.dt,
        state_low=(-2.0, -4.0), state_high=(2.0, 4.0),
        input_low=(-p.force_limit,), input_high=(p.force_limit,), simulator=_msd_step,
        mpc={"horizon": 10, "control_horizon": 2, "q": [1000.0, 0.0], "r": [0.002], "barrier": 1e-3,
             "disturbance": 0.3})


def _quadrotor(loop):
    def build():
        from tinyctl.training.dynamics import quadrotor
        return quadrotor.plant(loop)
    return build


_BUILDERS = {"msd": _msd, "quadrotor-altitude": _quadrotor("altitude"), "quadrotor-attitude": _quadrotor("attitude")}


def plant(name):
    try:
        return _BUILDERS[name]()
    except KeyError:
        raise TinyctlError(f"unknown plant '{name}' for dynamics training: choose one of "
                           f"{', '.join(sorted(_BUILDERS))}") from None


def names():
    return sorted(_BUILDERS)
