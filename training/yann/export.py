"""ONNX for a YANN: Gemm, GreaterOrEqual + Cast (the binary step), Relu, Max/Min (the domain clip), Concat.

Inputs `state` [1, n]; outputs `u` [1, m] and `inside` [1, 1]. The compiler recognises this structure and can
lower it to a region table (compile --lowering regions) instead of the dense layers.
"""
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinyctl.training.yann.network import yann_matrices

OPSET = 17


def yann_model(law, input_name="state", output_name="u", inside_name="inside", metadata=None):
    mats = {k: v.astype(np.float32) for k, v in yann_matrices(law).items()}
    p, _, m, n = law.sizes
    inits = [numpy_helper.from_array(np.ascontiguousarray(v), f"yann.{k}") for k, v in mats.items()]
    inits.append(numpy_helper.from_array(np.zeros(1, np.float32), "yann.zero"))
    g = helper.make_node
    nodes = [
        g("Gemm", [input_name, "yann.w1", "yann.b1"], ["yann.slack"], name="yann.halfspaces", transB=1),
        g("GreaterOrEqual", ["yann.slack", "yann.zero"], ["yann.holds"], name="yann.step"),
        g("Cast", ["yann.holds"], ["yann.z1"], name="yann.step_float", to=TensorProto.FLOAT),
        g("Gemm", ["yann.z1", "yann.s", "yann.b2"], ["yann.z2_pre"], name="yann.regions", transB=1),
        g("Relu", ["yann.z2_pre"], ["yann.z2"], name="yann.regions_relu"),
        g("Gemm", ["yann.z2", "yann.lower"], ["yann.z3_pre"], name="yann.first", transB=1),
        g("Relu", ["yann.z3_pre"], ["yann.z3"], name="yann.first_relu"),
        g("Max", [input_name, "yann.lo"], ["yann.above"], name="yann.clip_lo"),
        g("Min", ["yann.above", "yann.hi"], ["yann.clipped"], name="yann.clip_hi"),
        g("Concat", ["yann.z3", "yann.clipped"], ["yann.z3_theta"], name="yann.join", axis=1),
        g("Gemm", ["yann.z3_theta", "yann.w4", "yann.b4"], ["yann.z4_pre"], name="yann.laws", transB=1),
        g("Relu", ["yann.z4_pre"], ["yann.z4"], name="yann.laws_relu"),
        g("Gemm", ["yann.z4", "yann.w5"], [output_name], name="yann.sum", transB=1),
        g("Gemm", ["yann.z3", "yann.ones"], [inside_name], name="yann.inside", transB=1),
    ]
    graph = helper.make_graph(nodes, law.name or "yann",
                              [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, n])],
                              [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [1, m]),
                               helper.make_tensor_value_info(inside_name, TensorProto.FLOAT, [1, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tinyctl")
    model.ir_version = 8
    info = {"regions": p, "halfspaces": law.sizes[1], "tolerance": law.tolerance, **(metadata or {})}
    for key, value in info.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = f"tinyctl.yann.{key}", value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(model)
    return model
