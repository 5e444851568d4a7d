"""Lipschitz tests run torch and BLAS on one thread: the matrices are small and the machine is shared."""
import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
