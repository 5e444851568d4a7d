"""Benchmark section "firmware": the RAPTOR firmware's link throughput in QEMU, its instructions per step
(unicorn and QEMU -icount, side by side), and its flash and RAM per board.

    tinyctl bench --section firmware -o BENCHMARKS.md
"""
import os
import tempfile
import time

import numpy as np
from rich.progress import Progress

from tinyctl import link_protocol as lp

ROUND_TRIPS = 2000
STEPS = 500
BOARDS = ("qemu-stm32f405", "qemu-m4", "qemu-m7")


def _prepare(work, console):
    from tinyctl.compiler import compile_model
    from tinyctl.firmware import build
    from tinyctl.training.foundation import export
    onnx = os.path.join(work, "raptor.onnx")
    with console.status("exporting and compiling RAPTOR, building its firmware for every board"):
        export(onnx, force=True)
        models = {t: compile_model(onnx, os.path.join(work, f"raptor-{t}"), name="raptor", target=t)
                  for t in ("cortex-m4f", "cortex-m7")}
        fws = {b: build(models["cortex-m7" if b == "qemu-m7" else "cortex-m4f"].directory, board=b,
                        out_dir=os.path.join(work, f"fw-{b}")) for b in BOARDS}
        fws["host"] = build(models["cortex-m4f"].directory, board="host", out_dir=os.path.join(work, "fw-host"))
        fws["passthrough"] = build(None, board="qemu-stm32f405", mode="passthrough",
                                   out_dir=os.path.join(work, "fw-passthrough"))
    return fws


def _states(n):
    rng = np.random.default_rng(0)
    return [lp.State(k * 2000, rng.normal(size=3) * 0.3, [1, 0, 0, 0], rng.normal(size=3) * 0.3,
                     rng.normal(size=3) * 0.5, [0, 0, 1], [0, 0, 0]) for k in range(n)]


def round_trips(fws, progress):
    """(what, board, round trips per second, payload bytes out/in) over each session's link."""
    from tinyctl.firmware import HostSession, QemuSession
    states = _states(ROUND_TRIPS)
    rows = []
    cases = [("STATE -> ACTION (policy)", "qemu-stm32f405"), ("STATE -> ACTION (policy)", "qemu-m4"),
             ("STATE -> ACTION (passthrough echo)", "passthrough"), ("STATE -> ACTION (policy)", "host")]
    task = progress.add_task("round trips", total=len(cases) * ROUND_TRIPS)
    for what, key in cases:
        fw = fws[key]
        with (HostSession(fw) if key == "host" else QemuSession(fw)) as s:
            for st in states[:50]:                    # warm up: caches, the first steps' page faults
                s.link.step(st)
            s.link.reset()
            t0 = time.perf_counter()
            for st in states:
                act = s.link.step(st)
                progress.advance(task)
            rate = ROUND_TRIPS / (time.perf_counter() - t0)
        out_bytes = lp.HEADER_SIZE + lp.CRC_SIZE + lp.MESSAGES[lp.MsgType.STATE].fixed_size
        in_bytes = lp.HEADER_SIZE + lp.CRC_SIZE + len(act.payload())
        rows.append((what, fw.board if key != "passthrough" else "qemu-stm32f405", rate, out_bytes, in_bytes))
    return rows


