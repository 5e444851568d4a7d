"""Newton-Raphson MPC: the settings every implementation shares, and the NumPy reference of the C solver.

The problem and the algorithm are those of runtime/include/tinyctl/nrmpc.h, step for step (the same
Gauss-Newton linearisation, Levenberg damping, step subproblem with the exact barrier or the box, and Armijo
backtracking on J), in float64:
the C solver (runtime/src/nrmpc.c, float32) is tested against it, and the CasADi/IPOPT reference
(tinyctl.runtime.nrmpc_casadi) solves the same objective independently.

The model is a callable `jacobian(in) -> (out, jac)` with in = [x, u] (NX + NU), out = x_next (NX) and
jac [NX, NX + NU]: e.g. tinyctl.runtime.jacobian.JacobianModel(directory).evaluate.
"""
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from tinyctl.errors import TinyctlError

CONSTRAINTS = ("barrier", "projection")
STATUS = {0: "converged", 1: "max_iter", 2: "stalled", 3: "not_finite", 4: "bad_settings"}
CONVERGED, MAX_ITER, STALLED, NOT_FINITE, BAD_SETTINGS = range(5)
CHOLESKY_RETRIES = 6  # tenfold damping increases when float rounding breaks positive definiteness
# the step subproblem: iterations, halvings, tolerance (relative to the gradient), the share of the way to a
# bound one inner step may go, and its sufficient decrease (as in runtime/src/nrmpc.c)
INNER_ITERATIONS = 50
INNER_BACKTRACKS = 30
INNER_TOL = 1e-6
TO_BOUNDARY = 0.5
INNER_ARMIJO = 1e-4


@dataclass(frozen=True)
class MpcSettings:
    horizon: int                      # N: predicted steps
    control_horizon: int              # NC: input moves (held after)
    q: tuple                          # state weights (NX)
    r: tuple                          # input-rate weights (NU)
    u_min: tuple                      # input box (NU)
    u_max: tuple
    constraints: str = "barrier"      # "barrier" (Soloway-Haley) or "projection"
    barrier: float = 1e-3             # s
    mu: float = 1e-3                  # Levenberg damping
    tol: float = 1e-3                 # converged: max |(projected) gradient entry| <= tol, or
    rtol: float = 1e-6                # the step's predicted decrease <= rtol |J|
    max_iter: int = 5
    max_backtracks: int = 12
    armijo: float = 1e-4
    u_nominal: tuple = None           # the input the plant rests at: the first u_prev and initial guess of a
                                      # controller (firmware, HIL); None: the box's centre
    disturbance: float = 0.0          # controllers: gain in [0, 1] of the bias estimate (offset-free tracking;
                                      # see DisturbanceEstimate); 0: the plain model

    @property
    def nx(self):
        return len(self.q)

    @property
    def nu(self):
        return len(self.r)

    @property
    def nv(self):
        return self.control_horizon * self.nu

    def check(self, nx=None, nu=None):
        """Raise TinyctlError naming the first bad field (the C solver's tc_nrmpc_check_settings agrees)."""
        def bad(field_name, why):
            raise TinyctlError(f"MPC setting {field_name}: {why}")
        if self.horizon < 1:
            bad("horizon", f"{self.horizon}; needs at least 1 step")
        if not 1 <= self.control_horizon <= self.horizon:
            bad("control_horizon", f"{self.control_horizon}; needs 1 to the horizon ({self.horizon})")
        if nx is not None and len(self.q) != nx:
            bad("q", f"{len(self.q)} weights for a model with {nx} states")
        if nu is not None and not (len(self.r) == len(self.u_min) == len(self.u_max) == nu):
            bad("r/u_min/u_max", f"sizes {len(self.r)}/{len(self.u_min)}/{len(self.u_max)} for {nu} inputs")
        if any(not np.isfinite(v) or v < 0 for v in self.q):
            bad("q", "weights must be finite and >= 0")
        if any(not np.isfinite(v) or v < 0 for v in self.r):
            bad("r", "weights must be finite and >= 0")
        if any(not lo < hi for lo, hi in zip(self.u_min, self.u_max)):
            bad("u_min/u_max", f"each lower bound must be below its upper bound ({self.u_min} / {self.u_max})")
        if self.constraints not in CONSTRAINTS:
            bad("constraints", f"'{self.constraints}' is not one of {', '.join(CONSTRAINTS)}")
        if self.constraints == "barrier" and not self.barrier > 0:
            bad("barrier", "must be > 0 in barrier mode")
        if self.mu < 0:
            bad("mu", "must be >= 0")
        if self.max_iter < 1:
            bad("max_iter", "must be >= 1")
        if self.max_backtracks < 0:
            bad("max_backtracks", "must be >= 0")
        if not 0 < self.armijo < 0.5:
            bad("armijo", "must be in (0, 0.5)")
        if not 0 <= self.disturbance <= 1:
            bad("disturbance", "the estimate's gain must be in [0, 1]")
        return self

    @property
    def nominal(self):
        if self.u_nominal is not None:
            return np.asarray(self.u_nominal, float)
        return (np.asarray(self.u_min, float) + np.asarray(self.u_max, float)) / 2

    def with_(self, **changes):
        return replace(self, **changes)

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d):
        d = dict(d)
        for k in ("q", "r", "u_min", "u_max", "u_nominal"):
            if d.get(k) is not None:
                d[k] = tuple(float(v) for v in d[k])
        return cls(**d)

    @classmethod
    def for_dynamics(cls, meta, **overrides):
        """Settings for a trained dynamics model, from its dynamics.json (`mpc` defaults and input limits)."""
        m = dict(meta.get("mpc", {}))
        d = {"horizon": m.get("horizon", 10), "control_horizon": m.get("control_horizon", 2),
             "q": tuple(m.get("q", [1.0] * meta["nx"])), "r": tuple(m.get("r", [1e-3] * meta["nu"])),
             "u_min": tuple(meta["input_low"]), "u_max": tuple(meta["input_high"]),
             "u_nominal": tuple(meta.get("input_nominal") or
                                [(lo + hi) / 2 for lo, hi in zip(meta["input_low"], meta["input_high"])])}
        for k in ("barrier", "mu", "tol", "rtol", "max_iter", "constraints", "disturbance"):
            if k in m:
                d[k] = m[k]
        d.update(overrides)
        return cls.from_dict(d).check(meta["nx"], meta["nu"])


