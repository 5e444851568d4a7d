"""tc.RegionTable: an explicit piecewise-affine law as a table of regions, searched first-match.

Built by the region lowering (passes/regions.py) from a YANN: inputs [theta, planes [H, n], offsets [rows],
K [p, m, n], r [p, m], lo [n], hi [n], plane_of [rows] (int), region_end [p] (int)]; outputs [u [1, m], inside
[1, 1] or "", indicator [1, p] or ""] (the indicator, one-hot of the region found, for a network that gates
more than the law with it: YANN-RL's branches). The integer tables are printed by this op's template as int16/uint16 arrays (the backend prints
float constants only), so they count in flash but not in the manifest's weights_bytes; the pass records the
table's exact size in the manifest's `lowerings`.
"""
import numpy as np

from tinyctl.compiler.ir import FLOAT
from tinyctl.compiler.literals import c_int_array
from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


def find_region(x, planes, offsets, plane_of, region_end):
    """The first region holding x (float32 arithmetic, like the kernel), or -1."""
    row = 0
    for i, end in enumerate(region_end):
        holds = True
        for j in range(row, int(end)):
            h = int(plane_of[j])
            d = np.float32(0.0)
            for pk, xk in zip(planes[abs(h) - 1], x):
                d = np.float32(d + np.float32(pk) * np.float32(xk))
            if not offsets[j] + (-d if h < 0 else d) >= 0:
                holds = False
                break
        if holds:
            return i
        row = int(end)
    return -1


@register
class RegionTable(Op):
    op_types = ("tc.RegionTable",)
    template = "region_table.c.j2"
    headers = ("tinyctl/regions.h",)
    foldable = False
    const_inputs = (7, 8)

    def read(self, node, graph):
        return {}

    def infer(self, node, graph):
        x, planes, offsets, k, r, lo, hi, plane_of, region_end = (graph.tensor(i) for i in node.inputs)
        p, m, n = k.shape
        if x.size != n or planes.shape[1] != n or r.shape != (p, m) or lo.size != n or hi.size != n \
                or offsets.size != plane_of.size or region_end.size != p:
            raise self.error(node, "inconsistent region table sizes")
        return [(FLOAT, (1, m)), (FLOAT, (1, 1)), (FLOAT, (1, p))][:len(node.outputs)]

    def evaluate(self, node, inputs):
        x, planes, offsets, k, r, lo, hi, plane_of, region_end = inputs
        theta = np.asarray(x, np.float32).ravel()
        region = find_region(theta, planes, offsets, plane_of, region_end)
        m = k.shape[1]
        u = np.zeros((1, m), np.float32)
        if region >= 0:
            clipped = np.minimum(np.maximum(theta, lo), hi).astype(np.float32)
            u[0] = (k[region] @ clipped + r[region]).astype(np.float32)
        indicator = np.zeros((1, k.shape[0]), np.float32)
        if region >= 0:
            indicator[0, region] = 1.0
        return [u, np.array([[1.0 if region >= 0 else 0.0]], np.float32), indicator][:len(node.outputs)]

    def macs(self, node, graph):
        _, planes, offsets, k, *_ = (graph.tensor(i) for i in node.inputs)
        return int(offsets.size * planes.shape[1] + k.size)     # the worst case: every row tested

    def emit_args(self, node, ctx):
        names = node.inputs
        p, m, n = ctx.shape(names[3])
        plane_of = ctx.graph.tensor(names[7]).value
        region_end = ctx.graph.tensor(names[8]).value
        inside = node.outputs[1] if len(node.outputs) > 1 and node.outputs[1] else None
        indicator = node.outputs[2] if len(node.outputs) > 2 and node.outputs[2] else None
        return {"indicator": ctx.ptr(indicator) if indicator else None,"x": ctx.ptr(names[0]), "planes": ctx.ptr(names[1]), "offsets": ctx.ptr(names[2]),
                "k": ctx.ptr(names[3]), "r": ctx.ptr(names[4]), "lo": ctx.ptr(names[5]), "hi": ctx.ptr(names[6]),
                "u": ctx.ptr(node.outputs[0]), "inside": ctx.ptr(inside) if inside else None,
                "rows": int(plane_of.size), "regions": p, "m": m, "n": n,
                "plane_of": c_int_array(plane_of, indent="        "),
                "region_end": c_int_array(region_end, indent="        ")}
