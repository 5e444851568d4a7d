"""Constant folding: a node whose inputs are all constants is evaluated now (by its NumPy definition)."""
import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.ir import BOOL, FLOAT, INT64


def fold_constants(graph, options=None):
    graph.nodes = [node for node in graph.nodes if not (all_inputs_const(graph, node) and fold_node(graph, node))]
    return graph


def all_inputs_const(graph, node):
    inputs = [graph.tensor(i) for i in node.inputs if i]
    return ops.lookup(node.op).foldable and bool(inputs) and all(t.is_const for t in inputs)


def fold_node(graph, node, values=None):
    """Turn the node's outputs into constants (its NumPy definition on its constant inputs, unless values are
    given); returns True, so callers can drop the node."""
    if values is None:
        values = ops.lookup(node.op).evaluate(node, [graph.tensor(i).value if i else None for i in node.inputs])
    for name, value in zip(node.outputs, values):
        if name:
            t = graph.tensor(name)
            value = np.asarray(value)
            if t.dtype is None:
                t.dtype = FLOAT if value.dtype.kind == "f" else BOOL if value.dtype.kind == "b" else INT64
            t.value = np.array(value.astype({FLOAT: np.float32, BOOL: bool, INT64: np.int64}[t.dtype]), order="C")
            t.shape = tuple(value.shape)
    return True
