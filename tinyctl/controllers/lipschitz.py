"""The controller spec of the Lipschitz-bounded (LBDN) hover policies (tinyctl train lipschitz).

A feed-forward policy, so no previous action and no recurrent state: the observation is the position error
(clipped at 1 m per component), the rotation matrix body->world (row-major), the velocity error (clipped at
2 m/s) and the body rates; 18 floats. The action is the four motor commands normalised to [-1, 1], in the
convention's order M1..M4. Trained at 100 Hz from an SE(3) expert flying the builtin quadrotor
(training/lipschitz/expert.py). The Lipschitz bound gamma holds for the map from this observation to the action.
"""
from tinyctl.controllers.spec import ControllerSpec, Feature

LIPSCHITZ = ControllerSpec(
    name="lipschitz",
    features=(
        Feature("position_error", clip=1.0),
        Feature("rotation_matrix"),
        Feature("velocity_error", clip=2.0),
        Feature("body_rates"),
    ),
    action_size=4,
    training_period_us=10_000,
    previous_action_reset=(0.0, 0.0, 0.0, 0.0),
    notes=__doc__,
)
