"""Explicit MPC with PPOPT (no commercial solver) and the exact YANN: float64 against PPOPT's own evaluation."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from tinyctl.errors import TinyctlError
from tinyctl.training.yann.law import ExplicitLaw
from tinyctl.training.yann.mpc import LinearMPC, explicit_law
from tinyctl.training.yann.network import YANN
from tinyctl.training.yann.problems import double_integrator

from .conftest import samples


def ppopt_u0(solution, theta):
    x = solution.evaluate(np.asarray(theta, float).reshape(-1, 1))
    return None if x is None else float(x[0, 0])


@pytest.mark.parametrize("horizon,regions", [(3, 31), (4, 53)])
def test_region_counts(horizon, regions):
    law, solution = explicit_law(double_integrator(horizon))
    assert law.sizes[0] == len(solution.critical_regions) == regions
    assert law.meta["solvers"] == {"lp": "glpk", "qp": "daqp"} and law.meta["solve_seconds"] > 0


def test_yann_matches_ppopt_in_float64(di3):
    mpc, law, solution = di3
    theta = samples(mpc, 3000, seed=1)
    u, inside = (t.detach().numpy() for t in YANN(law)(torch.from_numpy(theta)))
    n_in = 0
    for th, uu, ii in zip(theta, u[:, 0], inside[:, 0]):
        ref = ppopt_u0(solution, th)
        if ref is None:                     # outside the feasible set: the network says so and outputs 0
            assert ii == 0.0 and uu == 0.0
        else:
            n_in += 1
            assert ii == 1.0 and abs(uu - ref) <= 1e-9
    assert 1000 < n_in < 3000


def test_law_evaluate_and_storage_agree(di3, tmp_path):
    mpc, law, _ = di3
    law.save(tmp_path / "law.npz")
    again = ExplicitLaw.load(tmp_path / "law.npz")
    assert again.sizes == law.sizes and again.tolerance == law.tolerance and again.meta["horizon"] == 3
    net = YANN(law)
    for th in samples(mpc, 200, seed=2):
        u, inside = again.evaluate(th)
        nu, ni = net(torch.from_numpy(th[None]))
        assert abs(float(nu[0, 0]) - u[0]) <= 1e-12 and float(ni[0, 0]) == inside


def test_shared_facets_are_bit_identical(di3):
    _, law, _ = di3
    rows = np.vstack(law.e).astype(np.float32)
    unique = {r.tobytes() for r in rows} | {(-r).tobytes() for r in rows}
    assert len(unique) / 2 < 0.5 * len(rows)      # most facets are shared by two regions


def test_no_commercial_solver_needed():
    """PPOPT with gurobipy made unimportable still solves the MPC (GLPK for LPs, DAQP for QPs)."""
    code = ("import sys; sys.modules['gurobipy'] = None\n"
            "from tinyctl.training.yann.mpc import explicit_law\n"
            "from tinyctl.training.yann.problems import double_integrator\n"
            "law, _ = explicit_law(double_integrator(3)); print(law.sizes[0])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "31"


def test_bad_mpc_refused():
    with pytest.raises(TinyctlError, match="finite"):
        LinearMPC(np.eye(2), np.ones((2, 1)), np.eye(2), np.eye(1), 3, [-1], [1], [-np.inf, -1], [np.inf, 1])
    with pytest.raises(TinyctlError, match="entries"):
        LinearMPC(np.eye(2), np.ones((2, 1)), np.eye(2), np.eye(1), 3, [-1, 0], [1, 0], [-1, -1], [1, 1])


def test_export_is_deterministic(di3):
    """PPOPT's region order varies between runs; the law sorts regions and rows, so the ONNX file does not."""
    from tinyctl.training.yann.export import yann_model
    again, _ = explicit_law(double_integrator(3))
    assert yann_model(again).SerializeToString() == yann_model(di3[1]).SerializeToString()
