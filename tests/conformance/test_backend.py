"""The ONNX backend node tests through the compiler: every non-skipped case of every supported op passes."""
import dataclasses
import os
import re

import numpy as np
import pytest

from tinyctl.compiler import conformance, supported_ops
from tinyctl.compiler.verify import ATOL, RTOL

pytestmark = [pytest.mark.conformance, pytest.mark.hostc]

LISTING = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "conformance.md")
# supported ops the backend suite has no float32 case for; tinyctl's own cases (Cast) and the shape-folding
# tests (Shape: its output is integer, computed at compile time) cover them
NO_FLOAT_BACKEND_CASE = {"Cast", "Shape"}
SKIP_REASONS = (r"non-float dtype: (input|output) '.*' is [A-Z0-9]+$", r"^reverse/bidirectional RNN \(the compiler: ",
                r"^empty tensor: ", r"^'.*' is a (sequence|optional)_type value, not a tensor$",
                r"^uses ops tinyctl does not support: ")


@pytest.mark.parametrize("op", supported_ops())
def test_backend_cases_of_op_pass(op, conformance_results):
    mine = [r for r in conformance_results.values() if r.op == op and r.kind != "tinyctl"]
    failed = [f"{r.name}: {r.reason}" for r in mine if r.status == "fail"]
    assert not failed, "\n".join(failed)
    passed = [r.name for r in mine if r.status == "pass"]
    if op in NO_FLOAT_BACKEND_CASE:
        assert not passed, f"the backend suite now has float32 cases for {op}: take it off NO_FLOAT_BACKEND_CASE"
    else:
        assert passed, f"no backend node test of {op} ran"


def test_every_supported_op_compiles_and_verifies():
    """One case per op through `compile_model(..., verify=True)`: the host C against onnxruntime on random
    inputs and states, besides the case's own data."""
    subset = conformance.representative(conformance.select())
    used = {n.op_type for c in subset for n in c.test.model.graph.node}
    assert used >= set(supported_ops())
    results = conformance.run(subset, verify=True)
    bad = [f"{r.name}: {r.reason}" for r in results if r.status != "pass"]
    assert not bad, "\n".join(bad)


def test_function_bodies_made_of_supported_ops_pass(conformance_results):
    composite = [r for r in conformance_results.values() if r.kind == "expanded" and r.op not in supported_ops()]
    assert {r.op for r in composite if r.status == "pass"} >= {"HardSwish", "Mish"}
    assert not [r.name for r in composite if r.status == "fail"]


def test_skips_are_for_known_reasons(conformance_results):
    skipped = [r for r in conformance_results.values() if r.status == "skip"]
    unknown = [f"{r.name}: {r.reason}" for r in skipped if not any(re.search(p, r.reason) for p in SKIP_REASONS)]
    assert not unknown, "\n".join(unknown)
    # what the issue names as outside tinyctl: non-float dtypes and reverse/bidirectional RNNs are skipped, and
    # nothing a float32 forward case of a supported op needs is
    assert conformance_results["test_gru_reverse"].status == "skip"
    assert conformance_results["test_lstm_bidirectional"].status == "skip"
    assert conformance_results["test_add_int8"].status == "skip"


def test_listing_in_the_repository_is_current(conformance_results):
    with open(LISTING) as f:
        committed = f.read()
    fresh = conformance.listing(list(conformance_results.values()))
    assert conformance.summary_lines(committed) == conformance.summary_lines(fresh), \
        f"docs/conformance.md is stale: run {conformance.COMMAND}"


def _with_expected(case, change):
    inputs, outputs = case.test.data_sets[0]
    outputs = [change(np.array(o, dtype=np.float32)) for o in outputs]
    return dataclasses.replace(case, test=dataclasses.replace(case.test, data_sets=[(inputs, outputs)]))


def test_the_rule_fails_an_output_just_outside_it(tmp_path):
    case, = conformance.select(r"^test_sigmoid$", own=False)

    def nudge(factor):
        def change(y):
            y.flat[7] += factor * (ATOL + RTOL * abs(y.flat[7]))
            return y
        return change
    inside = conformance.run_case(_with_expected(case, nudge(0.5)), str(tmp_path))
    assert inside.status == "pass", inside.reason
    outside = conformance.run_case(_with_expected(case, nudge(3.0)), str(tmp_path))
    assert outside.status == "fail"
    assert outside.reason.startswith("C: 'y'[7]")
    assert any(f.startswith("NumPy: 'y'[7]") for f in outside.details["failures"])


def test_initial_states_go_through_the_state_vector(tmp_path):
    """test_lstm_with_peepholes gives initial_h as an input and Y_h as the output: a state, fed and compared."""
    case, = conformance.select(r"^test_lstm_with_peepholes$", own=False)
    result = conformance.run_case(case, str(tmp_path))
    assert result.status == "pass", result.reason
    assert result.details["state"] == [("initial_h", "Y_h")]
    wrong = conformance.run_case(_with_expected(case, lambda y: y * 0.5), str(tmp_path))
    assert wrong.status == "fail" and "'Y_h'" in wrong.reason
