"""A NumPy interpreter of the IR: the living definition of every op, and the oracle the tests compare against.

It runs any stage of the pipeline, so each pass is tested by interpreting the graph before and after it.
"""
import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.ir import BOOL


def run(graph, inputs, state=None):
    """Evaluate one step. inputs: name -> array (graph inputs); state: state name -> array (defaults: reset values).

    Returns (outputs: name -> array, next_state: state name -> array).
    """
    env = {n: t.value for n, t in graph.tensors.items() if t.is_const}
    for name in graph.inputs:
        t = graph.tensors[name]
        value = np.asarray(inputs[name])
        env[name] = value.astype(bool) if t.dtype == BOOL else value.astype(np.float32).reshape(t.shape)
    state = state or {}
    for s in graph.state:
        t = graph.tensors[s.input]
        value = state.get(s.name, s.reset if s.reset is not None else np.zeros(t.shape, np.float32))
        env[s.input] = np.asarray(value, dtype=np.float32).reshape(t.shape)
    for node in graph.nodes:
        results = ops.lookup(node.op).evaluate(node, [env[i] if i else None for i in node.inputs])
        for name, value in zip(node.outputs, results):
            if name:
                env[name] = value
    outputs = {name: env[name] for name in graph.outputs}
    next_state = {s.name: np.asarray(env[s.output], dtype=np.float32).reshape(graph.tensors[s.input].shape)
                  for s in graph.state}
    return outputs, next_state
