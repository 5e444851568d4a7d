"""The plant-law spec of the builtin quadrotor's altitude loop (the explicit MPC of tinyctl train yann
--problem quadrotor-altitude, flown on PLANT frames by the firmware's mode `law`).

PLANT state and reference: (z, vz, motor), height (m), vertical velocity (m/s) and the motors' normalised speed
(hil_tests/sims/altitude_sim.py); the reference holds the hover motor speed in its third place. The law is
designed about hover at the reference, so theta = x - r, clipped to the MPC's domain box (|z - z_ref| <= 1 m,
|vz| <= 3 m/s, motor speed in [0, 1]): a larger error saturates the law instead of leaving its domain. The one
model output is the deviation of the common motor command from hover; the plant input is hover + it, saturated
to [0, 1]. The explicit MPC's second output, `inside`, flags states outside its feasible set. 50 Hz; motors off
in failsafe, as the quadrotor policies do.
"""
from tinyctl.controllers.plant_law import PlantLawSpec
from tinyctl.plants import CRAZYFLIE

ALTITUDE_DT_US = 20_000
Z_RANGE, VZ_RANGE = 1.0, 3.0


def altitude_law_spec(params=CRAZYFLIE, name="altitude-law"):
    hover = float(params.hover_motor)
    return PlantLawSpec.tracking(
        name, 3, ALTITUDE_DT_US, output_offset=(hover,), output_low=(0.0,), output_high=(1.0,),
        input_low=(-Z_RANGE, -VZ_RANGE, -hover), input_high=(Z_RANGE, VZ_RANGE, 1.0 - hover), inside_output=1,
        notes=__doc__)


ALTITUDE_LAW = altitude_law_spec()
