"""The compile and export verbs as a user runs them."""
import json
import subprocess
import sys

from tinyctl.compiler import supported_ops, zoo
from tinyctl.manifest import SCHEMA, read, validate


def tinyctl(*args):
    return subprocess.run([sys.executable, "-m", "tinyctl.cli", *args], capture_output=True, text=True)


def test_list_ops_prints_one_per_line():
    proc = tinyctl("compile", "--list-ops")
    assert proc.returncode == 0
    assert proc.stdout.split() == supported_ops()
    for op in ("Gemm", "GRU", "LSTM", "Where", "GreaterOrEqual", "Cast", "Softplus", "HardSigmoid"):
        assert op in proc.stdout.split()


def test_export_compile_verify_report(tmp_path):
    onnx_path = tmp_path / "raptor.onnx"
    assert tinyctl("export", "raptor", "-o", str(onnx_path)).returncode == 0
    again = tinyctl("export", "raptor", "-o", str(onnx_path))
    assert again.returncode == 2 and "--force" in again.stderr
    proc = tinyctl("compile", str(onnx_path), "-o", str(tmp_path / "out"), "--target", "cortex-m4f", "--verify")
    assert proc.returncode == 0, proc.stderr
    assert "2,068 plus 16 of state" in proc.stdout and "1,952" in proc.stdout and "max |err|" in proc.stdout
    manifest = read(str(tmp_path / "out"))
    assert manifest["verify"]["max_abs_err"] <= 1e-5 and manifest["target"] == "cortex-m4f"


def test_state_pairs_from_the_command_line(tmp_path):
    model = zoo.gru_policy(initial_h="input")
    path = tmp_path / "g.onnx"
    path.write_bytes(model.SerializeToString())
    proc = tinyctl("compile", str(path), "-o", str(tmp_path / "out"), "--state", "h_in=h_out", "--verify")
    assert proc.returncode == 0, proc.stderr
    state = json.loads((tmp_path / "out" / "manifest.json").read_text())["state"]
    assert [(s["onnx_input"], s["onnx_output"]) for s in state] == [("h_in", "h_out")]
    bad = tinyctl("compile", str(path), "-o", str(tmp_path / "bad"), "--state", "obs=nothing")
    assert bad.returncode == 2 and "'nothing' is not a graph output" in bad.stderr


def test_manifest_schema_is_enforced(raptor_compiled):
    import pytest
    from tinyctl.errors import TinyctlError
    manifest = dict(raptor_compiled.manifest)
    validate(manifest)
    assert set(SCHEMA["required"]) <= set(manifest)
    broken = dict(manifest, memory={"weights_bytes": -1, "arena_bytes": 0, "state_bytes": 0})
    with pytest.raises(TinyctlError, match="memory/weights_bytes"):
        validate(broken)
