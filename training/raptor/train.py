"""`tinyctl train raptor -o DIR`: distil per-vehicle teachers into one RAPTOR-shaped recurrent policy.

DIR receives
    student.onnx      the policy, single step with explicit state (the form of `tinyctl export raptor`)
    student.pt        its torch weights and shape
    training.json     configuration, per-iteration history, time per phase, the evaluation summary
    training.png      training curves
    evaluation.md     held-out vehicles: ours against the published RAPTOR policy and the teachers
    evaluation.json   the same with per-vehicle metrics
    checkpoint.pt     the DAgger state after the last finished iteration: an interrupted run resumes from it
Nothing a user had is overwritten: a finished DIR needs --force; an unfinished one resumes when its
configuration matches, and otherwise needs --force too.
"""
import json
import math
import os
import time
from dataclasses import replace

import numpy as np
import torch

from tinyctl.errors import TinyctlError
from tinyctl.training.threads import torch_threads
from tinyctl.training.raptor import evaluate as eval_lib
from tinyctl.training.raptor import flight
from tinyctl.training.raptor.distill import DistillConfig, Distiller
from tinyctl.training.raptor.student import Student, StudentShape

DEFAULT = DistillConfig()
QUICK = DistillConfig(iterations=12, vehicles=512, teacher_iterations=3, buffer_iterations=4, batch=128, lr=5e-3,
                      lr_final=1e-3, domain="crazyflie")
CHECKPOINT = "checkpoint.pt"
OUTPUTS = ("student.onnx", "student.pt", "training.json", "training.png", "evaluation.md", "evaluation.json")
VALIDATION_VEHICLES = 64


def config_for(quick=False, vehicles=None, iterations=None, seed=None, teacher=None, dense=None, hidden=None):
    c = QUICK if quick else DEFAULT
    changes = {k: v for k, v in (("vehicles", vehicles), ("iterations", iterations), ("seed", seed),
                                 ("teacher", teacher), ("dense", dense), ("hidden", hidden)) if v is not None}
    for key in ("vehicles", "iterations", "dense", "hidden"):
        if key in changes and changes[key] < 1:
            raise TinyctlError(f"--{key} must be at least 1 (got {changes[key]})")
    return replace(c, **changes)


def _save_atomic(obj, path):
    tmp = f"{path}.tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def write_text_atomic(path, text):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                                console=Console(stderr=True))
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.__exit__(*exc)

    def task(self, description, total, completed=0):
        return self.bar.add_task(description, total=total, completed=completed, info="") if self.enabled else None

    def update(self, task, advance=0, **info):
        if self.enabled:
            self.bar.update(task, advance=advance, info=" ".join(f"{k} {v}" for k, v in info.items()))


def _prepare(out_dir, config, force):
    """Create out_dir; returns a checkpoint to resume from, or None. Refuses to overwrite anything silently."""
    os.makedirs(out_dir, exist_ok=True)
    ckpt_path = os.path.join(out_dir, CHECKPOINT)
    finished = [f for f in OUTPUTS if os.path.exists(os.path.join(out_dir, f))]
    if force:
        for f in finished + [CHECKPOINT]:
            if os.path.exists(os.path.join(out_dir, f)):
                os.remove(os.path.join(out_dir, f))
        return None
    if finished:
        raise TinyctlError(f"{out_dir} already holds a trained policy ({', '.join(finished)}); "
                           "pass --force to train again or choose another -o")
    if not os.path.exists(ckpt_path):
        return None
    ckpt = torch.load(ckpt_path, weights_only=False)
    if ckpt.get("config") != config.to_dict():
        raise TinyctlError(f"{ckpt_path} is from a run with other settings; pass --force to start over, or the "
                           "same options to resume it")
    return ckpt


def _validate(student, vehicles, episodes):
    results = flight.evaluate(vehicles, episodes, flight.PolicyActor(student))
    s = eval_lib.summarize(results)
    return s["success_rate"], s["steady_state_error_median"]


TIMED = ("collect_s", "collect_cpu_s", "train_s", "train_cpu_s", "wait_s")


def _distil(distiller, out_dir, timing, bar, validations):
    """The DAgger iterations, a checkpoint after each, `validations` validation flights spread over the run."""
    from tinyctl import scenarios
    config = distiller.config
    val_vehicles = eval_lib.heldout_vehicles(VALIDATION_VEHICLES, eval_lib.VALIDATION_SEED, config.domain)
    val_episodes = scenarios.get("recovery").episodes(runs=VALIDATION_VEHICLES, seed=eval_lib.EPISODE_SEED)
    every = max(1, math.ceil(config.iterations / validations))
    task = bar.task("distilling", config.iterations, distiller.iteration)
    while distiller.iteration < config.iterations:
        row = distiller.iterate()
        for key in TIMED:
            timing[key] += row[key]
        if distiller.iteration % every == 0 or distiller.iteration == config.iterations:
            t = time.perf_counter()
            row["validation_success"], row["validation_sse"] = _validate(distiller.student, val_vehicles,
                                                                         val_episodes)
            row["validate_s"] = time.perf_counter() - t
            timing["validate_s"] += row["validate_s"]
        _save_atomic({**distiller.state_dict(), "timing": timing}, os.path.join(out_dir, CHECKPOINT))
        info = {"loss": f"{row['loss']:.4f}"}
        if "validation_success" in row:
            info["validation"] = f"{100 * row['validation_success']:.0f}%"
        bar.update(task, advance=1, **info)


