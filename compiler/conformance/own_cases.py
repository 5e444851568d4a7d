"""tinyctl's own conformance cases: what the ONNX backend node tests lack, in the suite's form (a model and one data set).

Families: Gemm with transposes, alpha/beta and every broadcast of C; broadcasting of every binary op; the step
functions of YANN-style networks (comparisons, Cast, Where) and a whole YANN; Slice with negative steps; Split
variants; Gather on several axes; GRU with linear_before_reset=1 and LSTM with their initial states as inputs.
Expected outputs come from onnx's reference implementation (the one that produced the backend data) and the tests
check them against onnxruntime too; for the RNN attributes onnx.reference ignores (clip, activations) they come
from onnxruntime. Inputs are seeded, so the cases are the same on every run.
"""
import zlib
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 18
I64_MIN, I64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max
BINARY = ("Add", "Sub", "Mul", "Div", "Min", "Max", "Greater", "GreaterOrEqual", "Less", "LessOrEqual")
_COMPARISONS = {"Greater", "GreaterOrEqual", "Less", "LessOrEqual"}


@dataclass
class OwnTest:
    """The fields of onnx's backend TestCase that the conformance runner reads, and where the data came from."""
    name: str
    model: onnx.ModelProto
    data_sets: list
    reference: str = "onnx"        # "onnx" (onnx.reference) or "onnxruntime" (for what onnx.reference ignores)


