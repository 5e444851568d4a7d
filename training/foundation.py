"""The published RAPTOR foundation policy (PyPI `foundation-policy` 1.0.2) as a single-step ONNX model.

Inputs `observation` [1, 22] and `h_in` [1, 16]; outputs `action` [1, 4] and `h_out` [1, 16]: the recurrent
state is explicit, so the firmware decides when to commit it (dual-rate execution). Built with onnx.helper
straight from the checkpoint's HDF5 layout, so it needs neither torch nor TensorFlow.

The checkpoint's GRU is PyTorch's (gates r, z, n; the reset gate multiplies W_hn h + b_hn), which is ONNX's
GRU with linear_before_reset=1 once the gates are reordered to ONNX's z, r, h.
"""
import os

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinyctl.errors import TinyctlError

OPSET = 17
OBSERVATION_SIZE, HIDDEN_SIZE, ACTION_SIZE = 22, 16, 4


def checkpoint_path():
    try:
        import importlib.resources as resources
        return str(resources.files("foundation_policy").joinpath("blob", "checkpoint.h5"))
    except ModuleNotFoundError:
        raise TinyctlError("the foundation-policy package is not installed: pip install foundation-policy==1.0.2") from None


def load_checkpoint(path=None):
    """Weights (as float32 arrays) and the example sequences of the published checkpoint."""
    with h5py.File(path or checkpoint_path(), "r") as f:
        layers = f["actor/layers"]
        if [layers[k].attrs["type"] for k in ("0", "1", "2")] != ["dense", "gru", "dense"] \
                or layers["0"].attrs["activation_function"] != "RELU" \
                or layers["2"].attrs["activation_function"] != "IDENTITY":
            raise TinyctlError("the checkpoint is not the Dense(ReLU) -> GRU -> Dense RAPTOR policy")
        w = {
            "w0": layers["0/weights/parameters"][()], "b0": layers["0/biases/parameters"][()].ravel(),
            "w_ih": layers["1/weights_input/parameters"][()], "w_hh": layers["1/weights_hidden/parameters"][()],
            "b_ih": layers["1/biases_input/parameters"][()], "b_hh": layers["1/biases_hidden/parameters"][()],
            "h0": layers["1/initial_hidden_state/parameters"][()],
            "w2": layers["2/weights/parameters"][()], "b2": layers["2/biases/parameters"][()].ravel(),
        }
        example = (f["example/input"][()].astype(np.float32), f["example/output"][()].astype(np.float32))
    return {k: np.asarray(v, np.float32) for k, v in w.items()}, example


def _zrn(rzn):
    """Reorder gate blocks from PyTorch's (r, z, n) to ONNX's (z, r, h)."""
    r, z, n = np.split(rzn, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def build_model(weights):
    if np.any(weights["h0"]):
        raise TinyctlError("the checkpoint's initial hidden state is not zero; the explicit-state ONNX resets to zeros")
    inits = [
        numpy_helper.from_array(weights["w0"], "dense0.weight"),
        numpy_helper.from_array(weights["b0"], "dense0.bias"),
        numpy_helper.from_array(_zrn(weights["w_ih"])[None], "gru.W"),
        numpy_helper.from_array(_zrn(weights["w_hh"])[None], "gru.R"),
        numpy_helper.from_array(np.concatenate([_zrn(weights["b_ih"]), _zrn(weights["b_hh"])])[None], "gru.B"),
        numpy_helper.from_array(weights["w2"], "dense2.weight"),
        numpy_helper.from_array(weights["b2"], "dense2.bias"),
        numpy_helper.from_array(np.array([0], np.int64), "axis0"),
    ]
    nodes = [
        helper.make_node("Gemm", ["observation", "dense0.weight", "dense0.bias"], ["dense0"], "dense0", transB=1),
        helper.make_node("Relu", ["dense0"], ["dense0_relu"], "relu0"),
        helper.make_node("Unsqueeze", ["dense0_relu", "axis0"], ["gru_x"], "gru_x"),
        helper.make_node("Unsqueeze", ["h_in", "axis0"], ["gru_h0"], "gru_h0"),
        helper.make_node("GRU", ["gru_x", "gru.W", "gru.R", "gru.B", "", "gru_h0"], ["", "gru_yh"], "gru",
                         hidden_size=HIDDEN_SIZE, linear_before_reset=1),
        helper.make_node("Squeeze", ["gru_yh", "axis0"], ["h_out"], "h_out"),
        helper.make_node("Gemm", ["h_out", "dense2.weight", "dense2.bias"], ["action"], "dense2", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "raptor",
        [helper.make_tensor_value_info("observation", TensorProto.FLOAT, [1, OBSERVATION_SIZE]),
         helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [1, HIDDEN_SIZE])],
        [helper.make_tensor_value_info("action", TensorProto.FLOAT, [1, ACTION_SIZE]),
         helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [1, HIDDEN_SIZE])],
        inits)
    model = helper.make_model(graph, producer_name="tinyctl export raptor", producer_version="foundation-policy 1.0.2",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    helper.set_model_props(model, {
        "source": "foundation-policy 1.0.2, foundation_policy/blob/checkpoint.h5",
        "observation": "position error (3, world FLU), rotation matrix body->world row-major (9), "
                       "linear velocity error (3, world), angular velocity (3, body), previous action (4)",
        "action": "4 motor commands normalised to [-1, 1], Crazyflie order M1..M4 (FR, BR, BL, FL); raw, clip before use",
        "training_rate_hz": "100",
    })
    onnx.checker.check_model(model, full_check=True)
    return model


def export(path, force=False):
    """Write the RAPTOR ONNX to path; refuses to overwrite an existing file unless force."""
    if os.path.exists(path) and not force:
        raise TinyctlError(f"{path} exists; pass --force to overwrite it")
    weights, _ = load_checkpoint()
    model = build_model(weights)
    tmp = f"{path}.tmp"
    onnx.save(model, tmp)
    os.replace(tmp, path)
    return model
