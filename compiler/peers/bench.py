"""Bench section "peers": tinyctl against emx-onnx-cgen, emlearn and nn4mc on the RAPTOR policy and two MLPs, every
tool's C built with the same compiler and flags into a bare image and run in unicorn on the Cortex-M4 model.

    tinyctl bench --section peers -o BENCHMARKS.md
"""
import os
import tempfile
from dataclasses import dataclass

import numpy as np
from rich.progress import Progress

from tinyctl import boards
from tinyctl.compiler.peers import emlearn_net, emx, mcu, nn4mc_keras
from tinyctl.compiler.peers.build import Build, PeerFailure

OPTS = ("-O2", "-O3")
STEPS = 200
MLPS = {"mlp_12_64_64_4": "MLP 12-64-64-4 (tanh)", "mlp_22_128_128_4": "MLP 22-128-128-4 (relu)"}


@dataclass
class Row:
    tool: str
    counts: dict = None        # opt -> mean instructions per step
    flash: int = 0
    ram_static: int = 0
    stack: int = 0
    error: float = None
    notes: str = ""
    failure: str = ""


def models(work):
    """name -> (title, ONNX path, inputs [T, IN] float32)."""
    import onnx
    from tinyctl.compiler import zoo
    from tinyctl.training.foundation import export, load_checkpoint
    raptor = os.path.join(work, "raptor.onnx")
    export(raptor, force=True)
    _, (x, _) = load_checkpoint()
    out = {"raptor": ("RAPTOR policy (Dense 22-16 relu, GRU 16, Dense 16-4; the checkpoint's sequence)", raptor,
                      x[:STEPS, 0].astype(np.float32))}
    rng = np.random.default_rng(0)
    for name, title in MLPS.items():
        path = os.path.join(work, f"{name}.onnx")
        onnx.save(zoo.all_models()[name], path)
        n_in = int(name.split("_")[1])
        out[name] = (f"{title}, random normal inputs", path, rng.standard_normal((STEPS, n_in)).astype(np.float32))
    return out


def reference(onnx_path, compiled, inputs):
    """onnxruntime on the float ONNX, the state carried like the C API: outputs [T, OUT]."""
    from tinyctl.compiler.verify import Reference
    import onnx
    ref = Reference(onnx.load(onnx_path), compiled.graph, compiled.manifest)
    s, outs = compiled.reset(), []
    for x in inputs:
        y, nxt = ref.step(x, s)
        s = nxt if nxt.size else s
        outs.append(y)
    return np.array(outs)


def tinyctl_build(compiled):
    return Build("tinyctl", compiled.name, [os.path.join(compiled.directory, f"{compiled.name}.c")],
                 [compiled.directory], dict(compiled.manifest["sizes"]), strict=True)


def measure(build, inputs, expected, work, progress, task):
    row = Row(build.tool, counts={}, notes="; ".join(build.notes))
    for opt in OPTS:
        image = mcu.build_image(build.sources, build.include_dirs, [f"{build.name}_step", f"{build.name}_reset"],
                                os.path.join(work, f"image{opt}"), opt=opt, strict=build.strict, std=build.std)
        step = mcu.Step(image, build.name, build.sizes)
        outs, _, counts = step.rollout(inputs)
        row.counts[opt] = float(counts.mean())
        if opt == "-O2":
            heap = step.read_word(build.heap_symbol) if build.heap_symbol else 0
            row.flash = image.flash
            row.ram_static = image.sections.get(".data", 0) + image.sections.get(".bss", 0) - build.pool_bytes + heap
            row.stack = step.stack_peak(inputs[0])
            row.error = float(np.abs(outs - expected).max())
            if heap:
                row.notes = "; ".join(filter(None, [row.notes, f"heap peak {heap} B counted in RAM"]))
        progress.advance(task)
    return row


