"""Constant folding: a node whose inputs are all constants is evaluated now (by its NumPy definition)."""
import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.ir import BOOL, FLOAT, INT64


def fold_constants(graph, options=None):
    kept = []
    for node in graph.nodes:
        op = ops.lookup(node.op)
        inputs = [graph.tensor(i) for i in node.inputs if i]
        if op.foldable and inputs and all(t.is_const for t in inputs):
            values = op.evaluate(node, [graph.tensor(i).value if i else None for i in node.inputs])
            for name, value in zip(node.outputs, values):
                if name:
                    t = graph.tensor(name)
                    value = np.asarray(value)
                    t.value = np.array(value.astype({FLOAT: np.float32, BOOL: bool, INT64: np.int64}[t.dtype]), order="C")
                    t.shape = tuple(value.shape)
            continue
        kept.append(node)
    graph.nodes = kept
    return graph
