"""In-process executors through the controller glue: the float reference (onnxruntime) and the compiled C (SIL)
fly the same runs to the same result, and the harness records what the report needs."""
import numpy as np
import pytest

from tinyctl import scenarios
from tinyctl.hil_tests import deviation, make_sim, reference_executor, run_scenario, sil_executor
from tinyctl.hil_tests.executors import make_executor
from tinyctl.errors import TinyctlError

pytestmark = pytest.mark.hil


def test_sil_matches_the_float_reference_in_rotorpy(hil_model):
    model_dir, _ = hil_model
    sc = scenarios.get("figure8_slow")
    ref = run_scenario(sc, make_sim("rotorpy"), reference_executor(model_dir), duration=4.0)
    sil = run_scenario(sc, make_sim("rotorpy"), sil_executor(model_dir), duration=4.0)
    (_, rt, rm), (_, st, sm) = ref[0], sil[0]
    assert len(rt) == len(st) == 400 and not rt.crashed
    d = deviation(st, rt)
    assert d["max_position_deviation"] < 1e-5 and d["max_motor_deviation"] < 1e-4
    assert abs(rm["rmse"] - sm["rmse"]) < 1e-6
    assert rt.info["committed_steps"] == 400                     # 100 Hz: every step commits the GRU state


def test_recovery_counts_are_seeded(hil_model):
    model_dir, _ = hil_model
    sc = scenarios.get("recovery")
    ex = reference_executor(model_dir)
    a = [m["success"] for _, _, m in run_scenario(sc, make_sim("builtin"), ex, runs=4, seed=3, duration=2.0)]
    b = [m["success"] for _, _, m in run_scenario(sc, make_sim("builtin"), ex, runs=4, seed=3, duration=2.0)]
    assert a == b


def test_dual_rate_commits_every_ten_milliseconds(hil_model):
    """At 500 Hz the glue runs the policy every step but commits its recurrent state once per 10 ms."""
    model_dir, _ = hil_model
    ex = reference_executor(model_dir, control_period_us=2000)
    _, tr, m = run_scenario(scenarios.get("hover"), make_sim("builtin"), ex, duration=1.0)[0]
    assert len(tr) == 500 and tr.info["committed_steps"] == 100
    assert m["final_error"] < 0.1


def test_reference_needs_the_matching_onnx(hil_model, tmp_path):
    model_dir, onnx = hil_model
    other = tmp_path / "other.onnx"
    other.write_bytes(open(onnx, "rb").read() + b"\0")
    with pytest.raises(TinyctlError, match="not the ONNX"):
        reference_executor(model_dir, onnx=str(other))
    with pytest.raises(TinyctlError, match="--firmware"):
        make_executor("qemu", model_dir)


def test_garbage_motor_commands_stop_the_flight(hil_model):
    """An executor answering NaN or out-of-range motors is stopped, with the step it happened at."""
    from tinyctl.hil_tests.executors.base import StepResult
    model_dir, _ = hil_model
    ex = reference_executor(model_dir)
    real_step = ex.step

    def step(state):
        r = real_step(state)
        if state.time_us >= 300_000:
            return StepResult(np.array([0.5, np.nan, 0.5, 0.5]))
        return r
    ex.step = step
    _, tr, m = run_scenario(scenarios.get("hover"), make_sim("builtin"), ex)[0]
    assert len(tr) == 30 and not m["success"]
    assert "step 30" in tr.stop and "last good step 29" in tr.stop and "not four values in [0, 1]" in tr.stop


def test_se3_baseline_flies_rotorpy():
    """RotorPy's SE(3) controller answers in our motor order: a wrong rotor map would flip it over at once."""
    ex = make_executor("se3")
    (_, tr, m), = run_scenario(scenarios.get("step"), make_sim("rotorpy"), ex, duration=3.0)
    assert not tr.crashed and m["final_error"] < 0.05 and 0.4 < m["rise_time"] < 1.0


def test_sweep_table_names_faults():
    from tinyctl.hil_tests import sweep
    table = {"recovery": {"qemu": {"successes": 9, "runs": 10, "crashes": 0, "planned": 50,
                                   "faults": [{"index": 1, "stop": "qemu: stopped at step 3 (...)"}]},
                          "reference": {"successes": 48, "runs": 50, "crashes": 1}},
             "figure8_slow": {"qemu": {"successes": 1, "runs": 1, "crashes": 0, "rmse": 0.058, "max_error": 0.0875},
                              "reference": {"successes": 1, "runs": 1, "crashes": 0, "rmse": 0.058,
                                            "max_error": 0.0875}}}
    md = sweep.markdown(table, {"qemu": "RAPTOR in QEMU"})
    assert "| recovery | 9/10 recovered, stopped after 10 of 50 runs (fault 1) | 48/50 recovered, 1 crashed |" in md
    assert "| figure8_slow | RMSE 0.058 m, max 0.0875 m |" in md and "RAPTOR in QEMU" in md
    assert md.rstrip().endswith("1. qemu: stopped at step 3 (...)")
