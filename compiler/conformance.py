"""The ONNX backend node tests as tinyctl's conformance suite.

Every case of `onnx.backend.test.case.node.collect_testcases()` whose op under test tinyctl supports (and
every function-op expansion built only from supported ops) is compiled with `compile_model`, built on the host
with the strict flags and run on the case's own inputs; its outputs must match the case's expected outputs
within |y - r| <= 1e-5 + 1e-5 |r| (contract 1's rule). The ops' NumPy definitions (the IR interpreter, the
oracle of the other tests) must match the same data within the same rule.

Inputs the compiler takes only as constants (shapes, axes, indices, split sizes, clip bounds, sequence
lengths) are frozen into initializers with the values the test data gives. Initial recurrent states that
the compiler turns into model state are fed through the state vector. Cases outside what tinyctl compiles
(non-float32 dtypes, reversed or bidirectional RNNs, empty tensors, ...) are skipped with their reason.

    python -m tinyctl.compiler.conformance -o docs/conformance.md
"""
import argparse
import functools
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import numpy_helper

from tinyctl.compiler import interp, ops
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.verify import ATOL, RTOL, build_harness, run_harness

COMMAND = "python -m tinyctl.compiler.conformance -o docs/conformance.md"
_EXPANDED = re.compile(r"_expanded(_ver\d+)?$")
_FLOAT, _BOOL = onnx.TensorProto.FLOAT, onnx.TensorProto.BOOL
# what the compiler refuses on purpose: such a CompileError skips the case with the compiler's own message
REFUSALS = (
    (re.compile(r"direction '(reverse|bidirectional)' is not supported"), "reverse/bidirectional RNN"),
)


@dataclass
class Case:
    name: str
    op: str            # the op under test (for an expansion: the function op it expands)
    kind: str          # "node" (the op itself) or "expanded" (its function body as ONNX ops)
    test: object       # onnx.backend.test.case.test_case.TestCase


@dataclass
class Result:
    name: str
    op: str
    kind: str
    status: str                   # "pass", "fail" or "skip"
    reason: str = ""              # why it was skipped or how it failed
    c_err: float = None           # max |y - r| of the generated C
    numpy_err: float = None       # max |y - r| of the ops' NumPy definitions
    seconds: float = 0.0
    details: dict = field(default_factory=dict)


class Skip(Exception):
    """The case is outside what tinyctl compiles; the message says why."""


def is_supported(op_type):
    return ops.lookup(op_type) is not None and not op_type.startswith("tc.")


def select(pattern=None, backend=True, own=True):
    """The cases to run, in a fixed order: the backend node tests of supported ops (and the expansions built
    only from supported ops), then tinyctl's own cases (conformance_cases)."""
    cases = list(backend_cases()) if backend else []
    if own:
        from tinyctl.compiler.conformance_cases import own_cases
        cases += [Case(t.name, family, "tinyctl", t) for family, tests in own_cases().items() for t in tests]
    return [c for c in cases if not pattern or re.search(pattern, c.name)]


@functools.lru_cache(maxsize=1)
def backend_cases():
    """The backend cases of supported ops, once per process (rebuilding the suite takes seconds)."""
    from onnx.backend.test.case.node import collect_testcases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the suite's own generators overflow casts on purpose
        tests = collect_testcases()
    by_name = {t.name: t for t in tests}
    cases = []
    for t in tests:
        base = _EXPANDED.sub("", t.name)
        expanded = base != t.name
        source = by_name[base].model if expanded and base in by_name else t.model
        types = {n.op_type for n in source.graph.node}
        op = types.pop() if len(types) == 1 else None
        body = {n.op_type for n in t.model.graph.node}
        if op is not None and is_supported(op):
            cases.append(Case(t.name, op, "expanded" if expanded else "node", t))
        elif expanded and body and all(is_supported(o) for o in body):
            cases.append(Case(t.name, op or base[len("test_"):], "expanded", t))
    return tuple(cases)


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


