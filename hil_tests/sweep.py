"""Scenario sweeps: every scenario, several executors, one simulator; the table the report and the benchmarks
print (one cell per scenario and executor, holding the metric papers quote for that scenario)."""
from rich.console import Console

from tinyctl import scenarios
from tinyctl.hil_tests.command import fly_executors

DEFAULT_SCENARIOS = ("hover", "recovery", "step", "figure8_slow", "figure8_medium", "figure8_fast", "gust", "mass",
                     "noise", "latency")


def _m(v, digits=3):
    return "-" if v is None else f"{v:.{digits}g}"


def cell(name, summary):
    """The figure papers quote for each scenario, from a summary (tinyctl.scenarios.Scenario.summarize)."""
    s = summary
    ok = f"{s['successes']}/{s['runs']}"
    crash = f", {s['crashes']} crashed" if s["crashes"] else ""
    if name == "recovery":
        return f"{ok} recovered{crash}"
    if name in ("step", "latency"):
        return (f"{ok}{crash}; rise {_m(s.get('rise_time'))} s, overshoot {_m(s.get('overshoot'), 2)} %, "
                f"settle {_m(s.get('settle_time'))} s")
    if name.startswith("figure8"):
        return f"RMSE {_m(s.get('rmse'))} m, max {_m(s.get('max_error'))} m{crash}"
    if name == "gust":
        return f"max deviation {_m(s.get('max_deviation'))} m, recovery {_m(s.get('recovery_time'))} s{crash}"
    if name in ("hover", "mass"):
        return f"{ok}{crash}; steady-state error {_m(s.get('steady_state_error'))} m"
    return f"{ok}{crash}; RMSE {_m(s.get('rmse'))} m"


def run_sweep(sim_name, executors, names=DEFAULT_SCENARIOS, runs=None, seed=0, console=None):
    """{scenario: {executor: summary}} (executors: name -> Executor; the first sets the control period)."""
    console = console or Console(stderr=True)
    table = {}
    for name in names:
        sc = scenarios.get(name)
        n = runs if (runs is not None and sc.runs > 1) else None
        _, flown = fly_executors(sc, sim_name, executors, runs=n, seed=seed, console=console)
        table[name] = {ex: sc.summarize([m for _, _, m in results]) for ex, (_, results) in flown.items()}
    return table


def markdown(table, labels=None):
    labels = labels or {}
    executors = list(next(iter(table.values())).keys()) if table else []
    out = ["| scenario | " + " | ".join(labels.get(e, e) for e in executors) + " |",
           "|---" * (len(executors) + 1) + "|"]
    for name, row in table.items():
        out.append(f"| {name} | " + " | ".join(cell(name, row[e]) for e in executors) + " |")
    return "\n".join(out)
