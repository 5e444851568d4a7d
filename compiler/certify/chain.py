"""Reads the feed-forward parts of a compiled graph as chains  x -> W_0 -> s_1 -> W_1 -> ... -> s_l -> W_l [-> s_out].

The certificate methods work on that canonical form: float64 weight matrices W_k (the values the backend
emits, widened exactly from float32) and, between them, elementwise activations each given by its slope
interval [lo, hi] per neuron (slope-restricted: lo <= (s(u) - s(v)) / (u - v) <= hi). Biases and constant
offsets do not change a Lipschitz constant and are dropped; constant scalings, views and consecutive linear
maps fold into the neighbouring weights.

A chain ends where a graph input (or a Concat of graph inputs) feeds it; anything else it meets (a GRU, a
product of two run-time tensors, a comparison) ends the part there, and the part's source is that tensor.
"""
from dataclasses import dataclass, field

import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.ir import FLOAT, INT8, INT16
from tinyctl.compiler.quantize.emitted import dense_weights

# tensors that carry real values: float, and in quantised builds integers times a scale
REAL = (FLOAT, INT8, INT16)
# the quantised builds' conversions: the same values in other units (their rounding is not a Lipschitz map's)
CONVERSIONS = ("tc.Quantize", "tc.Dequantize")


def _elu_slopes(p):
    alpha = p.get("alpha", 1.0)
    return (0.0, max(1.0, alpha)) if alpha >= 0 else None


# activation -> slope interval [lo, hi] from its parameters (None: not slope-restricted in a usable way)
SLOPES = {
    "Relu": lambda p: (0.0, 1.0),
    "LeakyRelu": lambda p: (min(p.get("alpha", 0.01), 1.0), max(p.get("alpha", 0.01), 1.0)),
    "Elu": _elu_slopes,
    "Tanh": lambda p: (0.0, 1.0),
    "Sigmoid": lambda p: (0.0, 0.25),
    "Softplus": lambda p: (0.0, 1.0),
    "HardSigmoid": lambda p: (0.0, max(p.get("alpha", 0.2), 0.0)) if p.get("alpha", 0.2) >= 0 else None,
    "Clip": lambda p: (0.0, 1.0),
}


@dataclass
class Linear:
    w: np.ndarray                  # [out, in], float64


@dataclass
class Activation:
    lo: np.ndarray                 # [n] slope lower bounds
    hi: np.ndarray                 # [n] slope upper bounds
    what: str


@dataclass
class Part:
    """One feed-forward part: source tensor (a graph input, or where an uncertifiable op ends it) to target."""
    source: str
    target: str
    weights: list = field(default_factory=list)    # W_0 .. W_l, float64
    slopes: list = field(default_factory=list)     # (lo, hi) between W_k and W_k+1, l of them
    out_gain: float = 1.0                          # max |slope| of activations after the last linear map
    source_is_input: bool = False
    layers: int = 0                                # dense layers met (for the report)

    @property
    def widths(self):
        return [w.shape[0] for w in self.weights[:-1]]


class Stop(Exception):
    """The walk met a node that is not part of a feed-forward chain."""

    def __init__(self, tensor, reason):
        super().__init__(reason)
        self.tensor, self.reason = tensor, reason


def parts_of(graph):
    """The feed-forward parts that end at the graph's outputs, and those behind whatever ended them.

    Returns (parts, stops): stops lists (tensor, reason) for every place a part had to end early.
    """
    producers = graph.producers()
    inputs = set(graph.inputs)
    parts, stops, todo, seen = [], [], list(graph.outputs), set()
    while todo:
        target = todo.pop(0)
        if target in seen:
            continue
        seen.add(target)
        part, stop = _walk(graph, producers, inputs, target)
        parts.append(part)
        if stop is not None:
            stops.append((stop.tensor, stop.reason))
            node = producers.get(stop.tensor)
            if node is not None:
                todo.extend(i for i in node.inputs if i and not graph.tensor(i).is_const
                            and graph.tensor(i).dtype in REAL)
    return [p for p in parts if p.weights or p.source_is_input], stops