def instructions(fws, progress):
    """Per board: unicorn's exact counts and QEMU -icount's over the checkpoint's first sequence."""
    from tinyctl.firmware import PilRunner, QemuSession
    from tinyctl.training.foundation import load_checkpoint
    _, (x, _) = load_checkpoint()
    xs = x[:STEPS, 0]
    rows = []
    task = progress.add_task("instructions per step", total=len(BOARDS) * STEPS * 2)
    for board in BOARDS:
        fw = fws[board]
        pil = PilRunner(fw.elf)
        state, exact, glue = pil.reset(), [], []
        for v in xs:
            _, state, n = pil.step(v, state)
            exact.append(n)
            progress.advance(task)
        with QemuSession(fw, icount=True) as q:
            measured = []
            for v in xs:
                measured.append(q.instructions(q.link.observation(v).cost))
                progress.advance(task)
            q.link.reset()
            for st in _states(100):            # STATE frames: the whole frame (observation, glue, step, reply)
                a = q.link.step(st)
                glue.append(q.instructions(a.cost_total) - q.instructions(a.cost))
        exact, measured = np.array(exact, float), np.array(measured)
        rows.append((board, exact.mean(), exact.min(), exact.max(), measured.mean(),
                     np.abs(measured / exact - 1).max() * 100, float(np.mean(glue))))
    return rows


def sizes(fws):
    rows = []
    for board in BOARDS:
        s = fws[board].size
        sec = s["sections"]
        rows.append((board, s["flash"]["used"], s["flash"]["budget"], s["ram"]["used"], s["ram"]["budget"],
                     sec.get(".text", 0), sec.get(".rodata", 0), s["model_weights"], sec.get(".stack", 0)))
    return rows


def flash_time(fws):
    from tinyctl.firmware import QemuSession
    with QemuSession(fws["qemu-stm32f405"], via_gdb=True) as q:
        return q.flash_report


def run(console):
    with tempfile.TemporaryDirectory(prefix="tinyctl-bench-fw-") as work:
        fws = _prepare(work, console)
        with Progress(console=console, transient=True) as progress:
            trips = round_trips(fws, progress)
            counts = instructions(fws, progress)
        size_rows = sizes(fws)
        flashed = flash_time(fws)
    lines = ["## Firmware", "",
             "`tinyctl bench --section firmware`: the published RAPTOR policy compiled (float32, -O2, arm-none-eabi-gcc "
             "12.2) and built into the firmware of each board; QEMU 7.2, the link on QEMU's serial port (stdio pipes), "
             "lock-step, one request in flight.", "",
             f"### Round trips over the link ({ROUND_TRIPS} STATE frames, 2 ms of simulated time apart)", "",
             "| frames | board | round trips / s | bytes out / in |", "|---|---|---:|---:|"]
    lines += [f"| {w} | {b} | {r:,.0f} | {o} / {i} |" for w, b, r, o, i in trips]
    lines += ["", "Wall-clock figures on a shared 2-core machine: QEMU's UART models take one byte at a time, so a "
              "frame costs tens of microseconds per byte whatever the firmware does.", "",
              f"### Instructions per RAPTOR step (the checkpoint's first sequence, {STEPS} steps, state carried)", "",
              "unicorn: `<model>_step` from the firmware ELF, exact count per step (PIL). QEMU: SysTick under "
              "`-icount` around the same call in the running firmware, reported in each ACTION. Glue: the rest of a "
              "STATE frame's handling (observation, failsafe checks, dual-rate commit, motor map), QEMU -icount.", "",
              "| board | unicorn mean | min | max | QEMU -icount mean | largest difference | glue per STATE |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {b} | {m:,.0f} | {lo:,.0f} | {hi:,.0f} | {q:,.0f} | {d:.2f} % | {g:,.0f} |"
              for b, m, lo, hi, q, d, g in counts]
    lines += ["", "### Flash and RAM of the RAPTOR firmware", "",
              "| board | flash | of | RAM | of | .text | .rodata | model data | stack |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {b} | {f:,} B | {fb // 1024:,} KB | {r:,} B | {rb // 1024:,} KB | {t:,} B | {ro:,} B | {w:,} B | "
              f"{st:,} B |" for b, f, fb, r, rb, t, ro, w, st in size_rows]
    lines += ["", f"Flashing through QEMU's gdbstub (`M` packets, read back and compared): {flashed.bytes:,} B in "
              f"{flashed.seconds * 1000:.0f} ms."]
    return "\n".join(lines) + "\n"
