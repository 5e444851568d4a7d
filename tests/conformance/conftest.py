"""One run of every conformance case (the ONNX backend node tests and tinyctl's own), shared by the tests here."""
import pytest


@pytest.fixture(scope="session")
def conformance_results():
    """case name -> Result, for every selected case, compiled and run on the host in parallel."""
    from tinyctl.compiler import conformance
    return {r.name: r for r in conformance.run(conformance.select())}
