"""compile --lipschitz: certified bounds never below empirical ones; an LBDN with gamma certifies at most gamma."""
import numpy as np
import pytest
import torch

import tinyctl
from tinyctl.compiler import frontend
from tinyctl.compiler.certify import eclipse, lipsdp, norms
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.passes import run_pipeline
from tinyctl.training.lipschitz.empirical import lower_bound
from tinyctl.training.lipschitz.export import mlp_model
from tinyctl.training.lipschitz.sandwich import LBDN, frozen_forward

TORCH_ACT = {"Relu": torch.relu, "Tanh": torch.tanh, "Sigmoid": torch.sigmoid,
             "LeakyRelu": lambda x: torch.nn.functional.leaky_relu(x, 0.01),
             "Softplus": torch.nn.functional.softplus}


def as_float32(layers):
    """The weights the compiler sees: rounded once to float32, then widened exactly."""
    return [(torch.from_numpy(np.asarray(w, np.float32).astype(np.float64)),
             torch.from_numpy(np.asarray(b, np.float32).astype(np.float64))) for w, b in layers]


def forward(layers, act):
    def fn(x):
        for k, (w, b) in enumerate(layers):
            x = x @ w.T + b
            if k < len(layers) - 1:
                x = TORCH_ACT[act](x)
        return x
    return fn


def certified(model):
    return tinyctl.compile(model, lipschitz=True).manifest["lipschitz"]


@pytest.mark.parametrize("gamma,hidden", [(0.5, [16, 16]), (2.0, [32, 32]), (8.0, [24, 24, 24])])
def test_lbdn_certifies_its_gamma(gamma, hidden):
    torch.manual_seed(int(gamma * 10))
    net = LBDN(8, hidden, 4, gamma).double()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.5 * torch.randn_like(p))
    layers = net.freeze()
    record = certified(mlp_model(layers))
    assert record["method"] == "LipSDP-Neuron" and record["scope"] == "network"
    assert record["bound"] <= gamma * (1 + 1e-3)
    emitted = as_float32([(w.numpy(), b.numpy()) for w, b in layers])
    empirical = lower_bound(lambda x: frozen_forward(emitted, x), 8, samples=1024, ascent_steps=150)
    assert empirical <= record["bound"]


@pytest.mark.parametrize("act,hidden,method", [("Relu", [40, 40], "LipSDP-Neuron"), ("Tanh", [32, 16], "LipSDP-Neuron"),
                                               ("Sigmoid", [20, 20], "LipSDP-Neuron"),
                                               ("LeakyRelu", [24, 24], "LipSDP-Neuron"),
                                               ("Relu", [96, 80], "ECLipsE-Fast"), ("Softplus", [72], "ECLipsE-Fast")])
def test_bound_never_below_empirical(act, hidden, method):
    rng = np.random.default_rng(len(hidden) * 100 + hidden[0])
    widths = [6, *hidden, 3]
    layers = [(rng.standard_normal((widths[k + 1], widths[k])) / np.sqrt(widths[k]) * 1.5,
               rng.standard_normal(widths[k + 1]) * 0.3) for k in range(len(widths) - 1)]
    record = certified(mlp_model(layers, activation=act))
    assert record["method"] == method
    fn = forward(as_float32(layers), act)
    empirical = lower_bound(fn, 6, samples=1024, ascent_steps=150)
    assert empirical <= record["bound"] <= record["parts"][0]["spectral_product"] * (1 + 1e-6)


def _canonical(model):
    graph = run_pipeline(frontend.to_ir(model, model.SerializeToString(), "m.onnx"))
    from tinyctl.compiler.certify.chain import parts_of
    (part,), _ = parts_of(graph)
    return part.weights, part.slopes


def test_methods_ordered_and_agree_with_an_sdp_solver():
    pytest.importorskip("cvxpy")
    import cvxpy as cp
    rng = np.random.default_rng(5)
    layers = [(rng.standard_normal((12, 4)), np.zeros(12)), (rng.standard_normal((10, 12)) / 3, np.zeros(10)),
              (rng.standard_normal((2, 10)), np.zeros(2))]
    weights, slopes = _canonical(mlp_model(layers))
    sdp, fast, product = lipsdp.bound(weights, slopes), eclipse.bound(weights, slopes), norms.bound(weights, slopes)
    assert sdp <= fast <= product
    # the same SDP through cvxpy + Clarabel (slow in general, fine at this size)
    n0, hidden = 4, [12, 10]
    lam, rho = cp.Variable(sum(hidden), nonneg=True), cp.Variable(nonneg=True)
    total, m = sum(hidden), 4 + sum(hidden)
    a = np.zeros((total, m))
    a[:12, :4], a[12:, 4:16] = weights[0], weights[1]
    b = np.hstack([np.zeros((total, n0)), np.eye(total)])
    lmi = a.T @ cp.diag(lam) @ b + b.T @ cp.diag(lam) @ a - 2 * b.T @ cp.diag(lam) @ b
    fixed = np.zeros((m, m))
    fixed[-10:, -10:] = weights[2].T @ weights[2]
    sel = np.zeros((m, m))
    sel[:n0, :n0] = np.eye(n0)
    expr = lmi + fixed - rho * sel
    cp.Problem(cp.Minimize(rho), [(expr + expr.T) / 2 << 0]).solve(solver=cp.CLARABEL)
    assert abs(sdp - np.sqrt(rho.value)) <= 1e-5 * sdp


def test_linear_map_is_exact():
    rng = np.random.default_rng(6)
    w = rng.standard_normal((3, 5))
    from onnx import TensorProto, helper, numpy_helper
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)], "lin",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
                              [numpy_helper.from_array(w.astype(np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    record = certified(model)
    exact = np.linalg.norm(w.astype(np.float32).astype(np.float64), 2)
    assert exact <= record["bound"] <= exact * (1 + 1e-5)


def test_gru_policy_certifies_feedforward_parts(raptor_onnx):
    record = certified(raptor_onnx)
    assert record["scope"] == "feedforward-parts"
    assert {(p["from"], p["to"]) for p in record["parts"]} == {("observation", "gru_x"), ("gru_yh", "action")}
    assert "GRU" in record["note"]
    assert record["bound"] == pytest.approx(np.prod([p["bound"] for p in record["parts"]]), rel=1e-5)


def test_discontinuous_model_is_refused():
    from onnx import TensorProto, helper, numpy_helper
    nodes = [helper.make_node("GreaterOrEqual", ["x", "zero"], ["c"]), helper.make_node("Cast", ["c"], ["y"], to=1)]
    graph = helper.make_graph(nodes, "step", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
                              [numpy_helper.from_array(np.zeros(1, np.float32), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    with pytest.raises(CompileError, match="discontinuous"):
        certified(model)


def test_certificate_is_deterministic_and_recorded(tmp_path):
    torch.manual_seed(9)
    model = mlp_model(LBDN(4, [16, 16], 2, 3.0).double().freeze())
    a = tinyctl.compile(model, str(tmp_path / "a"), name="p", lipschitz=True)
    b = tinyctl.compile(model, str(tmp_path / "b"), name="p", lipschitz=True)
    assert (tmp_path / "a" / "manifest.json").read_text() == (tmp_path / "b" / "manifest.json").read_text()
    assert "--lipschitz" in a.manifest["command"] and b.manifest["lipschitz"]["bound"] <= 3.003
