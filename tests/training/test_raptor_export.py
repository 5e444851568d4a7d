"""The exported single-step ONNX: same form as `tinyctl export raptor`, torch and onnxruntime agree over carried
steps, and bad destinations are refused."""
import numpy as np
import onnx
import pytest
import torch

from tinyctl.errors import TinyctlError
from tinyctl.training.raptor.export import OPSET, export
from tinyctl.training.raptor.student import Student


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    s = Student.from_raptor()                   # trained weights: a GRU far from its linear range
    path = str(tmp_path_factory.mktemp("export") / "student.onnx")
    export(s, path)
    return s, path


def test_same_form_as_the_published_export(exported, raptor_onnx):
    _, path = exported
    ours, theirs = onnx.load(path), onnx.load(raptor_onnx)
    def io(m):
        return ([(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in m.graph.input],
                [(o.name, [d.dim_value for d in o.type.tensor_type.shape.dim]) for o in m.graph.output])
    assert io(ours) == io(theirs)
    grus = [n for n in ours.graph.node if n.op_type == "GRU"]
    assert len(grus) == 1
    assert {a.name: onnx.helper.get_attribute_value(a) for a in grus[0].attribute}["linear_before_reset"] == 1
    assert [o.version for o in ours.opset_import if o.domain in ("", "ai.onnx")] == [OPSET]


def test_torch_and_onnxruntime_agree_over_50_carried_steps(exported):
    import onnxruntime as ort
    s, path = exported
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    h_t, h_o = torch.zeros(1, 16), np.zeros((1, 16), np.float32)
    worst = 0.0
    with torch.no_grad():
        for _ in range(50):
            o = rng.normal(0, 1, (1, 22)).astype(np.float32)
            a_t, h_t = s.step(torch.from_numpy(o), h_t)
            a_o, h_o = session.run(["action", "h_out"], {"observation": o, "h_in": h_o})
            worst = max(worst, np.abs(a_t.numpy() - a_o).max(), np.abs(h_t.numpy() - h_o).max())
    assert np.abs(h_o).max() > 0.5          # the state moved: the comparison exercised the recurrence
    assert worst <= 1e-6


def test_export_refuses_to_overwrite(exported, tmp_path):
    s, path = exported
    with pytest.raises(TinyctlError, match="exists"):
        export(s, path)


def test_a_mistranslated_gru_is_refused_and_leaves_no_file(exported, tmp_path, monkeypatch):
    """The exporter writing the reset gate in the wrong place (linear_before_reset 0, as one torch version was
    reported to) is caught by the float64 check, and nothing is left at the destination."""
    from tinyctl.training.raptor import export as export_lib
    real = export_lib._torch_export

    def wrong_gate(module, example, path):
        real(module, example, path)
        model = onnx.load(path)
        for node in model.graph.node:
            if node.op_type == "GRU":
                for a in node.attribute:
                    if a.name == "linear_before_reset":
                        a.i = 0
        onnx.save(model, path)
    monkeypatch.setattr(export_lib, "_torch_export", wrong_gate)
    s, _ = exported
    path = tmp_path / "student.onnx"
    with pytest.raises(TinyctlError, match="mistranslated"):
        export(s, str(path))
    assert list(tmp_path.iterdir()) == []
