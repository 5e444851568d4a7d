"""The compiler's YANN lowerings: the region table and the dense network, in C, against PPOPT and each other."""
import json

import numpy as np
import onnx
import pytest

import tinyctl
from tinyctl.cli import main
from tinyctl.compiler import frontend, interp
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.passes import run_pipeline
from tinyctl.training.lipschitz.export import mlp_model

from .conftest import samples


def lowered(path, lowering):
    model = onnx.load(path)
    return run_pipeline(frontend.to_ir(model, model.SerializeToString(), "di3.onnx"), {"lowering": lowering})


def test_pass_replaces_the_network_by_one_table(di3_onnx):
    graph = lowered(di3_onnx, "auto")
    assert [n.op for n in graph.nodes] == ["tc.RegionTable"]
    (table,) = graph.meta["region_tables"]
    assert table["regions"] == 31 and table["halfspaces"] == 136 and table["hyperplanes"] < 40
    assert "region_tables" not in lowered(di3_onnx, "dense").meta


def test_interpreted_table_matches_the_law(di3, di3_onnx):
    mpc, law, _ = di3
    graph = lowered(di3_onnx, "regions")
    for th in samples(mpc, 300, seed=3):
        out, _ = interp.run(graph, {"state": th[None].astype(np.float32)})
        u, inside = law.evaluate(th.astype(np.float32).astype(np.float64))
        assert out["inside"][0, 0] == inside
        assert abs(out["u"][0, 0] - u[0]) <= 1e-5


@pytest.mark.hostc
@pytest.mark.parametrize("lowering", ["regions", "dense"])
def test_compiled_c_matches_ppopt(di3, di3_onnx, tmp_path, lowering):
    mpc, _, solution = di3
    compiled = tinyctl.compile(di3_onnx, str(tmp_path / lowering), name="di3", verify=True, lowering=lowering)
    assert compiled.manifest["lowerings"]["emitted"] == lowering
    assert compiled.manifest["verify"]["max_abs_err"] <= 1e-5
    state = compiled.reset()
    worst, n_in = 0.0, 0
    for th in samples(mpc, 2000, seed=4):
        out, state = compiled.step(th.astype(np.float32), state)
        ref = solution.evaluate(th.reshape(-1, 1))
        if ref is None:
            assert out[1] == 0.0 and out[0] == 0.0
        else:
            n_in += 1
            assert out[1] == 1.0
            worst = max(worst, abs(out[0] - ref[0, 0]))
    assert n_in > 1000 and worst <= 1e-5


@pytest.mark.hostc
def test_manifest_reports_both_lowerings(di3_onnx, tmp_path):
    compiled = tinyctl.compile(di3_onnx, str(tmp_path / "m"), name="di3", target="cortex-m4f")
    lw = compiled.manifest["lowerings"]
    assert lw["emitted"] == "regions" and lw["requested"] == "auto"
    assert lw["regions"]["macs"] * 10 < lw["dense"]["macs"]
    assert lw["regions"]["constant_bytes"] * 10 < lw["dense"]["constant_bytes"]
    if lw["regions"]["flash_bytes"] is not None and lw["dense"]["flash_bytes"] is not None:
        assert lw["regions"]["flash_bytes"] * 8 < lw["dense"]["flash_bytes"]
    text = (tmp_path / "m" / "di3.c").read_text()
    assert "tc_region_find" in text and "static const int16_t plane_of" in text


def test_regions_refused_where_there_is_no_yann():
    rng = np.random.default_rng(0)
    model = mlp_model([(rng.standard_normal((4, 3)), np.zeros(4)), (rng.standard_normal((2, 4)), np.zeros(2))])
    with pytest.raises(CompileError, match="no YANN structure"):
        tinyctl.compile(model, lowering="regions")
    with pytest.raises(CompileError, match="unknown lowering"):
        tinyctl.compile(model, lowering="sparse")


def test_too_small_bigm_stays_dense(di3_onnx):
    """A big-M that does not cover a law on the box makes the dense net differ from a table: never lowered."""
    model = onnx.load(di3_onnx)
    tensors = {t.name: t for t in model.graph.initializer}
    w4, b4 = (onnx.numpy_helper.to_array(tensors[k]).copy() for k in ("yann.w4", "yann.b4"))
    p = w4.shape[0] // 2
    i = int(np.argmax(np.linalg.norm(w4[0::2, p:], axis=1)))  # the region whose law varies most over the box
    for row in (2 * i, 2 * i + 1):                        # its plus and minus rows: same law, M halved
        b4[row] += 0.5 * w4[row, i]
        w4[row, i] *= 0.5
    for key, value in (("yann.w4", w4), ("yann.b4", b4)):
        tensors[key].CopyFrom(onnx.numpy_helper.from_array(value, key))
    graph = run_pipeline(frontend.to_ir(model, model.SerializeToString(), "bad.onnx"), {"lowering": "auto"})
    assert "region_tables" not in graph.meta
    with pytest.raises(CompileError, match="big-M"):
        run_pipeline(frontend.to_ir(model, model.SerializeToString(), "bad.onnx"), {"lowering": "regions"})


def test_cli_lowering_option(di3_onnx, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["compile", di3_onnx, "-o", str(out), "--lowering", "regions"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["lowerings"]["emitted"] == "regions" and "--lowering regions" in manifest["command"]