def _walk(graph, producers, inputs, target):
    """Walk back from target; returns (Part, Stop or None)."""
    items, name, stop = [], target, None
    while name not in inputs:
        node = producers.get(name)
        if node is None:        # a state input: the part starts there
            break
        if node.op == "Concat" and _concat_of_inputs(graph, node, inputs):
            break               # the input vector is these graph inputs side by side (l2 ignores their order)
        try:
            name = _step(graph, node, name, items)
        except Stop as s:
            stop = s
            break
    source = stop.tensor if stop is not None else name
    part = _canonical(list(reversed(items)))
    part.source, part.target = source, target
    part.source_is_input = stop is None and (name in inputs or producers.get(name) is not None)
    return part, stop


def _concat_of_inputs(graph, node, inputs):
    names = list(node.inputs)
    return len(set(names)) == len(names) and all(n in inputs for n in names) \
        and all(graph.tensor(n).shape[:-1] == graph.tensor(node.outputs[0]).shape[:-1] for n in names)


def _step(graph, node, name, items):
    """Prepend node's map to items (in reverse order) and return the tensor it reads."""
    op = ops.lookup(node.op)
    if (op.is_view(node, graph) and graph.tensor(node.inputs[0]).dtype in REAL) or node.op in CONVERSIONS:
        return node.inputs[0]
    if node.op in ("tc.Dense", "tc.DenseW8", "tc.QDense"):   # the weights as emitted, quantised or not
        act = node.params.get("activation")
        if act:
            items.append(_activation(node, act, node.params, graph.tensor(name).size))
        x, w = graph.tensor(node.inputs[0]), dense_weights(node, graph)[0]
        rows = x.size // x.shape[-1]
        if rows != 1:
            w = np.kron(np.eye(rows), w)     # the same map on every row: block diagonal, same norm
        items.append(Linear(w))
        items.append("dense")
        return node.inputs[0]
    if node.op in SLOPES:
        items.append(_activation(node, node.op, node.params, graph.tensor(name).size))
        return node.inputs[0]
    if node.op == "Neg":
        items.append(Linear(-np.eye(graph.tensor(name).size)))
        return node.inputs[0]
    if node.op in ("Add", "Sub", "Mul", "Div") and len(node.inputs) == 2:
        return _affine(graph, node, name, items)
    raise Stop(name, f"{node.op} '{node.name}'")


def _activation(node, act, params, n):
    slopes = SLOPES[act](params)
    if slopes is None:
        raise Stop(node.outputs[0], f"{act} '{node.name}' with these parameters has no usable slope bounds")
    lo, hi = slopes
    return Activation(np.full(n, float(lo)), np.full(n, float(hi)), act)


def _affine(graph, node, name, items):
    a, b = (graph.tensor(i) for i in node.inputs)
    out = graph.tensor(name)
    var, const, var_first = (a, b, True) if b.is_const and not a.is_const else \
        (b, a, False) if a.is_const and not b.is_const else (None, None, None)
    if var is None or tuple(var.shape) != tuple(out.shape):
        raise Stop(name, f"{node.op} '{node.name}' of two run-time tensors")
    c = np.broadcast_to(const.value.astype(np.float64), out.shape).ravel()
    if node.op == "Add":
        return var.name
    if node.op == "Sub":
        if not var_first:
            items.append(Linear(-np.eye(out.size)))
        return var.name
    if node.op == "Mul" or (node.op == "Div" and var_first):
        items.append(Linear(np.diag(c if node.op == "Mul" else 1.0 / c)))
        return var.name
    raise Stop(name, f"Div '{node.name}' divides by a run-time tensor")


def _canonical(items):
    """Fold the forward sequence of Linear/Activation items into W_0, s_1, W_1, ..., W_l and an output gain."""
    part = Part("", "")
    part.layers = sum(1 for it in items if it == "dense")
    items = [it for it in items if it != "dense"]
    weights, slopes, pending = [], [], None
    for it in items:
        if isinstance(it, Linear):
            pending = it.w if pending is None else it.w @ pending
        else:
            if pending is None:
                pending = np.eye(len(it.lo))
            weights.append(pending)
            slopes.append((it.lo, it.hi))
            pending = None
    if pending is not None:
        weights.append(pending)
    elif slopes:
        # the chain ends in an activation: its largest |slope| multiplies the bound of what comes before
        lo, hi = slopes.pop()
        part.out_gain = float(max(np.abs(lo).max(), np.abs(hi).max()))
    part.weights, part.slopes = weights, slopes
    return part
