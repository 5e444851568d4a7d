"""Generated code is deterministic and diff-friendly: byte-identical across runs and directories, no absolute
paths, and snapshots of reference models so a change to the generated C is a visible, deliberate diff.

Refresh the snapshots after an intended change with:  TINYCTL_UPDATE_SNAPSHOTS=1 pytest tests/compiler/test_determinism.py
"""
import os
import re

import pytest

from tinyctl.compiler import compile_model, zoo

SNAPSHOTS = os.path.join(os.path.dirname(__file__), "snapshots")


def _files(directory):
    out = {}
    for root, _, names in os.walk(directory):
        for n in names:
            path = os.path.join(root, n)
            out[os.path.relpath(path, directory)] = open(path, "rb").read()
    return out


def test_byte_identical_in_any_directory(tmp_path, raptor_onnx):
    a = compile_model(raptor_onnx, str(tmp_path / "a" / "x"), name="raptor", target="cortex-m4f")
    b = compile_model(raptor_onnx, str(tmp_path / "b" / "deeper" / "y"), name="raptor", target="cortex-m4f")
    fa, fb = _files(a.directory), _files(b.directory)
    assert fa == fb
    for name, data in fa.items():
        text = data.decode()
        assert str(tmp_path) not in text and "/tmp" not in text, name
        assert not re.search(r"\b20\d\d-\d\d-\d\d", text), f"{name} holds a date"


def test_header_names_tool_model_and_command(raptor_compiled):
    c_src = open(os.path.join(raptor_compiled.directory, "raptor.c")).read()
    head = c_src.split("*/")[0]
    assert "tinyctl 0." in head and "raptor.onnx" in head
    assert raptor_compiled.manifest["model"]["sha256"] in head
    assert "Command: tinyctl compile raptor.onnx --name raptor --target cortex-m4f --verify" in head


def test_weights_parse_back_bit_exact(raptor_compiled):
    import numpy as np
    from tinyctl.training.foundation import load_checkpoint
    c_src = open(os.path.join(raptor_compiled.directory, "raptor.c")).read()
    body = c_src.split("raptor_dense0_weight[352] = {")[1].split("};")[0]
    values = np.array([float(v.strip().rstrip("f")) for v in body.split(",")], np.float32)
    weights, _ = load_checkpoint()
    assert np.array_equal(values.view(np.uint32), weights["w0"].ravel().view(np.uint32))


def _step_function(text):
    """The generated step function and header: the code, without the weight tables."""
    return re.sub(r"(static const float \w+\[\d+\] = \{)[^}]*(\};)", r"\1 ... \2", text)


@pytest.mark.parametrize("name", ["gru_policy_initializer", "lstm_peepholes", "residual_mlp", "raptor"])
def test_snapshot(name, tmp_path, raptor_onnx):
    model = raptor_onnx if name == "raptor" else zoo.all_models()[name]
    m = compile_model(model, str(tmp_path / name), name=name, target="cortex-m4f")
    got = "".join(_step_function(open(os.path.join(m.directory, f"{name}{ext}")).read()) for ext in (".h", ".c"))
    path = os.path.join(SNAPSHOTS, f"{name}.txt")
    if os.environ.get("TINYCTL_UPDATE_SNAPSHOTS") or not os.path.exists(path):
        with open(path, "w") as f:
            f.write(got)
        if not os.environ.get("TINYCTL_UPDATE_SNAPSHOTS"):
            pytest.fail(f"snapshot {path} was missing and has been written: review and commit it")
    assert got == open(path).read(), f"generated C for {name} changed: review, then refresh the snapshots " \
                                     "(TINYCTL_UPDATE_SNAPSHOTS=1)"
