"""emlearn 0.23.2: MLPs (scikit-learn's or Keras's layers; here the layers straight from the ONNX, weights [in, out]).
Its 'inline' generator fails on every activation (a constant printed as an int), so the 'loadable' one: a table
of layers run by eml_net_regress over two static ping-pong buffers. Weights are printed with 6 decimals."""
import os

import numpy as np

from tinyctl.compiler.peers.build import Build, PeerFailure, write_wrapper

TOOL = "emlearn"
_ACTS = {None: "identity", "Relu": "relu", "Tanh": "tanh", "Sigmoid": "logistic"}


def version():
    from importlib.metadata import version as v
    return v("emlearn")


def layers_of(onnx_path):
    """(activations, weights [in, out], biases) of a Dense chain, or PeerFailure."""
    from tinyctl.compiler import frontend
    from tinyctl.compiler.passes import run_pipeline
    proto, raw, file_name = frontend.load(onnx_path)
    graph = run_pipeline(frontend.to_ir(proto, raw, file_name), {})
    dense = [n for n in graph.nodes if n.op == "tc.Dense"]
    if graph.state or len(dense) != len([n for n in graph.nodes if not n.op in ("Reshape", "Flatten")]) \
            or len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise PeerFailure("emlearn takes MLPs only (a chain of dense layers, no recurrent state)")
    acts, weights, biases = [], [], []
    for node in dense:
        act = node.params.get("activation")
        if act not in _ACTS:
            raise PeerFailure(f"emlearn has no {act} activation")
        w = graph.tensor(node.inputs[1]).value
        b = graph.tensor(node.inputs[2]).value if len(node.inputs) > 2 and node.inputs[2] else np.zeros(w.shape[0])
        acts.append(_ACTS[act])
        weights.append(np.asarray(w, np.float64).T)
        biases.append(np.asarray(b, np.float64))
    return acts, weights, biases


def build(onnx_path, manifest, out_dir):
    from emlearn.net import c_generate_net_loadable
    from emlearn import __file__ as emlearn_init
    acts, weights, biases = layers_of(onnx_path)
    name = f"{manifest['name']}_eml"
    os.makedirs(out_dir, exist_ok=True)
    header = os.path.join(out_dir, f"{name}_net.h")
    try:
        text = c_generate_net_loadable(acts, weights, biases, prefix=name)
    except Exception as e:   # the tool's own failure is a result
        raise PeerFailure(f"emlearn failed: {type(e).__name__}: {e}") from None
    with open(header, "w") as f:
        f.write(text)
    n_in, n_out = weights[0].shape[0], weights[-1].shape[1]
    body = (f"    (void)s;\n    (void)next;\n"
            f"    {name}_regress(in, {n_in}, out, {n_out});")
    wrapper = write_wrapper(os.path.join(out_dir, f"{name}_step.c"), TOOL, name, 0, body,
                            "eml_net_regress over the network's static buffers.", includes=[os.path.basename(header)])
    return Build(TOOL, name, [wrapper], [out_dir, os.path.dirname(emlearn_init)], dict(manifest["sizes"]),
                 notes=["loadable strategy (inline fails in 0.23.2)", "weights printed with 6 decimals"],
                 model_sources=[wrapper])
