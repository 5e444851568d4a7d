"""One case through the compiler: compile (the NumPy interpreter sees the graph as read and after the passes),
build the harness, run one step from the case's inputs and initial states, compare by contract 1's rule."""
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from tinyctl.compiler import interp
from tinyctl.compiler.conformance.prepare import Skip, prepare
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.verify import ATOL, RTOL, build_harness, run_harness

# what the compiler refuses on purpose: such a CompileError skips the case with the compiler's own message
REFUSALS = (
    (re.compile(r"direction '(reverse|bidirectional)' is not supported"), "reverse/bidirectional RNN"),
    (re.compile(r"which holds no values: empty tensors cannot be compiled"), "empty tensor: an intermediate one"),
)


@dataclass
class Result:
    name: str
    op: str
    kind: str
    status: str                   # "pass", "fail" or "skip"
    reason: str = ""              # why it was skipped or how it failed
    c_err: float = None           # max |y - r| of the generated C
    numpy_err: float = None       # max |y - r| of the ops' NumPy definitions
    details: dict = field(default_factory=dict)


def excess(y, r):
    """Per element, how far |y - r| exceeds ATOL + RTOL |r| (<= 0 passes); equal NaN and Inf pass, others fail."""
    y, r = np.asarray(y, np.float64).ravel(), np.asarray(r, np.float64).ravel()
    if y.shape != r.shape:
        return np.array([np.inf]), np.inf
    with np.errstate(invalid="ignore"):
        err = np.abs(y - r)
        over = err - (ATOL + RTOL * np.abs(r))
    same = (np.isnan(y) & np.isnan(r)) | (np.isinf(y) & (y == r))
    finite = np.isfinite(y) & np.isfinite(r)
    over = np.where(same, -np.inf, np.where(finite, over, np.inf))
    return over, float(err[finite].max()) if finite.any() else 0.0


def _compare(label, got, expected, details):
    """Compare name -> array dicts; returns (max abs error, first failure message or None)."""
    worst, failure = 0.0, None
    for name, r in expected.items():
        if name not in got:
            return worst, f"{label}: output '{name}' is not produced"
        y = np.asarray(got[name], np.float32)
        r = np.asarray(r).astype(np.float32)
        if y.size != r.size:
            return worst, f"{label}: output '{name}' has {y.size} values, expected {r.size}"
        over, err = excess(y, r)
        worst = max(worst, err)
        i = int(np.argmax(over))
        if over[i] > 0 and failure is None:
            failure = (f"{label}: '{name}'[{i}] = {y.ravel()[i]:.9g}, expected {r.ravel()[i]:.9g} "
                       f"(|y - r| = {abs(float(y.ravel()[i]) - float(r.ravel()[i])):.3g})")
            details.setdefault("failures", []).append(failure)
    return worst, failure


def _c_name(case_name):
    name = re.sub(r"[^a-z0-9_]+", "_", case_name.lower()).strip("_")
    return name if name[:1].isalpha() else f"m_{name}"


def run_case(case, workdir, sanitize=False, verify=False, target="host"):
    """Compile for target (with verify: and check against onnxruntime on random inputs too), build on the host
    and run one case. A Cortex-M4F/M7 target builds with the approximate activations the MCU runs (target.h)."""
    from tinyctl.compiler import compile_model
    result = Result(case.name, case.op, case.kind, "fail")
    try:
        model, feeds, expected = prepare(case)
    except Skip as why:
        return _finish(result, "skip", str(why))
    as_read = {}
    name = _c_name(case.name)
    out_dir = os.path.join(tempfile.mkdtemp(prefix=f"{name}-", dir=workdir), name)  # names may differ in case only
    try:
        compiled = compile_model(model, out_dir, name=name, target=target, verify=verify,
                                 on_pass=_interpret_as_read(feeds, as_read))
    except CompileError as e:
        refusal = next((f"{why} (the compiler: {e})" for pattern, why in REFUSALS if pattern.search(str(e))), None)
        return _finish(result, "skip", refusal) if refusal else _finish(result, "fail", f"compile: {e}")
    except Exception as e:  # a crash inside tinyctl is a failure of the case, reported with its type
        return _finish(result, "fail", f"compile crashed: {type(e).__name__}: {e}")
    try:
        states = _initial_states(compiled, feeds)
        result.details["state"] = [(e["onnx_input"], e["onnx_output"]) for e in compiled.manifest["state"]]
        numpy_failure = _check_numpy(result, as_read, _interpret(compiled.graph, feeds, states), expected)
        got = _run_c(compiled, feeds, states, out_dir, sanitize)
    except Exception as e:
        return _finish(result, "fail", f"{type(e).__name__}: {e}")
    finally:
        shutil.rmtree(os.path.dirname(out_dir), ignore_errors=True)
    result.c_err, c_failure = _compare("C", got, expected, result.details)
    failure = c_failure or numpy_failure
    return _finish(result, "fail" if failure else "pass", failure or "")


