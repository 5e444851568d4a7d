"""Plant models of the shared core, pure NumPy: the builtin quadrotor (`quadrotor`) and its Crazyflie 2.x
parameter set (`crazyflie`). Training re-implements the same equations batched in torch; simulators outside the
core (RotorPy, L2F) are reached through the adapters in tinyctl.hil_tests.
"""
from tinyctl.plants.crazyflie import CRAZYFLIE
from tinyctl.plants.quadrotor import (STATE_LAYOUT, STATE_SIZE, QuadrotorParams, crashed, hover_state, make_state,
                                      rhs, step)

QUADROTORS = {"crazyflie": CRAZYFLIE}

__all__ = ["CRAZYFLIE", "QUADROTORS", "QuadrotorParams", "STATE_LAYOUT", "STATE_SIZE", "crashed", "hover_state",
           "make_state", "rhs", "step"]
