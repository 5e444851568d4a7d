"""Bench sections `lipschitz` and `yann` of BENCHMARKS.md (tinyctl bench --section lipschitz|yann).

lipschitz: certified (compile --lipschitz) against empirical bounds, for LBDN policies over gamma and for
           plain networks of several widths (which method the rule picks, and what it costs); the gamma study
           in the builtin simulator, plotted to docs/figures/lipschitz_gamma.png.
yann:      the double integrator for horizons 3 to 5: regions, PPOPT solve time, YANN vs PPOPT in float64,
           compiled C vs PPOPT, and the flash of both lowerings built with arm-none-eabi-gcc for the Cortex-M4F;
           YANN-RL against DDPG on the pendulum (docs/figures/yann_rl_pendulum.png) and on the builtin
           quadrotor's altitude loop (docs/figures/yann_rl_altitude.png); the explicit-MPC law and the trained
           actor flown by the firmware (mode law) in QEMU on the altitude step and gust and the overshoot, against
           their in-process references (docs/figures/law_altitude_step_gust.png, yann_rl_altitude_overshoot.png).
"""
import os
import time

import numpy as np

FIGURES = os.path.join("docs", "figures")
GAMMAS = (1.0, 2.0, 4.0, 8.0, 16.0)


def run_lipschitz(console):
    import torch
    from tinyctl.controllers import LIPSCHITZ
    from tinyctl.hil_tests.lipschitz_yann.gamma_study import plot, run_study
    from tinyctl.training.lipschitz.expert import demonstrations
    torch.set_num_threads(1)
    lines = ["## Lipschitz certificates and the gamma study", "",
             "`tinyctl bench --section lipschitz`. Certified: `compile --lipschitz` on the emitted float32 weights. "
             "Empirical: the largest input-Jacobian norm over 2048 samples, then gradient ascent on the difference "
             "quotient (a lower bound). A certificate is never below it.", ""]
    lines += _plain_networks(console)
    with console.status("SE(3) expert demonstrations in the builtin simulator"):
        demos = demonstrations(LIPSCHITZ)
    rows = run_study(GAMMAS, demos, progress=lambda r: console.print(f"gamma {r['gamma']:g}: {r}"))
    os.makedirs(FIGURES, exist_ok=True)
    path = os.path.join(FIGURES, "lipschitz_gamma.png")
    plot(rows, path)
    lines += ["", f"LBDN hover policies imitating the SE(3) expert ({len(demos[0])} demonstration pairs, "
              "LBDN 18-64-64-4), flown from 8 random starts for 5 s in the builtin simulator; error = mean distance "
              f"to the target over the last second; perturbation: worst case of norm {rows[0]['eps']:g} on the "
              f"observation at every step. Plot: `{path}`.", "",
              "| gamma | certified | method | empirical | product of norms | validation MSE | hover error (m) | "
              "perturbed error (m) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['gamma']:g} | {r['certified']:.4g} | {r['method']} | {r['empirical']:.4g} | "
                     f"{r['product']:.4g} | {r['validation_loss']:.4f} | {_err(r, 'nominal')} | {_err(r, 'attacked')} |")
    return "\n".join(lines) + "\n"


def _err(row, kind):
    crashes = row[f"{kind}_crashes"]
    return f"{row[f'{kind}_error']:.3f}" + (f" ({crashes} crashed)" if crashes else "")


