"""The explicit MPC law on the linearised altitude loop: solved by PPOPT, exported as a YANN, compiled to a region
table for the Cortex-M4F and verified, then flown on the builtin quadrotor through the PLANT loop (the
altitude step and gust scenario), by onnxruntime on the YANN and by the compiled C, which must agree."""
import numpy as np
import onnx
import pytest

import tinyctl
from tinyctl.hil_tests.lipschitz_yann.altitude import ExplicitMpcAltitude, compiled_runner, onnx_runner
from tinyctl.hil_tests.mpc_scenarios import altitude_scenario
from tinyctl.hil_tests.plant_loop import fly_plant, tracking_metrics
from tinyctl.hil_tests.sims.altitude_sim import AltitudeSim

pytestmark = [pytest.mark.hil]


@pytest.fixture(scope="module")
def altitude_law(tmp_path_factory):
    from tinyctl.training.yann.export import yann_model
    from tinyctl.training.yann.mpc import explicit_law
    from tinyctl.training.yann.problems import altitude
    mpc = altitude(4)
    law, solution = explicit_law(mpc)
    root = tmp_path_factory.mktemp("altitude")
    path = str(root / "altitude.onnx")
    onnx.save(yann_model(law), path)
    compiled = tinyctl.compile(path, str(root / "c"), name="altitude", target="cortex-m4f", verify=True)
    return mpc, law, solution, path, compiled


def test_compiled_as_a_verified_region_table(altitude_law):
    _, law, _, _, compiled = altitude_law
    lw = compiled.manifest["lowerings"]
    assert lw["emitted"] == "regions" and lw["regions"]["tables"][0]["regions"] == law.sizes[0]
    assert compiled.manifest["verify"]["max_abs_err"] <= 1e-5


def test_flies_the_altitude_step_and_gust_like_the_reference(altitude_law):
    mpc, _, _, path, compiled = altitude_law
    scenario = altitude_scenario()
    hover = mpc.meta["hover_motor"]
    runs = {}
    for name, run in (("reference", onnx_runner(path)), ("sil", compiled_runner(compiled.directory))):
        controller = ExplicitMpcAltitude(run, hover, name)
        trace = fly_plant(scenario, AltitudeSim(), controller)
        runs[name] = (trace, tracking_metrics(trace, scenario), controller.outside)
    (ref, ref_m, ref_out), (sil, sil_m, _) = runs["reference"], runs["sil"]
    assert ref_m["completed"] and sil_m["completed"] and ref_out == 0
    # the law tracks: within 5 cm of the reference once the step has settled and before the gust
    settled = (ref.t > 2.5) & (ref.t < 4.0)
    assert np.max(np.abs(ref.error(0)[settled])) < 0.05
    assert abs(ref_m["rmse"] - sil_m["rmse"]) < 1e-4
    assert np.max(np.abs(ref.x[:, 0] - sil.x[:, 0])) < 1e-3
