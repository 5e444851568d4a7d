"""ONNX for a frozen feed-forward policy: Gemm (+ activation) per layer, nothing else, so any runtime reads it.

Built with onnx.helper from the frozen float64 weights, rounded once to float32: the exported numbers are the
ones the compiler prints into C and certifies.
"""
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
ACTIVATIONS = ("Relu", "Tanh", "Sigmoid", "Softplus", "LeakyRelu", "Elu")


def mlp_model(layers, activation="Relu", input_name="observation", output_name="action", metadata=None,
              graph_name="lipschitz_policy"):
    """layers: list of (W [out, in], b [out]) as arrays or tensors; the activation follows all but the last."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation} is not one of {ACTIVATIONS}")
    inits, nodes = [], []
    x = input_name
    for k, (w, b) in enumerate(layers):
        w, b = _array(w), _array(b)
        inits += [numpy_helper.from_array(w, f"layer{k}.weight"), numpy_helper.from_array(b, f"layer{k}.bias")]
        last = k == len(layers) - 1
        pre = output_name if last else f"layer{k}.pre"
        nodes.append(helper.make_node("Gemm", [x, f"layer{k}.weight", f"layer{k}.bias"], [pre], name=f"layer{k}",
                                      transB=1))
        if not last:
            x = f"layer{k}.out"
            nodes.append(helper.make_node(activation, [pre], [x], name=f"layer{k}.{activation.lower()}"))
    n_in, n_out = _array(layers[0][0]).shape[1], _array(layers[-1][0]).shape[0]
    graph = helper.make_graph(nodes, graph_name,
                              [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, n_in])],
                              [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [1, n_out])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tinyctl")
    model.ir_version = 8        # what onnxruntime releases of the last years all read
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    onnx.checker.check_model(model)
    return model


def _array(v):
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(v, dtype=np.float64).astype(np.float32))
