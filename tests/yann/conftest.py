"""The double integrator's explicit MPC (horizon 3, 31 regions), solved once per session."""
import pytest


@pytest.fixture(scope="session")
def di3():
    """(MPC, ExplicitLaw, PPOPT solution) for the horizon-3 double integrator."""
    from tinyctl.training.yann.mpc import explicit_law
    from tinyctl.training.yann.problems import double_integrator
    mpc = double_integrator(3)
    law, solution = explicit_law(mpc)
    return mpc, law, solution


@pytest.fixture(scope="session")
def di3_onnx(di3, tmp_path_factory):
    import onnx
    from tinyctl.training.yann.export import yann_model
    path = tmp_path_factory.mktemp("yann") / "di3.onnx"
    onnx.save(yann_model(di3[1]), str(path))
    return str(path)


def samples(mpc, n, seed, widen=1.2):
    """Points in a box a little larger than the domain: most inside the feasible set, some outside."""
    import numpy as np
    rng = np.random.default_rng(seed)
    return rng.uniform(mpc.x_min * widen, mpc.x_max * widen, (n, len(mpc.x_min)))
