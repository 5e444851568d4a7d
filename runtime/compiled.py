"""A compiled model directory, run on the host through ctypes: the object tests and the HIL harness share.

    m = CompiledModel(directory)
    state = m.reset()
    out, state = m.step(inputs, state)
"""
import ctypes
import os
import shutil
import tempfile
import weakref

import numpy as np

from tinyctl import manifest as manifest_io
from tinyctl.runtime.hostbuild import build


class CompiledModel:
    def __init__(self, directory, owns_directory=False):
        self.directory = os.fspath(directory)
        self.manifest = manifest_io.read(self.directory)
        self.name = self.manifest["name"]
        sizes = self.manifest["sizes"]
        self.in_size, self.out_size, self.state_size = sizes["in"], sizes["out"], sizes["state"]
        self._lib = None
        self._build_dir = tempfile.mkdtemp(prefix=f"tinyctl-{self.name}-")
        cleanup = [self._build_dir] + ([self.directory] if owns_directory else [])
        self._finalizer = weakref.finalize(self, _remove, cleanup)

    # ctypes glue --------------------------------------------------------------------------------------
    def _load(self):
        if self._lib is None:
            src = os.path.join(self.directory, f"{self.name}.c")
            lib_path = build([src], os.path.join(self._build_dir, f"lib{self.name}.so"), [self.directory], shared=True)
            lib = ctypes.CDLL(lib_path)
            floats = ctypes.POINTER(ctypes.c_float)
            getattr(lib, f"{self.name}_step").argtypes = [floats, floats, floats, floats]
            getattr(lib, f"{self.name}_step").restype = None
            getattr(lib, f"{self.name}_reset").argtypes = [floats]
            getattr(lib, f"{self.name}_reset").restype = None
            self._lib = lib
        return self._lib

    @staticmethod
    def _ptr(array):
        return array.ctypes.data_as(ctypes.POINTER(ctypes.c_float))

    def _state_buffer(self):
        return np.zeros(max(self.state_size, 1), np.float32)

    # API ----------------------------------------------------------------------------------------------
    def reset(self):
        """The initial state (flat, STATE_SIZE floats)."""
        s = self._state_buffer()
        getattr(self._load(), f"{self.name}_reset")(self._ptr(s))
        return s[:self.state_size].copy()

    def flat_inputs(self, inputs):
        """A flat input vector from a flat array or a dict of graph input name -> array."""
        if isinstance(inputs, dict):
            parts = []
            for entry in self.manifest["inputs"]:
                if entry["name"] not in inputs:
                    raise KeyError(f"missing input '{entry['name']}' (inputs: {[e['name'] for e in self.manifest['inputs']]})")
                parts.append(np.asarray(inputs[entry["name"]], np.float32).ravel())
            flat = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        else:
            flat = np.asarray(inputs, np.float32).ravel()
        if flat.size != self.in_size:
            raise ValueError(f"{self.name} takes {self.in_size} input values, got {flat.size}")
        return flat

    def step(self, inputs, state=None):
        """One step from `state` (default: the reset state); returns (outputs, next state), both flat."""
        x = np.ascontiguousarray(self.flat_inputs(inputs), dtype=np.float32)
        s = self._state_buffer()
        if state is None:
            s[:self.state_size] = self.reset()
        else:
            s[:self.state_size] = np.asarray(state, np.float32).ravel()
        out = np.zeros(max(self.out_size, 1), np.float32)
        nxt = self._state_buffer()
        getattr(self._load(), f"{self.name}_step")(self._ptr(s), self._ptr(x if x.size else np.zeros(1, np.float32)),
                                                   self._ptr(out), self._ptr(nxt))
        return out[:self.out_size].copy(), nxt[:self.state_size].copy()

    def rollout(self, inputs, state=None):
        """Run a sequence (T x IN_SIZE), carrying the state; returns (T x OUT_SIZE outputs, final state)."""
        state = self.reset() if state is None else state
        outs = []
        for x in np.asarray(inputs, np.float32).reshape(len(inputs), -1):
            y, state = self.step(x, state)
            outs.append(y)
        return np.array(outs, dtype=np.float32).reshape(len(outs), self.out_size), state

    def outputs(self, flat):
        """Split a flat output vector into graph output name -> array of its shape."""
        return {e["name"]: np.asarray(flat[e["offset"]:e["offset"] + e["size"]]).reshape(e["shape"])
                for e in self.manifest["outputs"]}

    def __repr__(self):
        return f"CompiledModel({self.name!r}, in={self.in_size}, out={self.out_size}, state={self.state_size})"


def _remove(paths):
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)
