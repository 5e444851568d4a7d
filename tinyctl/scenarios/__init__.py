"""Scenarios with their success criteria and metrics, in the shared core (pure NumPy).

The HIL harness (tinyctl.hil_tests) flies them against simulators with the policy on the host, in unicorn or in
QEMU; training evaluates its policies with the same definitions: produce a `Trace` per episode and call
`scenario.evaluate(trace)`.
"""
from tinyctl.errors import TinyctlError
from tinyctl.scenarios.catalog import SCENARIOS
from tinyctl.scenarios.disturbances import Gust, InitialCondition, RandomState, SensorNoise
from tinyctl.scenarios.references import FigureEight, Hover, Step
from tinyctl.scenarios.scenario import Episode, Scenario
from tinyctl.scenarios.trace import Trace


def get(name):
    try:
        return SCENARIOS[name]
    except KeyError:
        raise TinyctlError(f"unknown scenario '{name}': choose one of {', '.join(SCENARIOS)}") from None


__all__ = ["SCENARIOS", "Episode", "FigureEight", "Gust", "Hover", "InitialCondition", "RandomState", "Scenario",
           "SensorNoise", "Step", "Trace", "get"]
