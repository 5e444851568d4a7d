"""tinyctl's own conformance cases (what the backend suite lacks): each passes through the compiler, and its
expected data (onnx's reference implementation) agrees with onnxruntime, a second, independent reference."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from tinyctl.compiler import compile_model
from tinyctl.compiler.conformance import excess
from tinyctl.compiler.conformance.own_cases import BINARY, FAMILIES, fusion_cases
from tinyctl.compiler.verify import seqwise_recurrences

pytestmark = [pytest.mark.conformance, pytest.mark.hostc]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_own_cases_pass(family, conformance_results):
    mine = [r for r in conformance_results.values() if r.kind == "tinyctl" and r.op == family]
    assert mine
    bad = [f"{r.name}: {r.status} {r.reason}" for r in mine if r.status != "pass"]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_expected_outputs_agree_with_onnxruntime(family):
    options = ort.SessionOptions()
    options.log_severity_level = 3
    for test in FAMILIES[family]():
        if test.reference != "onnx":
            continue  # its data is onnxruntime's already (attributes onnx.reference ignores)
        model = onnx.ModelProto.FromString(test.model.SerializeToString())
        seqwise_recurrences(model.graph)  # onnxruntime runs GRU/LSTM with layout 0 only
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        inputs, expected = test.data_sets[0]
        got = session.run(None, {vi.name: v for vi, v in zip(test.model.graph.input, inputs)})
        for vi, y, r in zip(test.model.graph.output, got, expected):
            over, err = excess(np.asarray(y, np.float32), np.asarray(r, np.float32))
            assert (over <= 0).all(), f"{test.name}: output '{vi.name}' differs by {err:.3g} between the references"


def test_broadcasting_covers_every_binary_op_in_every_pattern(conformance_results):
    names = set(conformance_results)
    for op in BINARY:
        for pattern in ("scalar", "row", "column", "rank_extending"):
            assert f"{op.lower()}_{pattern}" in names


def test_fusion_cases_run_the_fused_kernel(tmp_path):
    """The fusion family is only worth its name if the compiler does fuse: one tc.Dense with the activation."""
    for test in fusion_cases():
        if not test.name.startswith(("matmul_add_", "gemm_alpha_")):
            continue
        act = next(n.op_type for n in test.model.graph.node if n.op_type not in ("MatMul", "Add", "Gemm"))
        graph = compile_model(test.model, str(tmp_path / test.name), name=test.name).graph
        assert [(n.op, n.params["activation"]) for n in graph.nodes] == [("tc.Dense", act)], test.name