def _evaluate(student, out_dir, quick, heldout, domain, command, bar):
    """The held-out table (evaluation.md, .json); returns its summary."""
    from tinyctl.training.raptor.report import evaluation_markdown
    n = min(heldout, 50) if quick else heldout
    names = ("recovery",) if quick else eval_lib.SCENARIOS
    task = bar.task("evaluating", len(names) * 3)
    vehicles = eval_lib.heldout_vehicles(n, domain=domain)
    results = eval_lib.run({"ours": student, "published": Student.from_raptor()}, vehicles, names,
                           progress=lambda *_: bar.update(task, advance=1))
    summary = {s: {p: r["summary"] for p, r in v.items()} for s, v in results.items()}
    write_text_atomic(os.path.join(out_dir, "evaluation.json"),
                json.dumps({"vehicles": eval_lib.vehicle_table(vehicles), "results": results}, indent=1,
                           default=float))
    write_text_atomic(os.path.join(out_dir, "evaluation.md"), evaluation_markdown(summary, n, domain, command=command))
    return summary


def train(out_dir, quick=False, vehicles=None, iterations=None, seed=None, teacher=None, force=False,
          evaluate=True, heldout=200, progress=True, threads=1, workers=1, dense=None, hidden=None):
    """Train, export and evaluate; returns the training.json record. `workers=1` collects in a second process
    (overlapping training), 0 in this one."""
    from tinyctl.training.raptor.distill import InlineCollector, ProcessCollector
    from tinyctl.training.raptor.export import export
    from tinyctl.training.raptor.plots import training_curves
    config = config_for(quick, vehicles, iterations, seed, teacher, dense, hidden)
    out_dir = os.path.abspath(out_dir)
    ckpt = _prepare(out_dir, config, force)
    with torch_threads(threads):
        torch.manual_seed(config.seed)
        student = Student(StudentShape(dense=config.dense, hidden=config.hidden))
        distiller = Distiller(student, config, collector=ProcessCollector() if workers else InlineCollector())
        timing = dict.fromkeys(TIMED + ("validate_s",), 0.0)
        if ckpt is not None:
            distiller.load_state_dict(ckpt)
            timing = ckpt.get("timing", timing)
        wall0 = time.perf_counter()
        try:
            with _Progress(progress) as bar:
                _distil(distiller, out_dir, timing, bar, validations=1 if quick else 8)
                distiller.close()
                timing["distill_wall_s"] = time.perf_counter() - wall0
                t = time.perf_counter()
                deviation = export(student, os.path.join(out_dir, "student.onnx"), force=True,
                                   metadata={"tinyctl_config": json.dumps(config.to_dict())})
                torch.save({"shape": student.shape.to_dict(), "state_dict": student.state_dict()},
                           os.path.join(out_dir, "student.pt"))
                timing["export_s"] = time.perf_counter() - t
                record = {"config": config.to_dict(), "student": student.shape.to_dict(),
                          "parameters": student.parameter_count(), "history": distiller.history,
                          "export": {"file": "student.onnx",
                                     "max_abs_deviation_torch_onnxruntime": deviation["torch"],
                                     "max_abs_deviation_onnxruntime_float64": deviation["float64"],
                                     "max_abs_deviation_torch_float64": deviation["torch_float64"]},
                          "threads": threads, "workers": workers, "timing": timing}
                if evaluate:
                    t = time.perf_counter()
                    record["evaluation"] = _evaluate(student, out_dir, quick, heldout, config.domain,
                                                    _command(quick, config), bar)
                    timing["evaluate_s"] = time.perf_counter() - t
            timing["total_wall_s"] = time.perf_counter() - wall0
            training_curves(distiller.history, os.path.join(out_dir, "training.png"))
            write_text_atomic(os.path.join(out_dir, "training.json"), json.dumps(record, indent=1, default=float))
            return record
        finally:
            distiller.close()


def _command(quick, config):
    parts = ["tinyctl train raptor"]
    if quick:
        parts.append("--quick")
    base = QUICK if quick else DEFAULT
    for key in ("vehicles", "iterations", "seed", "dense", "hidden"):
        if getattr(config, key) != getattr(base, key):
            parts.append(f"--{key} {getattr(config, key)}")
    return " ".join(parts) + " -o DIR"


def load_student(out_dir):
    """The trained Student of a `tinyctl train raptor` directory."""
    path = os.path.join(out_dir, "student.pt")
    if not os.path.exists(path):
        raise TinyctlError(f"{out_dir} holds no trained policy (student.pt): run tinyctl train raptor -o {out_dir}")
    d = torch.load(path, weights_only=False)
    s = Student(StudentShape(**d["shape"]))
    s.load_state_dict(d["state_dict"])
    return s.eval()


def summary_line(record):
    ev = record.get("evaluation", {}).get("recovery")
    t = record["timing"]
    line = f"trained in {t['total_wall_s'] / 60:.1f} min"
    if ev:
        ours, pub = ev["ours"], ev["published"]
        line += (f"; held-out recovery: ours {100 * ours['success_rate']:.1f}% "
                 f"(median steady-state error {100 * (ours['steady_state_error_median'] or np.nan):.2f} cm), "
                 f"published RAPTOR {100 * pub['success_rate']:.1f}% "
                 f"({100 * (pub['steady_state_error_median'] or np.nan):.2f} cm)")
        if "teachers" in ev:
            line += f", teachers {100 * ev['teachers']['success_rate']:.1f}%"
    return line