def _finish(result, status, reason):
    result.status, result.reason = status, reason
    return result


def _interpret_as_read(feeds, found):
    """An on_pass hook: the ops' own NumPy definitions on the graph as the frontend read it, before any rewrite."""
    def hook(stage, graph):
        if stage == "infer_shapes":
            try:
                found.update(interp.run(graph, feeds)[0])
            except Exception as e:
                found["error"] = f"{type(e).__name__}: {e}"
    return hook


def _check_numpy(result, as_read, after_passes, expected):
    """The interpreter's outputs as read and after the passes against the data; returns the first failure."""
    if "error" in as_read:
        return f"NumPy: the interpreter raised {as_read['error']}"
    err_read, failure = _compare("NumPy", as_read, expected, result.details)
    err_passes, failure_passes = _compare("IR after the passes", after_passes, expected, result.details)
    result.numpy_err = max(err_read, err_passes)
    return failure or failure_passes


def _initial_states(compiled, feeds):
    """Per state entry, its value for this step: the case's initial_h/initial_c when it gives one, else the reset."""
    values = []
    for e, s in zip(compiled.manifest["state"], compiled.graph.state):
        if e["onnx_input"] in feeds:
            value = feeds[e["onnx_input"]]
        else:
            value = s.reset if s.reset is not None else np.zeros(e["size"], np.float32)
        values.append(np.asarray(value, np.float32).ravel())
    return values


def _interpret(graph, feeds, states):
    """The compiled IR (after every pass) in the NumPy interpreter, with outputs named as the ONNX names them."""
    outputs, nxt = interp.run(graph, {n: feeds[n] for n in graph.inputs},
                              {s.name: v for s, v in zip(graph.state, states)})
    for s in graph.state:
        if s.onnx_output:
            outputs[s.onnx_output] = nxt[s.name]
    return outputs


def _run_c(compiled, feeds, states, out_dir, sanitize):
    """One step of the generated C from the case's inputs and initial states; returns name -> values."""
    m = compiled.manifest
    flat_in = np.zeros(m["sizes"]["in"], np.float32)
    for e in m["inputs"]:
        flat_in[e["offset"]:e["offset"] + e["size"]] = np.asarray(feeds[e["name"]], np.float32).ravel()
    state = np.concatenate(states) if states else np.zeros(0, np.float32)
    build_dir = os.path.join(out_dir, "build")
    os.makedirs(build_dir)
    exe = build_harness(out_dir, m["name"], build_dir, sanitize=sanitize)
    (outs, nxt), = run_harness(exe, [(2, state, flat_in[None])], m)
    got = {e["name"]: outs[0][e["offset"]:e["offset"] + e["size"]] for e in m["outputs"]}
    for e in m["state"]:
        if e["onnx_output"]:
            got[e["onnx_output"]] = nxt[0][e["offset"]:e["offset"] + e["size"]]
    return got


def run(cases, jobs=None, sanitize=False, verify=False, target="host", progress=None):
    """Run cases in parallel (the gcc builds overlap); returns Results in the order of cases."""
    jobs = jobs or os.cpu_count() or 2
    workdir = tempfile.mkdtemp(prefix="tinyctl-conformance-")
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_case, c, workdir, sanitize, verify, target) for c in cases]
            results = []
            for f in futures:
                results.append(f.result())
                if progress:
                    progress(results[-1])
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
