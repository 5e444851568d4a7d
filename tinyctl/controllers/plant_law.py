"""Plant-law specs: a plain model (state and reference in, plant input out) on contract 2's PLANT frames, and the
same glue in NumPy.

A plant law is what an explicit MPC is on the MCU: the law's parameter vector theta is an affine map of the
PLANT frame's state x and its (first) reference state r, clipped to the law's domain box when one is given,

    theta_i = clip(offset_i + sum_j S_ij x_j + sum_j R_ij r_j, low_i, high_i)     (float32, in this order)

the model runs on theta (a recurrent state is committed every step), and plant input j is

    u_j = clip(output_offset_j + output_scale_j * y[output_index_j], output_low_j, output_high_j).

An `inside` output (a YANN's "theta is in the feasible set") sets the ACTION flag OUTSIDE when it is below 0.5.
The firmware's mode `law` (firmware/common/tc_plant_law.c) is generated from the spec; `PlantLaw` below is the
same arithmetic in float32 for in-process executors, and a test holds the two to the same bits. Failsafe, as the
other modes: NaN or Inf in the frame or the model's output, or time going backwards, latches the safe output.
"""
import json
import os
from dataclasses import asdict, dataclass

import numpy as np

from tinyctl.controllers.glue import admission_error
from tinyctl.errors import TinyctlError
from tinyctl.link_protocol import ActionFlag

F32 = np.float32


