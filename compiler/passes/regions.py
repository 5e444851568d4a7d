"""Region lowering: a YANN in the IR becomes one tc.RegionTable, a first-match search over its regions.

A dense YANN costs O(q n + p^2 + p m n) multiply-adds and as many floats of flash on every step (217 KB for the
85 regions of a horizon-5 double integrator), although only one region's law ever contributes. The table
stores each shared hyperplane once, each region's rows as (offset, hyperplane, sign), and the laws; the search
stops at the first region that holds, and inside a region at its first failing row.

The pass recognises the structure the YANN construction leaves after fusion, from the binary step on:
    slack = Dense(theta)   holds = GreaterOrEqual(slack, 0)   z1 = Cast(holds)
    z2 = Dense+Relu(z1; S 0/1, 1 - q_i)   z3 = Dense+Relu(z2; I - strictly lower ones)
    thc = Min(Max(theta, lo), hi)   z4 = Dense+Relu(Concat(z3, thc); big-M rows)   u = Dense(z4; +-1)
    [inside = Dense(z3; ones)]   [anything else reading z3: the region indicator, one-hot]
and checks every matrix before it rewrites anything: 0/1 selections, the exact triangular matrix, one plus and
one minus row per region and output with the same law, and big-M values that cover the law on the clip box,
which is what makes the dense network exactly the table (u = 0 and inside = 0 outside every region). A graph
that does not pass stays dense; `--lowering regions` then says which check failed.

A YANN whose region indicator z3 is also read elsewhere (YANN-RL's actor gates one trained branch per region
with it) keeps those readers: the table then also gives the indicator, one-hot of the region it found (all zero
outside), which is exactly z3, so the rest of the network (the branches) stays dense around the table.

options["lowering"]: "auto" (default: tables where a YANN is recognised), "regions" (must find one), "dense".
"""
from dataclasses import dataclass

import numpy as np

from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.ir import Node
from tinyctl.compiler.passes.dce import remove_dead
from tinyctl.compiler.passes.shapes import infer_shapes

LOWERINGS = ("auto", "regions", "dense")


class NotRecognised(Exception):
    pass


@dataclass
class Match:
    nodes: list
    theta: str
    u: str
    inside: str
    tables: dict
    indicator: str = ""       # z3, when nodes outside the YANN read it


def lower_regions(graph, options=None):
    mode = (options or {}).get("lowering") or "auto"
    if mode not in LOWERINGS:
        raise CompileError(f"unknown lowering '{mode}': choose one of {', '.join(LOWERINGS)}")
    if mode == "dense":
        return graph
    matches, reasons = [], []
    for node in list(graph.nodes):
        if node.op == "GreaterOrEqual":
            try:
                matches.append(_match(graph, node))
            except NotRecognised as e:
                reasons.append(f"'{node.name}': {e}")
            except (ValueError, IndexError, KeyError, AttributeError, TypeError) as e:
                # a shape this matcher did not foresee is not a YANN; it must never break an unrelated model
                reasons.append(f"'{node.name}': not the YANN pattern ({type(e).__name__})")
    if not matches:
        if mode == "regions":
            why = "; ".join(reasons) if reasons else "the model has no binary step (GreaterOrEqual) to start from"
            raise CompileError(f"--lowering regions: no YANN structure recognised ({why}); compile with "
                               "--lowering dense")
        return graph
    records = []
    for m in matches:
        records.append(_replace(graph, m))
    graph.meta["region_tables"] = records
    return remove_dead(infer_shapes(graph))


# matching ----------------------------------------------------------------------------------------------------
def _only_consumer(graph, consumers, tensor, op, what):
    users = consumers.get(tensor, [])
    if tensor in graph.live_roots() or len(users) != 1 or users[0].op != op:
        raise NotRecognised(f"{what}: '{tensor}' must feed exactly one {op} and nothing else")
    return users[0]


