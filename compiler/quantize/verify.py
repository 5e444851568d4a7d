"""Verification of a quantised build: two checks instead of contract 1's float rule.

1. The generated C is the quantised model: on random single steps and carried sequences (the float build's
   cases), the C matches the quantised graph in NumPy (compiler/quantize/fixed.py) bit for bit for int8 and
   q15 (integer arithmetic), within contract 1's rule for int8w (float arithmetic in another order). Where
   float ops are left between integer ones, their rounding (libm, the fast activations) can move an integer
   by one step, so those graphs are held to check 2's rule instead, and the record says so.
2. The quantised model is close to the float one: on the calibration data (sequences from reset, the state
   carried), every output and next state of the C differs from onnxruntime on the float ONNX by at most
   TOLERANCE[dtype] of that entry's range over the data (its largest |value|), plus contract 1's 1e-5.

The tolerances are those the closed-loop checks of the quantised RAPTOR policy hold at (tests/quant: its
figure-eight RMSE and recovery within 5 % or 1 cm of the float build, hover on the Cortex-M3), with room:
the int8 weights alone move RAPTOR's actions by about 1 % of their range, int8 activations by about 3 %.
"""
import tempfile

import numpy as np

from tinyctl.compiler import interp
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.verify import ATOL, RTOL, Reference, build_harness, draw_cases, run_harness

TOLERANCE = {"int8w": 0.05, "q15": 0.05, "int8": 0.10}
JUSTIFICATION = ("|y - r| <= 1e-5 + {tol:g} * range, per output and state entry, range = its largest |value| over "
                 "the calibration data: the error at which the quantised RAPTOR policy flies the figure eight and "
                 "the recovery scenario within 5 % (or 1 cm) of the float build (tests/quant), with room")


def _interp_cases(graph, layout, cases, reset):
    """The quantised graph in NumPy over the harness's cases: [(outputs [T, OUT], states [T, S])]."""
    out = []
    for mode, state, inputs in cases:
        s = state if mode == 2 else reset
        outs, states = [], []
        for x in inputs:
            feeds = {e["name"]: x[e["offset"]:e["offset"] + e["size"]].reshape(e["shape"]) for e in layout["inputs"]}
            st = {e["name"]: s[e["offset"]:e["offset"] + e["size"]] for e in layout["state"]}
            o, nxt = interp.run(graph, feeds, st)
            outs.append(np.concatenate([np.asarray(o[e["name"]], np.float32).ravel() for e in layout["outputs"]])
                        if layout["outputs"] else np.zeros(0, np.float32))
            s = np.concatenate([np.asarray(nxt[e["name"]], np.float32).ravel() for e in layout["state"]]) \
                if layout["state"] else s
            states.append(s)
        out.append((np.array(outs), np.array(states)))
    return out


def verify_quantized(model, float_graph, graph, directory, layout, dtype, data, reset, float_ops=(), samples=64,
                     steps=200):
    """The manifest's verify record; raises CompileError when a check fails. float_graph: the IR before the
    quantising rewrite (for onnxruntime's view of the state), graph: after it."""
    name = layout["name"]
    cases = draw_cases(layout, reset, samples, 2, steps, seed=0)
    data_cases = [(0, None, seq) for seq in data]
    with tempfile.TemporaryDirectory(prefix="tinyctl-qverify-") as build_dir:
        exe = build_harness(directory, name, build_dir)
        c_random = run_harness(exe, cases, layout)
        c_data = run_harness(exe, data_cases, layout)
    rule = "contract 1 (1e-5 + 1e-5 |r|)" if dtype == "int8w" else "bit for bit" if not float_ops else \
        f"1e-5 + {TOLERANCE[dtype]:g} * range (float ops left: {', '.join(float_ops)})"
    worst_c = 0.0
    pairs = list(zip(c_random, _interp_cases(graph, layout, cases, reset)))
    ys = [y for (outs, states), (r_outs, r_states) in pairs for y in (outs, states[:, :r_states.shape[1]])]
    rs = [r for _, (r_outs, r_states) in pairs for r in (r_outs, r_states)]
    rng = {k: np.abs(np.concatenate([r for r in rs[k::2] if r.size])).max() if any(r.size for r in rs[k::2]) else 0
           for k in (0, 1)}
    for k, (y, r) in enumerate(zip(ys, rs)):
        if y.size == 0:
            continue
        err = np.abs(y.astype(np.float64) - r.astype(np.float64))
        worst_c = max(worst_c, float(np.nanmax(err)))
        if rule == "bit for bit":
            bad = err > 0
        elif dtype == "int8w":
            bad = err > ATOL + RTOL * np.abs(r)
        else:
            bad = err > ATOL + TOLERANCE[dtype] * rng[k % 2]
        if np.any(bad & ~(np.isnan(y) & np.isnan(r))):
            raise CompileError(f"verification failed: the generated C differs from the quantised model ({rule}: "
                               f"|y - r| up to {err.max():.3g}); please report this model")
    return _against_float(Reference(model, float_graph, layout), reset, layout, dtype, data, c_data, worst_c, rule,
                          samples, cases)


def _against_float(ref, reset, layout, dtype, data, c_data, worst_c, rule, samples, cases):
    import onnxruntime as ort
    n_out = layout["sizes"]["out"]
    ys, rs = [], []
    for seq, (outs, states) in zip(data, c_data):
        s = reset
        for t, x in enumerate(seq):
            r_out, r_state = ref.step(x, s)
            s = r_state
            ys.append(np.concatenate([outs[t], states[t][:r_state.size]]))
            rs.append(np.concatenate([r_out, r_state]))
    y, r = np.array(ys, np.float64), np.array(rs, np.float64)
    rng = np.abs(r).max(axis=0)
    err = np.abs(y - r)
    tol = TOLERANCE[dtype]
    over = err - (ATOL + tol * rng)
    rel = err / np.maximum(rng, 1e-30)
    record = {"reference": f"onnxruntime {ort.__version__} on the float model", "samples": samples,
              "steps": int(sum(len(s) for s in data)), "max_abs_err": float(err.max()),
              "max_rel_err": float(rel.max()), "rms_rel_err": float(np.sqrt((rel ** 2).mean())),
              "data": "the calibration data, sequences from reset",
              "tolerance": {"atol": ATOL, "of_range": tol, "rule": JUSTIFICATION.format(tol=tol)},
              "c_vs_quantized_model": {"cases": len(cases), "max_abs_err": worst_c, "rule": rule}}
    if over.max() > 0:
        j = int(np.argmax(over.max(axis=0)))
        kind = "output" if j < n_out else "next state"
        raise CompileError(f"verification failed: the quantised model's {kind} value {j if j < n_out else j - n_out} "
                           f"differs from the float model by {err[:, j].max():.3g}, more than {tol:g} of its range "
                           f"{rng[j]:.3g}; give calibration data that covers the inputs (--calibration) or use a "
                           "wider dtype (q15, int8w)")
    return record
