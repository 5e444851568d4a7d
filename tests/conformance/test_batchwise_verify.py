"""GRU and LSTM with layout=1 (batch first) compile and verify: onnxruntime only runs layout 0, so the
verification's reference runs them as layout 0 between Transposes."""
import pytest

from tinyctl.compiler import compile_model
from tinyctl.compiler.conformance_cases import _recurrent

pytestmark = [pytest.mark.conformance, pytest.mark.hostc]


@pytest.mark.parametrize("op", ["GRU", "LSTM"])
@pytest.mark.parametrize("state", ["input", "initializer"])
def test_batchwise_recurrence_verifies(op, state, tmp_path):
    test = _recurrent(f"{op.lower()}_batchwise_{state}", op, seq=3, batch=2, layout=1, state=state)
    compiled = compile_model(test.model, str(tmp_path / "out"), name="rnn", verify=True)
    assert compiled.manifest["verify"]["max_abs_err"] <= 1e-5
    assert len(compiled.manifest["state"]) == (1 if op == "GRU" else 2)
