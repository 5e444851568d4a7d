"""A representative subset of the conformance cases under AddressSanitizer and UndefinedBehaviorSanitizer: one
runnable case per supported op, and every own case that moves data by computed indices (Slice with negative
steps, Split, Gather, buffers at offsets) or keeps state (GRU/LSTM)."""
import pytest

from tinyctl.compiler import conformance

pytestmark = [pytest.mark.sanitizers, pytest.mark.hostc]
RISKY_FAMILIES = {"Slice", "Split", "Gather", "buffer offsets", "GRU/LSTM state"}


def test_subset_is_clean_under_asan_and_ubsan():
    cases = conformance.select()
    subset = conformance.representative(cases) + [c for c in cases if c.kind == "tinyctl" and c.op in RISKY_FAMILIES]
    results = conformance.run(subset, sanitize=True)
    bad = [f"{r.name}: {r.reason}" for r in results if r.status != "pass"]
    assert not bad, "\n".join(bad)
