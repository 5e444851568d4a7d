"""Torch's intra-op threads for a while.

Training here runs many small batched steps; on a shared 2-core machine two torch threads contending for them are
slower than one (bench section "training": rollouts 0.13 M env-steps/s on one thread, 0.10 M on two), so
trainers, benches and tests pin the count and give it back afterwards.
"""
import contextlib


@contextlib.contextmanager
def torch_threads(n):
    """torch.set_num_threads(n) inside the block, the previous count after it."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
