"""ONNX for a YANN: Gemm, GreaterOrEqual + Cast (the binary step), Relu, Max/Min (the domain clip), Concat; and for
a YANN-RL actor, the YANN plus its trained branches.

Inputs `state` [1, n]; outputs `u` [1, m] and `inside` [1, 1]. The compiler recognises the YANN and can lower
it to a region table (compile --lowering regions) instead of the dense layers. A YANN-RL actor adds one
Gemm/Relu chain per branch on `state`, gated by the YANN's region indicator z3 (and 1 - inside for the branch
outside the feasible set) and summed into u; the compiler keeps the table and gives it the indicator too.
"""
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinyctl.training.yann.network import yann_matrices

OPSET = 17


def yann_model(law, input_name="state", output_name="u", inside_name="inside", metadata=None):
    nodes, inits = _yann_graph(law, input_name, output_name, inside_name)
    return _model(law, nodes, inits, input_name, output_name, inside_name, metadata)


def yann_rl_model(actor, input_name="state", output_name="u", inside_name="inside", metadata=None):
    """The YANN-RL actor (rl.YannActor) as ONNX: u = YANN(theta) + gates . branches(theta), in float32."""
    law = actor.yann.law
    p, _, m, n = law.sizes
    nodes, inits = _yann_graph(law, input_name, "yann.u", inside_name)
    g = helper.make_node
    outs = []
    for k in range(p + 1):
        h = input_name
        layers = actor.branches.layers(k)
        for j, (w, b) in enumerate(layers):
            name = f"branch{k}.l{j}"
            inits += [_const(w, f"{name}.w"), _const(b, f"{name}.b")]
            nodes.append(g("Gemm", [h, f"{name}.w", f"{name}.b"], [name], name=name, transB=1))
            h = name
            if j < len(layers) - 1:
                nodes.append(g("Relu", [name], [f"{name}.relu"], name=f"{name}.relu"))
                h = f"{name}.relu"
        outs.append(h)
    expand = np.kron(np.eye(p + 1), np.ones((m, 1)))          # [K m, K]: each gate over its branch's m outputs
    total = np.kron(np.ones((1, p + 1)), np.eye(m))           # [m, K m]: the gated branches summed per output
    inits += [_const(np.ones((1, 1)), "gate.one"), _const(expand, "gate.expand"), _const(total, "gate.total")]
    nodes += [
        g("Concat", outs, ["branches.out"], name="branches.join", axis=1),
        g("Sub", ["gate.one", inside_name], ["gate.outside"], name="gate.outside"),
        g("Concat", ["yann.z3", "gate.outside"], ["gates"], name="gate.join", axis=1),
        g("Gemm", ["gates", "gate.expand"], ["gates.per_output"], name="gate.expand", transB=1),
        g("Mul", ["gates.per_output", "branches.out"], ["branches.gated"], name="gate.apply"),
        g("Gemm", ["branches.gated", "gate.total"], ["branches.sum"], name="gate.sum", transB=1),
        g("Add", ["yann.u", "branches.sum"], [output_name], name="actor.u"),
    ]
    info = {"yann_rl": {"branches": p + 1, "hidden": list(actor.hidden)}, **(metadata or {})}
    return _model(law, nodes, inits, input_name, output_name, inside_name, info)


def _const(value, name):
    return numpy_helper.from_array(np.ascontiguousarray(np.asarray(value, np.float32)), name)


def _yann_graph(law, input_name, output_name, inside_name):
    """(nodes, initializers) of the YANN from `input_name` to `output_name` and `inside_name`."""
    mats = {k: v.astype(np.float32) for k, v in yann_matrices(law).items()}
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
    return nodes, inits


def _model(law, nodes, inits, input_name, output_name, inside_name, metadata):
    p, _, m, n = law.sizes
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