def run_model(name, title, onnx_path, inputs, work, progress):
    from tinyctl.compiler import compile_model
    compiled = compile_model(onnx_path, os.path.join(work, name, "tinyctl"), name=name, target="cortex-m4f")
    expected = reference(onnx_path, compiled, inputs)
    makers = [("tinyctl", lambda d: tinyctl_build(compiled)),
              (emx.TOOL, lambda d: emx.build(onnx_path, compiled.manifest, d)),
              (emlearn_net.TOOL, lambda d: emlearn_net.build(onnx_path, compiled.manifest, d)),
              (nn4mc_keras.TOOL, lambda d: nn4mc_keras.build(onnx_path, compiled.manifest, d)),
              ("nn4mc, one token fixed by hand", lambda d: nn4mc_keras.build(onnx_path, compiled.manifest, d, fix=True))]
    task = progress.add_task(f"{name}: building and running", total=len(makers) * len(OPTS))
    rows = []
    for k, (tool, make) in enumerate(makers):
        d = os.path.join(work, name, f"peer{k}")
        try:
            build = make(d)
            build.tool = tool
            rows.append(measure(build, inputs, expected, d, progress, task))
        except PeerFailure as e:
            rows.append(Row(tool, failure=str(e)))
            progress.advance(task, len(OPTS))
    if rows[-2].failure and rows[-1].failure and "not compile" not in rows[-2].failure:
        rows.pop()   # the hand fix is only for the one token that does not compile
    return compiled.manifest["macs"], rows


def table(title, macs, rows):
    lines = [f"### {title}", "",
             f"{macs:,} MACs per step. Instructions: mean per step in unicorn's Cortex-M4 model. RAM: static (.data, "
             ".bss, a heap's peak) + the step's stack peak, at -O2. Error: largest |y - r| against onnxruntime.", "",
             "| tool | -O2 | -O3 | per MAC (-O2 / -O3) | flash | RAM | max error | notes |",
             "|---|---:|---:|---:|---:|---:|---:|---|",
             f"| lower bound: one multiply-accumulate per MAC | {macs:,} | {macs:,} | 1.00 / 1.00 | | | | |"]
    for r in rows:
        if r.failure:
            lines.append(f"| {r.tool} | fails | fails | | | | | {r.failure} |")
            continue
        o2, o3 = r.counts["-O2"], r.counts["-O3"]
        lines.append(f"| {r.tool} | {o2:,.0f} | {o3:,.0f} | {o2 / macs:.2f} / {o3 / macs:.2f} | {r.flash:,} B | "
                     f"{r.ram_static:,} + {r.stack:,} B | {r.error:.2g} | {r.notes} |")
    return lines


def run(console):
    target = boards.target("cortex-m4f")
    with tempfile.TemporaryDirectory(prefix="tinyctl-bench-peers-") as work:
        with console.status("exporting RAPTOR, writing the reference models"):
            ms = models(work)
        results = {}
        with Progress(console=console, transient=True) as progress:
            for name, (title, path, inputs) in ms.items():
                results[name] = (title,) + run_model(name, title, path, inputs, work, progress)
    versions = (f"emx-onnx-cgen {emx.version()}, emlearn {emlearn_net.version()}, nn4mc {nn4mc_keras.version()}")
    lines = ["## Peers: tinyctl against the other model-to-C tools on the Cortex-M4F", "",
             f"`tinyctl bench --section peers`: each tool's C for the same model ({versions}), built with "
             f"arm-none-eabi-gcc 12.2 `{' '.join(target.cflags)} -std=c99 -ffunction-sections -fdata-sections` at -O2 "
             "and -O3 into a bare image (the step and what it links, newlib-nano), behind the contract-1 step "
             "signature (a wrapper call for the peers), and run in unicorn (the PIL runner). tinyctl: `--target "
             "cortex-m4f`, float32 (its Cortex-M4F kernels and activations). A tool that fails is listed with why.", ""]
    for name, (title, macs, rows) in results.items():
        lines += table(title, macs, rows) + [""]
    raptor = next(r for r in results["raptor"][2] if r.tool == "tinyctl")
    macs = results["raptor"][1]
    peer_best = min((r.counts[o] for r in results["raptor"][2] if r.tool != "tinyctl" and not r.failure for o in OPTS),
                    default=None)
    lines.append(f"The bar for RAPTOR (at most 2 instructions per MAC, {2 * macs:,}, at -O2 and -O3; RAM at most "
                 f"512 B): {raptor.counts['-O2']:,.0f} and {raptor.counts['-O3']:,.0f} instructions, "
                 f"{raptor.ram_static + raptor.stack:,} B of RAM"
                 + (f"; the best peer needs {peer_best:,.0f} ({peer_best / raptor.counts['-O3']:.1f}x)." if peer_best
                    else "."))
    return "\n".join(lines) + "\n"
