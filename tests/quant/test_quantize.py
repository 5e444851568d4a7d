"""The quantising compile: every dtype on the reference models verifies (the C against the quantised model, the
quantised model against the float one), the manifest records precision, calibration, scales and errors, and bad
calibration data is refused with one line."""
import json
import os

import numpy as np
import pytest

from tinyctl.compiler import compile_model, zoo
from tinyctl.compiler.errors import CompileError

pytestmark = pytest.mark.hostc

FAST = [("gru_policy_input", "int8w"), ("gru_policy_input", "int8"), ("gru_policy_input", "q15"),
        ("mlp_12_64_64_4", "int8"), ("mlp_22_128_128_4", "int8w"), ("residual_mlp", "int8"),
        ("lstm_policy", "q15"), ("mlp_elu_softplus", "int8")]
ALL = [(m, d) for m in zoo.all_models() for d in ("int8w", "int8", "q15")]


def _check(name, dtype, tmp_path):
    m = compile_model(zoo.all_models()[name], str(tmp_path / name), name=name, target="cortex-m4f", dtype=dtype,
                      verify=True)
    man = m.manifest
    q, v = man["quantization"], man["verify"]
    assert man["dtype"] == dtype and q["dtype"] == dtype and q["layers"]
    assert v["c_vs_quantized_model"]["cases"] > 0
    if dtype in ("int8", "q15") and not q["float_ops"]:
        assert v["c_vs_quantized_model"]["rule"] == "bit for bit" and v["c_vs_quantized_model"]["max_abs_err"] == 0
    assert v["max_rel_err"] <= v["tolerance"]["of_range"]
    assert "range" in v["tolerance"]["rule"]
    for layer in q["layers"]:
        assert layer["weights"]["dtype"] == "int8" and 0 < layer["weights"]["scale_min"] <= layer["weights"]["scale_max"]
    return m


@pytest.mark.parametrize("name,dtype", FAST)
def test_reference_models_verify(name, dtype, tmp_path):
    m = _check(name, dtype, tmp_path)
    q = m.manifest["quantization"]
    if dtype != "int8w":
        assert q["calibration"]["source"] == "drawn"       # no data given: the manifest says the ranges were drawn
        ints = [e for e in q["precision"].values() if e["dtype"] in ("int8", "int16")]
        assert ints and all("scale" in e for e in ints if e["dtype"] == ("int8" if dtype == "int8" else "int16"))
    if name in ("residual_mlp", "lstm_policy", "mlp_elu_softplus"):
        assert q["float_ops"], "ops without an integer lowering are reported"


@pytest.mark.slow
@pytest.mark.parametrize("name,dtype", ALL)
def test_every_reference_model_in_every_dtype(name, dtype, tmp_path):
    _check(name, dtype, tmp_path)


def test_int8w_quarters_the_weights(tmp_path):
    model = zoo.all_models()["mlp_22_128_128_4"]
    f = compile_model(model, str(tmp_path / "f"), name="f", target="cortex-m4f").manifest["memory"]["weights_bytes"]
    q = compile_model(model, str(tmp_path / "q"), name="q", target="cortex-m4f", dtype="int8w").manifest
    assert q["memory"]["weights_bytes"] <= 0.28 * f      # int8 weights, plus a float scale and bias per row
    c = open(os.path.join(tmp_path / "q", "q.c")).read()
    assert "static const int8_t" in c and "tc_dense_w8(" in c


def test_deterministic_and_command_names_the_calibration(tmp_path):
    model = zoo.all_models()["gru_policy_input"]
    rng = np.random.default_rng(0)
    data = tmp_path / "calib.npz"
    np.savez(data, obs=rng.standard_normal((3, 40, 1, 22)).astype(np.float32),
             h_in=rng.uniform(-0.5, 0.5, (3, 40, 1, 16)).astype(np.float32))
    a = compile_model(model, str(tmp_path / "a" / "m"), name="m", target="cortex-m3", dtype="int8", calibration=str(data))
    b = compile_model(model, str(tmp_path / "b" / "m"), name="m", target="cortex-m3", dtype="int8", calibration=str(data))
    files = lambda d: {n: open(os.path.join(d, n), "rb").read() for n in ("m.c", "m.h", "manifest.json")}
    assert files(a.directory) == files(b.directory)
    man = json.loads(files(a.directory)["manifest.json"])
    assert "--dtype int8 --calibration calib.npz" in man["command"]
    assert man["quantization"]["calibration"] == {"source": "calib.npz", "sequences": 3, "steps": 40}


def test_bad_calibration_data_is_refused(tmp_path):
    model = zoo.all_models()["mlp_12_64_64_4"]
    with pytest.raises(CompileError, match=r"calibration data has shape \[5, 7\]"):
        compile_model(model, str(tmp_path / "a"), dtype="int8", calibration=np.zeros((5, 7), np.float32))
    bad = np.zeros((10, 12), np.float32)
    bad[3, 4] = np.nan
    with pytest.raises(CompileError, match="NaN or Inf"):
        compile_model(model, str(tmp_path / "b"), dtype="q15", calibration=bad)
    (tmp_path / "junk.npy").write_text("not numpy")
    with pytest.raises(CompileError, match="cannot read calibration data"):
        compile_model(model, str(tmp_path / "c"), dtype="int8", calibration=str(tmp_path / "junk.npy"))
    with pytest.raises(CompileError, match="dtype 'int4' is not available"):
        compile_model(model, str(tmp_path / "d"), dtype="int4")
    assert not any(p.name in ("a", "b", "c", "d") for p in tmp_path.iterdir())   # no half-written output


def test_lipschitz_certifies_the_emitted_weights(tmp_path):
    """compile --lipschitz on a quantised build certifies the network its integers stand for (emitted.py): the
    whole map, within the weights' quantisation of the float network's bound."""
    from tinyctl.compiler.quantize.emitted import dense_weights
    model = zoo.all_models()["mlp_12_64_64_4"]
    f = compile_model(model, str(tmp_path / "f"), name="f", lipschitz=True).manifest["lipschitz"]
    for dtype in ("int8w", "int8"):
        q = compile_model(model, str(tmp_path / dtype), name="q", dtype=dtype, lipschitz=True)
        lip = q.manifest["lipschitz"]
        assert lip["scope"] == "network" and abs(lip["bound"] / f["bound"] - 1) < 0.01
        layers = [dense_weights(n, q.graph) for n in q.graph.nodes if dense_weights(n, q.graph) is not None]
        assert len(layers) == 3 and all(w.dtype == np.float64 for w, _ in layers)