def _const(graph, node, k, what):
    name = node.inputs[k] if len(node.inputs) > k else ""
    if not name:
        return None
    t = graph.tensor(name)
    if not t.is_const:
        raise NotRecognised(f"{what} is computed at run time")
    return t.value.astype(np.float64)


def _dense(node, activation, what, bias=None):
    if node.op != "tc.Dense" or node.params.get("activation") != activation:
        raise NotRecognised(f"{what}: expected a dense layer with activation {activation}")
    return node


def _match(graph, ge):
    producers, consumers = graph.producers(), graph.consumers()
    zero = graph.tensor(ge.inputs[1])
    if not zero.is_const or np.any(zero.value != 0):
        raise NotRecognised("the step does not compare with 0")
    halfspaces = _dense(producers.get(ge.inputs[0]) or Node("", "", [], []), None, "half-space layer")
    theta = halfspaces.inputs[0]
    if theta not in graph.inputs or graph.tensor(theta).shape[0] != 1:
        raise NotRecognised("the half-space layer does not read a graph input of batch 1")
    w1, b1 = _const(graph, halfspaces, 1, "W1"), _const(graph, halfspaces, 2, "b1")
    b1 = np.zeros(w1.shape[0]) if b1 is None else b1
    if consumers.get(halfspaces.outputs[0], []) != [ge] or halfspaces.outputs[0] in graph.live_roots():
        raise NotRecognised("the half-space values are used elsewhere")
    cast = _only_consumer(graph, consumers, ge.outputs[0], "Cast", "step")
    regions = _dense(_only_consumer(graph, consumers, cast.outputs[0], "tc.Dense", "region layer"), "Relu",
                     "region layer")
    sel, b2 = _const(graph, regions, 1, "S"), _const(graph, regions, 2, "b2")
    if b2 is None or not np.all((sel == 0) | (sel == 1)) or np.any(sel.sum(1) < 1) \
            or not np.array_equal(b2, 1.0 - sel.sum(1)):
        raise NotRecognised("the region layer is not a 0/1 selection with bias 1 - q_i")
    first = _dense(_only_consumer(graph, consumers, regions.outputs[0], "tc.Dense", "first-region layer"), "Relu",
                   "first-region layer")
    p = sel.shape[0]
    lower, b3 = _const(graph, first, 1, "L"), _const(graph, first, 2, "b3")
    if lower.shape != (p, p) or not np.array_equal(lower, np.eye(p) - np.tril(np.ones((p, p)), -1)) \
            or (b3 is not None and np.any(b3 != 0)):
        raise NotRecognised("the first-region layer is not I minus the strictly lower ones")
    z3 = first.outputs[0]
    if z3 in graph.live_roots():
        raise NotRecognised("the region indicator is a graph output")
    users = consumers.get(z3, [])
    concat = [n for n in users if n.op == "Concat" and len(n.inputs) == 2 and n.inputs[0] == z3
              and n.params.get("axis") in (1, -1) and getattr(producers.get(n.inputs[1]), "op", "") in ("Min", "Max")]
    inside = [n for n in users if _is_sum(graph, n, p)]
    if len(concat) != 1:
        raise NotRecognised("the laws do not read [regions, clipped theta] side by side")
    concat = concat[0]
    others = [n for n in users if n is not concat and n not in inside[:1]]
    lo, hi, clip_nodes = _clip_box(graph, producers, consumers, concat.inputs[1], theta)
    laws = _dense(_only_consumer(graph, consumers, concat.outputs[0], "tc.Dense", "law layer"), "Relu", "law layer")
    total = _dense(_only_consumer(graph, consumers, laws.outputs[0], "tc.Dense", "sum layer"), None, "sum layer")
    w4, b4, w5 = _const(graph, laws, 1, "W4"), _const(graph, laws, 2, "b4"), _const(graph, total, 1, "W5")
    b5 = _const(graph, total, 2, "b5")
    if b4 is None or (b5 is not None and np.any(b5 != 0)):
        raise NotRecognised("the law layers' biases are not those of a YANN")
    n = graph.tensor(theta).size
    k, r = _laws(w4, b4, w5, p, n, lo, hi)
    inside_out = ""
    nodes = [halfspaces, ge, cast, regions, first, concat, laws, total] + clip_nodes
    if inside:
        inside_out = inside[0].outputs[0]
        nodes.append(inside[0])
    for node in nodes:
        for out in node.outputs:
            if out and out not in (total.outputs[0], inside_out) and out in graph.live_roots():
                raise NotRecognised(f"the intermediate '{out}' is a graph output")
    return Match(nodes, theta, total.outputs[0], inside_out, _tables(w1, b1, sel, k, r, lo, hi),
                 indicator=z3 if others else "")


