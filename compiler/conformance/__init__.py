"""The ONNX backend node tests, and tinyctl's own cases for what they lack, as tinyctl's conformance suite.

Every case of `onnx.backend.test.case.node.collect_testcases()` whose op under test tinyctl supports (and
every function-op expansion built only from supported ops) is compiled with `compile_model`, built on the host
with the strict flags and run on the case's own inputs; its outputs must match the case's expected outputs
within |y - r| <= 1e-5 + 1e-5 |r| (contract 1's rule). The ops' NumPy definitions (the IR interpreter, the
oracle of the other tests) must match the same data within the same rule.

Inputs the compiler takes only as constants (shapes, axes, indices, split sizes, clip bounds, sequence
lengths) are frozen into initializers with the values the test data gives. Initial recurrent states that
the compiler turns into model state are fed through the state vector. Cases outside what tinyctl compiles
(non-float32 dtypes, reversed or bidirectional RNNs, empty tensors, ...) are skipped with their reason.

    cases.py      which cases: the backend suite's, then own_cases.py's
    prepare.py    a case as tinyctl compiles it (constants frozen), or why it is skipped
    runner.py     compile, interpret, build and run; compare by the rule
    listing.py    docs/conformance.md
    __main__.py   python -m tinyctl.compiler.conformance -o docs/conformance.md
"""
from tinyctl.compiler.conformance.cases import Case, backend_cases, representative, select
from tinyctl.compiler.conformance.listing import COMMAND, listing, summary_lines
from tinyctl.compiler.conformance.prepare import Skip, prepare
from tinyctl.compiler.conformance.runner import Result, excess, run, run_case

__all__ = ["Case", "Result", "Skip", "COMMAND", "backend_cases", "excess", "listing", "prepare", "representative",
           "run", "run_case", "select", "summary_lines"]
