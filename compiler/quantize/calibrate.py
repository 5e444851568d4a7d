"""Calibration: input data the user gives (or the compiler draws) through the float IR, for the range of every
tensor the quantised build stores in integers.

Data: a .npy or .npz file, or an array. Its last axis is the model's flat input (IN_SIZE, the graph inputs in
order); [T, IN] is one sequence of T steps, [S, T, IN] S sequences. A .npz holds one array per graph input
(by name, shaped [T, ...] or [S, T, ...]), or a single array. Sequences start from the reset state and carry
the recurrent state, as the policy runs. Without data the compiler draws 16 sequences of 64 standard-normal
steps (seed 0): fine for a model whose inputs are normalised, poor for anything else, which the manifest says.
"""
import os

import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.ir import BOOL

DRAWN_SEQUENCES, DRAWN_STEPS = 16, 64


def load(calibration, layout):
    """[S, T, IN] float32 sequences and a description for the manifest."""
    n_in = layout["sizes"]["in"]
    if calibration is None:
        rng = np.random.default_rng(0)
        data = rng.standard_normal((DRAWN_SEQUENCES, DRAWN_STEPS, n_in)).astype(np.float32)
        return data, {"source": "drawn", "distribution": "standard normal", "seed": 0,
                      "sequences": DRAWN_SEQUENCES, "steps": DRAWN_STEPS,
                      "note": "no calibration data given: ranges from standard-normal inputs"}
    source = "array"
    if isinstance(calibration, (str, os.PathLike)):
        source = os.path.basename(os.fspath(calibration))
        calibration = _read(os.fspath(calibration), layout)
    data = np.asarray(calibration, np.float32)
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3 or data.shape[-1] != n_in:
        raise CompileError(f"calibration data has shape {list(np.shape(calibration))}; give [T, {n_in}] or "
                           f"[S, T, {n_in}] (the model's {n_in} input values per step)")
    if not np.all(np.isfinite(data)):
        raise CompileError("calibration data holds NaN or Inf values; remove them")
    return data, {"source": source, "sequences": int(data.shape[0]), "steps": int(data.shape[1])}


def _read(path, layout):
    try:
        loaded = np.load(path)
    except (OSError, ValueError) as e:
        raise CompileError(f"cannot read calibration data {path}: {e} (give a .npy or .npz file)") from None
    if isinstance(loaded, np.ndarray):
        return loaded
    names = [e["name"] for e in layout["inputs"]]
    if set(names) <= set(loaded.files):
        parts = []
        for e in layout["inputs"]:
            a = np.asarray(loaded[e["name"]], np.float32)
            lead = a.shape[:a.ndim - len(e["shape"])] if a.size % e["size"] == 0 else None
            parts.append(a.reshape(*a.shape[:a.ndim - len(e["shape"])], e["size"]) if lead is not None else a)
        return np.concatenate(parts, axis=-1)
    if len(loaded.files) == 1:
        return loaded[loaded.files[0]]
    raise CompileError(f"calibration file {path} holds {loaded.files}; give one array, or one per graph input "
                       f"({', '.join(names)})")


def run(graph, layout, data):
    """Every float tensor's largest magnitude over the data, and per element for the graph inputs and states:
    {tensor: max |value|}, {tensor: per-element max |value|}; plus the float outputs of each step."""
    const = {n: t.value for n, t in graph.tensors.items() if t.is_const}
    amax, elem = {}, {}
    for seq in data:
        state = {s.name: (s.reset if s.reset is not None else np.zeros(graph.tensor(s.input).shape, np.float32))
                 for s in graph.state}
        for x in seq:
            env = dict(const)
            for e in layout["inputs"]:
                t = graph.tensor(e["name"])
                v = x[e["offset"]:e["offset"] + e["size"]].reshape(t.shape)
                env[e["name"]] = v.astype(bool) if t.dtype == BOOL else v
            for s in graph.state:
                env[s.input] = np.asarray(state[s.name], np.float32).reshape(graph.tensor(s.input).shape)
            for node in graph.nodes:
                values = ops.lookup(node.op).evaluate(node, [env[i] if i else None for i in node.inputs])
                for name, value in zip(node.outputs, values):
                    if name:
                        env[name] = value
            for name, value in env.items():
                if name in const or graph.tensor(name).dtype != "float32":
                    continue
                a = np.abs(np.asarray(value, np.float64))
                amax[name] = max(amax.get(name, 0.0), float(a.max()) if a.size else 0.0)
                elem[name] = np.maximum(elem.get(name, 0.0), a.ravel())
            state = {s.name: env[s.output] for s in graph.state}
    return amax, elem
