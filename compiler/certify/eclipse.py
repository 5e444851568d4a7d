"""ECLipsE-Fast (Xu & Sivaranjani, NeurIPS 2024): a closed-form, layer-by-layer bound for wide networks.

For activations slope-restricted in [0, 1] it runs, from X_0 = I,
    K_k = W_k X_k^-1 W_k',   l_k = 2 / lambda_max(K_k),   X_k+1 = l_k I - (l_k^2 / 4) K_k     (k = 0 .. l-1)
and bounds L^2 by lambda_max(W_l' W_l X_l^-1). Every X_k is positive definite by construction (its smallest
eigenvalue is at least l_k / 2), which is what makes the bound a certificate. Activations in [lo, hi] with
lo >= 0 are read as hi times an activation in [0, 1], and hi moves into the next weight matrix.
"""
import numpy as np

from tinyctl.compiler.certify.margins import safe_sqrt_up


class NotApplicable(Exception):
    pass


def unit_slopes(weights, slopes):
    """Weights of the same network with every activation in [0, 1] (needs lo >= 0)."""
    out = [weights[0]]
    for (lo, hi), w in zip(slopes, weights[1:]):
        if np.any(lo < 0):
            raise NotApplicable("an activation has a negative slope")
        out.append(w * hi[None, :])
    return out


def _recursion(ws):
    """Runs the recursion on [0, 1]-slope weights; returns (per-layer multipliers l_k, final X, cond growth)."""
    x = np.eye(ws[0].shape[1])
    growth, ls = 1.0, []
    for w in ws[:-1]:
        chol = np.linalg.cholesky(x)
        v = np.linalg.solve(chol, w.T)              # K = W X^-1 W' = v' v
        k = v.T @ v
        top = float(np.linalg.eigvalsh((k + k.T) / 2)[-1])
        if top <= 0:                                 # a layer that maps everything to zero
            return ls, None, growth
        lk = 2.0 / top
        ls.append(lk)
        x = lk * np.eye(w.shape[0]) - (lk * lk / 4.0) * k
        x = (x + x.T) / 2
        growth *= float(np.linalg.cond(x))
    return ls, x, growth


def multipliers(weights, slopes):
    """ECLipsE-Fast's certificate as LipSDP-Neuron multipliers, one per neuron, on [0, 1]-slope weights.

    ECLipsE fixes the input block to I and scales the output by 1 / L^2; LipSDP-Neuron's matrix is homogeneous in
    (rho, lambda, W_l' W_l) together, so its multiplier for layer k is L^2 l_k / 2.
    """
    ws = unit_slopes(weights, slopes)
    ls, x, _ = _recursion(ws)
    if x is None:
        raise NotApplicable("a layer maps everything to zero")
    square = bound(weights, slopes) ** 2
    return np.concatenate([np.full(w.shape[0], square * lk / 2.0) for w, lk in zip(ws[:-1], ls)])


def bound(weights, slopes):
    ws = unit_slopes(weights, slopes)
    _, x, growth = _recursion(ws)
    if x is None:
        return 0.0
    chol = np.linalg.cholesky(x)
    v = np.linalg.solve(chol, ws[-1].T)              # W_l X^-1 W_l' = v' v
    square = float(np.linalg.eigvalsh(v.T @ v)[-1]) if v.size else 0.0
    return safe_sqrt_up(square * (1.0 + max(1e-9, 64 * growth * np.finfo(float).eps)))
