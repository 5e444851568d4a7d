"""LBDN Sandwich layers: the bound holds for any weights, freezing keeps the outputs, the ONNX export runs the same."""
import numpy as np
import onnxruntime as ort
import pytest
import torch

from tinyctl.training.lipschitz.empirical import jacobian_norms
from tinyctl.training.lipschitz.export import mlp_model
from tinyctl.training.lipschitz.sandwich import LBDN, cayley, frozen_forward, frozen_module


def test_cayley_rows_are_orthonormal():
    torch.manual_seed(0)
    for n_out, n_in in ((3, 5), (8, 8), (16, 4)):
        q = cayley(torch.randn(n_out, n_in + n_out, dtype=torch.float64))
        assert q.shape == (n_out, n_in + n_out)
        assert torch.allclose(q @ q.T, torch.eye(n_out, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("gamma", [0.3, 1.0, 7.5])
def test_bound_holds_for_random_weights(gamma):
    torch.manual_seed(1)
    net = LBDN(5, [24, 24], 3, gamma).double()
    with torch.no_grad():       # any parameter values: the bound is in the parametrisation
        for p in net.parameters():
            p.add_(torch.randn_like(p))
    x = 2 * torch.randn(2000, 5, dtype=torch.float64)
    assert float(jacobian_norms(net, x).max()) <= gamma * (1 + 1e-9)


def test_freeze_keeps_outputs():
    torch.manual_seed(2)
    net = LBDN(7, [16, 32, 16], 4, 2.0).double()
    x = torch.randn(500, 7, dtype=torch.float64)
    layers = net.freeze()
    assert [tuple(w.shape) for w, _ in layers] == [(16, 7), (32, 16), (16, 32), (4, 16)]
    assert float((net(x) - frozen_forward(layers, x)).abs().max()) < 1e-12
    plain = frozen_module(layers)           # float32 Linear+ReLU
    assert isinstance(plain[1], torch.nn.ReLU)
    assert float((plain(x.float()).double() - net(x)).abs().max()) < 1e-5


def test_onnx_export_matches_frozen_network():
    torch.manual_seed(3)
    net = LBDN(6, [16, 16], 2, 1.5).double()
    layers = net.freeze()
    model = mlp_model(layers, metadata={"tinyctl.lipschitz.gamma": 1.5})
    assert [n.op_type for n in model.graph.node] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"]
    assert {p.key: p.value for p in model.metadata_props}["tinyctl.lipschitz.gamma"] == "1.5"
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((20, 6)).astype(np.float32)
    got = np.concatenate([session.run(None, {"observation": row[None]})[0] for row in x])
    want = frozen_forward(layers, torch.from_numpy(x).double()).detach().numpy()
    assert np.abs(got - want).max() < 1e-5


def test_bad_gamma_and_shape_refused():
    with pytest.raises(ValueError, match="gamma"):
        LBDN(3, [8], 1, 0.0)
    with pytest.raises(ValueError, match="hidden"):
        LBDN(3, [], 1, 1.0)
