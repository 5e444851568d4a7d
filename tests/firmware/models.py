"""Small ONNX models the firmware tests need besides RAPTOR, built with onnx.helper."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _save(path, nodes, inits, n_out=4):
    x = helper.make_tensor_value_info("observation", TensorProto.FLOAT, [1, 22])
    y = helper.make_tensor_value_info("action", TensorProto.FLOAT, [1, n_out])
    graph = helper.make_graph(nodes, path.stem, [x], [y], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return str(path)


def wide(path):
    """An observation concatenated 1600 times: no weights, but a 140 KB activation (more RAM than an STM32F405)."""
    nodes = [helper.make_node("Concat", ["observation"] * 1600, ["wide"], axis=1),
             helper.make_node("Relu", ["wide"], ["wide_relu"]),
             helper.make_node("Slice", ["wide_relu", "starts", "ends", "axes"], ["action"])]
    inits = [numpy_helper.from_array(np.array([v], np.int64), n) for n, v in (("starts", 0), ("ends", 4), ("axes", 1))]
    return _save(path, nodes, inits)


def overflowing(path):
    """A dense layer with weights near the float32 maximum: finite observations give infinite actions."""
    w = np.full((4, 22), 3e38, np.float32)
    nodes = [helper.make_node("Gemm", ["observation", "w"], ["action"], transB=1)]
    return _save(path, nodes, [numpy_helper.from_array(w, "w")])
