"""The YANN (Braniff & Tian): an exact network form of a piecewise-affine law, built, not trained.

    layer 1  z1 = H(f + tol - E theta)           q half-spaces, H(v) = 1[v >= 0]
    layer 2  z2 = relu(S z1 + 1 - q_i)           region i holds iff all its q_i rows hold
    layer 3  z3 = relu(L z2)                     L = I - strictly lower ones: only the first holding region survives
    layer 4  z4 = relu(M_ik z3_i +- (K_ik thc + r_ik) - M_ik)   thc = theta clipped to the domain box
    layer 5  u  = sum_i (plus_ik - minus_ik),    inside = sum_i z3_i

Layer 4 is exact when M_ik >= |K_ik theta + r_ik| on the domain; clipping theta to the box makes that hold for
every input, so outside the feasible set u is exactly 0 (and `inside` is 0). M is per region and output (the
tightest that is exact), which keeps the float32 error of layer 4, about eps * M, small.
"""
import numpy as np
import torch
from torch import nn


def yann_matrices(law, dtype=np.float64):
    """The five layers' weights as arrays: {w1, b1, s, b2, lower, lo, hi, w4, b4, w5, ones}."""
    p, q, m, n = law.sizes
    e_all = np.vstack(law.e)
    f_all = np.concatenate(law.f)
    counts = np.array([len(f) for f in law.f])
    sel = np.zeros((p, q))
    start = 0
    for i, c in enumerate(counts):
        sel[i, start:start + c] = 1.0
        start += c
    lower = np.eye(p) - np.tril(np.ones((p, p)), -1)
    big = law.bigm()
    w4 = np.zeros((2 * p * m, p + n))
    b4 = np.zeros(2 * p * m)
    w5 = np.zeros((m, 2 * p * m))
    for i in range(p):
        for k in range(m):
            plus, minus = 2 * (i * m + k), 2 * (i * m + k) + 1
            w4[plus, i], w4[plus, p:] = big[i, k], law.k[i, k]
            b4[plus] = law.r[i, k] - big[i, k]
            w4[minus, i], w4[minus, p:] = big[i, k], -law.k[i, k]
            b4[minus] = -law.r[i, k] - big[i, k]
            w5[k, plus], w5[k, minus] = 1.0, -1.0
    out = {"w1": -e_all, "b1": f_all + law.tolerance, "s": sel, "b2": 1.0 - counts, "lower": lower,
           "lo": law.lo, "hi": law.hi, "w4": w4, "b4": b4, "w5": w5, "ones": np.ones((1, p))}
    return {k: np.asarray(v, dtype) for k, v in out.items()}


class YANN(nn.Module):
    """theta [B, n] -> (u [B, m], inside [B, 1]); float64 by default (the exact reference)."""

    def __init__(self, law, dtype=torch.float64):
        super().__init__()
        self.law = law
        for key, value in yann_matrices(law).items():
            self.register_buffer(key, torch.as_tensor(value, dtype=dtype))

    def regions(self, theta):
        """z3: one-hot of the first region holding theta (all zero outside the feasible set)."""
        z1 = (theta @ self.w1.T + self.b1 >= 0).to(theta.dtype)
        z2 = torch.relu(z1 @ self.s.T + self.b2)
        return torch.relu(z2 @ self.lower.T)

    def laws(self, theta, z3):
        """(u, inside) given the region indicator z3 of theta (layers 4 and 5)."""
        clipped = torch.minimum(torch.maximum(theta, self.lo), self.hi)
        z4 = torch.relu(torch.cat([z3, clipped], dim=1) @ self.w4.T + self.b4)
        return z4 @ self.w5.T, z3 @ self.ones.T

    def forward(self, theta):
        return self.laws(theta, self.regions(theta))
