"""`tinyctl hil`: fly a scenario in a simulator with the policy in one executor (and, for comparison, others),
then write the report. The board comes from the firmware's HELLO; the control period from the firmware (or, for
in-process executors alone, the controller's training period)."""
import os
import shlex
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tinyctl import scenarios
from tinyctl.errors import TinyctlError
from tinyctl.hil_tests import report as report_io
from tinyctl.hil_tests.executors import make_executor
from tinyctl.hil_tests.harness import run_scenario
from tinyctl.hil_tests.sims import make_sim


def progress_bar(console):
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, transient=False)


def fly_executors(scenario, sim_name, executors, runs=None, seed=0, duration=None, console=None, sim_options=None):
    """Fly `scenario` with each executor (name -> Executor, the first sets the control period) in a fresh simulator;
    returns (simulator description, {name: (describe, results)})."""
    console = console or Console(stderr=True)
    period = next(iter(executors.values())).control_period_us
    flown, sim_desc = {}, None
    n_runs = scenario.runs if runs is None else runs
    steps = int(round((duration or scenario.duration) * 1e6 / period))
    with progress_bar(console) as bar:
        for name, ex in executors.items():
            sim = make_sim(sim_name, **(sim_options or {}))
            task = bar.add_task(f"{scenario.name} in {sim_name} [{name}]", total=n_runs * steps)

            def tick(i, n, k, total, task=task):
                bar.update(task, completed=i * steps + k)
            results = run_scenario(scenario, sim, ex, runs=runs, seed=seed, control_period_us=period, progress=tick,
                                   duration=duration)
            bar.update(task, completed=n_runs * steps)
            sim_desc = sim_desc or sim.describe()
            flown[name] = (ex.describe(), results)
    return sim_desc, flown


def run(args):
    console = Console(stderr=True)
    scenario = scenarios.get(args.scenario)
    make_sim(args.sim)                      # an unknown or missing simulator fails here, before anything starts
    if args.model is None and not args.port and args.executor != "se3":
        raise TinyctlError("hil needs --model DIR (a compiled model directory)")
    if args.model is not None and not os.path.isfile(os.path.join(args.model, "manifest.json")):
        raise TinyctlError(f"{args.model} is not a compiled model directory (no manifest.json): run tinyctl compile")
    primary = args.executor or ("qemu" if (args.firmware or args.port) else "reference")
    if args.port:
        primary = "port"
    report_io.prepare_output(args.out, args.force)
    names = [primary] + [c for c in (args.compare or "").split(",") if c and c != primary]
    if args.duration is not None and not 0 < args.duration <= 3600:
        raise TinyctlError(f"--duration {args.duration:g}: give a flight length between 0 and 3600 s")
    if args.runs is not None and args.runs < 1:
        raise TinyctlError(f"--runs {args.runs}: give at least one run")
    if args.rate is not None and not 1 <= args.rate <= 10_000:
        raise TinyctlError(f"--rate {args.rate:g}: give a control rate between 1 and 10000 Hz")
    period = None if args.rate is None else int(round(1e6 / args.rate))
    executors = {}
    try:
        first = make_executor(primary, args.model, args.firmware, args.onnx, args.port, args.controller, period)
        if period is not None:
            first.control_period_us = period   # firmware too: it commits its state by STATE time, not by count
        executors[primary] = first
        for name in names[1:]:
            executors[name] = make_executor(name, args.model, args.firmware, args.onnx, None, args.controller,
                                            control_period_us=first.control_period_us)
        for name, ex in executors.items():
            d = ex.describe()
            console.print(f"[bold]{name}[/]: {d.get('runs') or d.get('board')}, control period "
                          f"{ex.control_period_us / 1000:g} ms")
        sim_desc, flown = fly_executors(scenario, args.sim, executors, args.runs, args.seed, args.duration, console)
    finally:
        for ex in executors.values():
            ex.close()
    command = "tinyctl " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else ""
    rep = report_io.build(scenario, sim_desc, flown, command=command)
    path = report_io.write(args.out, rep, {n: [tr for _, tr, _ in r] for n, (_, r) in flown.items()}, primary,
                           args.force)
    print_summary(console, rep, path)
    if rep["faults"]:
        f = rep["faults"][0]
        raise TinyctlError(f"{f['executor']} {f['stop']} (report: {path})")
    return 0


def print_summary(console, rep, path):
    from rich.table import Table
    table = Table(title=f"{rep['scenario']['name']} in {rep['simulator'].get('simulator')}")
    for col in ("executor", "success", "crashes", "RMSE [m]", "max err [m]", "steady-state [m]", "cost/step", "RT x"):
        table.add_column(col)
    for name, e in rep["executors"].items():
        s = e["summary"]
        table.add_row(name, f"{s['successes']}/{s['runs']}", str(s["crashes"]), report_io._fmt(s.get("rmse")),
                      report_io._fmt(s.get("max_error")), report_io._fmt(s.get("steady_state_error")),
                      report_io._fmt(s.get("cost_mean")), report_io._fmt(s.get("real_time_factor")))
    console.print(table)
    for k, d in rep["deviation"].items():
        console.print(f"{k}: max position deviation {report_io._fmt(d['max_position_deviation'])} m, "
                      f"max RMSE difference {report_io._fmt(d['max_rmse_difference'])} m, successes "
                      f"{d['successes']} vs {d['reference_successes']}")
    console.print(f"report: {path}")
