"""The intermediate representation: a graph of tensors and nodes, topologically ordered.

Tensors are named, statically shaped, and float32 (bool for comparison results, which are stored as 0/1
floats at run time); int64 tensors exist only as compile-time constants (shapes, axes, indices). Quantised
builds (compiler/quantize) add int8, int16 and int32 tensors: weights, biases and tables in flash, and
activations in arenas of their own type.
Nodes carry their op type and normalised attributes; ops (compiler/ops) give them meaning.
"""
from dataclasses import dataclass, field

import numpy as np

FLOAT, BOOL, INT64 = "float32", "bool", "int64"
INT8, INT16, INT32 = "int8", "int16", "int32"
DTYPES = (FLOAT, BOOL, INT64, INT8, INT16, INT32)
# how a run-time tensor of each type is stored in C (bool as 0/1 floats)
CTYPES = {FLOAT: "float", BOOL: "float", INT8: "int8_t", INT16: "int16_t", INT32: "int32_t"}
ITEMSIZE = {FLOAT: 4, BOOL: 4, INT8: 1, INT16: 2, INT32: 4, INT64: 8}
_NUMPY = {np.dtype(np.float32): FLOAT, np.dtype(np.bool_): BOOL, np.dtype(np.int8): INT8, np.dtype(np.int16): INT16,
          np.dtype(np.int32): INT32}


@dataclass
class Tensor:
    name: str
    dtype: str
    shape: tuple
    value: np.ndarray = None       # set for constants

    @property
    def is_const(self):
        return self.value is not None

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass
class Node:
    op: str
    name: str
    inputs: list                   # tensor names; "" for an omitted optional input
    outputs: list                  # tensor names; "" for an omitted optional output
    attrs: dict = field(default_factory=dict)    # raw attributes, as ONNX (or a pass) gave them
    params: dict = field(default_factory=dict)   # normalised by the op's read phase: what infer/emit use


@dataclass
class StateEntry:
    """A recurrent state: read from `s` through `input`, written to `next` from `output`."""
    name: str
    input: str                     # IR tensor the step reads the state from
    output: str                    # IR tensor whose value becomes the next state
    onnx_input: str = None         # the graph input or initial_h initializer it came from
    onnx_output: str = None        # the graph output or Y_h it leaves by, if the ONNX names one
    reset: np.ndarray = None       # the value reset() writes (zeros when None)
    slot: tuple = None             # (node, input position, output position) of an internal GRU/LSTM state


@dataclass
class Graph:
    name: str
    tensors: dict                  # name -> Tensor
    nodes: list                    # topologically ordered
    inputs: list                   # names of non-state graph inputs, in ONNX order
    outputs: list                  # names of graph outputs, in ONNX order
    state: list = field(default_factory=list)   # StateEntry, in order of their offset
    meta: dict = field(default_factory=dict)    # file name, sha256, opset, producer

    def tensor(self, name):
        return self.tensors[name]

    def producers(self):
        return {out: node for node in self.nodes for out in node.outputs if out}

    def consumers(self):
        uses = {}
        for node in self.nodes:
            for name in node.inputs:
                if name:
                    uses.setdefault(name, []).append(node)
        return uses

    def fresh_name(self, base):
        """A tensor or node name not used yet, derived from base."""
        taken = set(self.tensors) | {n.name for n in self.nodes}
        if base not in taken:
            return base
        i = 1
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    def add_const(self, base, value):
        value = np.asarray(value)
        dtype = _NUMPY.get(value.dtype, INT64)
        if dtype == INT64:
            value = value.astype(np.int64)
        name = self.fresh_name(base)
        self.tensors[name] = Tensor(name, dtype, tuple(value.shape), value)
        return name

    def state_inputs(self):
        return [s.input for s in self.state]

    def state_outputs(self):
        return [s.output for s in self.state]

    def live_roots(self):
        """Tensors the step must produce: graph outputs and next states."""
        return list(self.outputs) + self.state_outputs()
