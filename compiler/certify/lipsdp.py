"""LipSDP-Neuron (Fazlyab et al., NeurIPS 2019): the tightest of the three certificates, one small SDP per network.

For x -> W_0 -> s_1 -> ... -> s_l -> W_l with activations slope-restricted in [lo, hi] per neuron, rho bounds the
squared Lipschitz constant if multipliers lambda >= 0 make

    S(rho, lambda) = rho E E' - F_out + sum_j lambda_j U_j G_j U_j'  >= 0,
    U_j = [a_j, e_j],   G_j = [[2 lo_j hi_j, -(lo_j + hi_j)], [-(lo_j + hi_j), 2]],

where a_j places row j of the weights that feed neuron j at the columns of that layer's input, e_j is the unit
vector of neuron j's output, E selects the input x, and F_out = W_l' W_l on the last hidden layer's block.
Every constraint term has rank two, so a log-barrier Newton method needs only (2N x 2N) products of S^-1 per
step: a 3 x 64 network takes well under a second, where a general SDP solver takes minutes (its KKT system
is dense in the whole matrix cone).

The solver's rho is never trusted: for its multipliers, the smallest certified rho is computed again in
float64 from the Schur complement (`rho_for`), and a margin covers that computation's rounding.
"""
import numpy as np

from tinyctl.compiler.certify import eclipse
from tinyctl.compiler.certify.margins import safe_sqrt_up

MAX_WIDTH = 64
GAP = 1e-8          # relative duality gap the barrier method stops at
MU = 20.0           # barrier parameter growth per centering stage


class LipSDPFailed(Exception):
    """The SDP could not be solved or its multipliers do not certify (a fallback method takes over)."""


class _Problem:
    """The constraint data of one network: U = [a_1..a_N | e_1..e_N], G per neuron, F_out, n0."""

    def __init__(self, weights, slopes):
        self.n0 = weights[0].shape[1]
        hidden = [w.shape[0] for w in weights[:-1]]
        self.n = sum(hidden)
        self.m = self.n0 + self.n
        self.blocks = []            # (W_k, input columns, output columns, neurons) of each hidden layer
        col_in, col_out, j = 0, self.n0, 0
        for w in weights[:-1]:
            rows, cols = w.shape
            self.blocks.append((w, slice(col_in, col_in + cols), slice(col_out, col_out + rows), slice(j, j + rows)))
            col_in, col_out, j = col_out, col_out + rows, j + rows
        lo = np.concatenate([s[0] for s in slopes])
        hi = np.concatenate([s[1] for s in slopes])
        self.g = np.empty((self.n, 2, 2))
        self.g[:, 0, 0], self.g[:, 0, 1], self.g[:, 1, 0], self.g[:, 1, 1] = 2 * lo * hi, -(lo + hi), -(lo + hi), 2.0
        wl = weights[-1]
        self.f_out = np.zeros((self.m, self.m))
        self.f_out[-wl.shape[1]:, -wl.shape[1]:] = wl.T @ wl

    def matrix(self, rho, lam):
        """S(rho, lambda), assembled block by block: U_a holds W_k' at the layer's input columns, U_e the identity
        at its output columns, so the products cost sum_k n_k n_k-1^2 rather than (n0 + N)^2 N."""
        s = -self.f_out.copy()
        s[:self.n0, :self.n0] += rho * np.eye(self.n0)
        g = self.g * lam[:, None, None]
        for w, i, o, j in self.blocks:
            s[i, i] += (w.T * g[j, 0, 0]) @ w
            cross = w.T * g[j, 0, 1]
            s[i, o] += cross
            s[o, i] += cross.T
            s[o, o] += np.diag(g[j, 1, 1])
        return (s + s.T) / 2

    def barrier(self, t, rho, lam):
        """t rho - log det S - sum log lambda, or None outside the domain."""
        if np.any(lam <= 0):
            return None
        try:
            chol = np.linalg.cholesky(self.matrix(rho, lam))
        except np.linalg.LinAlgError:
            return None
        return t * rho - 2 * np.sum(np.log(np.diag(chol))) - np.sum(np.log(lam))

    def newton(self, t, rho, lam):
        """The Newton direction of the barrier at (rho, lam) and the decrement squared."""
        r = np.linalg.inv(self.matrix(rho, lam))
        r = (r + r.T) / 2
        ra, re = np.empty((self.m, self.n)), np.empty((self.m, self.n))     # R U_a and R U_e
        for w, i, o, j in self.blocks:
            ra[:, j] = r[:, i] @ w.T
            re[:, j] = r[:, o]
        p_aa, p_ae, p_ee = np.empty((self.n, self.n)), np.empty((self.n, self.n)), np.empty((self.n, self.n))
        for w, i, o, j in self.blocks:
            p_aa[j] = w @ ra[i]
            p_ae[j] = w @ re[i]
            p_ee[j] = re[o]
        q = np.empty((self.n, self.n, 2, 2))
        q[..., 0, 0], q[..., 0, 1], q[..., 1, 0], q[..., 1, 1] = p_aa, p_ae, p_ae.T, p_ee
        g = self.g
        tr_rf = g[:, 0, 0] * np.diag(p_aa) + 2 * g[:, 0, 1] * np.diag(p_ae) + g[:, 1, 1] * np.diag(p_ee)
        h = np.einsum("jab,jkbc,kcd,jkad->jk", g, q, g, q, optimize=True)
        v = np.stack([ra[:self.n0].T, re[:self.n0].T], axis=1)      # [N, 2, n0]: U_j' R E
        vv = np.einsum("jan,jbn->jab", v, v)
        h0 = np.einsum("jab,jba->j", g, vv)
        r_ee = r[:self.n0, :self.n0]
        hess = np.empty((self.n + 1, self.n + 1))
        hess[0, 0] = np.sum(r_ee * r_ee)
        hess[0, 1:] = hess[1:, 0] = h0
        hess[1:, 1:] = h + np.diag(1.0 / lam ** 2)
        grad = np.concatenate([[t - np.trace(r_ee)], -tr_rf - 1.0 / lam])
        step = -np.linalg.solve(hess, grad)
        return step, float(-grad @ step)


