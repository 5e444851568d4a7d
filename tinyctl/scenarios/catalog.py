"""The scenarios tinyctl flies, as papers on learned quadrotor control report them (see the module docstrings of
scenario.py and metrics.py for the criteria). Heights are 1 m above the ground (z = 0, where a vehicle crashes).
"""
from tinyctl.scenarios.disturbances import Gust, RandomState, SensorNoise
from tinyctl.scenarios.references import FigureEight, Hover, Step
from tinyctl.scenarios.scenario import Scenario

HOME = (0.0, 0.0, 1.0)
# Three figure-eight speeds (mean speed along the path); each flight lasts about 11 s: 1, 2 and 3 laps.
FIGURE_EIGHT_SPEEDS = {"slow": 0.56, "medium": 1.1, "fast": 1.7}


def _figure_eight(label, laps):
    ref = FigureEight(speed=FIGURE_EIGHT_SPEEDS[label], center=HOME)
    return Scenario(f"figure8_{label}", f"figure eight 2 m x 1 m at {ref.speed} m/s mean speed, {laps} lap(s)",
                    ref, duration=round(laps * ref.period, 2), kind="track", tags=("tracking",))


def _catalog():
    step = Step(start=HOME, end=(1.0, 0.0, 1.0), time=0.0)
    items = [
        Scenario("hover", "hold 1 m above the origin, starting there at rest", Hover(HOME), duration=5.0),
        Scenario("recovery", "recover from random states (position +-0.5 m, velocity +-0.5 m/s, tilt <= 30 deg, "
                 "yaw +-90 deg, rates +-1 rad/s) and hold the origin", Hover(HOME), duration=5.0, runs=20,
                 initial=RandomState()),
        Scenario("recovery_any_yaw", "the recovery scenario from any heading (yaw +-180 deg)", Hover(HOME),
                 duration=5.0, runs=20, initial=RandomState(yaw_deg=180.0)),
        Scenario("step", "a 1 m setpoint step along x", step, duration=5.0),
        _figure_eight("slow", 1),
        _figure_eight("medium", 2),
        _figure_eight("fast", 3),
        Scenario("gust", "hover through a 3 m/s gust along x lasting 2 s (0.2 s raised-cosine edges)", Hover(HOME),
                 duration=6.0, wind=Gust((3.0, 0.0, 0.0), start=1.0, duration=2.0, ramp=0.2)),
        Scenario("mass", "hover carrying 30 % more mass than the controller expects", Hover(HOME), duration=5.0,
                 mass_scale=1.3),
        Scenario("noise", "hover with Gaussian noise on the measured state (1 cm, 5 cm/s, 0.02 rad, 0.1 rad/s)",
                 Hover(HOME), duration=5.0, noise=SensorNoise()),
        Scenario("latency", "the 1 m step with one control period of measurement latency", step, duration=5.0,
                 latency_steps=1),
    ]
    return {s.name: s for s in items}


SCENARIOS = _catalog()
