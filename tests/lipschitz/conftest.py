"""Lipschitz tests run torch and BLAS on one thread: the matrices are small and the machine is shared."""
import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    from tinyctl.training.threads import torch_threads
    with torch_threads(1):
        yield
