"""The C Newton-Raphson MPC solver (runtime/src/nrmpc.c) over a compiled dynamics model, on the host.

    mpc = HostMpc(directory, settings)         # directory: `tinyctl compile --jacobian` output
    u, result = mpc.solve(x0, ref, u_prev, u_init)

The same flat-array glue (runtime/src/nrmpc_glue.c.j2) is what the emulator tests and the benchmark build.
"""
import ctypes
import os
import shutil
import tempfile
import weakref

import jinja2
import numpy as np

from tinyctl import manifest as manifest_io
from tinyctl.errors import TinyctlError
from tinyctl.runtime import INCLUDE_DIR
from tinyctl.runtime.hostbuild import build
from tinyctl.runtime.nrmpc import MpcResult

SRC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
SOLVER_SOURCE = os.path.join(SRC_DIR, "nrmpc.c")


def model_sizes(manifest, settings):
    """(NX, NU) of a compiled dynamics model; checks that it maps [state, input] to the next state."""
    if not manifest.get("jacobian"):
        raise TinyctlError(f"model '{manifest['name']}' was compiled without --jacobian; the MPC needs it: "
                           "tinyctl compile MODEL.onnx -o DIR --jacobian")
    n_in, n_out = manifest["sizes"]["in"], manifest["sizes"]["out"]
    nx, nu = n_out, n_in - n_out
    if nu < 1:
        raise TinyctlError(f"model '{manifest['name']}' maps {n_in} inputs to {n_out} outputs; a dynamics model "
                           "maps [state (NX), input (NU)] to the next state (NX)")
    settings.check(nx, nu)
    return nx, nu


def size_defines(settings, nx, nu):
    return [f"-DTC_NRMPC_NX={nx}", f"-DTC_NRMPC_NU={nu}", f"-DTC_NRMPC_N={settings.horizon}",
            f"-DTC_NRMPC_NC={settings.control_horizon}"]


def render_glue(name):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(SRC_DIR), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    return env.get_template("nrmpc_glue.c.j2").render(name=name, NAME=name.upper())


def flat_settings(s):
    """The glue's (f, i) arrays."""
    f = np.concatenate([s.q, s.r, s.u_min, s.u_max, [s.barrier, s.mu, s.tol, s.rtol, s.armijo]]).astype(np.float32)
    i = np.array([0 if s.constraints == "barrier" else 1, s.max_iter, s.max_backtracks], np.int32)
    return f, i


class HostMpc:
    def __init__(self, directory, settings, sanitize=False, opt="-O2"):
        self.directory = os.fspath(directory)
        self.manifest = manifest_io.read(self.directory)
        self.name = self.manifest["name"]
        self.settings = settings
        self.nx, self.nu = model_sizes(self.manifest, settings)
        self._build_dir = tempfile.mkdtemp(prefix=f"tinyctl-mpc-{self.name}-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._build_dir, True)
        glue = os.path.join(self._build_dir, "nrmpc_glue.c")
        with open(glue, "w") as f:
            f.write(render_glue(self.name))
        lib = build([os.path.join(self.directory, f"{self.name}.c"), SOLVER_SOURCE, glue],
                    os.path.join(self._build_dir, "libnrmpc.so"), [self.directory, INCLUDE_DIR], shared=True,
                    sanitize=sanitize, opt=opt, extra=size_defines(settings, self.nx, self.nu))
        self._lib = ctypes.CDLL(lib)
        fp, ip = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int32)
        self._lib.tcx_solve.argtypes = [fp, ip, fp, fp, fp, fp, fp]
        self._lib.tcx_solve.restype = None
        self._lib.tcx_cost.argtypes = [fp, ip, fp, fp, fp, fp]
        self._lib.tcx_cost.restype = ctypes.c_float
        self._f, self._i = flat_settings(settings)

    @staticmethod
    def _p(a, kind=ctypes.c_float):
        return a.ctypes.data_as(ctypes.POINTER(kind))

    def _args(self, x0, ref, u_prev, bias=None):
        s = self.settings
        bias = np.zeros(self.nx) if bias is None else np.asarray(bias, float).ravel()
        if np.size(x0) != self.nx or bias.size != self.nx:
            raise ValueError(f"x0 and bias need {self.nx} values each")
        x0 = np.ascontiguousarray(np.concatenate([np.ravel(x0), bias]), np.float32)
        ref = np.ascontiguousarray(np.broadcast_to(np.asarray(ref, np.float32), (s.horizon, self.nx)))
        u_prev = np.ascontiguousarray(u_prev, np.float32).ravel()
        if u_prev.size != self.nu:
            raise ValueError(f"u_prev needs {self.nu} values")
        return x0, ref, u_prev

    def solve(self, x0, ref, u_prev, u_init, bias=None):
        """(u [NC, NU], MpcResult) from the initial guess u_init; ref is (N, NX) or one state for all steps;
        bias (NX) is added to every predicted step (zeros by default)."""
        x0, ref, u_prev = self._args(x0, ref, u_prev, bias)
        u = np.ascontiguousarray(u_init, np.float32).reshape(-1).copy()
        r = np.zeros(4, np.float32)
        self._lib.tcx_solve(self._p(self._f), self._p(self._i, ctypes.c_int32), self._p(x0), self._p(ref),
                            self._p(u_prev), self._p(u), self._p(r))
        return u.reshape(self.settings.control_horizon, self.nu), \
            MpcResult(int(r[0]), int(r[1]), float(r[2]), float(r[3]))

    def cost(self, x0, ref, u_prev, u, bias=None):
        x0, ref, u_prev = self._args(x0, ref, u_prev, bias)
        u = np.ascontiguousarray(u, np.float32).reshape(-1)
        return float(self._lib.tcx_cost(self._p(self._f), self._p(self._i, ctypes.c_int32), self._p(x0),
                                        self._p(ref), self._p(u_prev), self._p(u)))
