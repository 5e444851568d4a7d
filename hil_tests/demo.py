"""The HIL part of `tinyctl demo`: build the RAPTOR firmware for the default board, flash it into an empty QEMU
through the gdbstub (as a probe would), fly hover and the slow figure eight in the builtin simulator and in
RotorPy with the firmware in the loop, each flight also flown by the float reference in-process, and print the
summary with the reports' paths."""
import os

from rich import box
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.table import Table

from tinyctl import boards, scenarios
from tinyctl.hil_tests import report as report_io
from tinyctl.hil_tests.command import progress_bar
from tinyctl.hil_tests.executors import reference_executor
from tinyctl.hil_tests.executors.firmware import qemu_executor
from tinyctl.hil_tests.harness import run_scenario
from tinyctl.hil_tests.sims import make_sim

FLIGHTS = (("builtin", "hover"), ("builtin", "figure8_slow"), ("rotorpy", "hover"), ("rotorpy", "figure8_slow"))
MATCH_RMSE = 1e-3     # m: the firmware must fly like the float reference


def build_and_flash(model_dir, out_dir, console):
    """Build the firmware and start QEMU with an empty flash, written through the gdbstub; returns the session."""
    from tinyctl.firmware import QemuSession, build
    board = boards.DEFAULT_BOARD
    with console.status(f"building the firmware for {board}"):
        fw = build(model_dir, board=board, out_dir=os.path.join(out_dir, "firmware"), force=True)
    image = fw.size["flash"]["used"]
    console.print(f"firmware: {fw.elf} ({image / 1024:.1f} KiB of flash, {fw.size['ram']['used'] / 1024:.1f} KiB "
                  "of RAM)")
    with Progress(TextColumn("flashing through the gdbstub"), BarColumn(), DownloadColumn(), console=console) as bar:
        task = bar.add_task("flash", total=image)
        session = QemuSession(fw, icount=True, via_gdb=True, progress=lambda n: bar.advance(task, n))
    r = session.flash_report
    console.print(f"flashed {r.bytes} bytes in {r.segments} segment(s) in {r.seconds:.2f} s, verified: "
                  f"{'yes' if r.verified else 'NO'}; the firmware says it is {session.hello.model} on "
                  f"{session.hello.board}")
    return fw, session


def fly(model_dir, out_dir, console=None):
    """Returns 0 when every flight ran its course and the firmware matched the reference, else 1."""
    console = console or Console()
    fw, session = build_and_flash(model_dir, out_dir, console)
    qemu = qemu_executor(fw, session=session)
    ref = reference_executor(model_dir)
    rows, ok = [], True
    try:
        for sim_name, name in FLIGHTS:
            sc = scenarios.get(name)
            flown = {}
            with progress_bar(console) as bar:
                for label, ex in (("qemu", qemu), ("reference", ref)):
                    steps = int(round(sc.duration * 1e6 / qemu.control_period_us))
                    task = bar.add_task(f"{name} in {sim_name} [{label}]", total=steps)
                    sim = make_sim(sim_name)
                    results = run_scenario(sc, sim, ex, control_period_us=qemu.control_period_us,
                                           progress=lambda i, n, k, total, t=task: bar.update(t, completed=k))
                    flown[label] = (ex.describe(), results)
            rep = report_io.build(sc, sim.describe(), flown, command="tinyctl demo")
            path = report_io.write(os.path.join(out_dir, "hil", f"{sim_name}-{name}"), rep,
                                   {n: [tr for _, tr, _ in r] for n, (_, r) in flown.items()}, "qemu", force=True)
            q, r = rep["executors"]["qemu"]["summary"], rep["executors"]["reference"]["summary"]
            dev = rep["deviation"]["qemu_vs_reference"]
            match = not rep["faults"] and dev["max_rmse_difference"] is not None \
                and dev["max_rmse_difference"] < MATCH_RMSE
            ok &= bool(match)
            rows.append((sim_name, name, q, r, dev, match, path))
    finally:
        qemu.close()
    print_table(console, rows)
    return 0 if ok else 1


def print_table(console, rows):
    t = Table(title="RAPTOR firmware in QEMU (qemu-stm32f405) against the float reference", box=box.SIMPLE_HEAD,
              pad_edge=False)
    for col in ("sim", "scenario", "ok", "RMSE qemu", "RMSE ref", "max |dp|", "instr/step", "x RT", "match"):
        t.add_column(col, no_wrap=col in ("sim", "scenario"))
    for sim_name, name, q, r, dev, match, _ in rows:
        t.add_row(sim_name, name, f"{q['successes']}/{q['runs']}", f"{q.get('rmse', float('nan')):.3f}",
                  f"{r.get('rmse', float('nan')):.3f}", f"{dev['max_position_deviation']:.0e}",
                  f"{q.get('cost_mean', 0):.0f}", f"{q.get('real_time_factor') or 0:.2f}", "yes" if match else "NO")
    console.print(t)
    console.print("lengths in m; x RT: simulated seconds per wall-clock second of the firmware flight")
    console.print("reports:")
    for sim_name, name, *_, path in rows:
        console.print(f"  {sim_name} {name}: {path}")
