"""`tinyctl compile --jacobian`: exact derivatives checked against onnxruntime (float64 central differences, run by
--verify), against torch's autograd, and for bit-identical outputs with the step; refusals name node and op."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tinyctl.compiler import CompileError, compile_model
from tinyctl.runtime.jacobian import JacobianModel

pytestmark = pytest.mark.hostc

F = TensorProto.FLOAT


def _model(name, nodes, inputs, outputs, inits):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info(n, F, s) for n, s in inputs],
                              [helper.make_tensor_value_info(n, F, s) for n, s in outputs],
                              [numpy_helper.from_array(np.asarray(v, np.float32) if v.dtype.kind == "f" else v, k)
                               for k, v in inits.items()])
    model = helper.make_model(graph, producer_name="tinyctl tests", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _w(rng, *shape, scale=0.7):
    return (scale * rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)


def mlp(activation, alpha=None, sizes=(5, 12, 12, 3)):
    """Gemm + activation layers (fused into tc.Dense by the compiler), linear output."""
    rng = np.random.default_rng(len(activation))
    nodes, inits, x = [], {}, "x"
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        inits[f"w{k}"], inits[f"b{k}"] = _w(rng, b, a, scale=1.5), 0.3 * rng.standard_normal(b)
        y = "y" if k == len(sizes) - 2 else f"z{k}"
        nodes.append(helper.make_node("Gemm", [x, f"w{k}", f"b{k}"], [y], f"dense{k}", transB=1))
        if k < len(sizes) - 2:
            kw = {} if alpha is None else {"alpha": alpha}
            nodes.append(helper.make_node(activation, [y], [f"a{k}"], f"act{k}", **kw))
            y = f"a{k}"
        x = y
    return _model(f"mlp_{activation.lower()}", nodes, [("x", [1, sizes[0]])], [("y", [1, sizes[-1]])], inits)


def dynamics_like():
    """Two inputs concatenated, a residual Add on one of them: the shape `tinyctl train dynamics` exports."""
    rng = np.random.default_rng(3)
    inits = {"w0": _w(rng, 16, 3), "b0": rng.standard_normal(16), "w1": _w(rng, 2, 16), "b1": rng.standard_normal(2)}
    nodes = [helper.make_node("Concat", ["state", "input"], ["z"], "cat", axis=1),
             helper.make_node("Gemm", ["z", "w0", "b0"], ["h"], "d0", transB=1),
             helper.make_node("Tanh", ["h"], ["a"], "t0"),
             helper.make_node("Gemm", ["a", "w1", "b1"], ["d"], "d1", transB=1),
             helper.make_node("Add", ["state", "d"], ["next_state"], "residual")]
    return _model("dynamics_like", nodes, [("state", [1, 2]), ("input", [1, 1])], [("next_state", [1, 2])], inits)


def elementwise():
    """Standalone activations and broadcasting arithmetic, each operand kind (input, computed, constant)."""
    rng = np.random.default_rng(4)
    inits = {"w": _w(rng, 6, 4), "c": rng.standard_normal(6), "row": 1.5 + rng.random((1, 6)),
             "lo": np.array(-0.5, np.float32), "hi": np.array(0.7, np.float32)}
    nodes = [helper.make_node("MatMul", ["x", "w_t"], ["h"], "mm"),
             helper.make_node("Sigmoid", ["h"], ["s"], "sig"),
             helper.make_node("Softplus", ["h"], ["sp"], "softplus"),
             helper.make_node("Mul", ["s", "sp"], ["m"], "mul_two_computed"),
             helper.make_node("Div", ["m", "row"], ["q"], "div_by_const"),
             helper.make_node("Div", ["c", "sp"], ["r"], "const_over_computed"),
             helper.make_node("Sub", ["q", "r"], ["d"], "sub"),
             helper.make_node("Abs", ["d"], ["ab"], "abs"),
             helper.make_node("Neg", ["ab"], ["ng"], "neg"),
             helper.make_node("Clip", ["d", "lo", "hi"], ["cl"], "clip"),
             helper.make_node("Add", ["ng", "cl"], ["e"], "add"),
             helper.make_node("Tanh", ["e"], ["y"], "tanh"),
             helper.make_node("Mul", ["y", "x_scale"], ["y2"], "scale_by_input"),
             helper.make_node("Sub", ["c", "y2"], ["out"], "const_minus")]
    inits["w_t"] = inits.pop("w").T.copy()
    nodes.insert(0, helper.make_node("Slice", ["x", "s0", "s1", "s2"], ["x_scale"], "first_input"))
    inits.update({"s0": np.array([0], np.int64), "s1": np.array([1], np.int64), "s2": np.array([1], np.int64)})
    return _model("elementwise", nodes, [("x", [1, 4])], [("out", [1, 6])], inits)


def rows():
    """Concat, Split, Slice, Transpose, Reshape; an output that is an input, a constant output, two outputs."""
    rng = np.random.default_rng(5)
    inits = {"w": _w(rng, 8, 6), "b": rng.standard_normal(8), "shape": np.array([2, 4], np.int64),
             "flat": np.array([1, 8], np.int64), "k": rng.standard_normal((1, 3)),
             "s0": np.array([1], np.int64), "s1": np.array([7], np.int64), "ax": np.array([1], np.int64),
             "st": np.array([2], np.int64), "split": np.array([3, 5], np.int64)}
    nodes = [helper.make_node("Concat", ["b_in", "a_in"], ["z"], "cat_reordered", axis=1),
             helper.make_node("Gemm", ["z", "w", "b"], ["h"], "dense", transB=1),
             helper.make_node("Elu", ["h"], ["e"], "elu"),
             helper.make_node("Reshape", ["e", "shape"], ["m"], "reshape"),
             helper.make_node("Transpose", ["m"], ["mt"], "transpose", perm=[1, 0]),
             helper.make_node("Reshape", ["mt", "flat"], ["f"], "flatten"),
             helper.make_node("Slice", ["f", "s0", "s1", "ax", "st"], ["sl"], "strided_slice"),
             helper.make_node("Split", ["f", "split"], ["p0", "p1"], "split", axis=1),
             helper.make_node("Concat", ["p1", "sl", "a_in"], ["y"], "cat_mixed", axis=1),
             helper.make_node("Identity", ["a_in"], ["passthrough"], "identity"),
             helper.make_node("Identity", ["k"], ["constant"], "const_out")]
    return _model("rows", nodes, [("a_in", [1, 4]), ("b_in", [1, 2])],
                  [("y", [1, 12]), ("passthrough", [1, 4]), ("constant", [1, 3]), ("p0", [1, 3])], inits)


def gemm_unfused():
    """Gemm with transA and a full C (not a bias, so not fused), and a batched MatMul."""
    rng = np.random.default_rng(6)
    inits = {"w": _w(rng, 3, 5), "cfull": rng.standard_normal((4, 5)), "w2": _w(rng, 5, 2),
             "shape": np.array([2, 2, 5], np.int64), "flat": np.array([1, 8], np.int64)}
    nodes = [helper.make_node("Gemm", ["x", "w", "cfull"], ["g"], "gemm_transA", transA=1, alpha=0.5, beta=2.0),
             helper.make_node("Tanh", ["g"], ["t"], "tanh"),
             helper.make_node("Reshape", ["t", "shape"], ["t3"], "to_batches"),
             helper.make_node("MatMul", ["t3", "w2"], ["mm"], "batched_matmul"),
             helper.make_node("Reshape", ["mm", "flat"], ["y"], "flatten")]
    return _model("gemm_unfused", nodes, [("x", [3, 4])], [("y", [1, 8])], inits)


MODELS = {
    "tanh": lambda: mlp("Tanh"), "relu": lambda: mlp("Relu"), "sigmoid": lambda: mlp("Sigmoid"),
    "elu": lambda: mlp("Elu", alpha=0.8), "softplus": lambda: mlp("Softplus"),
    "leaky_relu": lambda: mlp("LeakyRelu", alpha=0.1), "hard_sigmoid": lambda: mlp("HardSigmoid", alpha=0.2),
    "dynamics_like": dynamics_like, "elementwise": elementwise, "rows": rows, "gemm_unfused": gemm_unfused,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_jacobian_verifies_against_onnxruntime_float64(name, tmp_path):
    m = compile_model(MODELS[name](), str(tmp_path / name), name=name, verify=True, jacobian=True,
                      verify_samples=32)
    rec = m.manifest["jacobian"]
    assert rec["verify"]["samples"] == 32
    assert rec["verify"]["max_abs_err"] <= 2e-5, rec["verify"]
    assert rec["rows"] == m.manifest["sizes"]["out"] and rec["cols"] == m.manifest["sizes"]["in"]
    assert "--jacobian" in m.manifest["command"]


def test_seeded_first_layer_reuses_the_weights(tmp_path):
    """Concat(state, input) is all of `in`: the first layer's tangent is the weights, no extra flash."""
    m = compile_model(dynamics_like(), str(tmp_path / "d"), name="dyn", jacobian=True)
    source = open(f"{m.directory}/dyn.c").read()
    assert "tc_jac_dense_seeded(dyn_w0," in source
    assert m.manifest["jacobian"]["extra_weights_bytes"] == 0