def _plain_networks(console):
    import tinyctl
    from tinyctl.training.lipschitz.empirical import lower_bound
    from tinyctl.training.lipschitz.export import mlp_model
    from tinyctl.training.lipschitz.sandwich import frozen_forward
    import torch
    lines = ["Random ReLU networks (weights N(0, 2/fan-in)), 8 inputs, 4 outputs:", "",
             "| hidden | method | certified | empirical | product of norms | certify time (s) |", "|---|---|---|---|---|---|"]
    rng = np.random.default_rng(0)
    for hidden in ((16, 16), (32, 32), (64, 64), (64, 64, 64), (128, 128), (256, 256)):
        widths = [8, *hidden, 4]
        layers = [(rng.standard_normal((widths[k + 1], widths[k])) * np.sqrt(2.0 / widths[k]), np.zeros(widths[k + 1]))
                  for k in range(len(widths) - 1)]
        start = time.perf_counter()
        cert = tinyctl.compile(mlp_model(layers), lipschitz=True).manifest["lipschitz"]
        seconds = time.perf_counter() - start
        emitted = [(torch.from_numpy(w.astype(np.float32).astype(np.float64)), torch.from_numpy(b)) for w, b in layers]
        empirical = lower_bound(lambda x: frozen_forward(emitted, x), 8, samples=2048, ascent_steps=150)
        lines.append(f"| {'x'.join(map(str, hidden))} | {cert['method']} | {cert['bound']:.4g} | {empirical:.4g} | "
                     f"{cert['parts'][0]['spectral_product']:.4g} | {seconds:.2f} |")
        console.print(lines[-1])
    return lines


