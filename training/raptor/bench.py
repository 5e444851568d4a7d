"""Bench section "training": the batched simulator's throughput, the cost of the training loop's parts at one
and two torch threads, and a full default `tinyctl train raptor` run with the time of each phase and its
held-out table. The run is kept in build/bench/training (replaced by the next bench run), so it can be
evaluated further (`tinyctl train raptor --evaluate -o build/bench/training`) and flown.

    tinyctl bench --section training -o BENCHMARKS.md

Rates are given per wall-clock second and per CPU second of this process: on a shared machine the second does
not depend on the load, and for one thread it is what an idle core reaches.
"""
import os
import time

import torch

from tinyctl.training.raptor import domain, observation as obs_lib
from tinyctl.training.raptor.dynamics import Plant, hover_states
from tinyctl.training.threads import torch_threads

L2F = "L2F 2.0.18 on this kind of machine (shared/notes/simulators.md): ~1.1 M/s single environment, 2.7-5.1 M/s vectorised"
BATCHES = (1, 64, 1024, 4096, 16384)
RUN_DIR = os.path.join("build", "bench", "training")   # the bench's own run, kept for `--evaluate` and HIL
SECONDS = 2.0


def _timed(fn, seconds=SECONDS):
    """(calls, wall s, cpu s) running fn repeatedly for about `seconds` of wall time."""
    fn()
    calls, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        fn()
        calls += 1
    return calls, time.perf_counter() - t0, time.process_time() - c0


def simulator_rows(threads):
    rows = []
    g = torch.Generator().manual_seed(0)
    for b in BATCHES:
        v = domain.sample_vehicles(b, g).to(torch.float32)
        plant = Plant(v)
        state = {"x": hover_states(v).T.contiguous()}
        u = v.hover_motor[None].expand(4, b).contiguous()

        def step():
            state["x"] = plant.step(state["x"], u, 0.01)
        with torch.no_grad(), torch_threads(threads):
            calls, wall, cpu = _timed(step)
        rows.append((threads, b, calls * b / wall, calls * b / cpu))
    return rows


def closed_loop_rows(threads, batch=512):
    """One training rollout step (observation, teacher label, student step, plant step) per vehicle."""
    from tinyctl.training.raptor.student import Student
    from tinyctl.training.raptor.teachers.lqr import LqrTeacher
    g = torch.Generator().manual_seed(0)
    v = domain.sample_vehicles(batch, g).to(torch.float32)
    d = domain.sample_disturbances(v, g)
    teacher, student, plant = LqrTeacher(v, d), Student(), Plant(v)
    s = {"x": domain.sample_initial_states(v, g), "h": student.initial_state(batch),
         "prev": obs_lib.reset_previous_action(batch)}
    zeros, force = torch.zeros(batch, 3), d.T.contiguous()

    def step():
        o = obs_lib.build_observation(s["x"], zeros, zeros, s["prev"])
        teacher.act(s["x"], zeros, zeros, s["prev"])
        raw, s["h"] = student.step(o, s["h"])
        s["prev"] = obs_lib.clip_action(raw)
        u = obs_lib.action_to_motors(s["prev"])
        s["x"] = plant.step(s["x"].T.contiguous(), u.T.contiguous(), 0.01, force=force).T
    with torch.no_grad(), torch_threads(threads):
        calls, wall, cpu = _timed(step)
    return calls * batch / wall, calls * batch / cpu


def bptt_rows(threads, batch=256, steps=500):
    from tinyctl.training.raptor.student import Student
    s = Student()
    opt = torch.optim.Adam(s.parameters(), 1e-3)
    x, y = torch.randn(batch, steps, 22), torch.randn(batch, steps, 4)

    def update():
        h = None
        for t0 in range(0, steps, 100):
            out, h = s(x[:, t0:t0 + 100], h)
            h = h.detach()
            loss = ((out - y[:, t0:t0 + 100]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch_threads(threads):
        calls, wall, cpu = _timed(update, 4.0)
    return calls * batch * steps / wall, calls * batch * steps / cpu


def _m(rate):
    return f"{rate / 1e6:.2f} M" if rate >= 1e5 else f"{rate / 1e3:.1f} k"


def run(console):
    from tinyctl.training.raptor.report import evaluation_markdown
    from tinyctl.training.raptor.train import train
    with console.status("simulator throughput"):
        sim = simulator_rows(1) + simulator_rows(2)
    with console.status("closed-loop rollout and BPTT throughput"):
        loop = {t: closed_loop_rows(t) for t in (1, 2)}
        bptt = {t: bptt_rows(t) for t in (1, 2)}
    console.print(f"training with the defaults (tinyctl train raptor -o {RUN_DIR} --force)")
    record = train(RUN_DIR, progress=True, force=True)
    lines = ["## Training (tinyctl train raptor)", "",
             "Batched quadrotor (training/raptor/dynamics.py: the core's equations, RK4, float32), env-steps per "
             "second at several batch sizes (vehicles stepped at once), by wall time and by this process's CPU time. "
             f"Reference: {L2F}.", "",
             "| threads | vehicles | env-steps/s (wall) | env-steps/s (CPU) |", "|---|---|---|---|"]
    lines += [f"| {t} | {b} | {_m(w)} | {_m(c)} |" for t, b, w, c in sim]
    lines += ["", "A whole training rollout step (observation, LQR teacher label, student GRU step, plant step), 512 "
                  "vehicles, and truncated BPTT of the student (256 episodes x 500 steps, windows of 100):", "",
              "| threads | rollout env-steps/s (wall) | (CPU) | BPTT samples/s (wall) | (CPU) |",
              "|---|---|---|---|---|"]
    lines += [f"| {t} | {_m(loop[t][0])} | {_m(loop[t][1])} | {_m(bptt[t][0])} | {_m(bptt[t][1])} |" for t in (1, 2)]
    t = record["timing"]
    lines += ["", f"`tinyctl train raptor` with the defaults ({record['config']['iterations']} DAgger iterations of "
                  f"{record['config']['vehicles']} fresh vehicles, {record['threads']} thread):", "",
              "| phase | wall s |", "|---|---|"]
    for key, label in (("collect_s", "collect (teacher design, rollouts, labels)"), ("train_s", "train (BPTT)"),
                       ("validate_s", "validation flights"), ("export_s", "export + onnxruntime check"),
                       ("evaluate_s", "held-out evaluation (3 policies x 3 scenarios)"),
                       ("total_wall_s", "total")):
        if key in t:
            lines.append(f"| {label} | {t[key]:.1f} |")
    lines.append(f"\nCPU seconds: collecting {t['collect_cpu_s']:.1f} (worker process), training {t['train_cpu_s']:.1f}; "
                 f"the trainer waited {t['wait_s']:.1f} s for data; distillation {t['distill_wall_s']:.1f} s wall.\n")
    if "evaluation" in record:
        lines.append(evaluation_markdown(record["evaluation"], 200, "raptor", "tinyctl train raptor -o DIR").split("\n", 2)[2])
    return "\n".join(lines)
