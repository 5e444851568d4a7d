"""Verification: the generated C, built on the host with the strict flags, against onnxruntime.

Random single steps (random inputs and random states) and sequences that carry the state from reset (half of
them with `s == next`) go through a harness program; onnxruntime runs the same model, with internal recurrent
states (a constant or absent initial_h) promoted to inputs and outputs so it can carry them too. A compiled
output y passes against a reference r when |y - r| <= ATOL + RTOL |r| for every element.
"""
import os
import struct
import subprocess
import tempfile

import jinja2
import numpy as np
import onnx

from tinyctl.compiler.errors import CompileError
from tinyctl.runtime.hostbuild import build

ATOL = 1e-5
RTOL = 1e-5
_HARNESS = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.dirname(__file__)),
                              undefined=jinja2.StrictUndefined).get_template("verify_harness.c.j2")


def tolerance_ok(y, r):
    return np.abs(y - r) <= ATOL + RTOL * np.abs(r)


def build_harness(directory, name, build_dir, sanitize=False):
    src = os.path.join(build_dir, "verify_main.c")
    with open(src, "w") as f:
        f.write(_HARNESS.render(name=name, NAME=name.upper()))
    exe = os.path.join(build_dir, "verify_asan" if sanitize else "verify")
    return build([src, os.path.join(directory, f"{name}.c")], exe, [directory], sanitize=sanitize)


def run_harness(exe, cases, layout):
    """cases: list of (mode, initial state or None, inputs [T, IN]); returns list of (outputs [T, OUT], states [T, S])."""
    sizes = layout["sizes"]
    blob = [struct.pack("<i", len(cases))]
    for mode, state, inputs in cases:
        blob.append(struct.pack("<ii", len(inputs), mode))
        if mode == 2:
            blob.append(np.asarray(state, np.float32).tobytes())
        blob.append(np.asarray(inputs, np.float32).tobytes())
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    proc = subprocess.run([exe], input=b"".join(blob), capture_output=True, env=env)
    if proc.returncode:
        raise CompileError(f"the verification harness failed (exit {proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace').strip()[:2000]}")
    flat = np.frombuffer(proc.stdout, np.float32)
    results, pos, per = [], 0, sizes["out"] + sizes["state"]
    for _, _, inputs in cases:
        block = flat[pos:pos + len(inputs) * per].reshape(len(inputs), per)
        pos += len(inputs) * per
        results.append((block[:, :sizes["out"]], block[:, sizes["out"]:]))
    return results