def test_rows_model_jacobian_structure(tmp_path):
    """Outputs that are an input and a constant get unit rows and zero rows."""
    m = compile_model(rows(), str(tmp_path / "r"), name="rows", jacobian=True)
    jm = JacobianModel(m.directory)
    x = np.random.default_rng(0).standard_normal(6).astype(np.float32)
    out, jac = jm.evaluate(x)
    o = {e["name"]: e for e in m.manifest["outputs"]}
    p = o["passthrough"]
    np.testing.assert_array_equal(jac[p["offset"]:p["offset"] + 4], np.eye(6, dtype=np.float32)[:4])
    c = o["constant"]
    assert not jac[c["offset"]:c["offset"] + 3].any()


def test_matches_torch_autograd(tmp_path):
    torch = pytest.importorskip("torch")
    from tinyctl.training.dynamics.model import DynamicsMLP, export_onnx
    torch.manual_seed(0)
    net = DynamicsMLP(3, 2, (16, 16), "tanh")
    rng = np.random.default_rng(0)
    z = rng.standard_normal((500, 5)) * [1, 2, 3, 5, 5]
    net.set_scaling(z, rng.standard_normal((500, 3)) * 0.1)
    path = str(tmp_path / "dyn.onnx")
    export_onnx(net, path)
    jm = JacobianModel(compile_model(path, str(tmp_path / "c"), name="dyn", jacobian=True).directory)
    net64 = net.double()
    for k in range(20):
        x = (rng.standard_normal(5) * [1, 2, 3, 5, 5]).astype(np.float32)
        out, jac = jm.evaluate(x)
        xt = torch.tensor(x[None, :3], dtype=torch.float64)
        ut = torch.tensor(x[None, 3:], dtype=torch.float64)
        ja, jb = torch.autograd.functional.jacobian(lambda a, b: net64(a, b)[0], (xt, ut))
        ref = np.concatenate([ja[:, 0].numpy(), jb[:, 0].numpy()], axis=1)
        np.testing.assert_allclose(jac, ref, rtol=2e-4, atol=2e-5)
        np.testing.assert_allclose(out, net64(xt, ut).detach().numpy()[0], rtol=1e-5, atol=1e-5)


