"""ONNX -> IR: parse, check the opset, pin the batch dimension, read initializers, Constant nodes and attributes.

Everything a user can get wrong in the file is reported here or in the ops' infer phase, on one line.
"""
import hashlib
import os

import numpy as np
import onnx
from onnx import external_data_helper, helper, numpy_helper

from tinyctl.compiler import ops
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.ir import BOOL, FLOAT, INT64, Graph, Node, Tensor

MIN_OPSET = 13
_ELEM = onnx.TensorProto
_INPUT_DTYPES = {_ELEM.FLOAT: FLOAT, _ELEM.BOOL: BOOL}


def load(source):
    """Read a model from a path, bytes or ModelProto; returns (ModelProto, raw bytes, file name).

    The raw bytes are what the model's sha256 covers: the file, then any external data files it names.
    """
    directory = None
    if isinstance(source, onnx.ModelProto):
        raw = source.SerializeToString()
        file_name = (source.graph.name or "model") + ".onnx"
        return source, raw + _load_external_data(source, None, file_name), file_name
    if isinstance(source, (bytes, bytearray)):
        raw, file_name = bytes(source), "model.onnx"
    else:
        path = os.fspath(source)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise CompileError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise CompileError(f"{path} is a directory, not an ONNX file") from None
        file_name = os.path.basename(path)
        directory = os.path.dirname(os.path.abspath(path))
    if not raw:
        raise CompileError(f"{file_name} is empty: export the model again (torch.onnx.export or onnx.save)")
    try:
        model = onnx.load_from_string(raw)
    except Exception as e:  # protobuf raises DecodeError and friends
        raise CompileError(f"{file_name} is not an ONNX model (truncated or another format): "
                           f"{type(e).__name__}") from None
    if not model.HasField("graph") or not model.graph.node:
        raise CompileError(f"{file_name} is not an ONNX model with a graph (no nodes found): "
                           "check that the file is complete")
    return model, raw + _load_external_data(model, directory, file_name), file_name


def _load_external_data(model, directory, file_name):
    """Read weights kept beside the file (torch.onnx.export(..., dynamo=True) writes <model>.onnx.data) into
    the model; returns the data files' bytes."""
    tensors = list(model.graph.initializer) + [a.t for n in model.graph.node for a in n.attribute if a.HasField("t")]
    external = [t for t in tensors if external_data_helper.uses_external_data(t)]
    if not external:
        return b""
    locations = sorted({e.value for t in external for e in t.external_data if e.key == "location"})
    if directory is None:
        raise CompileError(f"{file_name} keeps its weights in external data ({', '.join(locations)}): compile it "
                           "from its file, or save it whole with onnx.save(model, path, save_as_external_data=False)")
    try:
        external_data_helper.load_external_data_for_model(model, directory)
        blobs = []
        for location in locations:
            with open(os.path.join(directory, location), "rb") as f:
                blobs.append(f.read())
    except Exception as e:  # onnx raises ValidationError for missing or escaping files, OSError for unreadable ones
        raise CompileError(f"{file_name} keeps its weights in {', '.join(locations)}, which cannot be read "
                           f"({type(e).__name__}): keep the data file beside the model") from None
    return b"".join(blobs)


def opset_of(model, file_name):
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not versions:
        raise CompileError(f"{file_name} declares no ai.onnx opset")
    opset, newest = versions[0], onnx.defs.onnx_opset_version()
    if opset < MIN_OPSET:
        raise CompileError(f"{file_name} uses opset {opset}; tinyctl reads opsets {MIN_OPSET} to {newest}: convert it "
                           f"with onnx.version_converter.convert_version(model, {MIN_OPSET}) or export again")
    if opset > newest:
        raise CompileError(f"{file_name} uses opset {opset}, newer than the installed onnx knows ({newest}): "
                           "upgrade onnx or export with an older opset")
    return opset


def _input_shape(value_info):
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        raise CompileError(f"input '{value_info.name}' has no shape: export with static shapes")
    dims = []
    for axis, d in enumerate(t.shape.dim):
        if d.HasField("dim_value") and d.dim_value > 0:
            dims.append(d.dim_value)
        elif axis == 0:
            dims.append(1)  # a symbolic batch dimension runs with batch 1 on the MCU
        else:
            what = f"'{d.dim_param}'" if d.dim_param else "unknown"
            raise CompileError(f"input '{value_info.name}' has a dynamic dimension {what} at axis {axis}; "
                               "only the batch axis (0) may be dynamic: export with a fixed shape")
    return tuple(dims)


