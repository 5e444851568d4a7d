"""`tinyctl train raptor`: the quick run trains in under a minute, writes its directory and hovers the nominal
Crazyflie through the HIL harness (the exported ONNX in onnxruntime behind the firmware's glue); checkpoints
resume; bad input gets one line."""
import json
import os

import pytest
import torch

from tinyctl.cli import main
from tinyctl.training.raptor import distill
from tinyctl.training.raptor.train import CHECKPOINT, OUTPUTS, train


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "quick"
    assert main(["train", "raptor", "--quick", "-o", str(out)]) == 0
    return str(out)


def test_quick_run_writes_its_directory(quick_run):
    for name in OUTPUTS:
        assert os.path.getsize(os.path.join(quick_run, name)) > 0, name
    record = json.load(open(os.path.join(quick_run, "training.json")))
    assert record["parameters"] == 2068
    assert record["export"]["max_abs_deviation_torch_onnxruntime"] <= 1e-6
    losses = [r["loss"] for r in record["history"]]
    assert losses[-1] < 0.5 * losses[0]
    assert "| ours" in open(os.path.join(quick_run, "evaluation.md")).read()


def test_quick_policy_hovers_a_nominal_crazyflie(quick_run, tmp_path):
    """The exported ONNX, compiled like any model, flies the core's hover scenario in the HIL harness."""
    from tinyctl import scenarios
    from tinyctl.compiler import compile_model
    from tinyctl.hil_tests import make_sim, reference_executor, run_scenario
    onnx_path = os.path.join(quick_run, "student.onnx")
    model_dir = str(tmp_path / "student")
    compile_model(onnx_path, model_dir, name="student", target="host", verify=False)
    (_, trace, metrics), = run_scenario(scenarios.get("hover"), make_sim("builtin"),
                                        reference_executor(model_dir, onnx=onnx_path))
    assert metrics["success"], metrics
    assert metrics["final_error"] < 0.1 and not trace.crashed


def test_an_interrupted_run_resumes(tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    kw = dict(quick=True, vehicles=16, iterations=3, evaluate=False, progress=False, workers=0)
    real = distill.Distiller.iterate
    calls = {"n": 0}

    def flaky(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self)
    monkeypatch.setattr(distill.Distiller, "iterate", flaky)
    with pytest.raises(KeyboardInterrupt):
        train(out, **kw)
    assert os.path.exists(os.path.join(out, CHECKPOINT)) and not os.path.exists(os.path.join(out, "student.onnx"))
    assert torch.load(os.path.join(out, CHECKPOINT), weights_only=False)["iteration"] == 2
    monkeypatch.setattr(distill.Distiller, "iterate", real)
    record = train(out, **kw)
    assert [r["iteration"] for r in record["history"]] == [0, 1, 2]
    from tinyctl.errors import TinyctlError
    with pytest.raises(TinyctlError, match="already holds a trained policy"):
        train(out, **kw)
    with pytest.raises(TinyctlError, match="other settings"):
        os.remove(os.path.join(out, "student.onnx"))
        for name in OUTPUTS:
            if os.path.exists(os.path.join(out, name)):
                os.remove(os.path.join(out, name))
        train(out, **{**kw, "vehicles": 17})


@pytest.mark.parametrize("argv, message", [
    (["--vehicles", "0"], "--vehicles must be at least 1"),
    (["--threads", "0"], "--threads must be at least 1"),
    (["--hidden", "0"], "--hidden must be at least 1"),
    (["--evaluate"], "holds no trained policy"),
])
def test_bad_input_is_one_line(tmp_path, capsys, argv, message):
    assert main(["train", "raptor", "-o", str(tmp_path / "x"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_student_sizes_are_configurable(tmp_path):
    """--dense and --hidden size the student between RAPTOR's observation and action; the export carries the
    state size, and the compiler takes it like the published policy."""
    import onnx
    from tinyctl.compiler import compile_model
    out = tmp_path / "small"
    assert main(["train", "raptor", "--quick", "--vehicles", "16", "--iterations", "2", "--dense", "12",
                 "--hidden", "8", "--no-eval", "--workers", "0", "-o", str(out)]) == 0
    record = json.load(open(out / "training.json"))
    assert record["student"] == {"observation": 22, "dense": 12, "hidden": 8, "action": 4}
    assert record["parameters"] == 22 * 12 + 12 + 3 * (12 * 8 + 8 * 8 + 2 * 8) + 8 * 4 + 4
    model = onnx.load(str(out / "student.onnx"))
    dims = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    assert dims == {"observation": [1, 22], "h_in": [1, 8]}
    compiled = compile_model(str(out / "student.onnx"), str(tmp_path / "c"), name="small", target="host",
                             verify=True)
    assert compiled.manifest["sizes"]["state"] == 8
