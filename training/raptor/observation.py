"""The controller glue of a spec (tinyctl.controllers), batched in torch: observation, action clipping, motor map.

The student is trained on exactly what the firmware will give it, so this mirrors
tinyctl.controllers.glue.build_observation / clip_action / action_to_motors feature for feature, driven by the
same ControllerSpec (RAPTOR's by default): float32 inputs, the spec's clip limits, the previous action as the
glue commits it. A test holds the two together.
"""
import torch

from tinyctl.controllers import RAPTOR


def rotation_rows(q):
    """[B, 9] row-major body->world rotation of quaternions q [B, 4] (w, x, y, z), normalised first, as the glue."""
    q = q / torch.linalg.vector_norm(q, dim=1, keepdim=True)
    w, x, y, z = q.unbind(1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], dim=1)


def _feature(kind, x, target_position, target_velocity, previous_action):
    if kind == "position_error":
        return x[:, 0:3] - target_position
    if kind == "rotation_matrix":
        return rotation_rows(x[:, 6:10])
    if kind == "velocity_error":
        return x[:, 3:6] - target_velocity
    if kind == "body_rates":
        return x[:, 10:13]
    if kind == "previous_action":
        return previous_action
    raise ValueError(f"feature kind {kind} has no torch implementation")


def build_observation(x, target_position, target_velocity, previous_action, spec=RAPTOR):
    """[B, spec.observation_size] float32 from plant states x [B, 17] (any float dtype), targets [B, 3] and the
    previous (clipped) actions [B, action_size]; each feature clipped to the spec's limit."""
    f32 = torch.float32
    x, tp, tv = x.to(f32), target_position.to(f32), target_velocity.to(f32)
    parts = []
    for feature, _, _ in spec.layout():
        values = _feature(feature.kind, x, tp, tv, previous_action.to(f32))
        if feature.clip:
            values = torch.clamp(values, -feature.clip, feature.clip)
        parts.append(values)
    return torch.cat(parts, dim=1)


def clip_action(raw, spec=RAPTOR):
    lo, hi = spec.action_range
    return torch.clamp(raw[:, :spec.action_size], lo, hi)


def action_to_motors(action, spec=RAPTOR):
    """Clipped actions [B, action_size] -> motor commands [B, 4] in the spec's motor range, motor order M1..M4."""
    lo, hi = spec.motor_range
    return lo + (action[:, list(spec.motor_map)] + 1.0) * 0.5 * (hi - lo)


def motors_to_action(motors, spec=RAPTOR):
    """The inverse map, for teachers that decide in motor commands (motor_map must be a permutation)."""
    lo, hi = spec.motor_range
    a = (motors - lo) / (hi - lo) * 2.0 - 1.0
    out = torch.empty_like(a)
    out[:, list(spec.motor_map)] = a
    return out


def reset_previous_action(batch, spec=RAPTOR, dtype=torch.float32):
    return torch.tensor(spec.previous_action_reset, dtype=dtype).expand(batch, spec.action_size).clone()
