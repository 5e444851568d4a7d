"""The memory planner on its own: pure function from lifetimes to offsets."""
import numpy as np
import pytest

from tinyctl.compiler import compile_model, zoo
from tinyctl.compiler.plan import Buffer, check_plan, lower_bound, plan, plan_greedy, plan_linear


def random_buffers(rng, n):
    out = []
    for k in range(n):
        first = int(rng.integers(0, 30))
        out.append(Buffer(f"b{k}", int(rng.integers(1, 200)), first, first + int(rng.integers(0, 8))))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_greedy_never_overlaps_and_respects_bounds(seed):
    bufs = random_buffers(np.random.default_rng(seed), 25)
    offsets, size = plan_greedy(bufs)
    check_plan(bufs, offsets)
    assert lower_bound(bufs) <= size <= plan_linear(bufs)[1] == sum(b.size for b in bufs)
    assert all(offsets[b.key] + b.size <= size for b in bufs)


def test_checker_catches_an_overlap():
    bufs = [Buffer("a", 10, 0, 2), Buffer("b", 10, 1, 3)]
    with pytest.raises(AssertionError, match="overlap"):
        check_plan(bufs, {"a": 0, "b": 5})
    check_plan(bufs, {"a": 0, "b": 10})


def test_disjoint_lifetimes_share_memory():
    bufs = [Buffer("a", 64, 0, 1), Buffer("b", 64, 2, 3), Buffer("c", 32, 1, 2)]
    offsets, size = plan(bufs)
    assert size == lower_bound(bufs) == 96
    assert offsets["a"] == offsets["b"]


def test_chain_needs_two_buffers():
    bufs = [Buffer(f"t{k}", 16, k, k + 1) for k in range(6)]
    assert plan(bufs)[1] == lower_bound(bufs) == 32


@pytest.mark.parametrize("name", sorted(zoo.all_models()))
def test_arena_within_ten_percent_of_the_lower_bound(name, tmp_path):
    m = compile_model(zoo.all_models()[name], str(tmp_path / name), name=name)
    arena = m.manifest["arena"]
    assert arena["bytes"] <= 1.10 * arena["lower_bound_bytes"]
    assert arena["bytes"] <= arena["unshared_bytes"]
    check_plan(m.storage.buffers, {**m.storage.offset, **{f"{k}#scratch": v for k, v in m.storage.scratch.items()}})
