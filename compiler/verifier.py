"""Checks the IR's invariants; the pass manager runs it after every pass.

A failure here is a bug in tinyctl, not in the user's model, and says which pass broke what.
"""
from tinyctl.compiler import ops
from tinyctl.compiler.ir import DTYPES


class IRError(AssertionError):
    pass


def verify(graph, shapes=True, stage="?"):
    def fail(msg):
        raise IRError(f"IR invalid after {stage}: {msg}")

    defined = set(graph.inputs) | set(graph.state_inputs())
    defined |= {n for n, t in graph.tensors.items() if t.is_const}
    for name in list(graph.inputs) + graph.state_inputs():
        if name not in graph.tensors:
            fail(f"input '{name}' has no tensor")
        if graph.tensors[name].is_const:
            fail(f"input '{name}' is a constant")
    produced = set()
    for node in graph.nodes:
        if ops.lookup(node.op) is None:
            fail(f"node '{node.name}' has unregistered op {node.op}")
        for i in node.inputs:
            if i and i not in defined:
                fail(f"node '{node.name}' ({node.op}) reads '{i}' before it is defined")
        for o in node.outputs:
            if not o:
                continue
            if o in produced or o in defined:
                fail(f"tensor '{o}' is defined twice (node '{node.name}')")
            if o not in graph.tensors:
                fail(f"node '{node.name}' writes '{o}', which has no tensor")
            produced.add(o)
            defined.add(o)
    for name in graph.live_roots():
        if name not in defined:
            fail(f"output '{name}' is never defined")
    names = [n.name for n in graph.nodes]
    if len(names) != len(set(names)):
        fail("node names are not unique")
    if not shapes:
        return
    for name in defined:
        t = graph.tensors[name]
        if t.dtype not in DTYPES or t.shape is None:
            fail(f"tensor '{name}' has no dtype or shape after shape inference")
        if t.is_const and tuple(t.value.shape) != tuple(t.shape):
            fail(f"constant '{name}' has shape {t.shape} but holds {t.value.shape}")
    for s in graph.state:
        a, b = graph.tensors[s.input], graph.tensors[s.output]
        if a.size != b.size:
            fail(f"state '{s.name}' reads {a.size} values but writes {b.size}")
