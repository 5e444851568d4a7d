"""Dead-node removal: keep what the graph outputs and next states need; drop unused optional outputs."""
from tinyctl.compiler import ops


def remove_dead(graph, options=None):
    needed = set(graph.live_roots())
    kept = []
    for node in reversed(graph.nodes):
        if any(o in needed for o in node.outputs if o):
            kept.append(node)
            needed.update(i for i in node.inputs if i)
            if getattr(ops.lookup(node.op), "optional_outputs", False):
                node.outputs = [o if o in needed else "" for o in node.outputs]
    graph.nodes = list(reversed(kept))
    keep = needed | set(graph.inputs) | set(graph.state_inputs())
    graph.tensors = {n: t for n, t in graph.tensors.items() if n in keep}
    return graph
