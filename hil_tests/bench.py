"""Bench section "hil": closed-loop steps per second for each executor, and the scenario table in RotorPy for
RotorPy's SE(3) controller and the published RAPTOR policy (float reference in-process, firmware in QEMU).

    tinyctl bench --section hil -o BENCHMARKS.md
"""
import os
import tempfile
import time

from tinyctl import scenarios
from tinyctl.hil_tests import sweep
from tinyctl.hil_tests.executors import make_executor
from tinyctl.hil_tests.harness import run_scenario
from tinyctl.hil_tests.sims import make_sim

THROUGHPUT_SECONDS = 10.0
SWEEP_RUNS = 50


def prepare(work, console):
    """Export and compile the RAPTOR policy, build its firmware for the default board."""
    from tinyctl.compiler import compile_model
    from tinyctl.firmware import build
    from tinyctl.training.foundation import export
    onnx = os.path.join(work, "raptor.onnx")
    with console.status("exporting, compiling and building the RAPTOR firmware for qemu-stm32f405"):
        export(onnx, force=True)
        compile_model(onnx, os.path.join(work, "raptor"), name="raptor", target="cortex-m4f", verify=True)
        fw = build(os.path.join(work, "raptor"), board="qemu-stm32f405", out_dir=os.path.join(work, "fw"))
    return os.path.join(work, "raptor"), fw


def _cpu_seconds(pid):
    """User + system CPU time of a process (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(model_dir, fw, console):
    """Rows (executor, simulator, control rate, steps/s, x real time, cost per step, CPU ms per step). The CPU time
    (this process plus QEMU's) does not depend on how loaded the machine is: its inverse is the rate one idle core
    would reach, since lock-step leaves nothing to overlap."""
    rows = []
    cases = [("reference", "builtin", 10_000), ("sil", "builtin", 10_000), ("pil", "builtin", 10_000),
             ("qemu", "builtin", 10_000), ("qemu", "builtin", 2_000), ("reference", "rotorpy", 10_000),
             ("qemu", "rotorpy", 10_000)]
    sc = scenarios.get("hover")
    for name, sim_name, period in cases:
        ex = make_executor(name, model_dir, fw, control_period_us=period)
        try:
            with console.status(f"{name} in {sim_name} at {1e6 / period:g} Hz"):
                session = getattr(ex, "session", None)
                q0 = _cpu_seconds(session.proc.pid) if session else 0.0
                t0, c0 = time.perf_counter(), time.process_time()
                _, tr, m = run_scenario(sc, make_sim(sim_name), ex, control_period_us=period,
                                        duration=THROUGHPUT_SECONDS)[0]
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                cpu += (_cpu_seconds(session.proc.pid) - q0) if session else 0.0
        finally:
            ex.close()
        rate = len(tr) / wall
        rows.append((name, sim_name, 1e6 / period, rate, rate * period / 1e6, m.get("cost_mean"), ex.cost_unit,
                     1e3 * cpu / len(tr)))
    return rows


def run(console):
    work = tempfile.mkdtemp(prefix="tinyctl-bench-hil-")
    model_dir, fw = prepare(work, console)
    load = os.getloadavg()[0]
    rows = throughput(model_dir, fw, console)
    executors = {"se3": make_executor("se3"), "reference": make_executor("reference", model_dir),
                 "qemu": make_executor("qemu", model_dir, fw)}
    try:
        table = sweep.run_sweep("rotorpy", executors, runs=SWEEP_RUNS, console=console)
        builtin = sweep.run_sweep("builtin", {"reference": executors["reference"]}, runs=SWEEP_RUNS,
                                  console=console)
    finally:
        for ex in executors.values():
            ex.close()
    q100 = next(r for r in rows if r[0] == "qemu" and r[1] == "builtin" and r[2] == 100)
    lines = ["## HIL: closed loop", "",
             "`tinyctl bench --section hil`: the published RAPTOR policy (compiled for cortex-m4f, firmware for "
             f"qemu-stm32f405) flying hover for {THROUGHPUT_SECONDS:g} s of simulated time per row; steps/s are "
             "closed-loop control periods per second of wall-clock time (link round trip, policy, simulator). "
             f"Load average when it started: {load:.1f} on {os.cpu_count()} cores (QEMU's serial model takes "
             "about 20 us of host CPU per byte, so the link is what a loaded machine slows down).", "",
             "| executor | simulator | control rate | steps/s | x real time | cost per step | CPU per step | "
             "steps/s on an idle core |", "|---|---|---|---|---|---|---|---|"]
    for name, sim_name, hz, rate, rtf, cost, unit, cpu_ms in rows:
        c = "-" if cost is None else f"{cost:.0f} {unit}"
        lines.append(f"| {name} | {sim_name} | {hz:g} Hz | {rate:.0f} | {rtf:.2f} | {c} | {cpu_ms:.2f} ms | "
                     f"{1e3 / cpu_ms:.0f} |")
    idle = 1e3 / q100[7]
    lines += ["", f"QEMU HIL in the builtin simulator ran {q100[3]:.0f} steps/s here: {q100[3] / 100:.1f}x real time "
              f"at 100 Hz, {q100[3] / 500:.2f}x at 500 Hz. Its CPU time per step ({q100[7]:.2f} ms, QEMU and host "
              f"together) allows about {idle:.0f} steps/s on an idle core: {idle / 100:.1f}x real time at 100 Hz, "
              f"{idle / 500:.2f}x at 500 Hz.", "",
              f"Scenario table in RotorPy (Crazyflie parameters, 100 Hz control; recovery over {SWEEP_RUNS} seeded "
              "runs, seed 0):", "",
              sweep.markdown(table, {"se3": "RotorPy SE(3)", "reference": "RAPTOR, float reference (onnxruntime)",
                                     "qemu": "RAPTOR, firmware in QEMU"}), "",
              "The same scenarios in the builtin simulator (the L2F-identified Crazyflie 2.1: 30.6 g, thrust-to-weight "
              "1.47, motors 55 ms up and 249 ms down, rotor drag), the RAPTOR policy as the float reference:", "",
              sweep.markdown(builtin, {"reference": "RAPTOR, float reference (onnxruntime)"})]
    return "\n".join(lines)
