"""The fast activations (runtime/include/tinyctl/activations_fast.h) against the exact functions in double
precision, over float32 inputs spread across the whole range (every 1021st bit pattern, both signs, plus zeros,
denormals, infinities, NaN and the clamp edges); the slow test takes all 2^32 inputs. The bounds asserted are
the ones the header states."""
import os
import subprocess

import pytest

from tinyctl.runtime import INCLUDE_DIR
from tinyctl.runtime.hostbuild import build

HERE = os.path.dirname(__file__)
# the header's stated bounds: absolute error (softplus: plus 6e-8 of the value, as the sweep applies it)
BOUNDS = {"tanh": 3.1e-7, "sigmoid": 2.0e-7, "softplus": 2.0e-7, "expm1_neg": 2.0e-7, "elu": 2.0e-7}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    exe = tmp_path_factory.mktemp("sweep") / "activation_sweep"
    return build([os.path.join(HERE, "activation_sweep.c")], str(exe), [INCLUDE_DIR])


def run_sweep(exe, stride, start=0):
    out = subprocess.run([exe, str(stride), str(start)], capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        name, err, worst, nan_bad, count = line.split()
        rows[name] = (float(err), float(worst), int(nan_bad), int(count))
    return rows


def check(rows):
    for name, bound in BOUNDS.items():
        err, worst, nan_bad, count = rows[name]
        assert count > 0
        assert nan_bad == 0, f"{name}: {nan_bad} inputs where NaN/Inf disagree with the exact function"
        assert err <= bound, f"{name}: error {err:.3g} at x = {worst:.9g} exceeds the stated {bound:.1g}"


@pytest.mark.hostc
def test_error_bounds_across_the_float_range(sweep):
    rows = run_sweep(sweep, 1021, 7)
    assert rows["tanh"][3] > 4_000_000
    check(rows)


@pytest.mark.hostc
@pytest.mark.slow
def test_error_bounds_on_every_float(sweep):
    check(run_sweep(sweep, 1))


@pytest.mark.hostc
def test_specials_and_saturation(tmp_path):
    """NaN propagates (the firmware's failsafe relies on it), infinities give the limits, the clamps saturate."""
    src = tmp_path / "specials.c"
    src.write_text(r'''
#include <math.h>
#include <stdio.h>
#include "tinyctl/activations_fast.h"
int main(void) {
    const float xs[] = {NAN, INFINITY, -INFINITY, 0.0f, 8.0f, 9.5f, 1e30f, -1e30f, -20.0f, 20.0f, -100.0f, 100.0f};
    for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; ++i)
        printf("%.9g %.9g %.9g %.9g\n", tc_tanh_fast(xs[i]), tc_sigmoid_fast(xs[i]), tc_softplus_fast(xs[i]),
               tc_elu_fast(xs[i], 1.0f));
    return 0;
}
''')
    exe = build([str(src)], str(tmp_path / "specials"), [INCLUDE_DIR])
    rows = [[float(v) for v in line.split()] for line in subprocess.run([exe], capture_output=True, text=True,
                                                                         check=True).stdout.splitlines()]
    import math
    assert all(math.isnan(v) for v in rows[0])                         # NaN in, NaN out
    near = lambda got, want: all(abs(g - w) <= BOUNDS["tanh"] for g, w in zip(got, want))
    assert near(rows[1][:2], [1.0, 1.0]) and rows[1][2:] == [math.inf, math.inf]       # +Inf: the limits
    assert near(rows[2][:2], [-1.0, 0.0]) and rows[2][2:] == [0.0, -1.0]               # -Inf
    assert rows[3][0] == 0.0 and rows[3][1] == 0.5 and rows[3][3] == 0.0
    assert abs(rows[3][2] - math.log(2.0)) < 1e-7
    for t, s, sp, e in rows[4:]:
        assert -1.0 <= t <= 1.0 and 0.0 <= s <= 1.0 and sp >= 0.0 and e >= -1.0
    assert rows[6][:2] == rows[1][:2] and rows[7][:2] == rows[2][:2]   # beyond the clamps: saturated
    assert rows[10][3] == -1.0 and rows[11][2] == 100.0