def run_case(case, workdir, sanitize=False, verify=False):
    """Compile (with verify: and check against onnxruntime on random inputs too), build and run one case."""
    from tinyctl.compiler import compile_model
    start = time.monotonic()
    result = Result(case.name, case.op, case.kind, "fail")
    try:
        model, feeds, expected = prepare(case)
    except Skip as why:
        result.status, result.reason = "skip", str(why)
        return result
    oracle = {}

    def at_pass(stage, graph):
        if stage == "infer_shapes":  # the ops' own NumPy definitions, before any rewriting
            try:
                oracle.update(interp.run(graph, feeds)[0])
            except Exception as e:
                oracle["error"] = f"{type(e).__name__}: {e}"
    name = _c_name(case.name)
    out_dir = os.path.join(workdir, name)
    try:
        compiled = compile_model(model, out_dir, name=name, target="host", on_pass=at_pass, verify=verify)
    except CompileError as e:
        for pattern, reason in REFUSALS:
            if pattern.search(str(e)):
                result.status, result.reason = "skip", f"{reason} (the compiler: {e})"
                return result
        result.reason = f"compile: {e}"
        return result
    except Exception as e:  # a crash inside tinyctl is a failure of the case, reported with its type
        result.reason = f"compile crashed: {type(e).__name__}: {e}"
        return result
    if "error" in oracle:
        numpy_failure = f"NumPy: the interpreter raised {oracle['error']}"
    else:
        result.numpy_err, numpy_failure = _compare("NumPy", oracle, expected, result.details)
    states = _initial_states(compiled, feeds)
    result.details["state"] = [(e["onnx_input"], e["onnx_output"]) for e in compiled.manifest["state"]]
    try:
        final = _interpret(compiled.graph, feeds, states)
        err, ir_failure = _compare("IR after the passes", final, expected, result.details)
        result.numpy_err = max(result.numpy_err or 0.0, err)
        numpy_failure = numpy_failure or ir_failure
        got = _run_c(compiled, feeds, states, out_dir, sanitize)
    except Exception as e:
        result.reason = f"{type(e).__name__}: {e}"
        return result
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    result.c_err, c_failure = _compare("C", got, expected, result.details)
    result.reason = c_failure or numpy_failure or ""
    result.status = "fail" if result.reason else "pass"
    result.seconds = time.monotonic() - start
    return result


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


def run(cases, jobs=None, sanitize=False, verify=False, progress=None):
    """Run cases in parallel (the gcc builds overlap); returns Results in the order of cases."""
    jobs = jobs or os.cpu_count() or 2
    workdir = tempfile.mkdtemp(prefix="tinyctl-conformance-")
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_case, c, workdir, sanitize, verify) for c in cases]
            results = []
            for f in futures:
                results.append(f.result())
                if progress:
                    progress(results[-1])
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def representative(cases):
    """The first runnable backend case of each supported op; for an op with none (Cast has no float32 case in
    the suite), the first of tinyctl's own cases that uses it."""
    chosen, covered = [], set()
    for case in cases:
        if case.kind == "node" and case.op not in covered and _runnable(case):
            covered.add(case.op)
            chosen.append(case)
    for case in cases:
        uses = {n.op_type for n in case.test.model.graph.node}
        if case.kind == "tinyctl" and uses & (set(ops.supported_ops()) - covered) and _runnable(case):
            covered |= uses
            chosen.append(case)
    return chosen


def _runnable(case):
    try:
        prepare(case)
    except Skip:
        return False
    return True


# the listing ----------------------------------------------------------------------------------------------
def summary(results):
    """op -> {"pass": n, "skip": n, "fail": n}, for the node cases and for the expansions separately."""
    table = {}
    for r in results:
        row = table.setdefault((r.op, r.kind), {"pass": 0, "skip": 0, "fail": 0})
        row[r.status] += 1
    return table


def _err(v):
    return "" if v is None else f"{v:.1e}"