@dataclass(frozen=True)
class PlantLawSpec:
    name: str
    state_size: int                 # NX: the PLANT frame's state (and each reference state) has NX values
    input_state: tuple              # S [IN][NX]: theta's coefficients on the state
    input_reference: tuple          # R [IN][NX]: on the first reference state
    input_offset: tuple             # [IN]
    output_index: tuple             # plant input j takes model output output_index[j]
    output_scale: tuple
    output_offset: tuple
    output_low: tuple               # saturation of the plant inputs
    output_high: tuple
    control_period_us: int          # the rate the law was designed for (HELLO reports it)
    safe_output: tuple              # plant inputs while the failsafe holds
    input_low: tuple = ()           # theta's clip box (empty: no clipping)
    input_high: tuple = ()
    inside_output: int = -1         # the model output that is 1 inside the law's domain, -1: none
    failsafe_timeout_us: int = 500_000
    notes: str = ""

    def __post_init__(self):
        n, nx, nu = len(self.input_offset), self.state_size, len(self.output_index)
        where = f"plant law '{self.name}'"
        if nx < 1 or n < 1 or nu < 1:
            raise TinyctlError(f"{where}: needs a state, at least one model input and one plant input")
        for field_name in ("input_state", "input_reference"):
            rows = getattr(self, field_name)
            if len(rows) != n or any(len(row) != nx for row in rows):
                raise TinyctlError(f"{where}: {field_name} must be {n} rows of {nx} coefficients")
        if (len(self.input_low), len(self.input_high)) not in ((0, 0), (n, n)) or \
                any(lo > hi for lo, hi in zip(self.input_low, self.input_high)):
            raise TinyctlError(f"{where}: input_low and input_high must both be empty or {n} bounds with low <= high")
        for field_name in ("output_scale", "output_offset", "output_low", "output_high", "safe_output"):
            if len(getattr(self, field_name)) != nu:
                raise TinyctlError(f"{where}: {field_name} needs {nu} values, one per plant input")
        if any(lo > hi for lo, hi in zip(self.output_low, self.output_high)):
            raise TinyctlError(f"{where}: output_low above output_high")
        if any(i < 0 for i in self.output_index) or self.inside_output < -1:
            raise TinyctlError(f"{where}: output indices must be model outputs (inside_output -1 for none)")
        if self.control_period_us <= 0 or self.failsafe_timeout_us <= 0:
            raise TinyctlError(f"{where}: control period and failsafe timeout must be positive")
        values = [v for f in ("input_state", "input_reference") for row in getattr(self, f) for v in row]
        values += [v for f in ("input_offset", "input_low", "input_high", "output_scale", "output_offset",
                               "output_low", "output_high", "safe_output") for v in getattr(self, f)]
        if not all(np.isfinite(values)):
            raise TinyctlError(f"{where}: every coefficient and bound must be finite")

    @classmethod
    def tracking(cls, name, state_size, control_period_us, output_offset, output_low, output_high, **kw):
        """theta = x - r (the deviation from the reference: an MPC linearised about it), plant input = offset + y."""
        eye = np.eye(state_size)
        nu = len(output_offset)
        kw.setdefault("safe_output", tuple(0.0 for _ in range(nu)))
        return cls(name=name, state_size=state_size, input_state=_rows(eye), input_reference=_rows(-eye),
                   input_offset=(0.0,) * state_size, output_index=tuple(range(nu)), output_scale=(1.0,) * nu,
                   output_offset=tuple(output_offset), output_low=tuple(output_low), output_high=tuple(output_high),
                   control_period_us=int(control_period_us), **kw)

    @property
    def input_size(self):
        return len(self.input_offset)

    @property
    def output_size(self):
        return len(self.output_index)

    @property
    def clips_input(self):
        return bool(self.input_low)

    def check_model(self, in_size, out_size, model_name="the model"):
        if in_size != self.input_size:
            raise TinyctlError(f"{model_name} takes {in_size} inputs but plant law '{self.name}' gives it "
                               f"{self.input_size}; pick the matching --controller")
        need = max(max(self.output_index), self.inside_output) + 1
        if out_size < need:
            raise TinyctlError(f"{model_name} gives {out_size} outputs but plant law '{self.name}' reads output "
                               f"{need - 1}")

    def to_dict(self):
        return {k: (list(map(list, v)) if k in ("input_state", "input_reference") else
                    list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d):
        try:
            return cls(**{k: (_rows(v) if k in ("input_state", "input_reference") else
                              tuple(v) if isinstance(v, list) else v) for k, v in d.items()})
        except TypeError as e:
            raise TinyctlError(f"plant law spec: missing or unknown field ({e})") from None

    @classmethod
    def load(cls, path):
        """A spec from a JSON file of its fields (what to_dict writes)."""
        try:
            with open(path) as f:
                return cls.from_dict(json.load(f))
        except FileNotFoundError:
            raise TinyctlError(f"plant law spec {path}: no such file") from None
        except json.JSONDecodeError as e:
            raise TinyctlError(f"plant law spec {path} is not valid JSON ({e})") from None

    @staticmethod
    def is_file(name):
        return name.endswith(".json") or os.sep in name


def _rows(matrix):
    return tuple(tuple(float(v) for v in row) for row in matrix)


def law_input(spec, state, reference):
    """(theta float32[IN], clipped?) from a PLANT frame's state and reference, as tc_plant_law.c computes it."""
    x = np.asarray(state, F32).ravel()
    r = np.asarray(reference, F32).ravel()[:spec.state_size]
    theta, clipped = np.zeros(spec.input_size, F32), False
    with np.errstate(all="ignore"):     # non-finite frames are the failsafe's business
        for i in range(spec.input_size):
            acc = F32(spec.input_offset[i])
            for j in range(spec.state_size):
                acc = F32(acc + F32(spec.input_state[i][j]) * x[j])
            for j in range(spec.state_size):
                acc = F32(acc + F32(spec.input_reference[i][j]) * r[j])
            if spec.clips_input:
                lo, hi = F32(spec.input_low[i]), F32(spec.input_high[i])
                if acc > hi:
                    acc, clipped = hi, True
                elif acc < lo:
                    acc, clipped = lo, True
            theta[i] = acc
    return theta, clipped


def law_output(spec, raw):
    """Plant inputs float32[NU] from the model's outputs."""
    u = np.zeros(spec.output_size, F32)
    for j, k in enumerate(spec.output_index):
        v = F32(F32(spec.output_offset[j]) + F32(spec.output_scale[j]) * F32(raw[k]))
        u[j] = min(max(v, F32(spec.output_low[j])), F32(spec.output_high[j]))
    return u


@dataclass
class PlantLawOutput:
    u: np.ndarray               # float32[NU], the plant inputs (the safe output in failsafe)
    raw: np.ndarray             # the model's outputs (empty in failsafe before the model ran)
    theta: np.ndarray           # what the model saw
    flags: int                  # link_protocol.ActionFlag bits, as in the ACTION frame
    error: str = ""             # an ERRORS name when the failsafe fired or holds

    @property
    def failsafe(self):
        return bool(self.flags & ActionFlag.FAILSAFE)

    @property
    def outside(self):
        return bool(self.flags & ActionFlag.OUTSIDE)


class PlantLaw:
    """A plant-law spec's glue around a model with `reset() -> state` and `step(inputs, state) -> (outputs, next)`."""

    def __init__(self, spec, model):
        self.spec, self.model = spec, model
        self.reset()

    def reset(self):
        self.state = np.asarray(self.model.reset(), F32)
        self.last_time_us, self.failsafe, self.steps = None, "", 0

    def _safe(self, error, theta=None, raw=None):
        self.failsafe = self.failsafe or error
        empty = np.zeros(0, F32)
        return PlantLawOutput(np.asarray(self.spec.safe_output, F32), empty if raw is None else raw,
                              empty if theta is None else theta, int(ActionFlag.FAILSAFE), error)

    def step(self, time_us, state, reference):
        spec = self.spec
        x, r = np.asarray(state, F32).ravel(), np.asarray(reference, F32).ravel()
        if x.size != spec.state_size or r.size < spec.state_size or r.size % spec.state_size:
            raise TinyctlError(f"plant law '{spec.name}' takes a state of {spec.state_size} and references of "
                               f"{spec.state_size} values each; got {x.size} and {r.size}")
        error = admission_error(self, time_us, x, r)
        if error:
            return self._safe(error)
        theta, clipped = law_input(spec, x, r)
        raw, nxt = self.model.step(theta, self.state)
        raw, nxt = np.asarray(raw, F32), np.asarray(nxt, F32)
        self.steps += 1
        if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(nxt))):
            return self._safe("NONFINITE_OUTPUT", theta, raw)
        self.state = nxt
        flags = int(ActionFlag.CLIPPED) if clipped else 0
        if spec.inside_output >= 0 and not raw[spec.inside_output] >= F32(0.5):
            flags |= ActionFlag.OUTSIDE
        return PlantLawOutput(law_output(spec, raw), raw, theta, flags)