@dataclass
class MpcProblem:
    x0: np.ndarray                    # (NX,)
    ref: np.ndarray                   # (N, NX): reference for x_1 .. x_N
    u_prev: np.ndarray                # (NU,)
    bias: np.ndarray = None           # (NX,) added to every predicted step (offset-free tracking); None: zeros

    @property
    def offset(self):
        return np.zeros(len(self.x0)) if self.bias is None else np.asarray(self.bias, float)


@dataclass
class MpcResult:
    status: int
    iterations: int
    cost: float
    grad_norm: float
    trace: list = field(default_factory=list)   # (cost, grad_norm) at every linearisation

    @property
    def status_name(self):
        return STATUS[self.status]


class DisturbanceEstimate:
    """Offset-free tracking as the firmware's mpc mode does it (firmware/common/tc_mpc.c): what the model missed
    over the last period, e = x - f(x_prev, u_prev), filtered, d <- (1 - g) d + g e, becomes the problem's bias,
    so constant disturbances and model errors leave no steady-state offset."""

    def __init__(self, model_value, settings):
        self.value, self.gain = model_value, settings.disturbance
        self.bias, self.prediction = np.zeros(settings.nx), None

    def update(self, x):
        if self.gain > 0 and self.prediction is not None:
            self.bias = (1 - self.gain) * self.bias + self.gain * (np.asarray(x, float) - self.prediction)
        return self.bias

    def applied(self, x, u):
        """Remember the model's prediction for the state the applied input leads to."""
        if self.gain > 0:
            self.prediction = np.asarray(self.value(np.concatenate([np.ravel(x), np.ravel(u)])), float)


def initial_guess(s):
    return np.tile((np.asarray(s.u_min) + np.asarray(s.u_max)) / 2, (s.control_horizon, 1))


def shift(u):
    """Warm start: moves one step earlier, the last one repeated."""
    u = np.array(u, dtype=float)
    u[:-1] = u[1:]
    return u


def _moves(s):
    return [min(k, s.control_horizon - 1) for k in range(s.horizon)]


def _box(s):
    return np.tile(s.u_min, s.control_horizon).astype(float), np.tile(s.u_max, s.control_horizon).astype(float)


def barrier_terms(s, v):
    """The barrier at the moves v (flat): value, gradient, Hessian diagonal (value +inf outside the box)."""
    lo, hi = _box(s)
    a, b = v - lo, hi - v
    if np.any(a <= 0) or np.any(b <= 0):
        return np.inf, None, None
    value = float(np.sum(s.barrier * (1 / a + 1 / b - 4 / (hi - lo))))
    return value, s.barrier * (1 / b ** 2 - 1 / a ** 2), 2 * s.barrier * (1 / a ** 3 + 1 / b ** 3)