def _const_tensor(name, array, where):
    if array.dtype.kind == "f":
        dtype, array = FLOAT, array.astype(np.float32)
    elif array.dtype.kind == "b":
        dtype = BOOL
    elif array.dtype.kind in "iu":
        dtype = INT64
    else:
        raise CompileError(f"{where} '{name}' has dtype {array.dtype}, which tinyctl does not compute with "
                           "(float32 values, int64 shapes and indices, bool)")
    if dtype == FLOAT and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise CompileError(f"{where} '{name}' holds {bad} NaN or Inf values: the model's weights are broken; "
                           "retrain or re-export it")
    if dtype == INT64:
        array = array.astype(np.int64)
    return Tensor(name, dtype, tuple(array.shape), np.array(array, order="C"))


def _constant_node_value(node):
    a = {attr.name: helper.get_attribute_value(attr) for attr in node.attribute}
    if "value" in a:
        return numpy_helper.to_array(a["value"])
    if "value_float" in a:
        return np.array(a["value_float"], dtype=np.float32)
    if "value_floats" in a:
        return np.array(a["value_floats"], dtype=np.float32)
    if "value_int" in a:
        return np.array(a["value_int"], dtype=np.int64)
    if "value_ints" in a:
        return np.array(a["value_ints"], dtype=np.int64)
    raise CompileError(f"node '{node.name or node.output[0]}' (Constant): only value, value_float(s) and "
                       f"value_int(s) are supported, got {sorted(a)}")


def _attrs(node):
    out = {}
    for attr in node.attribute:
        v = helper.get_attribute_value(attr)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [x.decode() for x in v]
        elif isinstance(v, onnx.TensorProto):
            v = numpy_helper.to_array(v)
        out[attr.name] = v
    return out


def _topological(nodes, available):
    """Order nodes so each comes after its inputs' producers (ONNX asks for this but not every file obeys)."""
    done, ordered, pending = set(available), [], list(nodes)
    while pending:
        ready = [n for n in pending if all(not i or i in done for i in n.inputs)]
        if not ready:
            n = pending[0]
            missing = [i for i in n.inputs if i and i not in done]
            raise CompileError(f"node '{n.name}' ({n.op}) reads '{missing[0]}', which no initializer, graph input "
                               "or node provides (a missing initializer, or a cycle)")
        ordered.extend(ready)
        done.update(o for n in ready for o in n.outputs if o)
        pending = [n for n in pending if n not in ready]
    return ordered


def to_ir(model, raw, file_name):
    opset = opset_of(model, file_name)
    g = model.graph
    tensors = {}
    for init in g.initializer:
        tensors[init.name] = _const_tensor(init.name, numpy_helper.to_array(init), "initializer")
    inputs = []
    for vi in g.input:
        if vi.name in tensors:
            continue  # an initializer listed as an input: a constant for tinyctl
        elem = vi.type.tensor_type.elem_type
        if elem not in _INPUT_DTYPES:
            raise CompileError(f"input '{vi.name}' has type {onnx.TensorProto.DataType.Name(elem)}; tinyctl "
                               "compiles float32 (and bool) inputs: cast in the model or freeze it into a constant")
        tensors[vi.name] = Tensor(vi.name, _INPUT_DTYPES[elem], _input_shape(vi))
        inputs.append(vi.name)

    nodes, names, node_index = [], set(), {}
    for i, n in enumerate(g.node):
        name = n.name or f"{n.op_type}_{i}"
        while name in names:
            name = f"{name}_{i}"
        names.add(name)
        node_index[name] = i
        if n.domain not in ("", "ai.onnx"):
            raise CompileError(f"node '{name}' ({n.domain}::{n.op_type}) is not supported: tinyctl supports the "
                               f"ai.onnx ops {', '.join(ops.supported_ops())}")
        if n.op_type == "Constant":
            tensors[n.output[0]] = _const_tensor(n.output[0], _constant_node_value(n), "Constant")
            continue
        if ops.lookup(n.op_type) is None or n.op_type.startswith("tc."):
            raise CompileError(f"node '{name}' ({n.op_type}) is not supported: tinyctl supports "
                               f"{', '.join(ops.supported_ops())}")
        for out in n.output:
            if out:
                if out in tensors:
                    raise CompileError(f"node '{name}' ({n.op_type}) writes '{out}', which is already defined")
                tensors[out] = Tensor(out, None, None)
        nodes.append(Node(n.op_type, name, list(n.input), list(n.output), _attrs(n)))

    nodes = _topological(nodes, tensors.keys() - {o for n in nodes for o in n.outputs})
    outputs = [o.name for o in g.output]
    for o in outputs:
        if o not in tensors:
            raise CompileError(f"graph output '{o}' is not produced by any node, input or initializer")
    if not outputs:
        raise CompileError(f"{file_name} has no graph outputs")
    meta = {"file": file_name, "sha256": hashlib.sha256(raw).hexdigest(), "opset": opset,
            "producer": f"{model.producer_name} {model.producer_version}".strip(),
            "declared_outputs": {o.name: _declared_shape(o) for o in g.output}, "node_index": node_index}
    return Graph(g.name or "model", tensors, nodes, inputs, outputs, meta=meta)


def _declared_shape(value_info):
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
