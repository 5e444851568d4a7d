"""Linear MPC to its explicit law with PPOPT, with no commercial solver anywhere.

The MPC  min sum_{k<N} x_k' Q x_k + u_k' R u_k + x_N' P x_N  s.t.  x_k+1 = A x_k + B u_k,  u in [u_min, u_max],
x_1..x_N in [x_min, x_max]  is condensed over U = (u_0 .. u_N-1) into the multi-parametric QP in x_0 = theta

    min_U  1/2 U' H U + theta' F' U    s.t.  G U <= w + S theta,   theta in [x_min, x_max],

and PPOPT returns its critical regions {theta : E theta <= f} with the affine laws U = A theta + b.

PPOPT imports gurobipy if it is installed and defaults some sub-problems to it. Here every LP goes to GLPK
(through cvxopt) and every QP to DAQP, and the algorithm is PPOPT's geometric one: its combinatorial and graph
algorithms call a Chebyshev-ball LP that is hard-wired to Gurobi (critical_region.is_full_dimension), which
fails without a licence. A test runs this module with gurobipy made unimportable.
"""
import contextlib
import io
import time
from dataclasses import dataclass, field

import numpy as np

from tinyctl.errors import TinyctlError
from tinyctl.training.yann.law import ExplicitLaw

ALGORITHM = "geometric"
SOLVERS = {"lp": "glpk", "qp": "daqp"}


@dataclass
class LinearMPC:
    a: np.ndarray
    b: np.ndarray
    q: np.ndarray
    r: np.ndarray
    horizon: int
    u_min: np.ndarray
    u_max: np.ndarray
    x_min: np.ndarray             # also the domain of theta = x_0; must be finite
    x_max: np.ndarray
    p: np.ndarray = None          # terminal weight; None: the discrete-time LQR solution (DARE)
    name: str = "mpc"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.a, self.b = np.atleast_2d(np.asarray(self.a, float)), np.atleast_2d(np.asarray(self.b, float))
        self.q, self.r = np.atleast_2d(np.asarray(self.q, float)), np.atleast_2d(np.asarray(self.r, float))
        nx, nu = self.b.shape
        for what, v, n in (("u_min", self.u_min, nu), ("u_max", self.u_max, nu), ("x_min", self.x_min, nx),
                           ("x_max", self.x_max, nx)):
            if np.size(v) != n:
                raise TinyctlError(f"{what} has {np.size(v)} entries; the system has {n}")
        self.u_min, self.u_max = np.ravel(self.u_min).astype(float), np.ravel(self.u_max).astype(float)
        self.x_min, self.x_max = np.ravel(self.x_min).astype(float), np.ravel(self.x_max).astype(float)
        if self.a.shape != (nx, nx) or self.q.shape != (nx, nx) or self.r.shape != (nu, nu):
            raise TinyctlError(f"inconsistent MPC sizes: A {self.a.shape}, B {self.b.shape}, Q {self.q.shape}, "
                               f"R {self.r.shape}")
        if not (np.all(np.isfinite(self.x_min)) and np.all(np.isfinite(self.x_max))):
            raise TinyctlError("the state bounds are the explicit law's domain and must be finite")
        if self.horizon < 1:
            raise TinyctlError(f"horizon must be at least 1, got {self.horizon}")
        if self.p is None:
            from scipy.linalg import solve_discrete_are
            self.p = solve_discrete_are(self.a, self.b, self.q, self.r)

    @property
    def sizes(self):
        return self.b.shape

    def prediction(self):
        """(Sx, Su): stacked x_1..x_N = Sx x_0 + Su U."""
        nx, nu = self.sizes
        n = self.horizon
        powers = [np.linalg.matrix_power(self.a, k) for k in range(n + 1)]
        sx = np.vstack(powers[1:])
        su = np.zeros((n * nx, n * nu))
        for k in range(1, n + 1):
            for j in range(k):
                su[(k - 1) * nx:k * nx, j * nu:(j + 1) * nu] = powers[k - 1 - j] @ self.b
        return sx, su

    def condensed(self):
        """The mpQP in PPOPT's form: (G, w, S, H, F, domain A_t, b_t) as documented above."""
        nx, nu = self.sizes
        n = self.horizon
        sx, su = self.prediction()
        qbar = np.kron(np.eye(n), self.q)
        qbar[-nx:, -nx:] = self.p
        rbar = np.kron(np.eye(n), self.r)
        hess = 2 * (su.T @ qbar @ su + rbar)
        cross = 2 * su.T @ qbar @ sx
        rows = [(np.eye(n * nu), np.tile(self.u_max, n), np.zeros((n * nu, nx))),
                (-np.eye(n * nu), -np.tile(self.u_min, n), np.zeros((n * nu, nx))),
                (su, np.tile(self.x_max, n), -sx), (-su, -np.tile(self.x_min, n), sx)]
        g, w, s = (np.vstack([r[i] if r[i].ndim == 2 else r[i][:, None] for r in rows]) for i in range(3))
        keep = np.isfinite(w[:, 0])
        a_t = np.vstack([np.eye(nx), -np.eye(nx)])
        b_t = np.concatenate([self.x_max, -self.x_min])[:, None]
        return g[keep], w[keep], s[keep], (hess + hess.T) / 2, cross, a_t, b_t

    def program(self):
        from ppopt.mpqp_program import MPQP_Program
        from ppopt.solver import Solver
        g, w, s, hess, cross, a_t, b_t = self.condensed()
        n_u = hess.shape[0]
        return MPQP_Program(g, w, np.zeros((n_u, 1)), cross, hess, a_t, b_t, s, solver=Solver(dict(SOLVERS)))


def solve(mpc):
    """(PPOPT solution, seconds): the explicit solution of the condensed mpQP."""
    try:
        from ppopt.mp_solvers.solve_mpqp import mpqp_algorithm, solve_mpqp
    except ImportError:
        raise TinyctlError("the explicit MPC needs PPOPT, DAQP and cvxopt: install the extra `yann` "
                           "(pip install -e '.[yann]')") from None
    program = mpc.program()
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):        # the geometric algorithm prints progress
        solution = solve_mpqp(program, getattr(mpqp_algorithm, ALGORITHM))
    seconds = time.perf_counter() - start
    if not solution.critical_regions:
        raise TinyctlError(f"PPOPT found no critical region for '{mpc.name}': the MPC is infeasible on its domain")
    return solution, seconds


def explicit_law(mpc, tolerance=None):
    """The first input's explicit law u_0(theta) as an ExplicitLaw, with PPOPT's solution and solve time."""
    solution, seconds = solve(mpc)
    nu = mpc.sizes[1]
    regions = [(np.asarray(cr.E, float), np.asarray(cr.f, float).ravel(),
                np.asarray(cr.A, float)[:nu], np.asarray(cr.b, float).ravel()[:nu])
               for cr in solution.critical_regions]
    law = ExplicitLaw.from_regions(regions, mpc.x_min, mpc.x_max, tolerance=tolerance, name=mpc.name,
                                   meta={"horizon": mpc.horizon, "solve_seconds": seconds, "algorithm": ALGORITHM,
                                         "solvers": dict(SOLVERS), **mpc.meta})
    return law, solution
