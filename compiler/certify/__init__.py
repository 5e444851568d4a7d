"""Certified upper bounds of the l2 Lipschitz constant of the network the backend emits (`compile --lipschitz`).

The certificate is computed on the final IR, after every pass, so it holds for the weights actually printed
into the C file (float32 values, widened exactly to float64). The method is chosen by a fixed rule, so the
same model always gets the same method and the same number:

    hidden width <= 64        LipSDP-Neuron (an SDP; tightest)           lipsdp.py
    wider, or the SDP fails   ECLipsE-Fast (closed form, layer-wise)     eclipse.py
    neither applies           product of spectral norms (loose)          norms.py
    no hidden layer           the spectral norm (exact for a linear map)

A model that is not one feed-forward chain from its inputs to its outputs (a GRU policy) gets a bound for each
feed-forward part, with scope "feedforward-parts": the recurrent cell between them is not covered.
"""
import contextlib

import numpy as np

from tinyctl.compiler.certify import eclipse, lipsdp, norms
from tinyctl.compiler.certify.chain import parts_of
from tinyctl.compiler.certify.margins import round_up
from tinyctl.compiler.errors import CompileError

METHODS = {"lipsdp": "LipSDP-Neuron", "eclipse": "ECLipsE-Fast", "norms": "product of spectral norms",
           "linear": "spectral norm (exact: linear map)"}
DISCONTINUOUS = ("Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Equal", "Where", "Sign", "Round", "Floor",
                 "Ceil", "Cast", "tc.RegionTable")


def certify_part(weights, slopes, out_gain=1.0):
    """(bound, method key) for one canonical chain, by the fixed rule."""
    if not weights:
        return out_gain, "linear"
    if not slopes:
        return norms.bound(weights, slopes) * out_gain, "linear"
    width = max(w.shape[0] for w in weights[:-1])
    if width <= lipsdp.MAX_WIDTH:
        try:
            return lipsdp.bound(weights, slopes) * out_gain, "lipsdp"
        except lipsdp.LipSDPFailed:
            pass
    try:
        return eclipse.bound(weights, slopes) * out_gain, "eclipse"
    except (eclipse.NotApplicable, np.linalg.LinAlgError):
        return norms.bound(weights, slopes) * out_gain, "norms"


def _one_blas_thread():
    """The matrices here are small: BLAS threads only contend (a 2 x 64 SDP ran 20 times slower with them on a loaded machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def certify(graph):
    """The manifest's `lipschitz` record: {bound, method, scope, norm, parts, note}."""
    with _one_blas_thread():
        return _certify(graph)


def _certify(graph):
    parts, stops = parts_of(graph)
    producers = graph.producers()
    for tensor, reason in stops:
        node = producers.get(tensor)
        if node is not None and node.op in DISCONTINUOUS:
            raise CompileError(f"--lipschitz: the model is discontinuous at {reason} (a step from one value to "
                               "another), so no Lipschitz bound exists; compile without --lipschitz")
    if not parts:
        raise CompileError("--lipschitz: no feed-forward layers lead from the inputs to the outputs; "
                           "nothing to certify")
    records, methods = [], []
    for p in parts:
        value, key = certify_part(p.weights, p.slopes, p.out_gain)
        methods.append(key)
        records.append({"from": p.source, "to": p.target, "layers": p.layers, "widths": p.widths,
                        "method": METHODS[key], "bound": round_up(value),
                        "spectral_product": round_up(norms.bound(p.weights, p.slopes) * p.out_gain)
                        if p.weights else round_up(p.out_gain)})
    whole = not stops and all(p.source_is_input for p in parts)
    method = METHODS[max(set(methods), key=("linear", "lipsdp", "eclipse", "norms").index)]
    if whole:
        # outputs certified one by one: the stacked output's bound is the root of the sum of squares
        value = float(np.sqrt(sum(r["bound"] ** 2 for r in records))) if len(records) > 1 else records[0]["bound"]
        note = "the whole map from the inputs to the outputs"
        scope = "network"
    else:
        value = float(np.prod([r["bound"] for r in records]))
        stopped = ", ".join(sorted({reason for _, reason in stops})) or "state inputs"
        note = (f"feed-forward parts only; {stopped} between them is not covered: the bound is the product of "
                "the parts' bounds, a bound of the policy only if those ops were 1-Lipschitz")
        scope = "feedforward-parts"
    return {"bound": round_up(value), "method": method, "scope": scope, "norm": "l2", "parts": records,
            "note": note}