def input_cost(s, p, u):
    """Input-rate terms, plus the barrier in barrier mode."""
    u = np.asarray(u, float).reshape(s.control_horizon, s.nu)
    du = u - np.vstack([np.asarray(p.u_prev, float)[None], u[:-1]])
    cost = float(np.sum(np.asarray(s.r) * du * du))
    return cost + barrier_terms(s, u.ravel())[0] if s.constraints == "barrier" else cost


def rollout(model, s, p, u):
    """States x_0 .. x_N under the moves u (NC, NU)."""
    u = np.asarray(u, float).reshape(s.control_horizon, s.nu)
    xs = [np.asarray(p.x0, float)]
    for m in _moves(s):
        out, _ = model(np.concatenate([xs[-1], u[m]]))
        xs.append(np.asarray(out, float) + p.offset)
    return np.array(xs)


def cost(model, s, p, u):
    """J(u) (+inf outside the open box in barrier mode)."""
    c = input_cost(s, p, u)
    if not np.isfinite(c):
        return c
    e = rollout(model, s, p, u)[1:] - np.asarray(p.ref, float)
    return c + float(np.sum(np.asarray(s.q) * e * e))


def linearize(model, s, p, u):
    """The tracking and rate terms of J at u, their gradient and Gauss-Newton Hessian (the barrier is left to
    the step); None when the model returns NaN or Inf."""
    nx, nu, nv = s.nx, s.nu, s.nv
    u = np.asarray(u, float).reshape(s.control_horizon, nu)
    q = np.asarray(s.q, float)
    x = np.asarray(p.x0, float)
    sens = np.zeros((nx, nv))
    g, h, j = np.zeros(nv), np.zeros((nv, nv)), 0.0
    for k, m in enumerate(_moves(s)):
        out, jac = model(np.concatenate([x, u[m]]))
        out, jac = np.asarray(out, float), np.asarray(jac, float)
        if not (np.all(np.isfinite(out)) and np.all(np.isfinite(jac))):
            return None
        sens = jac[:, :nx] @ sens
        sens[:, m * nu:(m + 1) * nu] += jac[:, nx:]
        x = out + p.offset
        e = x - np.asarray(p.ref[k], float)
        j += float(np.sum(q * e * e))
        g += 2 * sens.T @ (q * e)
        h += 2 * sens.T @ (q[:, None] * sens)
    # input rates: du = D u - (u_prev, 0, ...), D block bidiagonal
    d = np.eye(nv) - np.eye(nv, k=-nu)
    r = np.tile(s.r, s.control_horizon)
    du = d @ u.ravel() - np.concatenate([p.u_prev, np.zeros(nv - nu)])
    j += float(np.sum(r * du * du))
    g += 2 * d.T @ (r * du)
    h += 2 * d.T @ (r[:, None] * d)
    return j, g, h


def gradient_norm(s, u, g):
    """max |gradient entry|, projected onto the box in projection mode."""
    u = np.asarray(u, float).ravel()
    if s.constraints == "barrier":
        return float(np.max(np.abs(g)))
    lo, hi = _box(s)
    return float(np.max(np.abs(u - np.clip(u - g, lo, hi))))


def _direction(g, h):
    """-(h)^-1 g by Cholesky, damping harder when float rounding leaves h not positive definite."""
    scale = max(float(np.max(np.diag(h))), 0.0)
    mu = 0.0
    for _ in range(CHOLESKY_RETRIES + 1):
        try:
            low = np.linalg.cholesky(h + mu * np.eye(len(g)))
            return np.linalg.solve(low.T, np.linalg.solve(low, -g))
        except np.linalg.LinAlgError:
            mu = 10 * mu if mu > 0 else 1e-6 * (scale if scale > 0 else 1.0)
    return None


