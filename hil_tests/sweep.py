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
    """The figure papers quote for each scenario, from a summary (tinyctl.scenarios.Scenario.summarize, plus
    `planned` runs and the `faults` that stopped the executor, when there were any)."""
    s = summary
    ok = f"{s['successes']}/{s['runs']}"
    crash = f", {s['crashes']} crashed" if s["crashes"] else ""
    if s.get("faults"):
        crash += f", stopped after {s['runs']} of {s['planned']} runs (fault {s['faults'][0]['index']})"
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
    table, numbered = {}, 0
    for name in names:
        sc = scenarios.get(name)
        n = runs if (runs is not None and sc.runs > 1) else None
        _, flown = fly_executors(sc, sim_name, executors, runs=n, seed=seed, console=console)
        row = {}
        for ex, (_, results) in flown.items():
            row[ex] = sc.summarize([m for _, _, m in results])
            faults = [tr.stop for _, tr, _ in results if tr.info.get("fault")]
            if faults:
                row[ex].update(planned=n or sc.runs, faults=[{"index": numbered + i + 1, "stop": f"{ex}: {f}"}
                                                              for i, f in enumerate(faults)])
                numbered += len(faults)
        table[name] = row
    return table


def markdown(table, labels=None):
    labels = labels or {}
    executors = list(next(iter(table.values())).keys()) if table else []
    out = ["| scenario | " + " | ".join(labels.get(e, e) for e in executors) + " |",
           "|---" * (len(executors) + 1) + "|"]
    for name, row in table.items():
        out.append(f"| {name} | " + " | ".join(cell(name, row[e]) for e in executors) + " |")
    faults = [f for row in table.values() for s in row.values() for f in s.get("faults", [])]
    if faults:
        out += ["", "Faults:"] + [f"{f['index']}. {f['stop']}" for f in faults]
    return "\n".join(out)
