"""Fixtures of the MPC tests: dynamics models (random ones built with onnx.helper, and a trained msd model),
compiled with --jacobian."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def dynamics_onnx(nx, nu, hidden=12, seed=0, activation="Tanh", gain=0.3):
    """x_next = x + W2 act(W1 [x; u] + b1) + b2: the graph `tinyctl train dynamics` exports, random weights.
    `gain` scales the increment: how far one step moves and how nonlinear the horizon gets."""
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((hidden, nx + nu)) / np.sqrt(nx + nu)).astype(np.float32)
    b1 = (0.3 * rng.standard_normal(hidden)).astype(np.float32)
    w2 = (gain * rng.standard_normal((nx, hidden)) / np.sqrt(hidden)).astype(np.float32)
    b2 = (0.05 * rng.standard_normal(nx)).astype(np.float32)
    nodes = [helper.make_node("Concat", ["state", "input"], ["z"], "cat", axis=1),
             helper.make_node("Gemm", ["z", "w1", "b1"], ["h"], "d1", transB=1),
             helper.make_node(activation, ["h"], ["a"], "act"),
             helper.make_node("Gemm", ["a", "w2", "b2"], ["d"], "d2", transB=1),
             helper.make_node("Add", ["state", "d"], ["next_state"], "residual")]
    graph = helper.make_graph(
        nodes, "random_dynamics",
        [helper.make_tensor_value_info("state", TensorProto.FLOAT, [1, nx]),
         helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, nu])],
        [helper.make_tensor_value_info("next_state", TensorProto.FLOAT, [1, nx])],
        [numpy_helper.from_array(v, k) for k, v in {"w1": w1, "b1": b1, "w2": w2, "b2": b2}.items()])
    model = helper.make_model(graph, producer_name="tinyctl tests", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="session")
def compile_dynamics(tmp_path_factory):
    """compile_dynamics(nx, nu, seed, ...) -> (onnx path, compiled directory), cached per arguments."""
    from tinyctl.compiler import compile_model
    cache = {}

    def make(nx, nu, seed=0, **kw):
        key = (nx, nu, seed, tuple(sorted(kw.items())))
        if key not in cache:
            d = tmp_path_factory.mktemp(f"dyn_{nx}_{nu}_{seed}")
            path = str(d / "dyn.onnx")
            onnx.save(dynamics_onnx(nx, nu, seed=seed, **kw), path)
            cache[key] = (path, compile_model(path, str(d / "c"), name="dyn", jacobian=True).directory)
        return cache[key]
    return make


@pytest.fixture(scope="session")
def msd_model(tmp_path_factory):
    """A dynamics model of the mass-spring-damper, trained briefly (tinyctl.training.dynamics), compiled
    with --jacobian: (training directory, compiled directory, dynamics.json)."""
    pytest.importorskip("torch")
    from tinyctl.compiler import compile_model
    from tinyctl.training.dynamics import train
    d = tmp_path_factory.mktemp("msd")
    meta = train("msd", str(d / "train"), samples=20_000, epochs=25, progress=False, plot=False)
    compiled = compile_model(str(d / "train" / "msd.onnx"), str(d / "c"), name="msd", jacobian=True,
                             target="cortex-m4f")
    return str(d / "train"), compiled.directory, meta