def reference_model(model, graph):
    """The ONNX model with every internal recurrent state exposed as a graph input and output."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    g = model.graph
    index = graph.meta["node_index"]
    io_names = {}
    for s in graph.state:
        if s.slot is None:
            io_names[s.name] = (s.onnx_input, s.onnx_output)
            continue
        node_name, in_pos, out_pos = s.slot
        node = g.node[index[node_name]]
        in_name, out_name = f"tinyctl_state_{s.name}", f"tinyctl_state_{s.name}_next"
        while len(node.input) <= in_pos:
            node.input.append("")
        node.input[in_pos] = in_name
        while len(node.output) <= out_pos:
            node.output.append("")
        if node.output[out_pos]:
            out_name = node.output[out_pos]
        else:
            node.output[out_pos] = out_name
        shape = list(graph.tensor(s.input).shape)
        g.input.append(onnx.helper.make_tensor_value_info(in_name, onnx.TensorProto.FLOAT, shape))
        if out_name not in [o.name for o in g.output]:
            g.output.append(onnx.helper.make_tensor_value_info(out_name, onnx.TensorProto.FLOAT, shape))
        io_names[s.name] = (in_name, out_name)
    seqwise_recurrences(g)
    return model, io_names


def seqwise_recurrences(g):
    """onnxruntime runs GRU/LSTM only with layout 0: give it layout-1 nodes as layout 0 between Transposes."""
    nodes = []
    for original in g.node:
        node = onnx.NodeProto()
        node.CopyFrom(original)
        layout = [a for a in node.attribute if a.name == "layout"]
        if node.op_type not in ("GRU", "LSTM") or not layout or layout[0].i != 1:
            nodes.append(node)
            continue
        layout[0].i = 0
        after = []
        for pos, perm in ((0, [1, 0, 2]), (5, [1, 0, 2]), (6, [1, 0, 2])):        # X, initial_h, initial_c
            if len(node.input) > pos and node.input[pos]:
                name = f"{node.input[pos]}_tinyctl_seqwise"
                nodes.append(onnx.helper.make_node("Transpose", [node.input[pos]], [name], perm=perm))
                node.input[pos] = name
        for pos, perm in ((0, [2, 0, 1, 3]), (1, [1, 0, 2]), (2, [1, 0, 2])):     # Y, Y_h, Y_c
            if len(node.output) > pos and node.output[pos]:
                name = f"{node.output[pos]}_tinyctl_seqwise"
                after.append(onnx.helper.make_node("Transpose", [name], [node.output[pos]], perm=perm))
                node.output[pos] = name
        nodes += [node] + after
    del g.node[:]
    g.node.extend(nodes)


class Reference:
    """onnxruntime on the reference model, stepping with flat inputs and states like the C API."""

    def __init__(self, model, graph, layout):
        import onnxruntime as ort
        ref, self.io_names = reference_model(model, graph)
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(ref.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own Fail/InvalidGraph types, with multi-line messages
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CompileError(f"verification runs the model in onnxruntime {ort.__version__}, which refused it "
                               f"(opset {graph.meta['opset']}, IR version {model.ir_version}: {reason[-200:]}); "
                               "save the model with an opset and IR version onnxruntime reads (as torch.onnx "
                               "exports do), or compile without --verify") from None
        self.version = ort.__version__
        self.layout = layout
        self.input_types = {i.name: i.type for i in self.session.get_inputs()}

    def step(self, x, state):
        feeds = {}
        for e in self.layout["inputs"]:
            v = x[e["offset"]:e["offset"] + e["size"]].reshape(e["shape"])
            feeds[e["name"]] = v.astype(bool) if self.input_types[e["name"]] == "tensor(bool)" else v
        for e in self.layout["state"]:
            feeds[self.io_names[e["name"]][0]] = state[e["offset"]:e["offset"] + e["size"]].reshape(e["shape"])
        names = [e["name"] for e in self.layout["outputs"]] + [self.io_names[e["name"]][1] for e in self.layout["state"]]
        values = self.session.run(names, feeds)
        n_out = len(self.layout["outputs"])
        out = np.concatenate([np.asarray(v, np.float32).ravel() for v in values[:n_out]]) if n_out else np.zeros(0, np.float32)
        nxt = np.concatenate([np.asarray(v, np.float32).ravel() for v in values[n_out:]]) if values[n_out:] \
            else np.zeros(0, np.float32)
        return out, nxt


def draw_cases(layout, reset_state, samples, sequences, steps, seed):
    rng = np.random.default_rng(seed)
    sizes = layout["sizes"]
    bools = np.zeros(sizes["in"], bool)
    for e in layout["inputs"]:
        if e.get("dtype") == "bool":
            bools[e["offset"]:e["offset"] + e["size"]] = True

    def inputs(n):
        x = rng.standard_normal((n, sizes["in"])).astype(np.float32)
        x[:, bools] = rng.integers(0, 2, (n, int(bools.sum())))
        return x
    cases = [(2, rng.standard_normal(sizes["state"]).astype(np.float32), inputs(1)) for _ in range(samples)]
    cases += [(k % 2, None, inputs(steps)) for k in range(sequences if sizes["state"] else 0)]
    return cases


def verify(model, graph, directory, layout, samples=64, sequences=2, steps=200, seed=0, sanitize=False):
    """Returns the manifest's verify record; raises CompileError naming the worst element when a check fails."""
    name = layout["name"]
    reset = np.zeros(layout["sizes"]["state"], np.float32)
    for e in layout["state"]:
        s = next(x for x in graph.state if x.name == e["name"])
        if s.reset is not None:
            reset[e["offset"]:e["offset"] + e["size"]] = s.reset.ravel()
    cases = draw_cases(layout, reset, samples, sequences, steps, seed)
    with tempfile.TemporaryDirectory(prefix="tinyctl-verify-") as build_dir:
        exe = build_harness(directory, name, build_dir, sanitize=sanitize)
        results = run_harness(exe, cases, layout)
    ref = Reference(model, graph, layout)
    worst = {"abs": 0.0, "rel": 0.0, "excess": -np.inf, "where": None}
    for k, ((mode, state, inputs), (outs, states)) in enumerate(zip(cases, results)):
        s = state if mode == 2 else reset
        for t, x in enumerate(inputs):
            r_out, r_state = ref.step(x, s)
            _compare(worst, outs[t], r_out, states[t], r_state, layout, k, t, mode)
            s = r_state if r_state.size else s
    record = {"reference": f"onnxruntime {ref.version}", "samples": samples,
              "steps": sum(len(c[2]) for c in cases if c[0] != 2), "max_abs_err": float(worst["abs"]),
              "max_rel_err": float(worst["rel"]), "tolerance": {"atol": ATOL, "rtol": RTOL},
              "sanitizers": bool(sanitize)}
    if worst["excess"] > 0:
        raise CompileError(f"verification failed: {worst['where']}; the generated C does not match onnxruntime "
                           f"within |y - r| <= {ATOL:g} + {RTOL:g} |r| (please report this model)")
    return record


def _compare(worst, out, r_out, state, r_state, layout, case, t, mode):
    for y, r, kind in ((out, r_out, "outputs"), (state, r_state, "state")):
        if y.size == 0:
            continue
        err = np.abs(y.astype(np.float64) - r.astype(np.float64))
        fy, fr = np.isfinite(y), np.isfinite(r)
        finite = fy & fr
        same_nonfinite = ~fy & ~fr & ((np.isnan(y) & np.isnan(r)) | (y == r))
        if finite.any():
            worst["abs"] = max(worst["abs"], float(err[finite].max()))
            worst["rel"] = max(worst["rel"], float((err[finite] / np.maximum(np.abs(r[finite]), 1e-30)).max()))
        excess = np.where(finite, err - (ATOL + RTOL * np.abs(r)), np.where(same_nonfinite, -np.inf, np.inf))
        i = int(np.argmax(excess))
        if excess[i] > worst["excess"]:
            entries = layout[kind] if kind == "outputs" else layout["state"]
            entry = next(e for e in entries if e["offset"] <= i < e["offset"] + e["size"])
            what = "single step from a random state" if mode == 2 else f"sequence step {t}"
            worst["excess"] = float(excess[i])
            worst["where"] = (f"{'output' if kind == 'outputs' else 'next state'} '{entry['name']}'[{i - entry['offset']}] "
                              f"in case {case} ({what}): C {y[i]:.9g}, onnxruntime {r[i]:.9g}")
