"""Bad input: a clear one-line error naming the problem, exit code 2, and nothing left in the output directory."""
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tinyctl.compiler import CompileError, compile_model, supported_ops, zoo


def _gemm_model(w=None, x_shape=(1, 4), opset=17, extra_nodes=(), drop_init=False):
    w = np.ones((3, 4), np.float32) if w is None else w
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], "dense", transB=1), *extra_nodes]
    out = nodes[-1].output[0]
    g = helper.make_graph(nodes, "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
                          [] if drop_init else [numpy_helper.from_array(w, "w")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _write(tmp_path, model_or_bytes, name="model.onnx"):
    path = tmp_path / name
    path.write_bytes(model_or_bytes if isinstance(model_or_bytes, bytes) else model_or_bytes.SerializeToString())
    return str(path)


CASES = {
    "empty file": (lambda: b"", r"is empty"),
    "not ONNX": (lambda: b"hello, this is a text file\n" * 20, r"not an ONNX model"),
    "truncated": (lambda: zoo.mlp([12, 64, 64, 4]).SerializeToString()[:5000], r"not an ONNX model|reads '.*', which no"),
    "unsupported op": (lambda: _gemm_model(extra_nodes=[helper.make_node("Softmax", ["y"], ["p"], "softmax")]),
                       r"node 'softmax' \(Softmax\) is not supported: tinyctl supports Abs, Add, "),
    "missing initializer": (lambda: _gemm_model(drop_init=True), r"node 'dense' \(Gemm\) reads 'w', which no initializer"),
    "NaN weights": (lambda: _gemm_model(w=np.full((3, 4), np.nan, np.float32)), r"initializer 'w' holds 12 NaN or Inf"),
    "shape mismatch": (lambda: _gemm_model(w=np.ones((3, 5), np.float32)), r"node 'dense' \(Gemm\): inner dimensions differ"),
    "dynamic dimension": (lambda: _gemm_model(x_shape=(1, "features")),
                          r"input 'x' has a dynamic dimension 'features' at axis 1"),
    "old opset": (lambda: _gemm_model(opset=11), r"uses opset 11; tinyctl reads opsets 13 to"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_compile_error_names_the_problem(case, tmp_path):
    make, pattern = CASES[case]
    path = _write(tmp_path, make())
    out = tmp_path / "out"
    with pytest.raises(CompileError, match=pattern) as info:
        compile_model(path, str(out))
    assert "\n" not in str(info.value)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no staging directory left behind


def test_unsupported_op_lists_every_supported_op(tmp_path):
    path = _write(tmp_path, CASES["unsupported op"][0]())
    with pytest.raises(CompileError) as info:
        compile_model(path, str(tmp_path / "out"))
    for op in supported_ops():
        assert op in str(info.value)


def test_batch_dimension_is_pinned_to_one(tmp_path):
    m = compile_model(zoo.mlp([4, 8, 2], batch="N"), str(tmp_path / "out"), verify=True)
    assert m.manifest["inputs"][0]["shape"] == [1, 4]


def test_cli_exit_code_and_one_line(tmp_path):
    path = _write(tmp_path, CASES["unsupported op"][0]())
    proc = subprocess.run([sys.executable, "-m", "tinyctl.cli", "compile", path, "-o", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Softmax" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_foreign_directory_is_not_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    model = zoo.mlp([4, 8, 2])
    with pytest.raises(CompileError, match="holds files tinyctl did not write.*--force"):
        compile_model(model, str(out))
    assert (out / "notes.txt").read_text() == "mine"
    compile_model(model, str(out), force=True)
    assert not (out / "notes.txt").exists() and (out / "manifest.json").exists()


def test_previous_output_is_replaced_only_after_success(tmp_path):
    out = tmp_path / "out"
    compile_model(zoo.mlp([4, 8, 2]), str(out), name="first")
    bad = _write(tmp_path, CASES["NaN weights"][0]())
    with pytest.raises(CompileError):
        compile_model(bad, str(out))
    assert (out / "first.c").exists()  # the old output survives a failed compile
    compile_model(zoo.mlp([4, 8, 2]), str(out), name="second")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "second.c", "second.h", "tinyctl"]


def test_bad_names_and_targets(tmp_path):
    model = zoo.mlp([4, 8, 2])
    with pytest.raises(CompileError, match="not a C identifier"):
        compile_model(model, str(tmp_path / "a"), name="My-Model")
    with pytest.raises(Exception, match="unknown target 'cortex-a53'"):
        compile_model(model, str(tmp_path / "b"), target="cortex-a53")
    assert onnx.checker.check_model(model) is None
