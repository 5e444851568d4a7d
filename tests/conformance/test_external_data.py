"""Models whose weights live in an external data file, as torch.onnx.export(..., dynamo=True) writes them."""
import os

import numpy as np
import onnx
import pytest

from tinyctl.compiler import CompileError, compile_model, zoo

pytestmark = [pytest.mark.conformance, pytest.mark.hostc]


def _save_external(model, path):
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location=f"{path.name}.data", size_threshold=0)
    assert os.path.getsize(f"{path}.data") > 1000
    return str(path)


def test_external_weights_are_read_and_covered_by_the_sha(tmp_path):
    model = zoo.mlp([12, 64, 4])
    whole = compile_model(model, str(tmp_path / "whole"), name="mlp")
    path = _save_external(model, tmp_path / "mlp.onnx")
    split = compile_model(path, str(tmp_path / "split"), name="mlp", verify=True)
    x = np.random.default_rng(0).standard_normal(12).astype(np.float32)
    assert np.array_equal(whole.step(x)[0], split.step(x)[0])
    # the sha256 names the weights too: change one byte of the data file and it changes
    with open(f"{path}.data", "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 1]))
    changed = compile_model(path, str(tmp_path / "changed"), name="mlp")
    assert changed.manifest["model"]["sha256"] != split.manifest["model"]["sha256"]


def test_missing_external_data_is_a_clear_error(tmp_path):
    path = _save_external(zoo.mlp([12, 64, 4]), tmp_path / "mlp.onnx")
    os.remove(f"{path}.data")
    with pytest.raises(CompileError, match=r"keeps its weights in mlp\.onnx\.data, which cannot be read"):
        compile_model(path, str(tmp_path / "out"))
    assert not os.path.exists(tmp_path / "out")
    model = onnx.load(_save_external(zoo.mlp([12, 64, 4]), tmp_path / "again.onnx"), load_external_data=False)
    with pytest.raises(CompileError, match=r"compile it from its file"):
        compile_model(model, str(tmp_path / "out"))
