"""A scenario: a reference, disturbances, a number of seeded runs, a success criterion and its metrics.

    scenario = tinyctl.scenarios.get("recovery")
    for episode in scenario.episodes(runs=20, seed=0):
        ...fly episode.initial with episode.reference, episode.wind(t), episode.noise, ...  -> Trace
        metrics = scenario.evaluate(trace)          # {"success": ..., "rmse": ..., ...}
    summary = scenario.summarize([metrics, ...])

Success criteria (kind):
    hold   no crash, the whole duration flown, and the largest position error over the last second under 0.1 m
    track  no crash, the whole duration flown, and the RMSE over the flight under `rmse_tolerance`
"""
from dataclasses import dataclass, field

import numpy as np

from tinyctl.scenarios import metrics as M
from tinyctl.scenarios.disturbances import InitialCondition
from tinyctl.scenarios.references import FigureEight, Step


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    reference: object                      # Hover, Step or FigureEight (tinyctl.scenarios.references)
    duration: float                        # s of simulated flight
    kind: str = "hold"                     # success criterion: "hold" or "track"
    runs: int = 1                          # default number of seeded runs
    initial: object = None                 # a RandomState sampler; None: start on the reference, at rest or moving with it
    wind: object = None                    # a Gust (tinyctl.scenarios.disturbances) or None
    mass_scale: float = 1.0                # the simulated vehicle carries this times its mass (the controller is not told)
    noise: object = None                   # SensorNoise or None
    latency_steps: int = 0                 # control periods between a measurement and the controller seeing it
    rmse_tolerance: float = 0.3            # m, for kind "track"
    tags: tuple = field(default_factory=tuple)

    def episodes(self, runs=None, seed=0):
        """The seeded runs of this scenario (deterministic for a given seed, on every simulator)."""
        n = self.runs if runs is None else int(runs)
        return [Episode(self, k, seed) for k in range(n)]

    # metrics ---------------------------------------------------------------------------------------------
    def evaluate(self, trace, duration=None):
        """Metrics of one flight and its success under this scenario's criterion (over `duration` seconds, when
        the flight was planned shorter or longer than the scenario's)."""
        moving = isinstance(self.reference, FigureEight)
        m = M.flight_metrics(trace, self.duration if duration is None else duration, moving)
        if m["steps"] == 0:
            m["success"] = False
            return m
        ok = m["completed"] and m["full_duration"]
        if isinstance(self.reference, Step):
            ref = self.reference
            m["rise_time"], m["overshoot"] = M.step_response(trace.t, trace.position, ref.start, ref.direction,
                                                              ref.size, ref.time)
        if self.wind is not None:
            after = trace.t >= self.wind.start
            m["max_deviation"] = float(trace.error[after].max()) if after.any() else None
            m["recovery_time"] = M.settle_time(trace.t, M.settling_error(trace, moving), M.SETTLE_BAND,
                                               after=self.wind.end)
        if self.kind == "track":
            m["success"] = bool(ok and m["rmse"] < self.rmse_tolerance)
        else:
            m["success"] = bool(ok and m["final_error"] < M.HOLD_TOLERANCE)
        return m

    def summarize(self, results):
        """Aggregate per-run metrics: success and crash counts, and the mean of every numeric metric over runs."""
        out = {"scenario": self.name, "runs": len(results),
               "successes": int(sum(bool(r.get("success")) for r in results)),
               "crashes": int(sum(bool(r.get("crashed")) for r in results))}
        keys = sorted({k for r in results for k, v in r.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool)})
        for k in keys:
            vals = [r[k] for r in results if isinstance(r.get(k), (int, float)) and r.get(k) is not None]
            if vals:
                out[k] = float(np.mean(vals))
        return out

    def to_dict(self):
        d = {"name": self.name, "description": self.description, "duration": self.duration, "kind": self.kind,
             "runs": self.runs, "reference": {"type": type(self.reference).__name__, **vars(self.reference)},
             "mass_scale": self.mass_scale, "latency_steps": self.latency_steps}
        for key in ("initial", "wind", "noise"):
            obj = getattr(self, key)
            d[key] = None if obj is None else {"type": type(obj).__name__, **vars(obj)}
        if self.kind == "track":
            d["rmse_tolerance"] = self.rmse_tolerance
        return d


@dataclass(frozen=True)
class Episode:
    """One seeded run of a scenario."""
    scenario: Scenario
    index: int
    seed: int

    def rng(self, stream):
        """An independent generator per purpose ("initial", "noise"), reproducible from (seed, index)."""
        return np.random.default_rng([self.seed, self.index, {"initial": 0, "noise": 1}[stream]])

    @property
    def initial(self):
        p0, v0 = self.scenario.reference.start_state()
        if self.scenario.initial is None:
            return InitialCondition(tuple(p0), tuple(v0))
        return self.scenario.initial.sample(self.rng("initial"), p0)

    def reference_at(self, t):
        return self.scenario.reference.at(t)

    def wind_at(self, t):
        w = self.scenario.wind
        return np.zeros(3) if w is None else w.at(t)

    @property
    def name(self):
        return f"{self.scenario.name}#{self.index}"
