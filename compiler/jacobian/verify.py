"""Verification of the generated Jacobian against onnxruntime: central differences in float64.

The model is converted to float64 (initializers, constants, inputs and outputs), so the reference derivative
is accurate to about 1e-9 with a step of 1e-5 and does not inherit float32 rounding; the generated float32
Jacobian passes when |J - J_ref| <= ATOL + RTOL |J_ref| for every entry.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinyctl.compiler.errors import CompileError

ATOL = 2e-5
RTOL = 2e-4
STEP = 1e-5


def to_float64(model):
    """A copy of the model computing in float64 (ops onnxruntime has no float64 kernel for are decomposed)."""
    m = onnx.ModelProto.FromString(model.SerializeToString())
    g = m.graph
    _decompose(g)
    for i, init in enumerate(g.initializer):
        if init.data_type == TensorProto.FLOAT:
            wide = numpy_helper.to_array(init).astype(np.float64)
            g.initializer[i].CopyFrom(numpy_helper.from_array(wide, init.name))
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.DOUBLE
    for node in g.node:
        for attr in node.attribute:
            if node.op_type == "Constant" and attr.t.data_type == TensorProto.FLOAT:
                attr.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(attr.t).astype(np.float64), attr.t.name))
            if node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT:
                attr.i = TensorProto.DOUBLE
    return m


def _decompose(g):
    """Elu, Softplus and HardSigmoid written with ops that onnxruntime runs in float64."""
    nodes, consts = [], {}

    def const(value):
        name = f"tinyctl_f64_const_{len(consts)}"
        consts[name] = np.array(value, np.float32)
        return name

    for k, n in enumerate(g.node):
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        x, y, t = n.input[0] if n.input else "", n.output[0] if n.output else "", f"tinyctl_f64_{k}"
        if n.op_type == "Softplus":  # max(x, 0) + log(1 + exp(-|x|))
            nodes += [helper.make_node("Abs", [x], [t + "a"]), helper.make_node("Neg", [t + "a"], [t + "n"]),
                      helper.make_node("Exp", [t + "n"], [t + "e"]),
                      helper.make_node("Add", [t + "e", const(1.0)], [t + "p"]),
                      helper.make_node("Log", [t + "p"], [t + "l"]), helper.make_node("Relu", [x], [t + "r"]),
                      helper.make_node("Add", [t + "r", t + "l"], [y])]
        elif n.op_type == "Elu":  # relu(x) + alpha (exp(min(x, 0)) - 1)
            alpha = attrs.get("alpha", 1.0)
            nodes += [helper.make_node("Min", [x, const(0.0)], [t + "m"]),
                      helper.make_node("Exp", [t + "m"], [t + "e"]),
                      helper.make_node("Sub", [t + "e", const(1.0)], [t + "s"]),
                      helper.make_node("Mul", [t + "s", const(alpha)], [t + "a"]),
                      helper.make_node("Relu", [x], [t + "r"]), helper.make_node("Add", [t + "r", t + "a"], [y])]
        elif n.op_type == "HardSigmoid":  # clip(alpha x + beta, 0, 1)
            nodes += [helper.make_node("Mul", [x, const(attrs.get("alpha", 0.2))], [t + "m"]),
                      helper.make_node("Add", [t + "m", const(attrs.get("beta", 0.5))], [t + "a"]),
                      helper.make_node("Clip", [t + "a", const(0.0), const(1.0)], [y])]
        else:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(numpy_helper.from_array(v, k) for k, v in consts.items())


class Float64Reference:
    """onnxruntime on the float64 model, with flat inputs and outputs like the C API."""

    def __init__(self, model, layout):
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(to_float64(model).SerializeToString(), opts,
                                                providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types
            raise CompileError(f"cannot verify the Jacobian: onnxruntime does not run this model in float64 "
                               f"({str(e).splitlines()[0][:200]})") from None
        self.version, self.layout = ort.__version__, layout

    def __call__(self, x):
        feeds = {e["name"]: np.asarray(x[e["offset"]:e["offset"] + e["size"]], np.float64).reshape(e["shape"])
                 for e in self.layout["inputs"]}
        values = self.session.run([e["name"] for e in self.layout["outputs"]], feeds)
        return np.concatenate([np.asarray(v, np.float64).ravel() for v in values])

    def jacobian(self, x):
        x = np.asarray(x, np.float64)
        cols = []
        for j in range(x.size):
            h = STEP * max(1.0, abs(x[j]))
            xp, xm = x.copy(), x.copy()
            xp[j] += h
            xm[j] -= h
            cols.append((self(xp) - self(xm)) / (2 * h))
        return np.stack(cols, axis=1)


def verify_jacobian(model, directory, layout, samples=64, seed=1):
    """The manifest's jacobian.verify record; raises CompileError naming the worst entry when one fails."""
    from tinyctl.runtime.jacobian import JacobianModel
    ref = Float64Reference(model, layout)
    name = layout["name"]
    jm = JacobianModel(directory, manifest={"name": name, "sizes": layout["sizes"],
                                            "jacobian": {"function": f"{name}_jacobian"}})
    rng = np.random.default_rng(seed)
    worst = {"abs": 0.0, "rel": 0.0, "excess": -np.inf, "where": None}
    for k in range(samples):
        x = rng.standard_normal(layout["sizes"]["in"]).astype(np.float32)
        out, jac = jm.evaluate(x)
        step_out = jm.step(x)
        if not np.array_equal(out, step_out, equal_nan=True):
            i = int(np.argmax(np.abs(out - step_out)))
            raise CompileError(f"Jacobian verification failed: {name}_jacobian's output [{i}] "
                               f"is {out[i]:.9g} but the step gives {step_out[i]:.9g}; they must be identical")
        r = ref.jacobian(x.astype(np.float64))
        err = np.abs(jac.astype(np.float64) - r)
        worst["abs"] = max(worst["abs"], float(err.max()))
        worst["rel"] = max(worst["rel"], float((err / np.maximum(np.abs(r), 1e-30)).max()))
        excess = err - (ATOL + RTOL * np.abs(r))
        i, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
        if excess[i, j] > worst["excess"]:
            worst["excess"] = float(excess[i, j])
            worst["where"] = f"d out[{i}] / d in[{j}] in sample {k}: C {jac[i, j]:.9g}, reference {r[i, j]:.9g}"
    if worst["excess"] > 0:
        raise CompileError(f"Jacobian verification failed: {worst['where']}; not within |J - J_ref| <= "
                           f"{ATOL:g} + {RTOL:g} |J_ref| (please report this model)")
    return {"reference": f"onnxruntime {ref.version}, float64 central differences (step {STEP:g})",
            "samples": samples, "max_abs_err": worst["abs"], "max_rel_err": worst["rel"],
            "tolerance": {"atol": ATOL, "rtol": RTOL}}

