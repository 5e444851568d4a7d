"""The pass pipeline, in order. The IR verifier runs after every pass.

infer_shapes -> fold_constants -> extract_state -> remove_dead -> fuse_dense -> remove_dead -> lower_regions
"""
from tinyctl.compiler.passes.dce import remove_dead
from tinyctl.compiler.passes.fold import fold_constants
from tinyctl.compiler.passes.fuse import fuse_dense
from tinyctl.compiler.passes.regions import lower_regions
from tinyctl.compiler.passes.shapes import infer_shapes
from tinyctl.compiler.passes.state import extract_state
from tinyctl.compiler.verifier import verify

PIPELINE = (
    ("infer_shapes", infer_shapes),
    ("fold_constants", fold_constants),
    ("extract_state", extract_state),
    ("remove_dead", remove_dead),
    ("fuse_dense", fuse_dense),
    ("remove_dead", remove_dead),
    ("lower_regions", lower_regions),
)


def run_pipeline(graph, options=None, stop_after=None, on_pass=None):
    """Run the passes in order, verifying the IR after each; on_pass(name, graph) sees every stage."""
    verify(graph, shapes=False, stage="frontend")
    for name, fn in PIPELINE:
        graph = fn(graph, options)
        verify(graph, shapes=True, stage=name)
        if on_pass:
            on_pass(name, graph)
        if stop_after == name:
            break
    return graph
