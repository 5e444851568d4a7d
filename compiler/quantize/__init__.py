"""Quantisation: `compile --dtype int8w | int8 | q15` (float32 is the default and takes none of this).

int8w  int8 weights, one scale per output row; activations stay float (targets with an FPU): a quarter of
       the float weights' flash, no calibration needed.
int8   int8 weights and int8 activations between layers, the GRU state and gates in q15 with Q8.23 ("q31")
       pre-activations; integer arithmetic only, for cores without FPU (qemu-m3).
q15    the same with int16 activations.
Calibration (int8, q15) runs data through the float graph for every tensor's range (calibrate.py); the
rewrite (rewrite.py) builds the integer graph; fixed.py is its arithmetic in NumPy, bit for bit with the C.
The C API stays float in, float out, float state.
"""
DTYPES = ("float32", "int8w", "int8", "q15")
INTEGER = ("int8", "q15")


def quantize(graph, layout, dtype, calibration=None):
    """The quantised graph (rewritten in place) and the manifest's `quantization` record (without errors)."""
    from tinyctl.compiler.passes import infer_shapes, remove_dead
    from tinyctl.compiler.quantize import calibrate
    from tinyctl.compiler.quantize.rewrite import Rewriter
    from tinyctl.compiler.verifier import verify
    record = {"dtype": dtype}
    amax = elem = None
    data, record["calibration"] = calibrate.load(calibration, layout)
    if dtype in INTEGER:
        amax, elem = calibrate.run(graph, layout, data)
    else:
        record["calibration"]["use"] = "int8w quantises weights only: the data serves verification"
    rw = Rewriter(graph, dtype, amax, elem)
    graph = rw.run()
    graph = remove_dead(graph)
    graph = infer_shapes(graph)
    verify(graph, shapes=True, stage=f"quantize ({dtype})")
    record["layers"] = rw.layers
    record["float_ops"] = rw.float_ops
    record["precision"] = precision(graph, rw)
    return graph, record, data


def precision(graph, rw):
    """Each run-time tensor's storage and scale: {name: {dtype, scale | fbits}}."""
    from tinyctl.compiler import ops
    out = {}
    scales = {q: s for (_, _), (q, s) in rw.qt.items()}
    for node in graph.nodes:
        if ops.lookup(node.op).is_view(node, graph):
            continue
        for name in node.outputs:
            if not name:
                continue
            t = graph.tensor(name)
            entry = {"dtype": t.dtype}
            s = scales.get(name)
            if s is not None:
                if hasattr(s, "__len__"):
                    entry["scale"] = "2^-f per element"
                else:
                    entry["scale"] = float(s)
            out[name] = entry
    return out
