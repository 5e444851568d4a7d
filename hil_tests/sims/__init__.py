"""Simulator adapters: the builtin NumPy quadrotor, RotorPy 3.x and L2F, each converting to the project's
conventions at its own edge (see base.py)."""
from tinyctl.errors import TinyctlError
from tinyctl.hil_tests.sims.base import FlightState, SimUnavailable

SIMULATORS = ("builtin", "rotorpy", "l2f")


def make_sim(name, **options):
    """A fresh simulator by name; SimUnavailable (a TinyctlError) says how to install a missing one."""
    if name == "builtin":
        from tinyctl.hil_tests.sims.builtin import BuiltinSim
        return BuiltinSim(**options)
    if name == "rotorpy":
        from tinyctl.hil_tests.sims.rotorpy_sim import RotorPySim
        return RotorPySim(**options)
    if name == "l2f":
        from tinyctl.hil_tests.sims.l2f_sim import L2FSim
        return L2FSim(**options)
    raise TinyctlError(f"unknown simulator '{name}': choose one of {', '.join(SIMULATORS)}")


__all__ = ["FlightState", "SIMULATORS", "SimUnavailable", "make_sim"]
