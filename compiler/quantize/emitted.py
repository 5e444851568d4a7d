"""The real-valued weights a quantised layer's integers stand for, for whoever reasons about the emitted network
(compiler/certify: a Lipschitz bound of the weights as emitted, after quantisation).

    dense_weights(node, graph) -> (W float64 [N, K], b float64 [N] or None) in the units of the float layer it
                                  replaced (input x, output y = act(W x + b)), or None for other ops
"""
import numpy as np


def dense_weights(node, graph):
    const = lambda i: graph.tensor(node.inputs[i]).value if len(node.inputs) > i and node.inputs[i] else None
    if node.op == "tc.Dense":
        b = const(2)
        return const(1).astype(np.float64), None if b is None else b.astype(np.float64)
    if node.op == "tc.DenseW8":
        w, s, b = const(1), const(2), const(3)
        return w.astype(np.float64) * s.astype(np.float64)[:, None], None if b is None else b.astype(np.float64)
    if node.op == "tc.QDense":
        # W_q[j, k] ~ W[j, k] x_scale[k] / w_scale[j]: the layer read integers x / x_scale
        w_scale = np.asarray(node.attrs["w_scale"], np.float64)
        x_scale = np.asarray(node.attrs["x_scale"], np.float64)
        w = const(1).astype(np.float64) * w_scale[:, None] / x_scale
        b = const(2)
        return w, None if b is None else b.astype(np.float64) * w_scale
    return None
