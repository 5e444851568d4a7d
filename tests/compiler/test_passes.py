"""Every pass keeps the meaning of the graph: the IR interpreter before and after each pass agrees, and with onnxruntime."""
import numpy as np
import onnxruntime as ort
import pytest

from tinyctl.compiler import frontend, interp, zoo
from tinyctl.compiler.passes import PIPELINE, run_pipeline
from tinyctl.compiler.verifier import IRError, verify

MODELS = zoo.all_models()


def _stage_inputs(graph, rng):
    return {n: rng.standard_normal(graph.tensor(n).shape).astype(np.float32) for n in graph.inputs}


def _ort(model, feeds):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_pass_preserves_outputs(name):
    model = MODELS[name]
    raw = model.SerializeToString()
    graph = frontend.to_ir(model, raw, f"{name}.onnx")
    rng = np.random.default_rng(1)
    feeds = {vi.name: rng.standard_normal([d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]).astype(np.float32)
             for vi in model.graph.input}
    expected = _ort(model, feeds)
    stages = []
    run_pipeline(graph, {}, on_pass=lambda stage, g: stages.append(
        (stage, interp.run(g, *_split(g, feeds)), [(s.name, s.onnx_output) for s in g.state])))
    assert [s for s, _, _ in stages] == [p for p, _ in PIPELINE]
    for stage, (outputs, next_state), states in stages:
        got = dict(outputs)
        # a state that came from a graph input/output pair is compared with that ONNX output
        for state_name, onnx_output in states:
            if onnx_output in expected:
                got[onnx_output] = next_state[state_name]
        for out_name, value in expected.items():
            if out_name in got:
                np.testing.assert_allclose(np.asarray(got[out_name]).ravel(), value.ravel(), rtol=1e-5, atol=1e-5,
                                           err_msg=f"{name}: output {out_name} after pass {stage}")


def _split(graph, feeds):
    """Graph inputs and state values for the interpreter from the ONNX feeds of this stage."""
    inputs = {n: feeds[n] for n in graph.inputs}
    state = {s.name: feeds[s.onnx_input] for s in graph.state if s.onnx_input in feeds}
    return inputs, state


def test_fusion_builds_dense_with_activation():
    graph = frontend.to_ir(MODELS["mlp_12_64_64_4"], b"", "m.onnx")
    run_pipeline(graph, {})
    assert [n.op for n in graph.nodes] == ["tc.Dense"] * 3
    assert [n.params["activation"] for n in graph.nodes] == ["Tanh", "Tanh", None]


def test_state_extraction_finds_gru_state_in_every_form():
    for form in ("input", "initializer", "none"):
        model = zoo.gru_policy(initial_h=form)
        graph = run_pipeline(frontend.to_ir(model, b"", "g.onnx"), {})
        assert len(graph.state) == 1, form
        s = graph.state[0]
        assert graph.tensor(s.input).size == 16
        assert (s.reset is not None) == (form == "initializer"), form
        assert ("h_in" in graph.inputs) is False


def test_verifier_rejects_broken_graphs():
    graph = run_pipeline(frontend.to_ir(MODELS["residual_mlp"], b"", "r.onnx"), {})
    graph.nodes[0], graph.nodes[1] = graph.nodes[1], graph.nodes[0]
    with pytest.raises(IRError, match="before it is defined"):
        verify(graph, stage="test")
    graph = run_pipeline(frontend.to_ir(MODELS["residual_mlp"], b"", "r.onnx"), {})
    graph.nodes.append(graph.nodes[-1])
    with pytest.raises(IRError):
        verify(graph, stage="test")


def test_constant_subgraphs_fold_away():
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    nodes = [helper.make_node("Transpose", ["w"], ["wt"], "t", perm=[1, 0]),
             helper.make_node("Mul", ["wt", "two"], ["w2"], "m"),
             helper.make_node("MatMul", ["x", "w2"], ["y"], "mm")]
    g = helper.make_graph(nodes, "fold", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.float32(2), "two")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    graph = run_pipeline(frontend.to_ir(model, b"", "f.onnx"), {})
    assert [n.op for n in graph.nodes] == ["tc.Dense"]
    x = np.ones((1, 4), np.float32)
    np.testing.assert_allclose(interp.run(graph, {"x": x})[0]["y"], x @ (2 * w.T), rtol=1e-6)
    assert onnx.checker.check_model(model) is None


def test_shape_computations_fold_during_shape_inference():
    """Exporters build reshape targets and zero states from Shape, Gather, Concat, Expand, ConstantOfShape and
    integer arithmetic; every shape is static, so all of it becomes constants before the ops that read it."""
    from onnx import TensorProto, helper, numpy_helper
    nodes = [helper.make_node("Shape", ["x"], ["s"], "shape"),
             helper.make_node("Gather", ["s", "zero"], ["batch"], "batch", axis=0),
             helper.make_node("Unsqueeze", ["batch", "zero1"], ["b1"], "b1"),
             helper.make_node("Mul", ["b1", "two"], ["b2"], "b2"),             # integer arithmetic
             helper.make_node("Concat", ["b2", "minus1"], ["target"], "target", axis=0),
             helper.make_node("Reshape", ["x", "target"], ["xr"], "reshape"),
             helper.make_node("ConstantOfShape", ["target_c"], ["bias"], "bias",
                              value=numpy_helper.from_array(np.array([0.5], np.float32))),
             helper.make_node("Add", ["xr", "bias"], ["y0"], "add"),
             helper.make_node("Expand", ["xr", "wide"], ["y"], "expand")]
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array([0], np.int64), "zero1"),
             numpy_helper.from_array(np.array([2], np.int64), "two"), numpy_helper.from_array(np.array([-1], np.int64), "minus1"),
             numpy_helper.from_array(np.array([2, 3], np.int64), "target_c"),
             numpy_helper.from_array(np.array([3, 2, 3], np.int64), "wide")]
    g = helper.make_graph(nodes, "shapes", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
                          [helper.make_tensor_value_info("y0", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    graph = run_pipeline(frontend.to_ir(model, b"", "s.onnx"), {})
    assert sorted(n.op for n in graph.nodes) == ["Add", "Expand", "Reshape"]
    x = np.arange(6, dtype=np.float32).reshape(1, 6)
    out, _ = interp.run(graph, {"x": x})
    np.testing.assert_array_equal(out["y0"], x.reshape(2, 3) + 0.5)
    np.testing.assert_array_equal(out["y"], np.broadcast_to(x.reshape(2, 3), (3, 2, 3)))
    expected = _ort(model, {"x": x})
    np.testing.assert_array_equal(out["y"], expected["y"])
