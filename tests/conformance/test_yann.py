"""A whole YANN (step functions as Cast(GreaterOrEqual(x, 0)) feeding Gemm, then ReLU layers) compiled and
verified against onnxruntime, and against the piecewise-affine law it represents exactly."""
import numpy as np
import pytest

from tinyctl.compiler import compile_model
from tinyctl.compiler.conformance import excess
from tinyctl.compiler.conformance.own_cases import yann_saturation

pytestmark = [pytest.mark.conformance, pytest.mark.hostc]


def test_yann_computes_its_piecewise_affine_law(tmp_path):
    k = np.array([0.7, -0.4])
    test = yann_saturation(k=k)
    # dense: the step functions themselves in C (a region table is the other lowering of a YANN)
    compiled = compile_model(test.model, str(tmp_path / "yann"), name="yann", verify=True, lowering="dense")
    assert compiled.manifest["verify"]["max_abs_err"] <= 1e-5
    ops = [n.op for n in compiled.graph.nodes]
    assert "GreaterOrEqual" in ops and "tc.Dense" in ops
    rng = np.random.default_rng(7)
    points = compiled.manifest["inputs"][0]["shape"][0]
    for _ in range(8):
        th = rng.uniform(-2, 2, (points, 2)).astype(np.float32)
        u, _ = compiled.step(th)
        law = np.clip(th.astype(np.float64) @ k, -1, 1)
        over, err = excess(u, law)
        assert (over <= 0).all(), f"the YANN misses its law by {err:.3g}"
    # all three regions were visited
    th = np.array([[-2, 2], [0, 0], [2, -2]] + [[0, 0]] * (points - 3), np.float32)
    u, _ = compiled.step(th)
    assert u[:3].tolist() == [-1.0, 0.0, 1.0]
