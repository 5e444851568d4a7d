"""`tinyctl compile --jacobian`: the exact Jacobian of a model's outputs with respect to its inputs, in C.

Forward mode through the lowered graph: every tensor that depends on the inputs carries a tangent (d tensor /
d in, [elements][IN_SIZE]) computed right beside its value by the op's derivative rule (jacobian/rules/), so the
derivative is exact to float32 rounding, with no finite differences. The values are computed by the very code
`<name>_step` runs (the ops' own templates over the same storage plan), so `out` matches the step bit for bit.

Output: `<name>_jacobian.h` declares

    void <name>_jacobian(const float in[IN_SIZE], float out[OUT_SIZE], float jac[OUT_SIZE * IN_SIZE]);

with jac[i * IN_SIZE + j] = d out[i] / d in[j]; the function itself is appended to `<name>.c`, where the weights
are. Models with recurrent state are refused (a dynamics model maps (state, input) to the next state through
its inputs and outputs).
"""
import os
import re

import jinja2

from tinyctl.compiler import ops
from tinyctl.compiler.backend import EmitContext, _used_consts
from tinyctl.compiler.backend.names import Namer
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.jacobian.rules import rule_for, supported_ops
from tinyctl.compiler.jacobian.tangents import BUF, SEL, TangentPlan
from tinyctl.compiler.literals import c_float_array

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.dirname(__file__)), undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

__all__ = ["emit_jacobian", "supported_ops"]


def check(graph, layout):
    if graph.state:
        names = ", ".join(s.name for s in graph.state)
        raise CompileError(f"--jacobian takes models without recurrent state, but this one carries {names}: "
                           "export the dynamics as a map from (state, input) to the next state")
    if layout["sizes"]["in"] == 0 or layout["sizes"]["out"] == 0:
        raise CompileError("--jacobian needs a model with inputs and outputs")
    for e in layout["inputs"]:
        if e.get("dtype", "float32") != "float32":
            raise CompileError(f"--jacobian: input '{e['name']}' is {e['dtype']}; derivatives are taken with "
                               "respect to float inputs only")


def emit_jacobian(graph, storage, layout, name, banner):
    """Returns (text appended to <name>.c, {"<name>_jacobian.h": text}, the manifest's jacobian record)."""
    check(graph, layout)
    namer = Namer(name)
    const_names = {c: namer(c) for c in _used_consts(graph, storage)}
    ctx = EmitContext(graph, storage, const_names)
    tp = TangentPlan(graph, storage, layout, rule_for)
    tp.use_namer(namer)
    body, helpers = [], []
    for node in graph.nodes:
        op = ops.lookup(node.op)
        if op.is_view(node, graph):
            continue
        rule = rule_for(node)
        before, after = rule.before(node, tp, ctx), rule.after(node, tp, ctx)
        code = ([_helper(name, before, helpers)] if before else []) + [op.emit(node, ctx)] + \
               ([_helper(name, after, helpers)] if after else [])
        outs = ", ".join(f"{o} {list(ctx.shape(o))}" for o in node.outputs if o)
        body.append((f"{node.name}: {node.op} -> {outs}", "\n".join(code)))
    finals = _finals(graph, storage, layout, tp, ctx)
    p, n_out = layout["sizes"]["in"], layout["sizes"]["out"]
    text = "\n".join(c for _, c in body) + "\n".join(finals)
    args = dict(name=name, NAME=name.upper(), banner=banner, body=body, finals=finals, arena=storage.arena_size,
                tangents=tp.arena_size, uses_in=bool(re.search(r"\bin\b", text)), helpers=helpers,
                constants=[{"cname": c, "shape": list(v.shape), "size": v.size, "data": c_float_array(v)}
                           for c, v in tp.constants])
    source = _ENV.get_template("function.c.j2").render(**args)
    header = _ENV.get_template("header.h.j2").render(**args)
    record = {"function": f"{name}_jacobian", "header": f"{name}_jacobian.h", "mode": "forward",
              "rows": n_out, "cols": p, "layout": "row-major: jac[i * IN_SIZE + j] = d out[i] / d in[j]",
              "tangent_arena_bytes": 4 * tp.arena_size,
              "extra_weights_bytes": 4 * int(sum(v.size for _, v in tp.constants)),
              "inputs": [{"name": e["name"], "columns": [e["offset"], e["offset"] + e["size"]]}
                         for e in layout["inputs"]],
              "verify": None}
    return source, {f"{name}_jacobian.h": header}, record


HELPER_PARAMS = ("in", "out", "jac", "arena", "tan")


def _helper(name, code, helpers):
    """Tangent code in a function of its own (never inlined): kept apart from the values' kernels, whose inline
    assembly GCC cannot size, so the float constants tangent code loads stay within reach of their literal pool.
    Returns the call."""
    fname = f"{name}_tangent_{len(helpers)}"
    unused = [p for p in HELPER_PARAMS if not re.search(rf"\b{p}\b", code)]
    helpers.append({"name": fname, "code": code, "unused": unused})
    return f"{fname}(in, out, jac, arena, tan);"


def _finals(graph, storage, layout, tp, ctx):
    """Outputs no node wrote in place, and the Jacobian's rows: the outputs' tangents by rows, unit rows or zeros."""
    lines = []
    for (region, offset), src, size in storage.final_copies:
        if region == "out":
            lines.append(f"tc_copy(out + {offset}, {ctx.ptr(src)}, {size});" if offset
                         else f"tc_copy(out, {ctx.ptr(src)}, {size});")
    p = layout["sizes"]["in"]
    for e in layout["outputs"]:
        name, offset, size = e["name"], e["offset"], e["size"]
        t = tp.of(name)
        dst = f"jac + {offset * p}" if offset else "jac"
        if t.kind == BUF:
            lines.append(f"tc_jac_rows({dst}, {tp.ptr(name)}, {size}, {p});")
        elif t.kind == SEL:
            lines.append(f"tc_jac_identity({dst}, {size}, {p}, {t.offset});")
        else:
            lines.append(f"tc_jac_zero({dst}, {size * p});")
    return lines

