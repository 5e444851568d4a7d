"""The learned dynamics model: an MLP that predicts the state increment, with input and output scaling.

    x_next = x + D * mlp(S^-1 ([x; u] - c)) + d

The export folds the scaling into the first and last layers, so the ONNX graph is just
Concat(state, input) -> Gemm -> act -> ... -> Gemm -> Add(state, .): the map the MPC optimises over,
with nothing on the MCU that is not the model itself.
"""
import numpy as np
import torch
from torch import nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "softplus": nn.Softplus, "sigmoid": nn.Sigmoid, "elu": nn.ELU}


class DynamicsMLP(nn.Module):
    def __init__(self, nx, nu, hidden, activation="tanh"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation '{activation}' is not one of {', '.join(ACTIVATIONS)}")
        self.nx, self.nu, self.activation = nx, nu, activation
        sizes = [nx + nu, *hidden, nx]
        layers = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if k < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        self.mlp = nn.Sequential(*layers)
        for name in ("in_center", "in_scale", "out_center", "out_scale"):
            self.register_buffer(name, torch.zeros(nx + nu if name.startswith("in") else nx, dtype=torch.float64))

    def set_scaling(self, z, delta):
        """Centre and scale inputs z = [x, u] and increments from the training data (float64 arrays)."""
        self.in_center.copy_(torch.as_tensor(z.mean(axis=0)))
        self.in_scale.copy_(torch.as_tensor(np.maximum(z.std(axis=0), 1e-6)))
        self.out_center.copy_(torch.as_tensor(delta.mean(axis=0)))
        self.out_scale.copy_(torch.as_tensor(np.maximum(delta.std(axis=0), 1e-9)))

    def normalised_increment(self, x, u):
        z = (torch.cat([x, u], dim=-1) - self.in_center.to(x.dtype)) / self.in_scale.to(x.dtype)
        return self.mlp(z)

    def forward(self, x, u):
        d = self.normalised_increment(x, u)
        return x + d * self.out_scale.to(x.dtype) + self.out_center.to(x.dtype)


class FoldedDynamics(nn.Module):
    """The same map with the scaling folded into the weights: what gets exported."""

    def __init__(self, model):
        super().__init__()
        linears = [m for m in model.mlp if isinstance(m, nn.Linear)]
        layers = []
        in_center, in_scale = model.in_center.double(), model.in_scale.double()
        out_center, out_scale = model.out_center.double(), model.out_scale.double()
        with torch.no_grad():
            for k, lin in enumerate(linears):
                w, b = lin.weight.detach().double().clone(), lin.bias.detach().double().clone()
                if k == 0:
                    b = b - w @ (in_center / in_scale)
                    w = w / in_scale[None, :]
                if k == len(linears) - 1:
                    w = w * out_scale[:, None]
                    b = b * out_scale + out_center
                new = nn.Linear(lin.in_features, lin.out_features)
                new.weight.copy_(w.float())
                new.bias.copy_(b.float())
                layers.append(new)
                if k < len(linears) - 1:
                    layers.append(ACTIVATIONS[model.activation]())
        self.mlp = nn.Sequential(*layers)

    def forward(self, state, input):  # noqa: A002 - the ONNX input's name
        return state + self.mlp(torch.cat([state, input], dim=-1))


def export_onnx(model, path, opset=18):
    """Write the folded model as ONNX: inputs state [1, nx], input [1, nu]; output next_state [1, nx]."""
    import logging
    import warnings
    folded = FoldedDynamics(model).eval()
    x = torch.zeros(1, model.nx)
    u = torch.zeros(1, model.nu)
    # the exporter's notes (optional torchvision kernels, deprecations inside torch) are not the user's concern
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(folded, (x, u), path, input_names=["state", "input"], output_names=["next_state"],
                              opset_version=opset, dynamo=True, external_data=False, verbose=False)
    finally:
        logger.setLevel(level)
    return folded


def numpy_step(model):
    """The model as a float64 NumPy-callable step(x [B, nx], u [B, nu]) -> x_next, for evaluation."""
    import copy
    model = copy.deepcopy(model).double().eval()

    def step(x, u):
        with torch.no_grad():
            return model(torch.as_tensor(np.atleast_2d(x), dtype=torch.float64),
                         torch.as_tensor(np.atleast_2d(u), dtype=torch.float64)).numpy()
    return step