class _Builder:
    """One case: inputs (runtime, with values), constants, nodes and outputs, then the reference's outputs."""

    def __init__(self, name, opset=OPSET):
        self.name, self.opset = name, opset
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.inputs, self.values, self.inits, self.nodes, self.outputs = [], [], [], [], []

    def input(self, name, shape=None, value=None, dtype=TensorProto.FLOAT):
        value = self.rng.standard_normal(shape).astype(np.float32) if value is None else np.asarray(value)
        self.inputs.append(helper.make_tensor_value_info(name, dtype, list(value.shape)))
        self.values.append(value)
        return name

    def const(self, name, value):
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op, inputs, outputs, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, f"{op.lower()}_{len(self.nodes)}", **attrs))
        return outputs[0]

    def output(self, *names):
        self.outputs.extend(names)

    def build(self, reference="onnx"):
        outs = [helper.make_tensor_value_info(n, TensorProto.UNDEFINED, None) for n in self.outputs]
        graph = helper.make_graph(self.nodes, self.name, self.inputs, outs, self.inits)
        model = helper.make_model(graph, producer_name="tinyctl conformance",
                                  opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 8  # what torch.onnx writes and every onnxruntime reads (onnx 1.23 would write 14)
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        onnx.checker.check_model(model, full_check=True)
        feeds = {vi.name: v for vi, v in zip(self.inputs, self.values)}
        if reference == "onnx":
            from onnx.reference import ReferenceEvaluator
            with np.errstate(all="ignore"):  # special values overflow on purpose
                expected = ReferenceEvaluator(model).run(None, feeds)
        else:
            import onnxruntime as ort
            session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            expected = session.run(None, feeds)
        return OwnTest(self.name, model, [(list(self.values), [np.asarray(v) for v in expected])], reference)


# Gemm -------------------------------------------------------------------------------------------------------
_C_SHAPES = {"no_c": None, "c_scalar": (), "c_1": (1,), "c_n": (4,), "c_1xn": (1, 4), "c_mx1": (3, 1), "c_mxn": (3, 4)}


def _gemm(name, c_shape, b_const, trans_a=0, trans_b=1, alpha=0.5, beta=2.0, c_const=True):
    m, k, n = 3, 5, 4
    b = _Builder(name)
    a = b.input("a", (k, m) if trans_a else (m, k))
    w = b.rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    ins = [a, b.const("b", w) if b_const else b.input("b", value=w)]
    if c_shape is not None:
        c = b.rng.standard_normal(c_shape).astype(np.float32)
        ins.append(b.const("c", c) if c_const else b.input("c", value=c))
    b.output(b.node("Gemm", ins, ["y"], transA=trans_a, transB=trans_b, alpha=alpha, beta=beta))
    return b.build()


def gemm_cases():
    cases = []
    for weights, b_const, trans_b in (("w_const_transB", True, 1), ("w_const", True, 0), ("w_input_transB", False, 1)):
        for c_name, shape in _C_SHAPES.items():
            cases.append(_gemm(f"gemm_{weights}_{c_name}", shape, b_const, trans_b=trans_b))
    cases += [
        _gemm("gemm_torch_linear_defaults", (4,), True, alpha=1.0, beta=1.0),
        _gemm("gemm_transA_w_const", (1, 4), True, trans_a=1, trans_b=0),
        _gemm("gemm_transA_transB_w_input", (3, 4), False, trans_a=1, trans_b=1),
        _gemm("gemm_c_input_n", (4,), True, c_const=False),
        _gemm("gemm_c_input_mxn", (3, 4), True, c_const=False),
        _gemm("gemm_beta_0", (3, 4), True, beta=0.0),
    ]
    return cases


# broadcasting -----------------------------------------------------------------------------------------------
_PATTERNS = {  # name: (shape of the first operand, shape of the second)
    "scalar": ((2, 3, 4), ()), "single": ((2, 3, 4), (1,)), "row": ((2, 3, 4), (4,)), "row_first": ((4,), (2, 3, 4)),
    "column": ((2, 3, 4), (3, 1)), "outer": ((2, 3, 4), (2, 1, 1)), "rank_extending": ((3, 4), (2, 3, 4)),
    "both": ((2, 1, 4), (3, 1)),
}


def _binary(op, pattern, const_second=False):
    x_shape, y_shape = _PATTERNS[pattern]
    b = _Builder(f"{op.lower()}_{pattern}" + ("_const" if const_second else ""))
    y = b.rng.standard_normal(y_shape).astype(np.float32)
    if op == "Div":
        y = np.where(np.abs(y) < 0.1, 0.5, y).astype(np.float32)  # keep quotients in a range where errors mean bugs
    ins = [b.input("x", x_shape), b.const("y", y) if const_second else b.input("y", value=y)]
    b.output(b.node(op, ins, ["z"]))
    return b.build()


def broadcast_cases():
    cases = [_binary(op, p) for op in BINARY for p in _PATTERNS]
    cases += [_binary(op, p, const_second=True) for op in BINARY for p in ("scalar", "row")]
    for op in ("Min", "Max"):
        b = _Builder(f"{op.lower()}_three_operands_broadcast")
        b.output(b.node(op, [b.input("a", (2, 3, 4)), b.input("b", (3, 1)), b.input("c", (4,))], ["z"]))
        cases.append(b.build())
    for name, shapes in (("where_broadcast_condition", ((3, 1), (2, 3, 4), ())),
                         ("where_broadcast_values", ((2, 3, 4), (4,), (3, 1)))):
        b = _Builder(name)
        cond = b.input("cond", value=b.rng.random(shapes[0]) < 0.5, dtype=TensorProto.BOOL)
        b.output(b.node("Where", [cond, b.input("x", shapes[1]), b.input("y", shapes[2])], ["z"]))
        cases.append(b.build())
    return cases


# step functions (YANN) --------------------------------------------------------------------------------------
# signed zeros, subnormals and ordinary values: where a step function decides
EDGES = np.array([[0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38, 2.5, -3.0]], np.float32)


def _step(name, compare="GreaterOrEqual", via="cast"):
    b = _Builder(name)
    x = b.input("x", value=EDGES)
    hit = b.node(compare, [x, b.const("zero", np.float32(0.0))], ["hit"])
    if via == "cast":
        h = b.node("Cast", [hit], ["h"], to=TensorProto.FLOAT)
    else:
        h = b.node("Where", [hit, b.const("one", np.float32(1.0)), b.const("off", np.float32(0.0))], ["h"])
    w = b.rng.standard_normal((3, EDGES.shape[1])).astype(np.float32)
    b.output(b.node("Gemm", [h, b.const("w", w), b.const("bias", np.float32([0.5, -1.0, 0.0]))], ["u"], transB=1))
    return b.build()


def yann_saturation(k=(0.7, -0.4), m_big=4.0, points=32):
    """The exact YANN of u = clip(k . th, -1, 1) on th in [-2, 2]^2: three regions, five layers.

    Layer 1 H(f - E th) marks the half-spaces that hold, layer 2 the regions whose rows all hold, layer 3 keeps
    the first active region, layer 4 applies each region's affine law behind a big-M gate, layer 5 sums.
    """
    k = np.asarray(k, np.float32)
    e = np.stack([k, -k, k, -k])                     # R1: k th <= -1; R2: -k th <= 1, k th <= 1; R3: -k th <= -1
    f = np.float32([-1, 1, 1, -1])
    rows = [[0], [1, 2], [3]]
    laws = [(np.zeros(2), -1.0), (k, 0.0), (np.zeros(2), 1.0)]      # (K_i, r_i)
    w2 = np.zeros((3, 4), np.float32)
    for i, r in enumerate(rows):
        w2[i, r] = 1
    b2 = np.float32([1 - len(r) for r in rows])
    w3 = np.eye(3, dtype=np.float32) - np.tril(np.ones((3, 3), np.float32), -1)
    w4 = np.zeros((6, 5), np.float32)                 # input [z3; th], output [plus_i; minus_i]
    b4 = np.full(6, -m_big, np.float32)
    for i, (gain, r) in enumerate(laws):
        w4[i, i], w4[i, 3:], b4[i] = m_big, gain, r - m_big
        w4[3 + i, i], w4[3 + i, 3:], b4[3 + i] = m_big, -gain, -r - m_big
    w5 = np.float32([[1, 1, 1, -1, -1, -1]])
    b = _Builder("yann_saturation")
    th = b.input("th", value=b.rng.uniform(-2, 2, (points, 2)).astype(np.float32))
    v = b.node("Gemm", [th, b.const("w1", -e), b.const("b1", f)], ["v"], transB=1)
    z1 = b.node("Cast", [b.node("GreaterOrEqual", [v, b.const("zero", np.float32(0))], ["ge"])], ["z1"],
                to=TensorProto.FLOAT)
    z2 = b.node("Relu", [b.node("Gemm", [z1, b.const("w2", w2), b.const("b2", b2)], ["a2"], transB=1)], ["z2"])
    z3 = b.node("Relu", [b.node("Gemm", [z2, b.const("w3", w3)], ["a3"], transB=1)], ["z3"])
    cat = b.node("Concat", [z3, th], ["cat"], axis=1)
    z4 = b.node("Relu", [b.node("Gemm", [cat, b.const("w4", w4), b.const("b4", b4)], ["a4"], transB=1)], ["z4"])
    b.output(b.node("Gemm", [z4, b.const("w5", w5)], ["u"], transB=1))
    return b.build()


def step_cases():
    cases = [_step(f"step_cast_{c.lower()}", c) for c in ("GreaterOrEqual", "Greater", "Less", "LessOrEqual")]
    cases.append(_step("step_where_greaterorequal", via="where"))
    b = _Builder("where_leaky_step")
    x = b.input("x", value=np.concatenate([EDGES, EDGES * 7], axis=0))
    neg = b.node("Less", [x, b.const("zero", np.float32(0))], ["neg"])
    b.output(b.node("Where", [neg, b.node("Mul", [x, b.const("slope", np.float32(0.1))], ["scaled"]), x], ["y"]))
    cases.append(b.build())
    b = _Builder("cast_float_bool_float")
    x = b.input("x", value=np.concatenate([EDGES, np.float32([[np.nan, np.inf, -np.inf, 1, 0, -1, 3, 0]])]))
    as_bool = b.node("Cast", [x], ["as_bool"], to=TensorProto.BOOL)
    b.output(b.node("Cast", [as_bool], ["y"], to=TensorProto.FLOAT), b.node("Cast", [x], ["same"], to=TensorProto.FLOAT))
    cases.append(b.build())
    cases.append(yann_saturation())
    return cases


# Slice, Split, Gather ---------------------------------------------------------------------------------------
def _slice(name, starts, ends, axes, steps):
    b = _Builder(name)
    ins = [b.input("x", (4, 5, 6)), b.const("starts", np.int64(starts)), b.const("ends", np.int64(ends)),
           b.const("axes", np.int64(axes)) if axes is not None else "", b.const("steps", np.int64(steps))]
    b.output(b.node("Slice", ins, ["y"]))
    return b.build()


def slice_cases():
    return [
        _slice("slice_reverse_axis0", [-1], [I64_MIN], [0], [-1]),
        _slice("slice_step_minus2_last_axis", [5], [0], [2], [-2]),
        _slice("slice_two_axes_clamped", [10, -1], [-10, -100], [0, 2], [-1, -3]),
        _slice("slice_partial_reverse_axis1", [3], [1], [1], [-1]),
        _slice("slice_mixed_steps_negative_axes", [0, -1], [I64_MAX, -6], [-1, 1], [2, -1]),
        _slice("slice_reverse_every_axis", [-1, -1, -1], [I64_MIN] * 3, [0, 1, 2], [-1, -1, -1]),
        _slice("slice_single_element_reversed", [2], [1], [0], [-1]),
        _slice("slice_default_axes_negative_steps", [3, 4], [0, 0], None, [-2, -3]),
    ]


def _split(name, axis, sizes=None, num_outputs=None, n_out=None, opset=OPSET, shape=(2, 7, 4)):
    b = _Builder(name, opset)
    ins = [b.input("x", shape)] + ([b.const("split", np.int64(sizes))] if sizes is not None else [])
    n_out = n_out or (len(sizes) if sizes is not None else num_outputs)
    outs = [f"y{i}" for i in range(n_out)]
    attrs = {"axis": axis} if num_outputs is None else {"axis": axis, "num_outputs": num_outputs}
    b.node("Split", ins, outs, **attrs)
    b.output(*outs)
    return b.build()


def split_cases():
    cases = [
        _split("split_sizes_axis1", 1, sizes=[1, 2, 4]),
        _split("split_sizes_negative_axis", -2, sizes=[3, 4]),
        _split("split_equal_axis0_opset13", 0, n_out=2, opset=13),
        _split("split_equal_last_axis_opset13", -1, n_out=2, opset=13),
        _split("split_num_outputs_uneven", 1, num_outputs=3),
        _split("split_num_outputs_even", 2, num_outputs=2),
        _split("split_one_part", 1, sizes=[7]),
    ]
    b = _Builder("split_then_compute")  # parts live in the arena and feed further ops
    b.node("Split", [b.input("x", (2, 6))], ["left", "right"], axis=1, num_outputs=2)
    b.output(b.node("Mul", [b.node("Add", ["left", "right"], ["sum"]), "right"], ["y"]))
    cases.append(b.build())
    return cases


def _gather(name, axis, indices):
    b = _Builder(name)
    b.output(b.node("Gather", [b.input("x", (3, 4, 5)), b.const("indices", np.int64(indices))], ["y"], axis=axis))
    return b.build()


def gather_cases():
    cases = [
        _gather("gather_axis0", 0, [2, 0]),
        _gather("gather_axis1_2d_indices", 1, [[0, 3], [3, 1]]),
        _gather("gather_last_axis_scalar_index", 2, -1),
        _gather("gather_negative_axis_repeats", -2, [1, 1, 2]),
        _gather("gather_axis1_negative_indices", 1, [-1, -4]),
        _gather("gather_axis2_2d_indices", 2, [[4], [0]]),
    ]
    b = _Builder("gather_then_compute")
    x = b.input("x", (3, 4, 5))
    first = b.node("Gather", [x, b.const("i0", np.int64(0))], ["first"], axis=2)
    last = b.node("Gather", [x, b.const("i1", np.int64([4, 3]))], ["last"], axis=2)
    b.output(b.node("Sub", [first, b.node("Gather", [last, b.const("i2", np.int64(1))], ["col"], axis=2)], ["y"]))
    cases.append(b.build())
    return cases


# GRU and LSTM with their states as inputs ---------------------------------------------------------------
def _recurrent(name, op, seq=1, batch=1, n_in=4, hid=6, lbr=None, state="input", peepholes=False, **attrs):
    b = _Builder(name)
    gates = 3 if op == "GRU" else 4
    s_w = 1 / np.sqrt(hid)
    batch_first = attrs.get("layout", 0) == 1
    ins = [b.input("X", (batch, seq, n_in) if batch_first else (seq, batch, n_in)),
           b.const("W", (s_w * b.rng.standard_normal((1, gates * hid, n_in))).astype(np.float32)),
           b.const("R", (s_w * b.rng.standard_normal((1, gates * hid, hid))).astype(np.float32)),
           b.const("B", (0.1 * b.rng.standard_normal((1, 2 * gates * hid))).astype(np.float32)), ""]
    for s in ("initial_h", "initial_c")[:1 if op == "GRU" else 2]:
        value = (0.5 * b.rng.standard_normal((batch, 1, hid) if batch_first else (1, batch, hid))).astype(np.float32)
        ins.append(b.input(s, value=value) if state == "input" else b.const(s, value))
    if peepholes:
        ins.append(b.const("P", (0.3 * b.rng.standard_normal((1, 3 * hid))).astype(np.float32)))
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    attrs = {"hidden_size": hid, **attrs} | ({"linear_before_reset": lbr} if lbr is not None else {})
    b.node(op, ins, outs, **attrs)
    b.output(*outs)
    # onnx.reference ignores clip and the activation attributes; onnxruntime honours them
    return b.build("onnxruntime" if {"clip", "activations"} & set(attrs) else "onnx")


def recurrent_cases():
    return [
        _recurrent("gru_lbr1_initial_h", "GRU", lbr=1),
        _recurrent("gru_lbr1_initial_h_seq5_batch2", "GRU", seq=5, batch=2, lbr=1),
        _recurrent("gru_lbr0_initial_h", "GRU", lbr=0),
        _recurrent("gru_lbr1_initial_h_initializer", "GRU", lbr=1, state="initializer"),
        _recurrent("lstm_initial_h_c", "LSTM"),
        _recurrent("lstm_initial_h_c_seq4_batch3", "LSTM", seq=4, batch=3),
        _recurrent("lstm_initial_h_c_initializer", "LSTM", state="initializer"),
        _recurrent("lstm_peepholes_initial_h_c", "LSTM", seq=3, batch=2, peepholes=True),
        _recurrent("gru_lbr1_batch_first_initial_h", "GRU", seq=3, batch=2, lbr=1, layout=1),
        _recurrent("lstm_batch_first_initial_h_c", "LSTM", seq=3, batch=2, layout=1),
        # clip and activations (onnxruntime's data)
        _recurrent("gru_lbr0_clip", "GRU", seq=3, batch=2, lbr=0, clip=0.5),
        _recurrent("gru_lbr1_clip", "GRU", seq=3, batch=2, lbr=1, clip=0.5),
        _recurrent("gru_hardsigmoid_relu", "GRU", seq=3, batch=2, activations=["HardSigmoid", "Relu"],
                   activation_alpha=[0.3], activation_beta=[0.4]),
        _recurrent("gru_lbr1_sigmoid_leakyrelu", "GRU", seq=3, batch=2, lbr=1, activations=["Sigmoid", "LeakyRelu"],
                   activation_alpha=[0.1]),
        _recurrent("gru_sigmoid_elu", "GRU", seq=3, batch=2, activations=["Sigmoid", "Elu"], activation_alpha=[0.5]),
        _recurrent("gru_sigmoid_softplus", "GRU", seq=3, batch=2, activations=["Sigmoid", "Softplus"]),
        _recurrent("lstm_clip", "LSTM", seq=3, batch=2, clip=0.4, peepholes=True),
        _recurrent("lstm_sigmoid_tanh_relu", "LSTM", seq=3, batch=2, activations=["Sigmoid", "Tanh", "Relu"]),
        _recurrent("lstm_hardsigmoid_leakyrelu_tanh", "LSTM", seq=3, batch=2, peepholes=True,
                   activations=["HardSigmoid", "LeakyRelu", "Tanh"], activation_alpha=[0.25, 0.2],
                   activation_beta=[0.45]),
    ]


# fusion and buffer placement ------------------------------------------------------------------------------
_ACTIVATIONS = {"Relu": {}, "LeakyRelu": {"alpha": 0.2}, "Elu": {"alpha": 0.7}, "Tanh": {}, "Sigmoid": {},
                "Softplus": {}, "HardSigmoid": {"alpha": 0.3, "beta": 0.4}}


def _fused(name, act, form):
    """MatMul + Add or Gemm, then an activation: the fusion pass makes one tc.Dense of them."""
    b = _Builder(name)
    x = b.input("x", value=(3 * b.rng.standard_normal((2, 5))).astype(np.float32))
    w = b.rng.standard_normal((5, 4)).astype(np.float32)
    bias = b.rng.standard_normal(4).astype(np.float32)
    if form == "matmul_add":
        pre = b.node("Add", [b.const("bias", bias), b.node("MatMul", [x, b.const("w", w)], ["mm"])], ["pre"])
    else:
        pre = b.node("Gemm", [x, b.const("w", w.T.copy()), b.const("bias", bias)], ["pre"], transB=1, alpha=1.5)
    b.output(b.node(act, [pre], ["y"], **_ACTIVATIONS[act]))
    return b.build()


def _matmul(name, a_shape, b_shape, const):
    b = _Builder(name)
    a = b.const("a", b.rng.standard_normal(a_shape).astype(np.float32)) if const == "a" else b.input("a", a_shape)
    w = b.const("b", b.rng.standard_normal(b_shape).astype(np.float32)) if const == "b" else b.input("b", b_shape)
    b.output(b.node("MatMul", [a, w], ["y"]))
    return b.build()


def fusion_cases():
    cases = [_fused(f"matmul_add_{act.lower()}", act, "matmul_add") for act in _ACTIVATIONS]
    cases += [_fused(f"gemm_alpha_{act.lower()}", act, "gemm") for act in ("LeakyRelu", "HardSigmoid")]
    cases += [_matmul("matmul_const_b_batched_a", (2, 3, 5), (5, 4), "b"),
              _matmul("matmul_const_b_1d_a", (5,), (5, 4), "b"),
              _matmul("matmul_const_b_1d", (2, 3, 5), (5,), "b"),
              _matmul("matmul_const_b_3d", (2, 3, 5), (2, 5, 4), "b"),
              _matmul("matmul_const_a", (3, 5), (2, 5, 4), "a")]
    return cases


def offset_cases():
    """Every data-movement and elementwise op reading from a second input, an arena buffer at an offset and a
    constant, and writing to a second output: where a buffer's offset must reach every subscript."""
    b = _Builder("offsets_inputs_outputs")
    a, x = b.input("a", (5,)), b.input("x", (3, 4))
    b.output(b.node("Neg", [a], ["first"]))
    hit = b.node("Greater", [x, b.const("zero", np.float32(0))], ["hit"])
    b.node("Split", [x], ["top", "rest"], axis=0, num_outputs=2)
    b.output(b.node("Slice", [x, b.const("s0", np.int64([-1])), b.const("s1", np.int64([I64_MIN])),
                              b.const("s2", np.int64([1])), b.const("s3", np.int64([-2]))], ["sliced"]),
             b.node("Gather", [x, b.const("idx", np.int64([3, 0]))], ["gathered"], axis=1),
             "top", "rest", b.node("Transpose", [x], ["xt"], perm=[1, 0]),
             b.node("Concat", [x, b.const("pad", np.ones((3, 2), np.float32))], ["cat"], axis=1),
             b.node("Cast", [hit], ["hit_f"], to=TensorProto.FLOAT),
             b.node("Where", [hit, x, b.const("neg", np.float32(-1))], ["picked"]),
             b.node("Clip", [x, b.const("lo", np.float32(-0.5)), b.const("hi", np.float32(0.5))], ["clipped"]),
             b.node("Tanh", [x], ["tanh"]), b.node("MatMul", [x, b.const("w", np.eye(4, 2, dtype=np.float32))], ["mm"]))
    cases = [b.build()]
    b = _Builder("offsets_arena")
    x = b.input("x", (3, 4))
    t1, t2 = b.node("Tanh", [x], ["t1"]), b.node("Sigmoid", [x], ["t2"])
    parts = [b.node("Slice", [t2, b.const("s0", np.int64([2])), b.const("s1", np.int64([0])), b.const("s2", np.int64([0])),
                              b.const("s3", np.int64([-1]))], ["sl"]),
             b.node("Gather", [t2, b.const("idx", np.int64([1]))], ["ga"], axis=0),
             b.node("Transpose", [b.node("Concat", [t1, t2], ["cat"], axis=0)], ["tr"]),
             b.node("Reshape", [t2, b.const("shape", np.int64([4, 3]))], ["re"])]
    b.node("Split", [t1, b.const("sizes", np.int64([2, 1]))], ["p0", "p1"], axis=0)
    b.output(b.node("Add", [parts[0], b.node("Mul", ["p0", "p1"], ["pm"])], ["y0"]), *parts[1:],
             b.node("Concat", ["p1", b.node("Abs", ["p0"], ["ab"])], ["y1"], axis=0))
    cases.append(b.build())
    return cases


# NaN, infinities, signed zeros, subnormals, large values: NaN must reach the firmware's failsafe
SPECIAL = np.float32([[np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 88.8, -88.8, 1e30, -1e30, 0.5]])
_UNARY = {"Relu": {}, "LeakyRelu": {"alpha": 0.1}, "Elu": {"alpha": 0.5}, "Tanh": {}, "Sigmoid": {}, "Softplus": {},
          "HardSigmoid": {"alpha": 0.3, "beta": 0.4}, "Abs": {}, "Neg": {}}


def special_value_cases():
    cases = []
    for op, attrs in _UNARY.items():
        b = _Builder(f"special_{op.lower()}")
        b.output(b.node(op, [b.input("x", value=SPECIAL)], ["y"], **attrs))
        cases.append(b.build())
    b = _Builder("special_clip")
    b.output(b.node("Clip", [b.input("x", value=SPECIAL), b.const("lo", np.float32(-1)), b.const("hi", np.float32(2))],
                    ["y"]))
    cases.append(b.build())
    for op in BINARY:
        b = _Builder(f"special_{op.lower()}")
        b.output(b.node(op, [b.input("x", value=SPECIAL), b.input("y", value=SPECIAL[:, ::-1].copy())], ["z"]))
        cases.append(b.build())
    b = _Builder("special_dense_tanh")   # a NaN input poisons every output of a layer it feeds
    pre = b.node("Gemm", [b.input("x", value=SPECIAL[:, :4].copy()), b.const("w", np.ones((3, 4), np.float32))],
                 ["pre"], transB=1)
    b.output(b.node("Tanh", [pre], ["y"]))
    cases.append(b.build())
    return cases


def misc_cases():
    """Constants where inputs usually are, and views whose results leave the step as outputs."""
    b = _Builder("where_constant_condition")
    cond = b.const("cond", np.array([[True, False, True, False]]))
    b.output(b.node("Where", [cond, b.input("x", (3, 4)), b.input("y", (3, 1))], ["z"]))
    cases = [b.build()]
    b = _Builder("greater_constant_first")
    b.output(b.node("Greater", [b.const("limit", np.float32([0.5, -0.5, 0.0])), b.input("x", (2, 3))], ["z"]))
    cases.append(b.build())
    b = _Builder("concat_constant_and_comparison")
    x = b.input("x", (2, 3))
    hit = b.node("Cast", [b.node("Less", [x, b.const("zero", np.float32(0))], ["neg"])], ["neg_f"], to=TensorProto.FLOAT)
    b.output(b.node("Concat", [b.const("bias", np.ones((2, 1), np.float32)), x, hit], ["z"], axis=1))
    cases.append(b.build())
    b = _Builder("views_as_outputs")
    t = b.node("Tanh", [b.input("x", (2, 3, 1))], ["t"])
    b.output(b.node("Squeeze", [t], ["squeezed"]),
             b.node("Unsqueeze", [t, b.const("ax", np.int64([-1, 0]))], ["unsqueezed"]),
             b.node("Flatten", [t], ["flat"], axis=0),
             b.node("Reshape", [t, b.const("shape", np.int64([0, -1]))], ["reshaped"]),
             b.node("Identity", [t], ["same"]), "t")
    cases.append(b.build())
    b = _Builder("bool_input_cast")
    flag = b.input("flag", value=np.array([[True, False, True]]), dtype=TensorProto.BOOL)
    b.output(b.node("Mul", [b.node("Cast", [flag], ["f"], to=TensorProto.FLOAT), b.input("x", (2, 3))], ["z"]))
    cases.append(b.build())
    return cases


def shape_cases():
    """Shape computations as exporters write them (folded at compile time) feeding run-time ops."""
    b = _Builder("shape_reshape_flatten")
    x = b.input("x", (2, 3, 4))
    batch = b.node("Gather", [b.node("Shape", [x], ["s"]), b.const("zero", np.int64(0))], ["n"], axis=0)
    target = b.node("Concat", [b.node("Unsqueeze", [batch, b.const("ax", np.int64([0]))], ["n1"]),
                               b.const("rest", np.int64([-1]))], ["target"], axis=0)
    b.output(b.node("Reshape", [x, target], ["flat"]))
    cases = [b.build()]
    b = _Builder("shape_zero_state_expand")
    x = b.input("x", (1, 3, 5))
    dims = b.node("Shape", [x], ["s"], start=0, end=2)
    zeros = b.node("Expand", [b.const("zero", np.float32(0)), b.node("Concat", [dims, b.const("h", np.int64([5]))],
                                                                        ["shape"], axis=0)], ["zeros"])
    b.output(b.node("Add", [x, zeros], ["y"]), b.node("Expand", [x, b.const("wide", np.int64([2, 1, 3, 5]))], ["wide_x"]))
    cases.append(b.build())
    b = _Builder("constant_of_shape_bias")
    x = b.input("x", (2, 4))
    bias = b.node("ConstantOfShape", [b.node("Shape", [x], ["s"])], ["bias"],
                  value=numpy_helper.from_array(np.array([0.25], np.float32)))
    b.output(b.node("Sub", [x, bias], ["y"]))
    cases.append(b.build())
    return cases


FAMILIES = {"Gemm": gemm_cases, "broadcasting": broadcast_cases, "step functions": step_cases,
            "Slice": slice_cases, "Split": split_cases, "Gather": gather_cases, "GRU/LSTM state": recurrent_cases,
            "fusion": fusion_cases, "buffer offsets": offset_cases, "special values": special_value_cases,
            "constants and views": misc_cases, "shape computations": shape_cases}


def own_cases():
    """family -> list of OwnTest, in a fixed order."""
    return {family: build() for family, build in FAMILIES.items()}
