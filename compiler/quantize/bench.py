"""Bench section "quant": the RAPTOR policy and two MLPs in every dtype, on the Cortex-M4F and (integer builds) the
Cortex-M3: instructions per step, flash, RAM, error against the float model; and the quantised RAPTOR policy in
closed loop against the float one (hil_tests), the M3 firmware flying hover in QEMU.

    tinyctl bench --section quant -o BENCHMARKS.md
"""
import os
import tempfile

import numpy as np
from rich.progress import Progress

DTYPES = ("float32", "int8w", "int8", "q15")
STEPS = 200
SCENARIOS = (("builtin", "figure8_slow"), ("builtin", "figure8_medium"), ("builtin", "recovery"),
             ("rotorpy", "figure8_slow"))


def _compile(model, work, name, dtype, target, calibration):
    from tinyctl.compiler import compile_model
    return compile_model(model, os.path.join(work, f"{name}_{dtype}_{target}"), name=name, target=target, dtype=dtype,
                         calibration=None if dtype == "float32" else calibration, verify=True)


def measure(compiled, target, inputs, work):
    """(mean instructions per step, flash, static RAM + stack, soft-float helpers reachable from the step)."""
    from tinyctl.compiler.peers import mcu
    image, steps = mcu.image_of_models([compiled.directory], os.path.join(work, f"img_{compiled.name}_{target}"),
                                       target=target)
    step = steps[compiled.name]
    _, _, counts = step.rollout(inputs)
    static = image.sections.get(".data", 0) + image.sections.get(".bss", 0)
    return (float(counts.mean()), image.flash, static + step.stack_peak(inputs[0]),
            mcu.soft_float_calls(image.elf, f"{compiled.name}_step", target))


def cost_rows(models, work, progress):
    rows = []
    task = progress.add_task("compiling, verifying, measuring", total=sum(len(DTYPES) + 2 for _ in models))
    for name, (title, model, inputs, calibration) in models.items():
        for dtype in DTYPES:
            for target in (("cortex-m4f", "cortex-m3") if dtype in ("int8", "q15") else ("cortex-m4f",)):
                m = _compile(model, work, name, dtype, target, calibration)
                instr, flash, ram, soft = measure(m, target, inputs, work)
                v, man = m.manifest["verify"], m.manifest
                err = (f"{100 * v['max_rel_err']:.2g} % / {100 * v['rms_rel_err']:.2g} %" if dtype != "float32"
                       else f"{v['max_abs_err']:.2g} (contract 1)")
                rows.append((title, dtype, target, instr, man["macs"], flash, man["memory"]["weights_bytes"], ram,
                             "none" if not soft else ", ".join(soft), err))
                progress.advance(task)
    return rows


def raptor_models(work):
    from tinyctl.training.foundation import export, load_checkpoint
    path = os.path.join(work, "raptor.onnx")
    export(path, force=True)
    _, (x, _) = load_checkpoint()
    calib = os.path.join(work, "raptor_sequences.npy")
    np.save(calib, np.swapaxes(x, 0, 1).astype(np.float32))
    return path, calib, x[:STEPS, 0].astype(np.float32)


def closed_loop(raptor, calib, work, console):
    """(scenario, simulator) -> {dtype: summary} flown through the host build of each dtype's C."""
    from tinyctl import scenarios
    from tinyctl.hil_tests.command import fly_executors
    from tinyctl.hil_tests.executors import make_executor
    dirs = {d: _compile(raptor, work, "raptor", d, "cortex-m4f", calib).directory for d in DTYPES}
    out = {}
    for sim, name in SCENARIOS:
        sc = scenarios.get(name)
        executors = {d: make_executor("sil", dirs[d]) for d in DTYPES}
        _, flown = fly_executors(sc, sim, executors, console=console)
        out[(name, sim)] = {d: sc.summarize([m for _, _, m in results]) for d, (_, results) in flown.items()}
    return out


def m3_hover(raptor, calib, work, console):
    from tinyctl import scenarios
    from tinyctl.firmware import build
    from tinyctl.hil_tests.command import fly_executors
    from tinyctl.hil_tests.executors.firmware import qemu_executor
    m = _compile(raptor, work, "raptor", "int8", "cortex-m3", calib)
    fw = build(m.directory, board="qemu-m3", out_dir=os.path.join(work, "fw_m3"))
    ex = qemu_executor(fw.elf)
    try:
        sc = scenarios.get("hover")
        _, flown = fly_executors(sc, "builtin", {"qemu-m3": ex}, console=console)
    finally:
        ex.close()
    return sc.summarize([mm for _, _, mm in flown["qemu-m3"][1]])


