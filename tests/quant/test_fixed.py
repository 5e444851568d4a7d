"""The fixed-point arithmetic: its definition in NumPy (compiler/quantize/fixed.py) against exact arithmetic,
and the C helpers (runtime tinyctl/qfixed.h) against that definition, bit for bit."""
import math
import os
import struct
import subprocess

import numpy as np
import pytest

from tinyctl.compiler.quantize import fixed
from tinyctl.runtime import INCLUDE_DIR
from tinyctl.runtime.hostbuild import build

HERE = os.path.dirname(__file__)


def test_multiplier_represents_the_factor():
    rng = np.random.default_rng(0)
    for real in np.concatenate([10.0 ** rng.uniform(-9, 8, 500), [1.0, 0.5, 2.0 ** -31, 2.0 ** 29]]):
        m, shift = fixed.multiplier(real)
        assert 2 ** 30 <= m < 2 ** 31 and 1 <= shift <= 62
        assert abs(m * 2.0 ** -shift / real - 1) <= 2.0 ** -30
    for bad in (0.0, -1.0, math.inf, 2.0 ** 40):
        with pytest.raises(ValueError):
            fixed.multiplier(bad)


def test_requantize_rounds_half_up_like_exact_arithmetic():
    rng = np.random.default_rng(1)
    acc = rng.integers(-2 ** 31, 2 ** 31, 2000)
    real = 10.0 ** rng.uniform(-8, 0, 2000)
    m, s = np.array([fixed.multiplier(r) for r in real]).T
    got = fixed.requantize(acc, m, s)
    exact = [math.floor(int(a) * int(mm) / 2 ** int(ss) + 0.5) for a, mm, ss in zip(acc, m, s)]
    assert np.array_equal(got, exact)


def test_float_conversions():
    x = np.array([0.0, -0.0, 0.25, -0.75, 1.5, -2.5, 1e-30, 3e38, -np.inf, np.inf, np.nan, 0.4999999], np.float32)
    q = fixed.quantize_pow2(x, 1, 32767)
    assert list(q) == [0, 0, 1, -2, 3, -5, 0, 32767, -32767, 32767, 0, 1]      # half away from zero
    v = np.array([0, 1, -3, 2 ** 24 + 1, -(2 ** 25) - 3, 2 ** 31 - 1])
    y = fixed.to_float(v, 10)
    assert y.dtype == np.float32
    assert np.array_equal(y, np.float32([int(a) * 2.0 ** -10 for a in v]))      # nearest even


def test_tanh_table_accuracy():
    """tanh and sigmoid from the q15 table within 5e-5 (1.6 q15 steps) across the Q8.23 range, odd, saturating."""
    table = fixed.tanh_table()
    v = np.concatenate([np.linspace(-(2 ** 29), 2 ** 29, 200001).astype(np.int64), [0, 1, -1]])
    x = v / 2.0 ** 23
    t = fixed.qtanh(v, table) / 32768
    s = fixed.qsigmoid(v, table) / 32768
    assert np.abs(t - np.tanh(x)).max() < 5e-5
    assert np.abs(s - 1 / (1 + np.exp(-2 * x))).max() < 5e-5
    assert np.array_equal(fixed.qtanh(-v, table), -fixed.qtanh(v, table))
    assert fixed.qtanh(np.array([2 ** 29]), table)[0] == 32767


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    return build([os.path.join(HERE, "fixed_harness.c")], str(tmp_path_factory.mktemp("fixed") / "fixed"),
                 [INCLUDE_DIR])


def _run(exe, mode, n, *arrays):
    blob = struct.pack("<ii", mode, n) + b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
    return subprocess.run([exe], input=blob, capture_output=True, check=True).stdout


@pytest.mark.hostc
def test_c_float_to_q_bit_for_bit(harness):
    rng = np.random.default_rng(2)
    bits = rng.integers(0, 2 ** 32, 20000, dtype=np.uint64).astype(np.uint32)
    x = np.concatenate([bits.view(np.float32), rng.uniform(-300, 300, 20000).astype(np.float32),
                        np.float32([0.5, -0.5, 1.5, 2.5, np.nan, np.inf, -np.inf, 1e-45, 65535.5])])
    for f, qmax in ((7, 32767), (15, 32767), (-3, 127), (23, 32767)):
        got = np.frombuffer(_run(harness, 0, x.size, x, np.int32([f, qmax])), np.int32)
        assert np.array_equal(got, fixed.quantize_pow2(x, f, qmax)), (f, qmax)


@pytest.mark.hostc
def test_c_q_to_float_bit_for_bit(harness):
    rng = np.random.default_rng(3)
    v = np.concatenate([rng.integers(-2 ** 31 + 1, 2 ** 31, 20000), rng.integers(-2 ** 24, 2 ** 24, 20000),
                        [0, 1, -1, 2 ** 24 + 1, 2 ** 24 + 3, 2 ** 31 - 1, -(2 ** 31) + 1]]).astype(np.int32)
    for f in (0, 15, 23, 31):
        got = np.frombuffer(_run(harness, 1, v.size, v, np.int32([f])), np.float32)
        assert np.array_equal(got.view(np.uint32), fixed.to_float(v, f).view(np.uint32)), f


@pytest.mark.hostc
def test_c_rescale_and_tables_bit_for_bit(harness):
    rng = np.random.default_rng(4)
    n = 20000
    acc = rng.integers(-2 ** 31, 2 ** 31, n)
    m, s = np.array([fixed.multiplier(r) for r in 10.0 ** rng.uniform(-9, 1, n)]).T
    a = np.stack([acc, m, s], 1).astype(np.int32)
    got = np.frombuffer(_run(harness, 2, n, a), np.int64)
    assert np.array_equal(got, fixed.requantize(acc, m, s))
    table = fixed.tanh_table()
    v = np.concatenate([rng.integers(-(2 ** 30), 2 ** 30, n), [0, 2 ** 26, -(2 ** 26), 2 ** 26 - 1]]).astype(np.int32)
    ts = np.frombuffer(_run(harness, 3, v.size, table, v), np.int32).reshape(-1, 2)
    assert np.array_equal(ts[:, 0], fixed.qtanh(v, table))
    assert np.array_equal(ts[:, 1], fixed.qsigmoid(v, table))
