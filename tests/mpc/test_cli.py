"""The command line of the MPC's parts: train dynamics, compile --jacobian, build --mode mpc; refusals say what
to do, exit 2, and leave no half-written output."""
import json

import onnx
import pytest

from tinyctl.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_dynamics_writes_the_model_and_refuses_to_overwrite(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "msd"
    code, stdout, _ = run(capsys, "train", "dynamics", "--plant", "msd", "-o", str(out), "--samples", "2000",
                          "--epochs", "2")
    assert code == 0 and "msd.onnx" in stdout
    meta = json.loads((out / "dynamics.json").read_text())
    assert meta["nx"] == 2 and meta["nu"] == 1 and meta["mpc"]["horizon"] >= 1
    model = onnx.load(str(out / "msd.onnx"))
    assert [i.name for i in model.graph.input] == ["state", "input"]
    assert (out / "training.png").stat().st_size > 1000
    code, _, err = run(capsys, "train", "dynamics", "--plant", "msd", "-o", str(out), "--samples", "2000",
                       "--epochs", "2")
    assert code == 2 and "already holds" in err and "--force" in err


@pytest.mark.parametrize("argv,message", [
    (["--plant", "pendulum"], "unknown plant 'pendulum'"),
    (["--plant", "msd", "--samples", "10"], "too few"),
    (["--plant", "msd", "--hidden", "a,b"], "--hidden a,b"),
    (["--plant", "msd", "--activation", "cosh"], "activation 'cosh'"),
])
def test_train_dynamics_refusals(argv, message, tmp_path, capsys):
    pytest.importorskip("torch")
    code, _, err = run(capsys, "train", "dynamics", "-o", str(tmp_path / "out"), *argv)
    assert code == 2 and message in err
    assert not (tmp_path / "out" / "dynamics.json").exists()


def test_compile_jacobian_refuses_a_recurrent_model(tmp_path, capsys):
    from tinyctl.compiler import zoo
    path = tmp_path / "gru.onnx"
    onnx.save(zoo.gru_policy(initial_h="input"), str(path))
    code, _, err = run(capsys, "compile", str(path), "-o", str(tmp_path / "c"), "--jacobian")
    assert code == 2 and "recurrent state" in err
    assert not (tmp_path / "c").exists()


def test_build_mode_mpc_needs_settings_and_a_jacobian(compile_dynamics, tmp_path, capsys):
    from tinyctl.compiler import compile_model
    onnx_path, _ = compile_dynamics(2, 1)
    m4 = compile_model(onnx_path, str(tmp_path / "m4"), name="dyn", target="cortex-m4f", jacobian=True)
    code, _, err = run(capsys, "build", "--model", m4.directory, "--mode", "mpc", "-o", str(tmp_path / "fw"))
    assert code == 2 and "--mpc FILE" in err
    plain = compile_model(onnx_path, str(tmp_path / "plain"), name="dyn", target="cortex-m4f")
    settings = tmp_path / "mpc.json"
    settings.write_text(json.dumps({"horizon": 5, "control_horizon": 2, "q": [1, 1], "r": [0.1],
                                    "u_min": [-1], "u_max": [1]}))
    code, _, err = run(capsys, "build", "--model", plain.directory, "--mode", "mpc", "--mpc", str(settings),
                       "-o", str(tmp_path / "fw"))
    assert code == 2 and "without --jacobian" in err
    assert not (tmp_path / "fw").exists()