def test_refuses_recurrent_state(tmp_path):
    from tinyctl.compiler import zoo
    with pytest.raises(CompileError, match="recurrent state"):
        compile_model(zoo.gru_policy(initial_h="input"), str(tmp_path / "g"), name="g", jacobian=True)
    assert not (tmp_path / "g").exists()


def test_refuses_an_op_without_rule_naming_node_and_op(tmp_path):
    nodes = [helper.make_node("Max", ["x", "c"], ["y"], "the_max")]
    model = _model("with_max", nodes, [("x", [1, 3])], [("y", [1, 3])], {"c": np.zeros(3, np.float32)})
    with pytest.raises(CompileError, match=r"node 'the_max' \(Max\).*no derivative rule"):
        compile_model(model, str(tmp_path / "m"), name="m", jacobian=True)
    compile_model(model, str(tmp_path / "m2"), name="m2")  # without --jacobian it compiles


def test_refuses_product_of_two_computed_matrices(tmp_path):
    nodes = [helper.make_node("MatMul", ["x", "xt"], ["y"], "outer"),
             helper.make_node("Transpose", ["x"], ["xt"], "tr")]
    nodes = nodes[::-1]
    model = _model("outer", nodes, [("x", [1, 3])], [("y", [1, 1])], {})
    with pytest.raises(CompileError, match=r"node 'outer' \(MatMul\)"):
        compile_model(model, str(tmp_path / "o"), name="o", jacobian=True)


def test_generated_files_are_deterministic(tmp_path):
    a = compile_model(dynamics_like(), str(tmp_path / "a"), name="dyn", jacobian=True)
    b = compile_model(dynamics_like(), str(tmp_path / "b"), name="dyn", jacobian=True)
    for f in ("dyn.c", "dyn_jacobian.h", "dyn.h"):
        assert open(f"{a.directory}/{f}").read() == open(f"{b.directory}/{f}").read()
