"""Crazyflie 2.x parameters for the builtin quadrotor, with the source of every value.

Published Crazyflie figures disagree (mass 27-34 g, inertia 9.4e-6 to 16.6e-6 about x, yaw torque per thrust 0.005 to
0.034 m, motor time constants 0.055 to 0.15 s). We take one coherent set: the one Eschmann et al. identified on a
single vehicle together with the motor delays, which the L2F simulator ships as its nominal Crazyflie and which the
RAPTOR policy's training distribution was built around. Mixing values from different identifications (for example
Foerster's inertia with L2F's thrust curve) would make a vehicle nobody flew. Drag is the one addition: L2F has none,
so wind would do nothing; we add Foerster's rotor drag, linearised at hover.

Sources
  [E24] J. Eschmann, D. Albani, G. Loianno, "Data-Driven System Identification of Quadrotors Subject to Motor Delays",
        IROS 2024 (arXiv:2404.07837); values as shipped in L2F 2.0 / RLtools (`l2f/parameters/dynamics/crazyflie.h`
        and the RAPTOR repository's `choreo/parameters/crazyflie.json`).
  [F15] J. Foerster, "System Identification of the Crazyflie 2.0 Nano Quadrocopter", BSc thesis, ETH Zurich, 2015.
  [BC]  Bitcraze, Crazyflie 2.1 datasheet: 27 g take-off weight, 92 mm motor-to-motor diagonal.

How the others compare (kept here so the choice can be revisited):
  mass 27 g bare [BC]; 30.6 g with SD-card and flow decks [E24]; 34 g (Crazyswarm2 sim); 30 g (RotorPy)
  inertia 16.57e-6, 16.66e-6, 29.26e-6 [F15]; 1.43e-5, 1.43e-5, 2.89e-5 (RotorPy: violates the triangle inequality)
  motor time constant 0.072 s one-sided (RotorPy); ~0.15 s (other identifications)
  yaw torque per thrust 0.025-0.034 m from [F15]'s km/kf, about 5x [E24]'s
"""
from tinyctl.plants.quadrotor import QuadrotorParams

# Rotor drag [F15]: K_D = diag(9.1785e-7, 9.1785e-7, 10.311e-7) kg/rad times the sum of the four rotor speeds;
# at hover each rotor turns at about 1790 rad/s (30 g on k_f = 2.3e-8 N s^2), so the sum is 7160 rad/s.
_HOVER_ROTOR_SPEED_SUM = 4 * 1790.0
_DRAG_XY = 9.1785e-7 * _HOVER_ROTOR_SPEED_SUM
_DRAG_Z = 10.311e-7 * _HOVER_ROTOR_SPEED_SUM

CRAZYFLIE = QuadrotorParams(
    name="crazyflie-2.1",
    mass=0.027 + 0.0017 + 0.0003 + 0.0016,                  # take-off weight + SD-card deck + card + flow deck v2
    inertia=(9.416556729130406e-06, 9.644051701582312e-06, 1.745951732253285e-05),
    rotor_positions=((0.028, -0.028, 0.0), (-0.028, -0.028, 0.0), (-0.028, 0.028, 0.0), (0.028, 0.028, 0.0)),
    rotor_yaw_directions=(-1.0, 1.0, -1.0, 1.0),
    thrust_curve=(0.003525, 0.014373, 0.092230),
    torque_constant=0.004665,
    motor_tau_rise=0.055455,
    motor_tau_fall=0.249394,
    drag=(_DRAG_XY, _DRAG_XY, _DRAG_Z),
    sources={
        "mass": "[E24]: 27 g take-off weight [BC] + 1.7 g SD deck + 0.3 g card + 1.6 g flow deck v2",
        "inertia": "[E24]",
        "rotor_positions": "[E24]: 28 mm along x and y, a 39.6 mm arm; [F15] measured 39.7 mm",
        "rotor_yaw_directions": "[E24]: M1 and M3 turn one way, M2 and M4 the other",
        "thrust_curve": "[E24]: quadratic in the normalised rotor speed, thrust-to-weight 1.47 at 30.6 g",
        "torque_constant": "[E24]",
        "motor_tau_rise": "[E24]",
        "motor_tau_fall": "[E24]: the propeller spins down passively, so falling is about 4.5x slower",
        "drag": "[F15] rotor drag K_D linearised at hover (sum of rotor speeds ~7160 rad/s); [E24] models none",
    },
)
