"""Training tests run torch on one thread: on a shared 2-core machine two threads are slower (see bench "training")."""
import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    from tinyctl.training.threads import torch_threads
    with torch_threads(1):
        yield
