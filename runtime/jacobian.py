"""A compiled model's Jacobian (`tinyctl compile --jacobian`), run on the host through ctypes.

    jm = JacobianModel(directory)
    out, jac = jm.evaluate(inputs)          # jac[i, j] = d out[i] / d in[j], float32
"""
import ctypes
import os
import shutil
import tempfile
import weakref

import numpy as np

from tinyctl import manifest as manifest_io
from tinyctl.errors import TinyctlError
from tinyctl.runtime.hostbuild import build


class JacobianModel:
    def __init__(self, directory, sanitize=False, manifest=None):
        """manifest: the directory's own by default (verification passes one while the directory is staged)."""
        self.directory = os.fspath(directory)
        self.manifest = manifest or manifest_io.read(self.directory)
        if not self.manifest.get("jacobian"):
            raise TinyctlError(f"{self.directory} was compiled without --jacobian: compile it again with "
                               "`tinyctl compile MODEL.onnx -o DIR --jacobian`")
        self.name = self.manifest["name"]
        self.in_size, self.out_size = self.manifest["sizes"]["in"], self.manifest["sizes"]["out"]
        self._build_dir = tempfile.mkdtemp(prefix=f"tinyctl-jac-{self.name}-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._build_dir, True)
        lib_path = build([os.path.join(self.directory, f"{self.name}.c")],
                         os.path.join(self._build_dir, f"lib{self.name}_jac.so"), [self.directory], shared=True,
                         sanitize=sanitize)
        self._lib = ctypes.CDLL(lib_path)
        floats = ctypes.POINTER(ctypes.c_float)
        fn = getattr(self._lib, self.manifest["jacobian"]["function"])
        fn.argtypes, fn.restype = [floats, floats, floats], None
        step = getattr(self._lib, f"{self.name}_step")
        step.argtypes, step.restype = [floats, floats, floats, floats], None
        self._fn, self._step = fn, step

    @staticmethod
    def _ptr(a):
        return a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))

    def evaluate(self, inputs):
        """(outputs [OUT], Jacobian [OUT, IN]) at a flat input vector."""
        x = np.ascontiguousarray(np.asarray(inputs, np.float32).ravel())
        if x.size != self.in_size:
            raise ValueError(f"{self.name} takes {self.in_size} input values, got {x.size}")
        out = np.zeros(self.out_size, np.float32)
        jac = np.zeros(self.out_size * self.in_size, np.float32)
        self._fn(self._ptr(x), self._ptr(out), self._ptr(jac))
        return out, jac.reshape(self.out_size, self.in_size)

    def step(self, inputs):
        """The model's own step (stateless models), from the same library."""
        x = np.ascontiguousarray(np.asarray(inputs, np.float32).ravel())
        out, s = np.zeros(self.out_size, np.float32), np.zeros(1, np.float32)
        self._step(self._ptr(s), self._ptr(x), self._ptr(out), self._ptr(s))
        return out