def listing(results):
    """docs/conformance.md: the summary per op, every case with its errors, every skip with its reason."""
    table = summary(results)
    total = {k: sum(row[k] for row in table.values()) for k in ("pass", "skip", "fail")}
    supported = set(ops.supported_ops())
    lines = [
        "# Conformance: the ONNX backend node tests and tinyctl's own cases",
        "",
        f"Generated by `{COMMAND}` (onnx {onnx.__version__}): do not edit by hand.",
        "",
        "Each case is compiled (`compile_model`, target host), built with `gcc -std=c99 -Wall -Wextra -Werror "
        "-pedantic -O2` and run on its own inputs; every output element must satisfy "
        f"|y - r| <= {ATOL:g} + {RTOL:g} |r| against the case's expected output. The ops' NumPy definitions "
        "(the IR interpreter, the oracle of tinyctl's tests) must meet the same rule on the same data, both as "
        "the frontend reads the model and after every pass. Inputs tinyctl takes only as constants (shapes, "
        "axes, indices, split sizes, clip bounds, sequence lengths) are frozen into initializers with the test "
        "data's values; initial states the compiler turns into model state are fed through the state vector. "
        "`expanded` cases are function ops written out as ONNX ops. tinyctl's own cases "
        "(`compiler/conformance_cases.py`) cover what the backend suite lacks; their expected outputs come from "
        "onnx's reference implementation, and the tests check those against onnxruntime (for the RNN attributes "
        "onnx's reference ignores, clip and activations, they come from onnxruntime). Recurrent state carried "
        "over many steps is tested against PyTorch in `tests/conformance/test_torch_recurrent.py`.",
        "",
        f"**{total['pass']} pass, {total['skip']} skipped, {total['fail']} fail** of {len(results)} cases.",
        "",
        "## Per op (ONNX backend node tests)",
        "",
        "| op | kind | pass | skip | fail |",
        "|---|---|---:|---:|---:|",
    ]
    backend = {key: row for key, row in table.items() if key[1] != "tinyctl"}
    for (op, kind), row in sorted(backend.items(), key=lambda kv: (kv[0][0] not in supported, kv[0])):
        label = op if op in supported else f"{op} (not supported; its body is)"
        lines.append(f"| {label} | {kind} | {row['pass']} | {row['skip']} | {row['fail']} |")
    missing = sorted(supported - {op for op, _ in backend})
    if missing:
        lines += ["", "Supported ops without a backend node test: " + ", ".join(missing) + "."]
    lines += ["", "## tinyctl's own cases", "", "| family | pass | skip | fail |", "|---|---:|---:|---:|"]
    for (family, kind), row in table.items():
        if kind == "tinyctl":
            lines.append(f"| {family} | {row['pass']} | {row['skip']} | {row['fail']} |")
    lines += ["", "## Cases run", "", "| case | op | result | C max abs err | NumPy max abs err | failure |",
              "|---|---|---|---:|---:|---|"]
    for r in results:
        if r.status != "skip":
            lines.append(f"| {r.name} | {r.op} | {r.status} | {_err(r.c_err)} | {_err(r.numpy_err)} | "
                         f"{_cell(r.reason)} |")
    lines += ["", "## Cases skipped", "", "| case | op | reason |", "|---|---|---|"]
    for r in results:
        if r.status == "skip":
            lines.append(f"| {r.name} | {r.op} | {_cell(r.reason)} |")
    return "\n".join(lines) + "\n"


def _cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def summary_lines(text):
    """The per-op table of a listing: what a stale committed listing is checked by."""
    rows = text.split("## Per op", 1)[-1].split("## Cases run", 1)[0]
    return [line for line in rows.splitlines() if line.startswith("|")]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinyctl.compiler.conformance", description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--out", help="write the listing (markdown) here")
    parser.add_argument("-k", "--pattern", help="only cases whose name matches this regular expression")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="parallel builds (default: CPU count)")
    parser.add_argument("--sanitize", action="store_true", help="build under AddressSanitizer and UBSan")
    parser.add_argument("--backend-only", action="store_true", help="leave out tinyctl's own cases")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.progress import Progress
    console = Console(stderr=True)
    start = time.monotonic()
    cases = select(args.pattern, own=not args.backend_only)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("ONNX backend node tests", total=len(cases))
        results = run(cases, args.jobs, args.sanitize, progress=lambda r: bar.advance(task))
    seconds = time.monotonic() - start
    for r in results:
        if r.status == "fail":
            console.print(f"[red]FAIL[/red] {r.name}: {r.reason}")
    counts = {k: sum(r.status == k for r in results) for k in ("pass", "skip", "fail")}
    console.print(f"{counts['pass']} pass, {counts['skip']} skipped, {counts['fail']} fail of {len(results)} "
                  f"cases in {seconds:.0f} s")
    if args.out:
        text = listing(results)
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
