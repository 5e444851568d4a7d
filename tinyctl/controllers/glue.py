"""The firmware's controller glue in NumPy, operation for operation (float32, same order, no fused multiply-add).

What firmware/common/tc_controller.c does with a STATE frame, for executors that run the model in-process
(onnxruntime, the host build, unicorn): same observation, same clipping, same dual-rate commit, same failsafe.
A test holds the two to the same bits.

Dual rate: every STATE runs the model from the committed recurrent state; the new state and the action (as the
next "previous action") are committed when STATE.time reaches the next multiple of the training period (the
first STATE after a reset always commits). Failsafe: NaN or Inf in the STATE or in the model's outputs, or
STATE.time going backwards, sets the spec's safe output, and it stays latched until reset().
"""
from dataclasses import dataclass

import numpy as np

from tinyctl.link_protocol import ActionFlag

F32 = np.float32


def _clip(values, limit):
    """Clip each component to [-limit, limit] (limit 0: no clipping); returns (values, clipped?)."""
    if not limit:
        return values, False
    lim = F32(limit)
    out = np.minimum(np.maximum(values, -lim), lim).astype(F32)
    return out, bool(np.any(out != values))


def rotation_matrix(q):
    """Row-major body->world rotation of the normalised quaternion (w, x, y, z), as the C glue computes it."""
    w, x, y, z = (F32(v) for v in q)
    inv = F32(1.0) / np.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w * inv, x * inv, y * inv, z * inv
    one, two = F32(1.0), F32(2.0)
    return np.array([
        one - two * (y * y + z * z), two * (x * y - w * z), two * (x * z + w * y),
        two * (x * y + w * z), one - two * (x * x + z * z), two * (y * z - w * x),
        two * (x * z - w * y), two * (y * z + w * x), one - two * (x * x + y * y),
    ], dtype=F32)


def _feature(kind, state, previous_action):
    if kind == "position_error":
        return state.position - state.target_position
    if kind == "rotation_matrix":
        return rotation_matrix(state.quaternion)
    if kind == "velocity_error":
        return state.velocity - state.target_velocity
    if kind == "body_rates":
        return state.body_rates.copy()
    if kind == "previous_action":
        return np.asarray(previous_action, F32).copy()
    raise ValueError(f"feature kind {kind} has no NumPy implementation")


def build_observation(spec, state, previous_action):
    """(observation float32[spec.observation_size], clipped?) from a link_protocol.State."""
    parts, clipped = [], False
    with np.errstate(all="ignore"):   # NaN and zero quaternions are the failsafe's business
        for feature, _, _ in spec.layout():
            values, c = _clip(np.asarray(_feature(feature.kind, state, previous_action), F32), feature.clip)
            parts.append(values)
            clipped |= c
    return np.concatenate(parts).astype(F32), clipped


def clip_action(spec, raw):
    lo, hi = F32(spec.action_range[0]), F32(spec.action_range[1])
    return np.minimum(np.maximum(np.asarray(raw[:spec.action_size], F32), lo), hi).astype(F32)


def action_to_motors(spec, action):
    """Clipped actions -> motor commands in the convention's motor order (M1..M4)."""
    lo, hi = F32(spec.motor_range[0]), F32(spec.motor_range[1])
    a = np.asarray(action, F32)
    return np.array([lo + (a[i] + F32(1.0)) * F32(0.5) * (hi - lo) for i in spec.motor_map], dtype=F32)


def admission_error(glue, time_us, *values):
    """The checks every STATE and PLANT frame passes before it is stepped, in the firmware's order
    (tc_controller_admit): a latched failsafe, NaN or Inf in any of `values`, time going backwards. Returns the
    ERRORS name of the first that fails, or "" after recording the frame's time on `glue` (which has
    `failsafe` and `last_time_us`)."""
    if glue.failsafe:
        return "FAILSAFE_LATCHED"
    if not all(np.all(np.isfinite(v)) for v in values):
        return "NONFINITE_INPUT"
    if glue.last_time_us is not None and time_us < glue.last_time_us:
        return "TIME_BACKWARDS"
    glue.last_time_us = time_us
    return ""


@dataclass
class ControllerOutput:
    motors: np.ndarray          # float32[4], M1..M4, in the spec's motor range (the safe output in failsafe)
    action: np.ndarray          # the clipped action (zeros in failsafe)
    raw: np.ndarray             # the model's outputs (empty in failsafe before the model ran)
    observation: np.ndarray     # what the model saw
    flags: int                  # link_protocol.ActionFlag bits, as in the ACTION frame
    error: str = ""             # an ERRORS name when the failsafe fired or holds

    @property
    def committed(self):
        return bool(self.flags & ActionFlag.COMMITTED)

    @property
    def failsafe(self):
        return bool(self.flags & ActionFlag.FAILSAFE)


class Controller:
    """A spec's glue around a model with `reset() -> state` and `step(inputs, state) -> (outputs, next_state)`."""

    def __init__(self, spec, model):
        self.spec = spec
        self.model = model
        self.reset()

    def reset(self):
        self.state = np.asarray(self.model.reset(), F32)
        self.previous_action = np.asarray(self.spec.previous_action_reset, F32)
        self.committed_tick = None
        self.last_time_us = None
        self.failsafe = ""
        self.steps = 0

    def _safe(self, error, observation=None, raw=None):
        self.failsafe = self.failsafe or error
        return ControllerOutput(np.asarray(self.spec.safe_output, F32), np.zeros(self.spec.action_size, F32),
                                np.zeros(0, F32) if raw is None else raw,
                                np.zeros(0, F32) if observation is None else observation,
                                int(ActionFlag.FAILSAFE), error)

    def step(self, state):
        error = admission_error(self, state.time_us, state.floats())
        if error:
            return self._safe(error)
        obs, clipped = build_observation(self.spec, state, self.previous_action)
        if not np.all(np.isfinite(obs)):
            return self._safe("NONFINITE_INPUT", obs)
        raw, nxt = self.model.step(obs, self.state)
        raw, nxt = np.asarray(raw, F32), np.asarray(nxt, F32)
        self.steps += 1
        if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(nxt))):
            return self._safe("NONFINITE_OUTPUT", obs, raw)
        action = clip_action(self.spec, raw)
        flags = int(ActionFlag.CLIPPED) if clipped else 0
        tick = state.time_us // self.spec.training_period_us
        if self.committed_tick is None or tick > self.committed_tick:
            self.state, self.previous_action, self.committed_tick = nxt, action, tick
            flags |= ActionFlag.COMMITTED
        return ControllerOutput(action_to_motors(self.spec, action), action, raw, obs, flags)
