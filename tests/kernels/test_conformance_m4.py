"""The conformance cases of the ops the Cortex-M4F/M7 kernels implement (Gemm and MatMul with constant weights,
GRU, LSTM, and the activations they fuse or approximate), compiled for cortex-m4f, built into one image and run in
unicorn: the same cases and rule as the host suite (tests/conformance: |y - r| <= 1e-5 + 1e-5 |r| against each
case's expected outputs). A backend case per op and tinyctl's recurrent and special-value cases here;
every case that uses those ops in the slow test."""

import numpy as np
import pytest

from tinyctl.compiler import compile_model
from tinyctl.compiler.conformance.cases import select
from tinyctl.compiler.conformance.prepare import Skip, prepare
from tinyctl.compiler.conformance.runner import excess
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.peers import mcu

pytestmark = [pytest.mark.pil, pytest.mark.conformance]

KERNEL_OPS = {"Gemm", "MatMul", "GRU", "LSTM", "Sigmoid", "Tanh", "Softplus", "Elu"}


def _kernel_cases():
    cases = []
    for c in select():
        ops_used = {n.op_type for n in c.test.model.graph.node}
        if c.op in KERNEL_OPS or (c.kind == "tinyctl" and ops_used & KERNEL_OPS):
            cases.append(c)
    return cases


def _prepared(cases, root):
    """(case, compiled, flat input, flat state, expected) for each case tinyctl compiles."""
    out = []
    for k, case in enumerate(cases):
        try:
            model, feeds, expected = prepare(case)
            m = compile_model(model, str(root / f"c{k}"), name=f"c{k}", target="cortex-m4f")
        except (Skip, CompileError):
            continue
        man = m.manifest
        x = np.zeros(man["sizes"]["in"], np.float32)
        for e in man["inputs"]:
            x[e["offset"]:e["offset"] + e["size"]] = np.asarray(feeds[e["name"]], np.float32).ravel()
        s = np.zeros(man["sizes"]["state"], np.float32)
        for e, st in zip(man["state"], m.graph.state):
            v = feeds.get(e["onnx_input"], st.reset if st.reset is not None else np.zeros(e["size"]))
            s[e["offset"]:e["offset"] + e["size"]] = np.asarray(v, np.float32).ravel()
        out.append((case, m, x, s, expected))
    return out


def _run(cases, tmp_path):
    prepared = _prepared(cases, tmp_path)
    assert prepared
    _, steps = mcu.image_of_models([m.directory for _, m, _, _, _ in prepared], str(tmp_path / "img"))
    failures = []
    for case, m, x, s, expected in prepared:
        y, nxt, _ = steps[m.name].pil.step(x, s)
        got = {e["name"]: y[e["offset"]:e["offset"] + e["size"]] for e in m.manifest["outputs"]}
        got.update({e["onnx_output"]: nxt[e["offset"]:e["offset"] + e["size"]] for e in m.manifest["state"]
                    if e["onnx_output"]})
        for name, r in expected.items():
            over, err = excess(got[name], r)
            if over.max() > 0:
                failures.append(f"{case.name} '{name}': max |y - r| {err:.3g}")
    assert not failures, failures
    return len(prepared)


def _fast_cases():
    """A backend case per kernel op, and tinyctl's own recurrent and special-value cases."""
    from tinyctl.compiler.conformance.cases import Case, backend_cases
    from tinyctl.compiler.conformance import own_cases as own
    names = ("test_gemm_default_zero_bias", "test_matmul_2d", "test_gru_defaults", "test_lstm_defaults",
             "test_sigmoid_example", "test_tanh_example", "test_softplus_example", "test_elu_example")
    cases = [c for c in backend_cases() if c.name in names]
    for family, build in (("recurrent", own.recurrent_cases), ("special", own.special_value_cases)):
        cases += [Case(t.name, family, "tinyctl", t) for t in build()]
    return cases


def test_kernel_ops_on_cortex_m4f(tmp_path):
    assert _run(_fast_cases(), tmp_path) >= 20


@pytest.mark.slow
def test_every_kernel_case_on_cortex_m4f(tmp_path):
    assert _run(_kernel_cases(), tmp_path) >= 30
