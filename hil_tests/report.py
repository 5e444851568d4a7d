"""HIL reports: report.json (everything, machine-readable), report.md (one page that embeds the plots), the PNGs,
and traces.npz (every flight's arrays). When several executors flew the same episodes, the report gives their
deviation from the float reference: per run, how far the trajectories and motor commands drifted apart, and the
difference of their RMSEs and success counts.
"""
import json
import os

import numpy as np

from tinyctl import __version__
from tinyctl.firmware.output import check_destination, staged
from tinyctl.hil_tests import plots
from tinyctl.hil_tests.harness import deviation
from tinyctl.scenarios.metrics import HOLD_TOLERANCE

MARKER = "report.json"


def _clean(v):
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.ndarray):
        return _clean(v.tolist())
    return v


def build(scenario, simulator, flown, reference="reference", command=""):
    """flown: {executor: (describe dict, [(episode, trace, metrics), ...])} -> the report dict."""
    report = {"tinyctl_version": __version__, "command": command, "scenario": scenario.to_dict(),
              "simulator": simulator, "executors": {}, "deviation": {}, "faults": []}
    for name, (desc, results) in flown.items():
        runs = []
        for ep, tr, m in results:
            run = {"run": ep.index, "seed": ep.seed, "initial": ep.initial.to_dict(), "metrics": m,
                   "stop": tr.stop, "control_period_us": tr.info.get("control_period_us")}
            if tr.info.get("fault"):
                run["fault"] = tr.info["fault"]
                report["faults"].append({"executor": name, "run": ep.index, **tr.info["fault"], "stop": tr.stop})
            runs.append(run)
        report["executors"][name] = {"describe": desc, "summary": scenario.summarize([m for _, _, m in results]),
                                     "runs": runs}
    if reference in flown:
        ref_results = flown[reference][1]
        for name, (_, results) in flown.items():
            if name == reference:
                continue
            per_run = []
            for (ep, tr, m), (_, rtr, rm) in zip(results, ref_results):
                d = deviation(tr, rtr)
                d.update(run=ep.index, rmse_difference=abs(m.get("rmse", np.nan) - rm.get("rmse", np.nan)),
                         same_success=bool(m.get("success")) == bool(rm.get("success")))
                per_run.append(d)
            s, rs = report["executors"][name]["summary"], report["executors"][reference]["summary"]
            report["deviation"][f"{name}_vs_{reference}"] = {
                "runs": per_run,
                "max_position_deviation": max((d.get("max_position_deviation", 0.0) for d in per_run), default=None),
                "max_rmse_difference": max((d["rmse_difference"] for d in per_run), default=None),
                "successes": s["successes"], "reference_successes": rs["successes"]}
    report["status"] = "fault" if report["faults"] else "ok"
    return _clean(report)


def prepare_output(out_dir, force=False):
    """Refuse, before anything flies, a directory that holds something other than a previous HIL report."""
    check_destination(os.path.abspath(out_dir), MARKER, force, "HIL report")


def write(out_dir, report, flights, primary, force=False):
    """Write report.json, report.md, the plots and traces.npz into out_dir, replacing a previous report whole."""
    with staged(out_dir, MARKER, force, "HIL report") as tmp:
        title = f"{report['scenario']['name']} in {report['simulator'].get('simulator', '?')}"
        report["plots"] = plots.write_all(flights, tmp, title, primary,
                                          HOLD_TOLERANCE if report["scenario"]["kind"] == "hold" else None)
        arrays = {}
        for name, traces in flights.items():
            for k, tr in enumerate(traces):
                for key, value in tr.to_arrays().items():
                    arrays[f"{name}/{k}/{key}"] = value
        np.savez_compressed(os.path.join(tmp, "traces.npz"), **arrays)
        with open(os.path.join(tmp, "report.json"), "w") as f:
            json.dump(report, f, indent=1)
        with open(os.path.join(tmp, "report.md"), "w") as f:
            f.write(markdown(report))
    return os.path.join(out_dir, "report.md")


def _fmt(v, unit="", digits=3):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}g}{unit}"
    return f"{v}{unit}"


SUMMARY_COLUMNS = (("successes", "success", ""), ("crashes", "crashes", ""), ("rmse", "RMSE", " m"),
                   ("max_error", "max error", " m"), ("steady_state_error", "steady-state error", " m"),
                   ("settle_time", "settle", " s"), ("overshoot", "overshoot", " %"), ("rise_time", "rise", " s"),
                   ("max_deviation", "max deviation", " m"), ("cost_mean", "cost/step", ""),
                   ("real_time_factor", "real time x", ""))


def summary_table(report):
    """Markdown table: one row per executor, the scenario's metrics averaged over its runs."""
    rows = [(n, e["summary"], e["describe"]) for n, e in report["executors"].items()]
    cols = [c for c in SUMMARY_COLUMNS if any(c[0] in s for _, s, _ in rows)]
    head = "| executor | " + " | ".join(c[1] for c in cols) + " |"
    out = [head, "|" + "---|" * (len(cols) + 1)]
    for name, s, d in rows:
        cells = []
        for key, _, unit in cols:
            if key == "successes":
                cells.append(f"{s['successes']}/{s['runs']}")
            elif key == "cost_mean" and key in s:
                cells.append(f"{s[key]:.0f} {d.get('cost_unit') or ''}".strip())
            else:
                cells.append(_fmt(s.get(key), unit))
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def markdown(report):
    sc, sim = report["scenario"], report["simulator"]
    lines = [f"# HIL report: {sc['name']} in {sim.get('simulator')}", "",
             f"{sc['description']}; {sc['duration']:g} s, {len(next(iter(report['executors'].values()))['runs'])} "
             f"run(s), success criterion `{sc['kind']}`.", "",
             f"Vehicle: {sim.get('vehicle')} ({_fmt(sim.get('mass'), ' kg')}, thrust-to-weight "
             f"{_fmt(sim.get('thrust_to_weight'))}), integrator {sim.get('integrator')}.", ""]
    for name, e in report["executors"].items():
        d = e["describe"]
        where = d.get("runs") or d.get("board") or ""
        lines.append(f"- **{name}**: {where}; control period {d.get('control_period_us', 0) / 1000:g} ms")
    lines += ["", summary_table(report), ""]
    if report["deviation"]:
        lines += ["## Deviation from the float reference", "",
                  "| executors | max position deviation | max RMSE difference | successes |", "|---|---|---|---|"]
        for k, d in report["deviation"].items():
            lines.append(f"| {k} | {_fmt(d['max_position_deviation'], ' m')} | {_fmt(d['max_rmse_difference'], ' m')}"
                         f" | {d['successes']} vs {d['reference_successes']} |")
        lines.append("")
    if report["faults"]:
        lines += ["## Stopped", ""]
        for f in report["faults"]:
            lines.append(f"- {f['executor']} run {f['run']}: {f['stop']}")
            if f.get("last_text"):
                lines += ["", "  Last text the firmware printed:", "", "      " + "\n      ".join(
                    f["last_text"].splitlines()[-8:]), ""]
        lines.append("")
    p = report.get("plots", {})
    lines += ["## Plots", "", f"![trajectory]({p.get('trajectory_3d')}) ![top view]({p.get('trajectory_top')})", "",
              f"![errors]({p.get('errors')}) ![motors]({p.get('motors')})", "",
              "Data: `report.json` (metrics per run), `traces.npz` (every flight's arrays).", ""]
    return "\n".join(lines)