def _is_sum(graph, node, p):
    """node = Dense(z3; a row of ones, no bias, no activation): the inside output."""
    if node.op != "tc.Dense" or node.params.get("activation"):
        return False
    ones, bias = _const(graph, node, 1, "ones"), _const(graph, node, 2, "bias")
    return ones.shape == (1, p) and bool(np.all(ones == 1)) and (bias is None or not np.any(bias))


def _clip_box(graph, producers, consumers, thc, theta):
    """(lo, hi, nodes) of thc = Min(Max(theta, lo), hi) (either order)."""
    n = graph.tensor(theta).size
    outer = producers.get(thc)
    inner = producers.get(outer.inputs[0]) if outer is not None and outer.inputs else None
    if outer is None or inner is None or {outer.op, inner.op} != {"Min", "Max"} or inner.inputs[0] != theta \
            or len(outer.inputs) != 2 or len(inner.inputs) != 2:
        raise NotRecognised("the laws do not read theta clipped to a box (Min/Max with constants), so the dense "
                            "network is not zero outside the regions")
    if consumers.get(inner.outputs[0], []) != [outer] or inner.outputs[0] in graph.live_roots() \
            or len(consumers.get(outer.outputs[0], [])) != 1 or outer.outputs[0] in graph.live_roots():
        raise NotRecognised("the clipped theta is used elsewhere")
    bounds = {}
    for node in (outer, inner):
        c = graph.tensor(node.inputs[1])
        if not c.is_const or c.size not in (1, n):
            raise NotRecognised("the clip bounds are not constants of theta's size")
        bounds[node.op] = np.broadcast_to(c.value.astype(np.float64).ravel(), (n,)).copy()
    lo, hi = bounds["Max"], bounds["Min"]
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo <= hi)):
        raise NotRecognised("the clip box is not finite")
    return lo, hi, [inner, outer]


