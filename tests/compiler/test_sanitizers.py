"""The generated C under AddressSanitizer and UndefinedBehaviorSanitizer, driven by the verification harness."""
import numpy as np
import pytest

from tinyctl.compiler import compile_model, zoo
from tinyctl.compiler.verify import build_harness, draw_cases, run_harness

pytestmark = [pytest.mark.sanitizers, pytest.mark.hostc]


@pytest.mark.parametrize("name", sorted(zoo.all_models()) + ["raptor"])
def test_clean_under_asan_and_ubsan(name, tmp_path, raptor_onnx):
    model = raptor_onnx if name == "raptor" else zoo.all_models()[name]
    m = compile_model(model, str(tmp_path / "out"), name=name)
    layout = {"name": name, "sizes": m.manifest["sizes"], "inputs": m.manifest["inputs"],
              "outputs": m.manifest["outputs"], "state": m.manifest["state"]}
    cases = draw_cases(layout, None, samples=8, sequences=2, steps=20, seed=3)
    plain = run_harness(build_harness(m.directory, name, str(tmp_path)), cases, layout)
    checked = run_harness(build_harness(m.directory, name, str(tmp_path), sanitize=True), cases, layout)
    for (a_out, a_state), (b_out, b_state) in zip(plain, checked):
        np.testing.assert_allclose(a_out, b_out, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(a_state, b_state, rtol=1e-6, atol=1e-6)
