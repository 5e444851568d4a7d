"""The RAPTOR foundation policy's controller spec (observation 22 floats, action 4, trained at 100 Hz).

Where the published ports differ we chose (facts from the RAPTOR notes):
- observation order: position error, rotation matrix body->world (row-major), linear velocity error, body
  rates, previous action; world and body frames FLU, quaternion (w, x, y, z), as the RLtools code that trained it.
- clipping: position error 0.5 m and velocity error 1.0 m/s per component, the PX4 module's limits (the ports
  clip at 0.5-0.6 m and 1-2 m/s; we take the tightest, which is also the one flown on PX4).
- previous action after a reset: 0.32 normalised hover throttle on every motor, as in RLtools (PX4 uses 0,
  Betaflight -1): this is the value the training code starts episodes with.
- actions: clipped to [-1, 1] and mapped linearly to motor commands in [0, 1]; the policy's action order is
  already the Crazyflie motor order M1..M4 (front-right, back-right, back-left, front-left), our convention.
- dual rate: inference at every STATE, the GRU state and the previous action committed once per 10 ms of
  STATE.time (the 100 Hz it was trained at), as the PX4 and Crazyflie ports do.
- failsafe: motors off (0) after NaN/Inf or 500 ms without a STATE.
"""
from tinyctl.controllers.spec import ControllerSpec, Feature

RAPTOR = ControllerSpec(
    name="raptor",
    features=(
        Feature("position_error", clip=0.5),
        Feature("rotation_matrix"),
        Feature("velocity_error", clip=1.0),
        Feature("body_rates"),
        Feature("previous_action"),
    ),
    action_size=4,
    training_period_us=10_000,
    previous_action_reset=(0.32, 0.32, 0.32, 0.32),
    notes=__doc__,
)
