"""Both lowerings of a model that has a choice (a YANN: dense layers or a region table), measured side by side.

The manifest's `lowerings` names the one emitted and gives each one's flash (built with the target's compiler),
constant bytes and worst-case multiply-adds, so the choice is visible and checkable.
"""
from tinyctl.compiler import frontend
from tinyctl.compiler.backend import emit
from tinyctl.compiler.cost import cost
from tinyctl.compiler.footprint import flash_bytes
from tinyctl.compiler.passes import run_pipeline
from tinyctl.compiler.storage import assign
from tinyctl.runtime import INCLUDE_DIR


def lower(proto, raw, file_name, name, target, state_pairs, lowering, banner_text):
    """(graph, files, figures) for one lowering."""
    from tinyctl.compiler.api import layout_of
    graph = run_pipeline(frontend.to_ir(proto, raw, file_name), {"state_pairs": state_pairs, "lowering": lowering})
    storage = assign(graph)
    figures = cost(graph, storage, {})
    files = emit(graph, storage, layout_of(graph, name, figures["macs"]), name, banner_text, target=target)
    return graph, files, figures


def _entry(graph, files, figures, name, target):
    tables = graph.meta.get("region_tables")
    entry = {"flash_bytes": flash_bytes(files, INCLUDE_DIR, name, target), "macs": figures["macs"],
             "weights_bytes": figures["memory"]["weights_bytes"], "arena_bytes": figures["memory"]["arena_bytes"]}
    if entry["flash_bytes"] is None and target.startswith("cortex-m"):
        # the ARMv7E-M dense kernels fail to assemble for very wide layers (GCC cannot size their inline assembly,
        # so a literal pool lands out of reach); the reference kernels measure the same constants
        entry["flash_bytes"] = flash_bytes(files, INCLUDE_DIR, name, target, defines=("TC_REFERENCE_KERNELS",))
        if entry["flash_bytes"] is not None:
            entry["flash_kernels"] = "reference"
    if tables:
        entry["tables"] = tables
        # the tables' float arrays are weights; their int16 indices are printed by the op's template
        entry["constant_bytes"] = figures["memory"]["weights_bytes"] + sum(t["index_bytes"] for t in tables)
    else:
        entry["constant_bytes"] = figures["memory"]["weights_bytes"]
    return entry


def record(proto, raw, file_name, name, target, state_pairs, graph, files, figures, lowering, banner_text):
    """The manifest's `lowerings`, or None when the model has only one lowering."""
    chosen = "regions" if graph.meta.get("region_tables") else "dense"
    other = "dense" if chosen == "regions" else "regions"
    if chosen == "dense":
        if "GreaterOrEqual" not in {n.op_type for n in proto.graph.node}:
            return None
        try:
            alt = lower(proto, raw, file_name, name, target, state_pairs, "regions", banner_text)
        except Exception:       # not a YANN: the dense form is the only one
            return None
    else:
        alt = lower(proto, raw, file_name, name, target, state_pairs, "dense", banner_text)
    return {"emitted": chosen, "requested": lowering or "auto", chosen: _entry(graph, files, figures, name, target),
            other: _entry(*alt, name, target)}
