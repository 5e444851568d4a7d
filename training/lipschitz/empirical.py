"""Empirical lower bounds of a network's l2 Lipschitz constant: what a certificate must never fall below.

Two searches, both in float64: the largest spectral norm of the input Jacobian over many random samples, then
gradient ascent on the difference quotient ||f(x) - f(y)|| / ||x - y|| from the best samples (Jacobian norms of a
ReLU network are piecewise constant, so ascending on them directly would not move).
"""
import torch


def jacobian_norms(fn, x):
    """Spectral norm of df/dx at each row of x [n, d]."""
    jac = torch.func.vmap(torch.func.jacrev(fn))(x)
    return torch.linalg.matrix_norm(jac, ord=2)


def lower_bound(fn, n_in, samples=4096, radius=3.0, ascent_starts=32, ascent_steps=300, seed=0):
    """max(sampled Jacobian norms, gradient-ascended difference quotients): a lower bound of the l2 constant.

    fn maps [n, n_in] float64 to [n, n_out]; samples are drawn from N(0, radius^2 I).
    """
    gen = torch.Generator().manual_seed(seed)
    x = radius * torch.randn(samples, n_in, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        norms = jacobian_norms(fn, x)
    best = float(norms.max())
    top = x[torch.argsort(norms, descending=True)[:ascent_starts]]
    # pairs around the best points, then ascend on the quotient over both ends of each pair
    a = top.clone().requires_grad_(True)
    b = (top + 1e-2 * torch.randn(top.shape, generator=gen, dtype=torch.float64)).requires_grad_(True)
    opt = torch.optim.Adam([a, b], lr=1e-2)
    for _ in range(ascent_steps):
        opt.zero_grad()
        d = (a - b).norm(dim=1).clamp_min(1e-9)
        quotient = (fn(a) - fn(b)).norm(dim=1) / d
        (-quotient.sum()).backward()
        opt.step()
        best = max(best, float(quotient.detach().max()))
    return best