def _start(problem, weights, slopes):
    """A strictly feasible (rho, lambda): ECLipsE-Fast's layer multipliers, with rho above their certificate."""
    lam = eclipse.multipliers(weights, slopes)
    try:
        rho = rho_for(weights, slopes, lam)
    except LipSDPFailed:
        raise LipSDPFailed("no strictly feasible starting point") from None
    return 2.0 * rho + 1e-9 * max(1.0, rho), lam


def solve_multipliers(weights, slopes, max_stages=30, max_newton=250):
    """Minimise rho over (rho, lambda) by a log-barrier path; returns the multipliers that certify best.

    Every iterate is strictly feasible and certifies through `rho_for`, so the path keeps the best certificate
    it has seen: near the optimum the multipliers approach the boundary, the hidden block gets ill-conditioned,
    and the rounding margin of the recomputed rho grows again; and when float64 runs out (Newton stalls or stops
    converging at a large barrier weight) the path ends there.
    """
    problem = _Problem(weights, slopes)
    rho, lam = _start(problem, weights, slopes)
    best_rho, best = rho_for(weights, slopes, lam), lam
    t = (problem.m + problem.n) / max(rho, 1e-12)
    for stage in range(max_stages):
        ended = False
        for _ in range(max_newton):                   # centering by damped Newton
            step, decrement = problem.newton(t, rho, lam)
            if decrement / 2 <= 1e-10:
                break
            value, s = problem.barrier(t, rho, lam), 1.0
            while s >= 1e-10:
                new = problem.barrier(t, rho + s * step[0], lam + s * step[1:])
                if new is not None and new <= value - 0.25 * s * decrement:
                    break
                s *= 0.5
            else:
                ended = True                          # stalled in rounding
                break
            rho, lam = rho + s * step[0], lam + s * step[1:]
        else:
            ended = stage > 0                         # Newton no longer converges: rounding again
        try:
            certified = rho_for(weights, slopes, lam)
            if certified < best_rho:
                best_rho, best = certified, lam.copy()
        except LipSDPFailed:
            pass
        if ended or (problem.m + problem.n) / t <= GAP * max(rho, 1e-12):
            return best
        t *= MU
    return best


def rho_for(weights, slopes, lam):
    """The exact smallest rho certified by multipliers lam (float64), with a margin for its own rounding.

    S >= 0 holds iff the hidden block D' = S[hidden, hidden] (rho-free) is positive definite and
    rho >= lambda_max(C' D'^-1 C - S_xx(0)), C the hidden-input block.
    """
    problem = _Problem(weights, slopes)
    s0 = problem.matrix(0.0, np.maximum(lam, 0.0))
    n0 = problem.n0
    try:
        chol = np.linalg.cholesky(s0[n0:, n0:])
    except np.linalg.LinAlgError:
        raise LipSDPFailed("the multipliers leave the hidden block indefinite") from None
    v = np.linalg.solve(chol, s0[n0:, :n0])
    rho = float(np.linalg.eigvalsh(v.T @ v - s0[:n0, :n0])[-1])
    cond = float(np.linalg.cond(chol)) ** 2
    return max(rho, 0.0) * (1.0 + max(1e-9, 64 * cond * np.finfo(float).eps))


def normalised(weights, slopes):
    """The same network with every activation's upper slope 1: s = hi psi, hi moved into the next weights.

    Returns (weights, slopes) with slopes [lo / hi, 1]; needs lo >= 0 (else NotApplicable).
    """
    ws = eclipse.unit_slopes(weights, slopes)
    out = []
    for lo, hi in slopes:
        ratio = np.divide(lo, hi, out=np.zeros_like(lo), where=hi > 0)
        out.append((np.clip(ratio, 0.0, 1.0), np.ones_like(hi)))
    return ws, out


def bound(weights, slopes):
    """The LipSDP-Neuron bound (float64), certified by recomputing rho for the solver's multipliers."""
    if not slopes:
        raise LipSDPFailed("no hidden layer")
    try:
        ws, ss = normalised(weights, slopes)
    except eclipse.NotApplicable as e:
        raise LipSDPFailed(str(e)) from None
    try:
        lam = solve_multipliers(ws, ss)
    except LipSDPFailed:
        # lower slopes above 0 can leave ECLipsE's start infeasible: certify the [0, 1] relaxation instead
        ss = [(np.zeros_like(lo), hi) for lo, hi in ss]
        lam = solve_multipliers(ws, ss)
    for nudge in (0.0, 1e-9, 1e-7, 1e-5):
        # the multipliers end close to the boundary; if rounding put them outside, nudge them inwards
        try:
            return safe_sqrt_up(rho_for(ws, ss, lam * (1.0 + nudge)))
        except LipSDPFailed:
            continue
    raise LipSDPFailed("the solver's multipliers do not certify the network")
