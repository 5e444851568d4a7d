"""Which cases run: the backend node tests of supported ops (and expansions built only from supported ops),
then tinyctl's own cases; and one representative case per op."""
import functools
import re
import warnings
from dataclasses import dataclass

from tinyctl.compiler import ops
from tinyctl.compiler.conformance.prepare import Skip, is_supported, prepare

_EXPANDED = re.compile(r"_expanded(_ver\d+)?$")


@dataclass
class Case:
    name: str
    op: str            # the op under test (for an expansion: the function op it expands)
    kind: str          # "node" (the op itself) or "expanded" (its function body as ONNX ops)
    test: object       # onnx.backend.test.case.test_case.TestCase


def select(pattern=None, backend=True, own=True):
    """The cases to run, in a fixed order: the backend node tests of supported ops (and the expansions built
    only from supported ops), then tinyctl's own cases (own_cases.py)."""
    cases = list(backend_cases()) if backend else []
    if own:
        from tinyctl.compiler.conformance.own_cases import own_cases
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
