"""YANN-RL on the builtin quadrotor's altitude loop, end to end: `tinyctl train yann --problem quadrotor-altitude
--rl` improves the explicit MPC law it starts from (a short run here; the full one with the DDPG baseline is
`slow` and the bench's), the trained actor exports to ONNX, compiles for the Cortex-M4F to the region table plus
its dense branches, verifies, and the firmware in mode `law` (the same plant-law spec as the law's) flies it in
QEMU like onnxruntime does, and recovers from the overshoot the law cannot recover from."""
import json
import os
import shutil
from argparse import Namespace

import numpy as np
import pytest

import tinyctl
from tinyctl.controllers import ALTITUDE_LAW
from tinyctl.hil_tests import mpc_report
from tinyctl.hil_tests.lipschitz_yann.altitude import InProcessLaw, agreement, outside_steps, overshoot_scenario
from tinyctl.hil_tests.mpc_scenarios import altitude_scenario
from tinyctl.hil_tests.plant_loop import FirmwareMpc, fly_plant, tracking_metrics
from tinyctl.hil_tests.sims.altitude_sim import AltitudeSim

pytestmark = [pytest.mark.hil]
ROUNDING = 1e-5


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    from tinyctl.training.threads import torch_threads
    with torch_threads(1):
        yield


def train(out, rounds, baseline):
    from tinyctl.training.yann.command import run
    run(Namespace(problem="quadrotor-altitude", horizon=None, rl=True, rounds=rounds, no_baseline=not baseline,
                  seed=0, threads=1, force=False, out=str(out)))
    with open(os.path.join(out, "yann.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A short YANN-RL run (8 rounds of 16 episodes), the law and the actor compiled for the Cortex-M4F."""
    out = tmp_path_factory.mktemp("yann_rl")
    summary = train(out, rounds=8, baseline=False)
    compiled = {name: tinyctl.compile(str(out / f"{onnx}.onnx"), str(out / f"c_{name}"), name=name,
                                      target="cortex-m4f", verify=True)
                for name, onnx in (("law", "altitude_n4"), ("actor", "yann_rl"))}
    return out, summary, compiled


def assert_improves(rl, law_share):
    curve = rl["yann_rl"]["curve"]
    kept = [c[2] for c in curve]
    assert all(b <= a for a, b in zip(kept, kept[1:]))           # never worse than the policy before it
    assert kept[-1] <= law_share * kept[0], kept
    split = rl["yann_rl"]["split"]
    # the gain is where the nonlinear plant carries the law out of its feasible set; inside, it stays within 2 %
    assert split["leaves"]["yann_rl"] < 0.5 * split["leaves"]["law"]
    assert split["stays_inside"]["yann_rl"] <= 1.02 * split["stays_inside"]["law"]


def test_short_run_improves_the_law(trained):
    from tinyctl.training.yann import altitude_env as env
    from tinyctl.training.yann.law import ExplicitLaw
    from tinyctl.training.yann.network import YANN
    from tinyctl.training.yann.rl import rollout_cost, test_starts
    out, summary, _ = trained
    rl = summary["rl"]
    law = YANN(ExplicitLaw.load(str(out / "law.npz")))
    law_cost = float(rollout_cost(env, lambda o: law(o)[0], test_starts(env, 32)).mean())
    assert abs(rl["yann_rl"]["curve"][0][1] - law_cost) < 1e-9 * law_cost    # the first policy is the law
    assert_improves(rl, 0.7)
    assert (out / "learning_curves.png").stat().st_size > 10_000


def test_actor_compiles_to_the_table_plus_branches(trained):
    _, _, compiled = trained
    man = compiled["actor"].manifest
    lw = man["lowerings"]
    assert lw["emitted"] == "regions" and lw["regions"]["tables"][0]["indicator"]
    assert man["verify"]["max_abs_err"] <= 1e-5
    assert lw["regions"]["flash_bytes"] < lw["dense"]["flash_bytes"]


@pytest.mark.qemu
def test_firmware_flies_the_trained_actor_in_qemu(trained, tmp_path):
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("the ARM toolchain or qemu-system-arm is not installed (scripts/setup.sh installs them)")
    from tinyctl.firmware import build
    out, _, compiled = trained
    fw = build(compiled["actor"].directory, board="qemu-stm32f405", out_dir=str(tmp_path / "fw"), mode="law",
               controller=ALTITUDE_LAW.name)
    reference = InProcessLaw(ALTITUDE_LAW, compiled["actor"].directory, "reference", onnx=str(out / "yann_rl.onnx"))
    law = InProcessLaw(ALTITUDE_LAW, compiled["law"].directory, "reference", onnx=str(out / "altitude_n4.onnx"))
    flights = {}
    qemu = FirmwareMpc(fw, icount=True)
    try:
        for scenario in (altitude_scenario(), overshoot_scenario()):
            flights[scenario.name] = (scenario, fly_plant(scenario, AltitudeSim(), qemu),
                                      fly_plant(scenario, AltitudeSim(), reference),
                                      fly_plant(scenario, AltitudeSim(), law))
    finally:
        qemu.close()
    report = {}
    for name, (scenario, q, ref, base) in flights.items():
        mpc_report.write_plots(str(tmp_path / "plots"), altitude=(q, scenario), name=f"yann_rl_{name}.png",
                               label="YANN-RL actor (firmware, QEMU)",
                               compare={"YANN-RL actor (onnxruntime)": ref, "explicit MPC law": base})
        report[name] = {"qemu": tracking_metrics(q, scenario), "law": tracking_metrics(base, scenario),
                        "agreement": agreement(q, ref)}
        a = report[name]["agreement"]
        assert report[name]["qemu"]["completed"] and a["same_length"], (name, q.stop)
        assert a["max_input_difference"] <= ROUNDING and a["max_state_difference"][0] <= ROUNDING, (name, a)
    (tmp_path / "report.json").write_text(json.dumps(report, indent=2))
    _, q, _, base = flights["altitude_overshoot"]
    # the law leaves its feasible set, answers hover and keeps climbing; the trained actor comes back
    assert outside_steps(base) > 100 and abs(base.error(0)[-1]) > 1.0
    assert abs(q.error(0)[-1]) < 0.02 and q.x[:, 0].max() < 2.8
    # and holds the step and the gust too (within 5 cm once settled, before the gust)
    _, q, _, _ = flights["altitude_step_gust"]
    assert np.max(np.abs(q.error(0)[(q.t > 2.5) & (q.t < 4.0)])) < 0.05
    # every step runs the table and all 20 dense branches (6,400 products): at least an instruction each
    assert 6_000 < np.nanmin(q.cost) and np.nanmax(q.cost) < 40_000


@pytest.mark.slow
def test_full_run_against_ddpg(tmp_path):
    """The bench's run: 40 rounds of YANN-RL and of plain DDPG from a random start with exploration noise."""
    rl = train(tmp_path, rounds=40, baseline=True)["rl"]
    assert_improves(rl, 0.6)
    assert rl["yann_rl"]["final"] < rl["ddpg"]["final"]
    # YANN-RL is never worse than the law; DDPG starts an order of magnitude worse
    assert rl["ddpg"]["curve"][0][1] > 5 * rl["yann_rl"]["curve"][0][1]
