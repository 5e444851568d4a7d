"""What `--verify`'s onnxruntime reference needs: GRU and LSTM with layout=1 (batch first) verify, although
onnxruntime runs layout 0 only; a model onnxruntime refuses is a clear one-line error, not a crash."""
import pytest

from tinyctl.compiler import compile_model
from tinyctl.compiler.conformance.own_cases import _recurrent

pytestmark = [pytest.mark.conformance, pytest.mark.hostc]


@pytest.mark.parametrize("op", ["GRU", "LSTM"])
@pytest.mark.parametrize("state", ["input", "initializer"])
def test_batchwise_recurrence_verifies(op, state, tmp_path):
    test = _recurrent(f"{op.lower()}_batchwise_{state}", op, seq=3, batch=2, layout=1, state=state)
    compiled = compile_model(test.model, str(tmp_path / "out"), name="rnn", verify=True)
    assert compiled.manifest["verify"]["max_abs_err"] <= 1e-5
    assert len(compiled.manifest["state"]) == (1 if op == "GRU" else 2)


def test_a_model_onnxruntime_cannot_load_is_a_clear_verify_error(tmp_path):
    """onnx's own helper writes the newest IR version and opset, which an older onnxruntime refuses."""
    from onnx import TensorProto, helper

    from tinyctl.compiler import CompileError
    io = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 3]) for n in ("x", "y")]
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", io[:1], io[1:]))
    model.ir_version = 99
    with pytest.raises(CompileError, match=r"verification runs the model in onnxruntime .* which refused it "
                                           r"\(opset \d+, IR version 99: .*compile without --verify"):
        compile_model(model, str(tmp_path / "out"), verify=True)
    assert not (tmp_path / "out").exists()
    compile_model(model, str(tmp_path / "out"))   # without --verify it compiles