def _laws(w4, b4, w5, p, n, lo, hi):
    """(K [p, m, n], r [p, m]) from the big-M rows, after checking that they are exact on the clip box."""
    m = w5.shape[0]
    if w4.shape != (2 * p * m, p + n) or w5.shape[1] != 2 * p * m:
        raise NotRecognised("the law layer does not have one plus and one minus row per region and output")
    found = {}
    for j in range(w4.shape[0]):
        gate = np.flatnonzero(w4[j, :p])
        out = np.flatnonzero(w5[:, j])
        if len(gate) != 1 or len(out) != 1 or w4[j, gate[0]] <= 0 or abs(w5[out[0], j]) != 1:
            raise NotRecognised("a law row is not gated by exactly one region or summed into one output")
        key = (int(gate[0]), int(out[0]), float(w5[out[0], j]))
        if key in found:
            raise NotRecognised("two law rows for the same region, output and sign")
        found[key] = j
    k, r = np.zeros((p, m, n)), np.zeros((p, m))
    c, h = (hi + lo) / 2, (hi - lo) / 2
    for i in range(p):
        for o in range(m):
            plus, minus = found.get((i, o, 1.0)), found.get((i, o, -1.0))
            if plus is None or minus is None:
                raise NotRecognised(f"region {i} lacks its plus or minus row for output {o}")
            m_plus, m_minus = w4[plus, i], w4[minus, i]
            k_plus, k_minus = w4[plus, p:], -w4[minus, p:]
            r_plus, r_minus = b4[plus] + m_plus, -(b4[minus] + m_minus)
            scale = 1.0 + max(m_plus, m_minus)
            if np.max(np.abs(k_plus - k_minus)) > 1e-6 * (1 + np.max(np.abs(k_plus))) \
                    or abs(r_plus - r_minus) > 1e-6 * scale:
                raise NotRecognised(f"region {i}'s plus and minus rows disagree on the law")
            k[i, o], r[i, o] = (k_plus + k_minus) / 2, (r_plus + r_minus) / 2
            peak = abs(k[i, o] @ c + r[i, o]) + np.abs(k[i, o]) @ h
            if min(m_plus, m_minus) < peak * (1 - 1e-6):
                raise NotRecognised(f"region {i}'s big-M ({min(m_plus, m_minus):.6g}) is below the law's peak on the "
                                    f"box ({peak:.6g}): the dense network is not zero outside the active region")
    return k, r


def _tables(w1, b1, sel, k, r, lo, hi):
    """Shared hyperplanes and per-region rows: planes [H, n], offsets and plane_of per row, region_end per region."""
    planes, index = [], {}
    row_plane = []
    for w in w1.astype(np.float32):
        key, neg = w.tobytes(), (-w).tobytes()
        if key in index:
            row_plane.append(index[key] + 1)
        elif neg in index:
            row_plane.append(-(index[neg] + 1))
        else:
            index[key] = len(planes)
            planes.append(w)
            row_plane.append(len(planes))
    offsets, plane_of, region_end = [], [], []
    for i in range(sel.shape[0]):
        for j in np.flatnonzero(sel[i]):
            offsets.append(b1[j])
            plane_of.append(row_plane[j])
        region_end.append(len(offsets))
    if len(planes) >= 2 ** 15 or len(offsets) >= 2 ** 16:
        raise NotRecognised("the table is too large for 16-bit indices")
    return {"planes": np.array(planes, np.float32), "offsets": np.array(offsets, np.float32),
            "k": k.astype(np.float32), "r": r.astype(np.float32), "lo": lo.astype(np.float32),
            "hi": hi.astype(np.float32), "plane_of": np.array(plane_of, np.int64),
            "region_end": np.array(region_end, np.int64)}


# rewriting ---------------------------------------------------------------------------------------------------
def _replace(graph, m):
    position = min(graph.nodes.index(n) for n in m.nodes)
    names = [m.theta]
    for key in ("planes", "offsets", "k", "r", "lo", "hi", "plane_of", "region_end"):
        names.append(graph.add_const(f"regions.{key}", m.tables[key]))
    outputs = [m.u, m.inside] + ([m.indicator] if m.indicator else [])
    node = Node("tc.RegionTable", graph.fresh_name("regions"), names, outputs if m.inside or m.indicator else [m.u])
    removed = {id(n) for n in m.nodes}
    graph.nodes = [n for n in graph.nodes if id(n) not in removed]
    graph.nodes.insert(min(position, len(graph.nodes)), node)
    t = m.tables
    p, mo, n = t["k"].shape
    int_bytes = 2 * (t["plane_of"].size + t["region_end"].size)
    float_bytes = 4 * sum(t[key].size for key in ("planes", "offsets", "k", "r", "lo", "hi"))
    return {"node": node.name, "regions": int(p), "halfspaces": int(t["offsets"].size),
            "hyperplanes": int(t["planes"].shape[0]), "outputs": int(mo), "inputs": int(n),
            "table_bytes": int(int_bytes + float_bytes), "index_bytes": int(int_bytes), "indicator": bool(m.indicator)}
