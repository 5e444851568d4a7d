"""Controller specs: what the firmware's controller glue does around a policy, kept once.

A spec names the observation (features in order, each with an optional clip limit), the action (size, clip
range, the previous-action reset value, the map from actions to motor commands), the training rate (the
recurrent state is committed once per training period: dual-rate execution) and the failsafe (safe output,
timeout). tinyctl.firmware generates the C configuration from it, and tinyctl.controllers.glue runs the same
glue in NumPy for in-process executors, so firmware and host compute the same observation.
"""
from dataclasses import dataclass

from tinyctl.conventions import ACTION_RANGE, MOTOR_COMMAND_RANGE, MOTOR_ORDER
from tinyctl.errors import TinyctlError

# kind -> (size, what it is); the C glue has one case per kind (firmware/common/tc_observation.c)
FEATURE_KINDS = {
    "position_error": (3, "position minus target position, world FLU, m"),
    "rotation_matrix": (9, "rotation body->world of the normalised quaternion, row-major"),
    "velocity_error": (3, "velocity minus target velocity, world FLU, m/s"),
    "body_rates": (3, "angular velocity in the body frame, rad/s"),
    "previous_action": (None, "the last committed action, clipped to the action range (size: the action size)"),
}


@dataclass(frozen=True)
class Feature:
    kind: str
    clip: float = 0.0        # symmetric limit per component; 0 means not clipped

    def size(self, action_size):
        n = FEATURE_KINDS[self.kind][0]
        return action_size if n is None else n


@dataclass(frozen=True)
class ControllerSpec:
    name: str
    features: tuple
    action_size: int
    training_period_us: int
    previous_action_reset: tuple
    motor_map: tuple = (0, 1, 2, 3)           # motor i (MOTOR_ORDER) takes action motor_map[i]
    motor_range: tuple = MOTOR_COMMAND_RANGE  # an action of -1 maps to the low end, +1 to the high end
    action_range: tuple = ACTION_RANGE
    safe_output: tuple = (0.0, 0.0, 0.0, 0.0)  # motor commands while the failsafe holds
    failsafe_timeout_us: int = 500_000        # no STATE for this long (board clock) -> failsafe
    notes: str = ""

    def __post_init__(self):
        for f in self.features:
            if f.kind not in FEATURE_KINDS:
                raise TinyctlError(f"controller {self.name}: unknown feature '{f.kind}' "
                                   f"(known: {', '.join(FEATURE_KINDS)})")
            if f.clip < 0:
                raise TinyctlError(f"controller {self.name}: feature {f.kind} has a negative clip limit")
        if len(self.previous_action_reset) != self.action_size:
            raise TinyctlError(f"controller {self.name}: previous_action_reset needs {self.action_size} values")
        if len(self.motor_map) != len(MOTOR_ORDER) or not all(0 <= i < self.action_size for i in self.motor_map):
            raise TinyctlError(f"controller {self.name}: motor_map needs {len(MOTOR_ORDER)} action indices")
        if len(self.safe_output) != len(MOTOR_ORDER):
            raise TinyctlError(f"controller {self.name}: safe_output needs {len(MOTOR_ORDER)} motor commands")
        if self.training_period_us <= 0:
            raise TinyctlError(f"controller {self.name}: training_period_us must be positive")

    @property
    def observation_size(self):
        return sum(f.size(self.action_size) for f in self.features)

    def layout(self):
        """(feature, offset, size) in observation order."""
        out, at = [], 0
        for f in self.features:
            n = f.size(self.action_size)
            out.append((f, at, n))
            at += n
        return out

    @property
    def motor_count(self):
        return len(MOTOR_ORDER)

    def check_model(self, in_size, out_size, model_name="the model"):
        """Refuse a model whose sizes do not fit this controller."""
        if in_size != self.observation_size:
            raise TinyctlError(f"{model_name} takes {in_size} inputs but controller '{self.name}' builds an "
                               f"observation of {self.observation_size}; pick the matching --controller")
        if out_size < self.action_size:
            raise TinyctlError(f"{model_name} gives {out_size} outputs but controller '{self.name}' needs "
                               f"{self.action_size} actions")
