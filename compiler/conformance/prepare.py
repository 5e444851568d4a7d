"""A case as tinyctl compiles it: inputs the compiler takes only as constants frozen into initializers with the
test data's values, the rest fed at run time; or the reason it is outside what tinyctl compiles."""
import numpy as np
import onnx
from onnx import numpy_helper

from tinyctl.compiler import ops

_FLOAT, _BOOL = onnx.TensorProto.FLOAT, onnx.TensorProto.BOOL


class Skip(Exception):
    """The case is outside what tinyctl compiles; the message says why."""


def is_supported(op_type):
    return ops.lookup(op_type) is not None and not op_type.startswith("tc.")


def _const_positions(op_type):
    op = ops.lookup(op_type)
    return set(getattr(op, "const_inputs", ())) if op else set()


def prepare(case):
    """(model with constant-only inputs frozen, feeds: name -> array, expected: name -> array), or Skip."""
    model = onnx.ModelProto.FromString(case.test.model.SerializeToString())
    g = model.graph
    if not case.test.data_sets:
        raise Skip("no test data")
    inputs, outputs = case.test.data_sets[0]
    for vi in list(g.input) + list(g.output):
        if not vi.type.HasField("tensor_type"):
            raise Skip(f"'{vi.name}' is a {vi.type.WhichOneof('value')} value, not a tensor")
    unsupported = sorted({n.op_type for n in g.node if not is_supported(n.op_type)})
    if unsupported:
        raise Skip(f"uses ops tinyctl does not support: {', '.join(unsupported)}")
    if len(inputs) != len(g.input) or len(outputs) != len(g.output):
        raise Skip("optional inputs or outputs the test data leaves out")
    uses = {}
    for n in g.node:
        for k, name in enumerate(n.input):
            if name:
                uses.setdefault(name, []).append(k in _const_positions(n.op_type))
    feeds, frozen = {}, []
    for vi, value in zip(list(g.input), inputs):
        value = np.asarray(value)
        if value.size == 0 or 0 in value.shape:
            raise Skip(f"empty tensor: input '{vi.name}' has shape {list(value.shape)}")
        if uses.get(vi.name) and all(uses[vi.name]):
            frozen.append(numpy_helper.from_array(value, vi.name))
            continue
        _check_type(vi, "input")
        dims = vi.type.tensor_type.shape.dim
        if any(not d.HasField("dim_value") for d in dims):
            raise Skip(f"dynamic shape: input '{vi.name}' has a symbolic dimension")
        feeds[vi.name] = value
    for vi, value in zip(g.output, outputs):
        _check_type(vi, "output")
        if np.asarray(value).size == 0:
            raise Skip(f"empty tensor: output '{vi.name}' has shape {list(np.shape(value))}")
    keep = [vi for vi in g.input if vi.name in feeds]
    del g.input[:]
    g.input.extend(keep)
    g.initializer.extend(frozen)
    expected = {vi.name: np.asarray(v) for vi, v in zip(g.output, outputs)}
    return model, feeds, expected


def _check_type(vi, what):
    elem = vi.type.tensor_type.elem_type
    if elem not in (_FLOAT, _BOOL):
        raise Skip(f"non-float dtype: {what} '{vi.name}' is {onnx.TensorProto.DataType.Name(elem)}")