def _pct(a, b):
    return f"{100 * (a / b - 1):+.1f} %" if b else "-"


def run(console):
    from tinyctl.compiler import zoo
    import onnx
    with tempfile.TemporaryDirectory(prefix="tinyctl-bench-quant-") as work:
        with console.status("exporting RAPTOR and the reference MLPs"):
            raptor, calib, raptor_inputs = raptor_models(work)
            rng = np.random.default_rng(0)
            models = {"raptor": ("RAPTOR policy", raptor, raptor_inputs, calib)}
            for name in ("mlp_12_64_64_4", "mlp_22_128_128_4"):
                path = os.path.join(work, f"{name}.onnx")
                onnx.save(zoo.all_models()[name], path)
                n_in = int(name.split("_")[1])
                models[name] = (name.replace("mlp_", "MLP ").replace("_", "-"), path,
                                rng.standard_normal((STEPS, n_in)).astype(np.float32), None)
        with Progress(console=console, transient=True) as progress:
            rows = cost_rows(models, work, progress)
        loop = closed_loop(raptor, calib, work, console)
        hover = m3_hover(raptor, calib, work, console)
    lines = ["## Quantisation: int8 weights, integer arithmetic, and how the quantised policy flies", "",
             "`tinyctl bench --section quant`: each model compiled (`--verify`) in each dtype; float32 and int8w for "
             "the Cortex-M4F, int8 and q15 for the M4F (SMLAD dot products) and the M3 (no FPU); run in unicorn "
             f"({STEPS} steps: the RAPTOR checkpoint's sequence, random normal inputs for the MLPs), -O2. RAPTOR is "
             "calibrated on the checkpoint's two 500-step sequences, the MLPs on drawn standard-normal data. "
             "Error: the C against the float model (onnxruntime) on the calibration data, max and rms share of each "
             "output's range (the verify record). Soft-float: helpers reachable from the step in the image's call "
             "graph.", "",
             "| model | dtype | core | instructions | per MAC | flash | weights | RAM | soft-float | error max / rms |",
             "|---|---|---|---:|---:|---:|---:|---:|---|---|"]
    for title, dtype, target, instr, macs, flash, weights, ram, soft, err in rows:
        lines.append(f"| {title} | {dtype} | {target} | {instr:,.0f} | {instr / macs:.2f} | {flash:,} B | "
                     f"{weights:,} B | {ram:,} B | {soft} | {err} |")
    lines += ["", "### The quantised RAPTOR policy in closed loop", "",
              "Flown by `tinyctl hil`'s harness through each dtype's C built for the host (the integer builds' C is "
              "bit for bit the Cortex-M3's, tests/quant), against the float build in the same simulator. The bar: "
              "RMSE within 5 % (or 1 cm) of float, the same successes.", "",
              "| scenario | simulator | dtype | success | RMSE | vs float | max error | steady-state |",
              "|---|---|---|---:|---:|---:|---:|---:|"]
    for (name, sim), by_dtype in loop.items():
        ref = by_dtype["float32"]
        for dtype, s in by_dtype.items():
            diff = "" if dtype == "float32" else \
                f"{_pct(s['rmse'], ref['rmse'])} ({100 * (s['rmse'] - ref['rmse']):+.1f} cm)"
            lines.append(f"| {name} | {sim} | {dtype} | {s['successes']}/{s['runs']} | {s['rmse']:.4f} m | {diff} | "
                         f"{s['max_error']:.4f} m | {s['steady_state_error']:.4f} m |")
    lines += ["", f"The int8 build on `qemu-m3` (Cortex-M3, no FPU) in QEMU, hover in the builtin simulator: "
              f"{hover['successes']}/{hover['runs']} success, RMSE {hover['rmse']:.4f} m, steady-state error "
              f"{hover['steady_state_error']:.4f} m" + (f", {hover['cost_mean']:,.0f} instructions per step "
                                                        "(QEMU -icount)." if hover.get("cost_mean") else ".")]
    return "\n".join(lines) + "\n"