def step(s, u, g, h):
    """The step: minimise m(dv) = g'dv + dv'H dv / 2 + B(u + dv) with the barrier exact (barrier mode) or the
    box as a hard constraint (projection mode: projected Newton, Hessian reduced on held bounds), by damped
    Newton from dv = 0, with no model evaluations. h includes the Levenberg damping.
    Returns (dv, predicted decrease m(0) - m(dv))."""
    barrier = s.constraints == "barrier"
    lo, hi = _box(s)

    def m(dv):
        return float(g @ dv + 0.5 * dv @ h @ dv) + (barrier_terms(s, u + dv)[0] if barrier else 0.0)

    dv = np.zeros_like(u)
    m0 = m_cur = m(dv)
    gscale = float(np.max(np.abs(g)))
    for _ in range(INNER_ITERATIONS):
        grad, hess, v = g + h @ dv, h.copy(), u + dv
        if barrier:
            _, bg, bh = barrier_terms(s, v)
            grad = grad + bg
            hess[np.diag_indices_from(hess)] += bh
        gn = gradient_norm(s, v, grad)
        if gn <= INNER_TOL * (1 + gscale):
            break
        if not barrier:
            eps = np.minimum(1e-3 * (hi - lo), gn)
            held = ((v <= lo + eps) & (grad > 0)) | ((v >= hi - eps) & (grad < 0))
            hess = np.where((held[:, None] | held[None, :]) & ~np.eye(len(u), dtype=bool), 0.0, hess)
        d = _direction(grad, hess)
        if d is None:
            break
        if barrier:  # each input goes at most TO_BOUNDARY of its way to the bound it heads for ...
            limit = np.where(d > 0, TO_BOUNDARY * (hi - v), TO_BOUNDARY * (lo - v))
            clipped = np.where(np.abs(d) > np.abs(limit), limit, d)
            if float(grad @ clipped) < 0:
                d = clipped
            else:  # ... or, when clipping inputs one by one turns the step uphill, the whole step shrinks
                with np.errstate(divide="ignore", invalid="ignore"):
                    d = d * min(1.0, float(np.min(np.where(d != 0, limit / d, np.inf))))
        alpha, accepted = 1.0, False
        for _ in range(INNER_BACKTRACKS):
            trial = dv + alpha * d
            if not barrier:
                trial = np.clip(u + trial, lo, hi) - u
            m_trial = m(trial)
            if m_trial <= m_cur + INNER_ARMIJO * float(grad @ (trial - dv)):
                accepted = True
                break
            alpha *= 0.5
        if not accepted or np.array_equal(trial, dv):
            break
        dv, m_cur = trial, m_trial
    return dv, m0 - m_cur


def solve(model, s, p, u0=None):
    """Improve the initial guess u0 (NC, NU); returns (u, MpcResult). The C solver's algorithm in float64: the
    full step is tried by linearizing there (that linearization serves the next iteration when it is accepted),
    backtracking from half the step rolls out values only."""
    s.check()
    nu = s.nu
    lo, hi = _box(s)
    u = (initial_guess(s) if u0 is None else np.array(u0, float)).ravel()
    margin = 1e-3 * (hi - lo) if s.constraints == "barrier" else 0.0
    u = np.where(np.isfinite(u), np.clip(u, lo + margin, hi - margin), (lo + hi) / 2)
    res = MpcResult(CONVERGED, 0, np.nan, np.nan)
    lin = linearize(model, s, p, u)
    if lin is None:
        res.status = NOT_FINITE
        return u.reshape(s.control_horizon, nu), res
    for it in range(s.max_iter + 1):
        j, g, h = lin
        b_value, b_grad, _ = barrier_terms(s, u) if s.constraints == "barrier" else (0.0, 0.0, None)
        j += b_value
        res.cost, res.grad_norm = j, gradient_norm(s, u, g + b_grad)
        res.trace.append((j, res.grad_norm))
        if res.grad_norm <= s.tol:
            res.status = CONVERGED
            break
        if it == s.max_iter:
            res.status = MAX_ITER
            break
        dv, predicted = step(s, u, g, h + s.mu * np.eye(len(u)))
        if predicted <= s.rtol * abs(j):
            res.status = CONVERGED
            break
        trial = _trial(s, u, dv, 1.0)
        lin = linearize(model, s, p, trial)
        full = np.inf if lin is None else lin[0] + (barrier_terms(s, trial)[0] if s.constraints == "barrier" else 0.0)
        if full <= j - s.armijo * predicted:
            u = trial
            res.iterations = it + 1
            continue
        trial = _backtrack(model, s, p, u, j, dv, predicted)
        if trial is None:
            res.status = STALLED
            break
        u = trial
        res.iterations = it + 1
        lin = linearize(model, s, p, u)
        if lin is None:
            res.status = NOT_FINITE
            break
    return u.reshape(s.control_horizon, nu), res


def _trial(s, u, dv, alpha):
    trial = u + alpha * dv
    if s.constraints == "projection":  # u + (P(u + d) - u) may round off the box
        lo, hi = _box(s)
        trial = np.clip(trial, lo, hi)
    return trial


def _backtrack(model, s, p, u, j, dv, predicted):
    """Backtracking on J from half the step: accept a sufficient share of the decrease the model predicted."""
    alpha = 0.5
    for _ in range(s.max_backtracks):
        trial = _trial(s, u, dv, alpha)
        if cost(model, s, p, trial) <= j - s.armijo * alpha * predicted:
            return trial
        alpha *= 0.5
    return None
