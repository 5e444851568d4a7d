"""The solver and a model's Jacobian under AddressSanitizer and UndefinedBehaviorSanitizer: a driver program
solves problems read from stdin; its answers must match the unsanitized library's."""
import os
import subprocess

import numpy as np
import pytest

from tinyctl.runtime import INCLUDE_DIR
from tinyctl.runtime.hostbuild import build
from tinyctl.runtime.nrmpc import MpcSettings
from tinyctl.runtime.nrmpc_host import SOLVER_SOURCE, HostMpc, flat_settings, render_glue, size_defines

pytestmark = [pytest.mark.sanitizers, pytest.mark.hostc]

DRIVER = r"""
#include <stdio.h>
#include "tinyctl/nrmpc.h"
void tcx_solve(const float *f, const int *i, const float *x0, const float *ref, const float *u_prev, float *u, float *r);
int main(void)
{
    static float f[64], x0[2 * TC_NRMPC_NX], ref[TC_NRMPC_N * TC_NRMPC_NX], u_prev[TC_NRMPC_NU], u[TC_NRMPC_NV], r[4];
    int i[3], nf, cases;
    if (fread(&nf, sizeof nf, 1, stdin) != 1 || nf > 64 || fread(&cases, sizeof cases, 1, stdin) != 1)
        return 2;
    for (int c = 0; c < cases; ++c) {
        if (fread(f, sizeof(float), nf, stdin) != (size_t)nf || fread(i, sizeof(int), 3, stdin) != 3 ||
            fread(x0, sizeof x0, 1, stdin) != 1 || fread(ref, sizeof ref, 1, stdin) != 1 ||
            fread(u_prev, sizeof u_prev, 1, stdin) != 1 || fread(u, sizeof u, 1, stdin) != 1)
            return 3;
        tcx_solve(f, i, x0, ref, u_prev, u, r);
        fwrite(u, sizeof u, 1, stdout);
        fwrite(r, sizeof r, 1, stdout);
    }
    return 0;
}
"""


@pytest.mark.parametrize("mode", ["barrier", "projection"])
def test_solver_is_clean_under_sanitizers(mode, compile_dynamics, tmp_path):
    _, directory = compile_dynamics(3, 2, seed=1, gain=0.2)
    s = MpcSettings(horizon=6, control_horizon=3, q=(5.0, 1.0, 0.0), r=(0.1, 0.2), u_min=(-1.0, -0.5),
                    u_max=(1.0, 2.0), constraints=mode, max_iter=8)
    (tmp_path / "glue.c").write_text(render_glue("dyn"))
    (tmp_path / "main.c").write_text(DRIVER)
    exe = build([os.path.join(directory, "dyn.c"), SOLVER_SOURCE, str(tmp_path / "glue.c"), str(tmp_path / "main.c")],
                str(tmp_path / "driver"), [directory, INCLUDE_DIR], sanitize=True, extra=size_defines(s, 3, 2))
    rng = np.random.default_rng(0)
    f, i = flat_settings(s)
    cases = [(rng.uniform(-1, 1, 6), rng.uniform(-1, 1, (6, 3)), rng.uniform(-0.5, 0.5, 2),
              rng.uniform(-0.4, 0.4, (3, 2))) for _ in range(5)]   # x0 then the model bias
    blob = [np.array([f.size, len(cases)], np.int32).tobytes()]
    for x0, ref, u_prev, u0 in cases:
        blob += [f.tobytes(), i.astype(np.int32).tobytes()] + [np.asarray(a, np.float32).tobytes()
                                                                for a in (x0, ref, u_prev, u0)]
    proc = subprocess.run([exe], input=b"".join(blob), capture_output=True,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1"))
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    out = np.frombuffer(proc.stdout, np.float32).reshape(len(cases), 6 + 4)
    mpc = HostMpc(directory, s)
    for (x0, ref, u_prev, u0), row in zip(cases, out):
        u, res = mpc.solve(x0[:3], ref, u_prev, u0, bias=x0[3:])
        np.testing.assert_allclose(row[:6], u.ravel(), rtol=1e-5, atol=1e-6)
        assert int(row[6]) == res.status and int(row[7]) == res.iterations
