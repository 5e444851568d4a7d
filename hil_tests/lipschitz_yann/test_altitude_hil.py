"""The explicit MPC law on the linearised altitude loop: solved by PPOPT, exported as a YANN, compiled to a region
table for the Cortex-M4F and verified, then flown on the builtin quadrotor through the PLANT loop (the altitude
step and gust scenario) by the firmware in mode `law` in QEMU, by onnxruntime on the YANN (the reference) and by
the compiled C on the host, all through the plant-law spec `altitude-law`.

The bar for the firmware: the same flight as the reference, step for step. Both run the same float32 glue (the
C and NumPy versions agree to the bit, tests/yann/test_plant_law.py); the law differs only by the region
table's float32 rounding against onnxruntime's dense network (about 1e-6 in u), and the law is continuous, so
the flights may differ by rounding only: every plant input by at most 1e-5 (the compiler's verify tolerance) and
the height by at most 1e-5 m, over all 400 steps. Measured: 1.9e-6 and 3e-8 m.
"""
import json
import shutil

import numpy as np
import onnx
import pytest

import tinyctl
from tinyctl.controllers import ALTITUDE_LAW
from tinyctl.hil_tests import mpc_report
from tinyctl.hil_tests.lipschitz_yann.altitude import InProcessLaw, agreement, outside_steps
from tinyctl.hil_tests.mpc_scenarios import altitude_scenario
from tinyctl.hil_tests.plant_loop import FirmwareMpc, fly_plant, tracking_metrics
from tinyctl.hil_tests.sims.altitude_sim import AltitudeSim

pytestmark = [pytest.mark.hil]
ROUNDING = 1e-5


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


@pytest.fixture(scope="module")
def reference_flight(altitude_law):
    scenario = altitude_scenario()
    trace = fly_plant(scenario, AltitudeSim(), InProcessLaw(ALTITUDE_LAW, altitude_law[4].directory, "reference",
                                                            onnx=altitude_law[3]))
    return scenario, trace


def test_compiled_as_a_verified_region_table(altitude_law):
    _, law, _, _, compiled = altitude_law
    lw = compiled.manifest["lowerings"]
    assert lw["emitted"] == "regions" and lw["regions"]["tables"][0]["regions"] == law.sizes[0]
    assert compiled.manifest["verify"]["max_abs_err"] <= 1e-5


def test_flies_the_altitude_step_and_gust_like_the_reference(altitude_law, reference_flight):
    scenario, ref = reference_flight
    sil = fly_plant(scenario, AltitudeSim(), InProcessLaw(ALTITUDE_LAW, altitude_law[4].directory, "sil"))
    ref_m, sil_m = tracking_metrics(ref, scenario), tracking_metrics(sil, scenario)
    assert ref_m["completed"] and sil_m["completed"] and outside_steps(ref) == 0
    # the law tracks: within 5 cm of the reference once the step has settled and before the gust
    settled = (ref.t > 2.5) & (ref.t < 4.0)
    assert np.max(np.abs(ref.error(0)[settled])) < 0.05
    a = agreement(sil, ref)
    assert a["same_length"] and a["max_input_difference"] <= ROUNDING and a["max_state_difference"][0] <= ROUNDING


@pytest.mark.qemu
def test_firmware_flies_the_law_in_qemu_like_the_reference(altitude_law, reference_flight, tmp_path):
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("the ARM toolchain or qemu-system-arm is not installed (scripts/setup.sh installs them)")
    from tinyctl.firmware import build
    scenario, ref = reference_flight
    fw = build(altitude_law[4].directory, board="qemu-stm32f405", out_dir=str(tmp_path / "fw"), mode="law",
               controller=ALTITUDE_LAW.name)
    qemu = FirmwareMpc(fw, icount=True)
    try:
        assert (qemu.session.hello.controller, qemu.session.hello.mode_name) == (ALTITUDE_LAW.name, "law")
        trace = fly_plant(scenario, AltitudeSim(), qemu)
    finally:
        qemu.close()
    m = tracking_metrics(trace, scenario)
    a = agreement(trace, ref)
    mpc_report.write_plots(str(tmp_path / "plots"), altitude=(trace, scenario), name="law_altitude_step_gust.png",
                           label="explicit MPC (firmware, QEMU)", compare={"reference (onnxruntime)": ref})
    (tmp_path / "report.json").write_text(json.dumps({"metrics": m, "agreement": a,
                                                      "reference": tracking_metrics(ref, scenario)}, indent=2))
    assert m["completed"] and not trace.crashed, trace.stop
    assert a["same_length"] and a["max_input_difference"] <= ROUNDING, a
    assert a["max_state_difference"][0] <= ROUNDING and abs(m["rmse"] - tracking_metrics(ref, scenario)["rmse"]) \
        <= ROUNDING, a
    assert outside_steps(trace) == outside_steps(ref) == 0
    # a region search (at most 183 rows of 3 products) and one law: the dense network would take 5,300 products
    assert 50 < np.nanmin(trace.cost) and np.nanmax(trace.cost) < 5_000
    assert (tmp_path / "plots" / "law_altitude_step_gust.png").stat().st_size > 10_000
