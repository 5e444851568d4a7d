"""LBDN "Sandwich" layers (Wang & Manchester, ICML 2023): a network that is gamma-Lipschitz in l2 for every weight value.

A hidden layer maps h to  sqrt(2) A' Psi relu(sqrt(2) Psi^-1 B h + b),  with [A B] = Cayley(alpha X / ||X||_F) and
Psi = diag(exp(d)); the last layer is the linear map B h + b of another Cayley block. Each layer is 1-Lipschitz, and
scaling the first layer's input and the last layer's input by sqrt(gamma) makes the whole network gamma-Lipschitz.
The bound is built into the parametrisation, so training is unconstrained.

`freeze()` turns the network into plain (W, b) pairs of a Linear+ReLU chain with identical outputs:
    W_1 = sqrt(2) Psi_1^-1 B_1 sqrt(gamma),   W_k = 2 Psi_k^-1 B_k A_{k-1}' Psi_{k-1},   W_out = sqrt(gamma) B_L sqrt(2) A_{L-1}' Psi_{L-1}
so deployment needs nothing but Gemm and Relu.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F


def cayley(w):
    """Cayley transform of a wide [out, in + out] matrix: the result Q = [A B] has orthonormal rows (||Q|| = 1).

    For the tall transpose W' = [U; V] (U square): Z = U - U' + V'V, Cayley = [(I+Z)^-1 (I-Z); -2 V (I+Z)^-1].
    """
    tall = w.T
    k = tall.shape[1]
    u, v = tall[:k], tall[k:]
    eye = torch.eye(k, dtype=w.dtype, device=w.device)
    z = u - u.T + v.T @ v
    inv = torch.linalg.inv(eye + z)
    return torch.cat([inv @ (eye - z), -2.0 * v @ inv], dim=0).T


class _CayleyBlock(nn.Module):
    """The free parameters of one Cayley block: X [out, in + out] and its scale alpha (initialised to ||X||_F)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.n_in, self.n_out = n_in, n_out
        x = torch.empty(n_out, n_in + n_out)
        nn.init.kaiming_uniform_(x, a=math.sqrt(5))
        self.weight = nn.Parameter(x)
        self.alpha = nn.Parameter(x.norm().reshape(1).clone())

    def ab(self):
        """(A [out, out], B [out, in])."""
        q = cayley(self.alpha * self.weight / self.weight.norm())
        return q[:, :self.n_out], q[:, self.n_out:]


class SandwichLayer(_CayleyBlock):
    """A 1-Lipschitz hidden layer (times `scale` on its input): sqrt(2) A' Psi relu(sqrt(2) Psi^-1 B (scale h) + b)."""

    def __init__(self, n_in, n_out, scale=1.0):
        super().__init__(n_in, n_out)
        self.scale = float(scale)
        self.psi = nn.Parameter(torch.zeros(n_out))
        self.bias = nn.Parameter(torch.empty(n_out).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)))

    def forward(self, h):
        a, b = self.ab()
        z = math.sqrt(2.0) * F.linear(self.scale * h, b) * torch.exp(-self.psi) + self.bias
        return math.sqrt(2.0) * F.linear(F.relu(z) * torch.exp(self.psi), a.T)


class SandwichOutput(_CayleyBlock):
    """The last, linear layer: B (scale h) + b with ||B|| <= 1."""

    def __init__(self, n_in, n_out, scale=1.0):
        super().__init__(n_in, n_out)
        self.scale = float(scale)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, h):
        _, b = self.ab()
        return F.linear(self.scale * h, b) + self.bias


class LBDN(nn.Module):
    """A gamma-Lipschitz ReLU network n_in -> hidden... -> n_out, with optional fixed input and output affine maps.

    The normalisation maps are part of the policy (observation scaling, action scaling): the certified bound
    of the whole map is gamma * ||diag(in_scale)|| * ||diag(out_scale)||, and `gamma_total` reports it.
    """

    def __init__(self, n_in, hidden, n_out, gamma):
        super().__init__()
        if gamma <= 0:
            raise ValueError(f"gamma must be positive, got {gamma}")
        if not hidden:
            raise ValueError("an LBDN needs at least one hidden layer")
        self.gamma = float(gamma)
        root = math.sqrt(self.gamma)
        widths = [n_in, *hidden]
        self.hidden = nn.ModuleList(SandwichLayer(widths[k], widths[k + 1], scale=root if k == 0 else 1.0)
                                    for k in range(len(hidden)))
        self.output = SandwichOutput(widths[-1], n_out, scale=root)
        self.n_in, self.n_out, self.widths = n_in, n_out, list(hidden)

    def forward(self, x):
        for layer in self.hidden:
            x = layer(x)
        return self.output(x)

    @torch.no_grad()
    def freeze(self, dtype=torch.float64):
        """The equivalent Linear+ReLU chain as a list of (W [out, in], b [out]) in `dtype` (ReLU after all but the last)."""
        layers, carry = [], None    # carry: sqrt(2) A' Psi of the previous layer, applied after its ReLU
        for layer in self.hidden:
            a, b = (m.to(dtype) for m in layer.ab())
            psi = layer.psi.to(dtype)
            w = math.sqrt(2.0) * torch.exp(-psi)[:, None] * (layer.scale * b)
            if carry is not None:
                w = w @ carry
            layers.append((w, layer.bias.to(dtype).clone()))
            carry = math.sqrt(2.0) * a.T * torch.exp(psi)[None, :]
        _, b = (m.to(dtype) for m in self.output.ab())
        layers.append((self.output.scale * b @ carry, self.output.bias.to(dtype).clone()))
        return layers


def frozen_forward(layers, x):
    """Run a frozen chain (a list of (W, b)) on x: ReLU after every layer but the last."""
    for k, (w, b) in enumerate(layers):
        x = F.linear(x, w, b)
        if k < len(layers) - 1:
            x = F.relu(x)
    return x


def frozen_module(layers):
    """A plain nn.Sequential of Linear and ReLU holding the frozen weights (float32)."""
    mods = []
    for k, (w, b) in enumerate(layers):
        lin = nn.Linear(w.shape[1], w.shape[0])
        lin.weight.data.copy_(w.float())
        lin.bias.data.copy_(b.float())
        mods.append(lin)
        if k < len(layers) - 1:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)