def run_yann(console):
    import tinyctl
    import torch
    from tinyctl.training.yann.export import yann_model
    from tinyctl.training.yann.mpc import explicit_law
    from tinyctl.training.yann.network import YANN
    from tinyctl.training.yann.problems import double_integrator
    lines = ["## YANN: explicit MPC, region tables and YANN-RL", "",
             "`tinyctl bench --section yann`. Double integrator (dt 0.1, Q = diag(1, 0.1), R = 0.1, |u| <= 1, "
             "x in [-5, 5] x [-2, 2]); PPOPT's geometric algorithm with GLPK and DAQP. Errors on 2000 points of "
             "the feasible set against PPOPT's own evaluation. Flash: the model's .text + .rodata + .data built by "
             "arm-none-eabi-gcc -O2 for the Cortex-M4F (manifest `lowerings`).", "",
             "| horizon | regions | half-spaces | hyperplanes | solve (s) | YANN float64 err | C err (table) | "
             "C err (dense) | flash table (B) | flash dense (B) | MACs table / dense |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for horizon in (3, 4, 5):
        mpc = double_integrator(horizon)
        law, solution = explicit_law(mpc)
        rng = np.random.default_rng(horizon)
        points, refs = [], []
        while len(points) < 2000:
            th = rng.uniform(mpc.x_min, mpc.x_max)
            ref = solution.evaluate(th.reshape(-1, 1))
            if ref is not None:
                points.append(th)
                refs.append(ref[0, 0])
        points, refs = np.array(points), np.array(refs)
        u64, _ = YANN(law)(torch.from_numpy(points))
        err64 = float(np.max(np.abs(u64.detach().numpy()[:, 0] - refs)))
        model = yann_model(law)
        m4f = tinyctl.compile(model, target="cortex-m4f").manifest["lowerings"]
        errs = {}
        for lowering in ("regions", "dense"):
            host = tinyctl.compile(model, lowering=lowering, verify=True)
            state = host.reset()
            errs[lowering] = max(abs(float(host.step(p.astype(np.float32), state)[0][0]) - r)
                                 for p, r in zip(points, refs))
        table = m4f["regions"]["tables"][0]
        lines.append(f"| {horizon} | {law.sizes[0]} | {law.sizes[1]} | {table['hyperplanes']} | "
                     f"{law.meta['solve_seconds']:.2f} | {err64:.1e} | {errs['regions']:.1e} | {errs['dense']:.1e} | "
                     f"{m4f['regions']['flash_bytes']:,} | {m4f['dense']['flash_bytes']:,} | "
                     f"{m4f['regions']['macs']:,} / {m4f['dense']['macs']:,} |")
        console.print(lines[-1])
    lines += ["", "MACs of the table are its worst case (every row of every region tested); the search stops at "
              "the first region that holds and, inside a region, at its first failing row.", ""]
    lines += _yann_rl(console)
    lines += _altitude(console)
    return "\n".join(lines) + "\n"


def _yann_rl(console):
    from argparse import Namespace
    from tinyctl.training.yann.command import _plot, _rl, explicit
    mpc, law = explicit("pendulum", 2)
    rl, _ = _rl(mpc, law, Namespace(problem="pendulum", rounds=16, seed=0, threads=1, no_baseline=False), console)
    os.makedirs(FIGURES, exist_ok=True)
    path = os.path.join(FIGURES, "yann_rl_pendulum.png")
    _plot(rl, path, "pendulum")
    return ["YANN-RL on the pendulum (Gymnasium Pendulum-v1 dynamics; horizon-2 MPC, 7 regions; 16 rounds of 16 "
            "episodes of 200 steps; test cost: mean over 32 fixed starts, theta0 in [-pi/2, pi/2]). Plot: "
            f"`{path}` (also `tinyctl train yann --problem pendulum --rl -o DIR`).", ""] + _rl_table(rl)


def _rl_table(rl):
    y, d = rl["yann_rl"], rl["ddpg"]
    return ["| method | parameters | test cost at start | final test cost | wall time (s) |", "|---|---|---|---|---|",
            f"| YANN-RL (no exploration noise) | {y['parameters']:,} | {y['curve'][0][1]:.1f} | {y['final']:.1f} | "
            f"{y['seconds']:.0f} |",
            f"| DDPG (random init, noise {d['config']['noise']:g}) | {d['parameters']:,} | {d['curve'][0][1]:.1f} | "
            f"{d['final']:.1f} | {d['seconds']:.0f} |"]


ALTITUDE_ROUNDS = 40


def _altitude(console):
    """YANN-RL on the altitude loop (the command's run, 40 rounds, with DDPG), and both laws in QEMU."""
    import json
    import shutil
    import tempfile
    from argparse import Namespace
    from tinyctl.training.yann.command import run as train
    work = tempfile.mkdtemp(prefix="tinyctl-bench-yann-")
    try:
        train(Namespace(problem="quadrotor-altitude", horizon=None, rl=True, rounds=ALTITUDE_ROUNDS,
                        no_baseline=False, seed=0, threads=1, force=False, out=work))
        with open(os.path.join(work, "yann.json")) as f:
            summary = json.load(f)
        os.makedirs(FIGURES, exist_ok=True)
        curves = os.path.join(FIGURES, "yann_rl_altitude.png")
        shutil.copyfile(os.path.join(work, "learning_curves.png"), curves)
        flights, lowerings = _altitude_flights(work, console)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rl = summary["rl"]
    split = rl["yann_rl"]["split"]
    lines = ["", "### The quadrotor altitude loop", "",
             f"YANN-RL on the builtin quadrotor's altitude loop (`tinyctl train yann --problem quadrotor-altitude --rl "
             f"--rounds {ALTITUDE_ROUNDS}`): the explicit MPC of its linearisation (horizon 4, {summary['regions']} "
             "regions) is the starting actor, with one anchored branch of 16-16 per region and one for outside the "
             "feasible set; the environment is the nonlinear rigid body (quadratic thrust, motors spinning up in 55 ms "
             "and down in 250 ms, saturation, drag) through the plant-law spec's glue; the cost is the MPC's stage "
             f"cost. {ALTITUDE_ROUNDS} rounds of 16 episodes of 150 steps (3 s); test: 32 fixed starts anywhere in "
             f"the law's domain with |vz| <= 2 m/s. Plot: `{curves}`.", ""] + _rl_table(rl)
    lines += ["", "Where the gain is: the test flights the law keeps inside its feasible set, and those the nonlinear "
              "plant carries out of it (the motors spin down slower than the linear model says; outside, the law "
              "answers 0, hover, and the vehicle keeps going).", "",
              "| test flights | count | law | YANN-RL |", "|---|---|---|---|"]
    for key, name in (("stays_inside", "stay inside (law)"), ("leaves", "leave the feasible set (law)")):
        if key in split:
            lines.append(f"| {name} | {split[key]['flights']} | {split[key]['law']:.1f} | {split[key]['yann_rl']:.1f} |")
    lines += ["", "Both laws compiled for the Cortex-M4F (verified against onnxruntime) and flown through the plant-law "
              "spec `altitude-law` by the firmware in mode `law` in QEMU (-icount: instructions of the model step), "
              "against the same law in onnxruntime through the NumPy glue. Plots: `docs/figures/"
              "law_altitude_step_gust.png`, `docs/figures/yann_rl_altitude_overshoot.png`.", "",
              "| law | lowering | flash table / dense (B) | MACs table / dense | scenario | RMSE (m) | final error (m) | "
              "steps outside | instructions mean / max | QEMU vs onnxruntime: max input / height difference |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for (law, scenario), f in flights.items():
        lw = lowerings[law]
        lines.append(f"| {law} | {lw['emitted']} | {lw['regions']['flash_bytes']:,} / {lw['dense']['flash_bytes']:,} | "
                     f"{lw['regions']['macs']:,} / {lw['dense']['macs']:,} | {scenario} | {f['rmse']:.4f} | "
                     f"{f['final_error']:.3f} | {f['outside']} | {f['instructions_mean']:,.0f} / "
                     f"{f['instructions_max']:,.0f} | {f['input_difference']:.1e} / {f['height_difference']:.1e} |")
    return lines


def _altitude_flights(work, console):
    """{(law, scenario): figures} of QEMU flights against the in-process reference; {law: manifest lowerings}."""
    import tinyctl
    from tinyctl.controllers import ALTITUDE_LAW
    from tinyctl.firmware import build
    from tinyctl.hil_tests import mpc_report
    from tinyctl.hil_tests.lipschitz_yann.altitude import InProcessLaw, agreement, outside_steps, overshoot_scenario
    from tinyctl.hil_tests.mpc_scenarios import altitude_scenario
    from tinyctl.hil_tests.plant_loop import FirmwareMpc, fly_plant, tracking_metrics
    from tinyctl.hil_tests.sims.altitude_sim import AltitudeSim
    flights, lowerings, traces = {}, {}, {}
    for law, onnx in (("explicit MPC", "altitude_n4.onnx"), ("YANN-RL actor", "yann_rl.onnx")):
        name = "law" if law == "explicit MPC" else "actor"
        compiled = tinyctl.compile(os.path.join(work, onnx), os.path.join(work, f"c_{name}"), name=name,
                                   target="cortex-m4f", verify=True)
        lowerings[law] = compiled.manifest["lowerings"]
        fw = build(compiled.directory, board="qemu-stm32f405", out_dir=os.path.join(work, f"fw_{name}"), mode="law",
                   controller=ALTITUDE_LAW.name)
        reference = InProcessLaw(ALTITUDE_LAW, compiled.directory, "reference", onnx=os.path.join(work, onnx))
        qemu = FirmwareMpc(fw, icount=True)
        try:
            for scenario in (altitude_scenario(), overshoot_scenario()):
                with console.status(f"{law}: {scenario.name}, firmware in QEMU"):
                    q = fly_plant(scenario, AltitudeSim(), qemu)
                ref = fly_plant(scenario, AltitudeSim(), reference)
                m, a = tracking_metrics(q, scenario), agreement(q, ref)
                traces[(law, scenario.name)] = (q, ref, scenario)
                flights[(law, scenario.name)] = {
                    "rmse": m["rmse"], "final_error": float(abs(q.error(0)[-1])), "outside": outside_steps(q),
                    "instructions_mean": m["instructions_mean"], "instructions_max": m["instructions_max"],
                    "input_difference": a["max_input_difference"], "height_difference": a["max_state_difference"][0]}
                console.print(f"{law}, {scenario.name}: {flights[(law, scenario.name)]}")
        finally:
            qemu.close()
    q, ref, sc = traces[("explicit MPC", "altitude_step_gust")]
    mpc_report.write_plots(FIGURES, altitude=(q, sc), name="law_altitude_step_gust.png",
                           label="explicit MPC (firmware, QEMU)", compare={"explicit MPC (onnxruntime)": ref})
    q, ref, sc = traces[("YANN-RL actor", "altitude_overshoot")]
    mpc_report.write_plots(FIGURES, altitude=(q, sc), name="yann_rl_altitude_overshoot.png",
                           label="YANN-RL actor (firmware, QEMU)",
                           compare={"explicit MPC law (firmware, QEMU)": traces[("explicit MPC", "altitude_overshoot")][0]})
    return flights, lowerings
