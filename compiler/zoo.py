"""Reference models built with onnx.helper: the shapes policies take, for tests, benchmarks and examples.

Weights are drawn from a seeded generator with a scale that keeps activations in their interesting range.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
_ACTS = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "elu": "Elu", "softplus": "Softplus", "none": None}


def _model(name, nodes, inputs, outputs, inits, opset=OPSET):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, producer_name="tinyctl zoo", opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _dense_weights(rng, n_out, n_in):
    w = (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)
    b = (0.1 * rng.standard_normal(n_out)).astype(np.float32)
    return w, b


def mlp(sizes, activation="tanh", seed=0, batch="N", name=None):
    """An MLP sizes[0] -> ... -> sizes[-1] as Gemm (transB) + activation, linear output layer."""
    rng = np.random.default_rng(seed)
    nodes, inits, x = [], [], "x"
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w, b = _dense_weights(rng, n_out, n_in)
        inits += [numpy_helper.from_array(w, f"w{k}"), numpy_helper.from_array(b, f"b{k}")]
        last = k == len(sizes) - 2
        y = "y" if last else f"z{k}"
        nodes.append(helper.make_node("Gemm", [x, f"w{k}", f"b{k}"], [y], f"dense{k}", transB=1))
        if not last and _ACTS[activation]:
            nodes.append(helper.make_node(_ACTS[activation], [y], [f"a{k}"], f"act{k}"))
            y = f"a{k}"
        x = y
    name = name or "mlp_" + "_".join(str(s) for s in sizes)
    return _model(name, nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, sizes[0]])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, sizes[-1]])], inits)


def gru_policy(n_in=22, n_hidden=16, n_gru=16, n_out=4, seed=0, initial_h="input", linear_before_reset=1):
    """Dense(ReLU) -> GRU -> Dense, one step. initial_h: "input" (h_in/h_out), "initializer" or "none"."""
    rng = np.random.default_rng(seed)
    w0, b0 = _dense_weights(rng, n_hidden, n_in)
    w2, b2 = _dense_weights(rng, n_out, n_gru)
    s_in, s_h = 1 / np.sqrt(n_hidden), 1 / np.sqrt(n_gru)
    inits = [numpy_helper.from_array(w0, "w0"), numpy_helper.from_array(b0, "b0"),
             numpy_helper.from_array((s_in * rng.standard_normal((1, 3 * n_gru, n_hidden))).astype(np.float32), "W"),
             numpy_helper.from_array((s_h * rng.standard_normal((1, 3 * n_gru, n_gru))).astype(np.float32), "R"),
             numpy_helper.from_array((0.1 * rng.standard_normal((1, 6 * n_gru))).astype(np.float32), "B"),
             numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2"),
             numpy_helper.from_array(np.array([0], np.int64), "axis0")]
    inputs = [helper.make_tensor_value_info("obs", TensorProto.FLOAT, [1, n_in])]
    outputs = [helper.make_tensor_value_info("act", TensorProto.FLOAT, [1, n_out])]
    nodes = [helper.make_node("Gemm", ["obs", "w0", "b0"], ["d0"], "dense0", transB=1),
             helper.make_node("Relu", ["d0"], ["r0"], "relu0"),
             helper.make_node("Unsqueeze", ["r0", "axis0"], ["x"], "seq")]
    h0 = ""
    if initial_h == "input":
        inputs.append(helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [1, n_gru]))
        outputs.append(helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [1, n_gru]))
        nodes.append(helper.make_node("Unsqueeze", ["h_in", "axis0"], ["h0"], "h0"))
        h0 = "h0"
    elif initial_h == "initializer":
        inits.append(numpy_helper.from_array((0.5 * rng.standard_normal((1, 1, n_gru))).astype(np.float32), "h0"))
        h0 = "h0"
    nodes += [helper.make_node("GRU", ["x", "W", "R", "B", "", h0], ["", "yh"], "gru", hidden_size=n_gru,
                               linear_before_reset=linear_before_reset),
              helper.make_node("Squeeze", ["yh", "axis0"], ["h_out" if initial_h == "input" else "h"], "squeeze"),
              helper.make_node("Gemm", ["h_out" if initial_h == "input" else "h", "w2", "b2"], ["act"], "dense2",
                               transB=1)]
    return _model(f"gru_policy_{initial_h}", nodes, inputs, outputs, inits)


def lstm_policy(n_in=12, n_hidden=16, n_out=4, seed=0, peepholes=False):
    """LSTM -> Dense with explicit h and c state inputs and outputs, one step."""
    rng = np.random.default_rng(seed)
    s = 1 / np.sqrt(n_hidden)
    w2, b2 = _dense_weights(rng, n_out, n_hidden)
    inits = [numpy_helper.from_array((s * rng.standard_normal((1, 4 * n_hidden, n_in))).astype(np.float32), "W"),
             numpy_helper.from_array((s * rng.standard_normal((1, 4 * n_hidden, n_hidden))).astype(np.float32), "R"),
             numpy_helper.from_array((0.1 * rng.standard_normal((1, 8 * n_hidden))).astype(np.float32), "B"),
             numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")]
    lstm_in = ["x", "W", "R", "B", "", "h_in", "c_in"]
    if peepholes:
        inits.append(numpy_helper.from_array((0.1 * rng.standard_normal((1, 3 * n_hidden))).astype(np.float32), "P"))
        lstm_in.append("P")
    state = [1, 1, n_hidden]
    nodes = [helper.make_node("LSTM", lstm_in, ["", "h_out", "c_out"], "lstm", hidden_size=n_hidden),
             helper.make_node("Reshape", ["h_out", "flat"], ["h_flat"], "flatten"),
             helper.make_node("Gemm", ["h_flat", "w2", "b2"], ["act"], "dense", transB=1)]
    inits.append(numpy_helper.from_array(np.array([1, n_hidden], np.int64), "flat"))
    return _model("lstm_policy", nodes,
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, n_in]),
                   helper.make_tensor_value_info("h_in", TensorProto.FLOAT, state),
                   helper.make_tensor_value_info("c_in", TensorProto.FLOAT, state)],
                  [helper.make_tensor_value_info("act", TensorProto.FLOAT, [1, n_out]),
                   helper.make_tensor_value_info("h_out", TensorProto.FLOAT, state),
                   helper.make_tensor_value_info("c_out", TensorProto.FLOAT, state)], inits)


def residual_mlp(n=32, seed=0):
    """Branches and joins: two dense layers, a skip connection, concat and a split, to exercise the planner."""
    rng = np.random.default_rng(seed)
    w = [_dense_weights(rng, n, n) for _ in range(3)]
    inits = [t for k, (a, b) in enumerate(w) for t in (numpy_helper.from_array(a, f"w{k}"), numpy_helper.from_array(b, f"b{k}"))]
    wo, bo = _dense_weights(rng, 4, 2 * n)
    inits += [numpy_helper.from_array(wo, "wo"), numpy_helper.from_array(bo, "bo")]
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["h0"], "d0", transB=1),
             helper.make_node("Tanh", ["h0"], ["a0"], "t0"),
             helper.make_node("Gemm", ["a0", "w1", "b1"], ["h1"], "d1", transB=1),
             helper.make_node("Relu", ["h1"], ["a1"], "r1"),
             helper.make_node("Add", ["a1", "a0"], ["s"], "skip"),
             helper.make_node("Gemm", ["s", "w2", "b2"], ["h2"], "d2", transB=1),
             helper.make_node("Sigmoid", ["h2"], ["a2"], "g2"),
             helper.make_node("Mul", ["a2", "s"], ["gated"], "gate"),
             helper.make_node("Concat", ["gated", "x"], ["cat"], "cat", axis=1),
             helper.make_node("Gemm", ["cat", "wo", "bo"], ["y"], "out", transB=1)]
    return _model("residual_mlp", nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)


def all_models():
    """name -> ModelProto for the models the tests and the compiler benchmark run."""
    return {
        "mlp_12_64_64_4": mlp([12, 64, 64, 4]),
        "mlp_22_128_128_4": mlp([22, 128, 128, 4], activation="relu"),
        "mlp_elu_softplus": mlp([8, 32, 16, 2], activation="elu"),
        "gru_policy_input": gru_policy(initial_h="input"),
        "gru_policy_initializer": gru_policy(initial_h="initializer", linear_before_reset=0),
        "gru_policy_none": gru_policy(initial_h="none"),
        "lstm_policy": lstm_policy(),
        "lstm_peepholes": lstm_policy(peepholes=True),
        "residual_mlp": residual_mlp(),
    }
