"""Training tests run torch on one thread: on a shared 2-core machine two threads are slower (see bench "training")."""
import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
