"""The product of spectral norms: always valid, usually loose; the certificate of last resort."""
import numpy as np

from tinyctl.compiler.certify.margins import safe_sqrt_up


def bound(weights, slopes):
    total = 1.0
    for w in weights:
        total *= safe_sqrt_up(float(np.linalg.eigvalsh(w.T @ w)[-1])) if w.size else 0.0
    for lo, hi in slopes:
        total *= float(max(np.abs(lo).max(), np.abs(hi).max())) if lo.size else 1.0
    return total * (1.0 + 1e-12)
