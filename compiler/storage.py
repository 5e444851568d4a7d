"""Where every tensor lives at run time, and the lifetimes the memory planner packs into the arena.

Regions: `in` (the caller's inputs), `state` (the caller's state `s`), `out` (the caller's outputs),
`const` (weights in flash), `arena` (a stack array of the step function; quantised builds add `arena_i8`,
`arena_i16` and `arena_i32` for their integer tensors and scratch, each planned on its own). Views always share their input's
buffer; elementwise ops may overwrite an input that dies with them. A graph output is written in place by
the node that computes it; outputs that are views, inputs or constants, and every next state, are copied at
the end of the step, after the last read of `s`, because `s` and `next` may be the same struct.
"""
from dataclasses import dataclass, field

from tinyctl.compiler import ops
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.ir import FLOAT, INT8, INT16, INT32, ITEMSIZE
from tinyctl.compiler.plan import Buffer, lower_bound, plan

# the arena each run-time type lives in, and back
ARENAS = {INT8: "arena_i8", INT16: "arena_i16", INT32: "arena_i32"}
ARENA_TYPES = {"arena": FLOAT, **{region: dtype for dtype, region in ARENAS.items()}}


def arena_of(dtype):
    return ARENAS.get(dtype, "arena")


@dataclass
class Storage:
    region: dict = field(default_factory=dict)      # root tensor name -> region
    offset: dict = field(default_factory=dict)      # root tensor name -> offset in its region (elements)
    root: dict = field(default_factory=dict)        # tensor name -> the tensor whose buffer it uses
    final_copies: list = field(default_factory=list)  # (destination expression, source tensor, size)
    scratch: dict = field(default_factory=dict)     # node name -> arena offset of its scratch space
    scratch_region: dict = field(default_factory=dict)  # node name -> the arena its scratch is in
    buffers: list = field(default_factory=list)     # what the planner packed
    arena_size: int = 0                             # floats of the float arena
    arena_bound: int = 0                            # the planner's lower bound (floats)
    arena_unshared: int = 0                         # the sum of all float arena buffers (no reuse)
    arenas: dict = field(default_factory=dict)      # arena region -> elements, every arena used
    bytes_bound: int = 0                            # over every arena, in bytes
    bytes_unshared: int = 0

    @property
    def arena_bytes(self):
        return sum(n * ITEMSIZE[ARENA_TYPES[r]] for r, n in self.arenas.items())


def assign(graph):
    st = Storage()
    for k, name in enumerate(graph.inputs):
        st.region[name], st.offset[name] = "in", _offset(graph, graph.inputs, k)
    for k, s in enumerate(graph.state):
        st.region[s.input], st.offset[s.input] = "state", _offset(graph, [x.input for x in graph.state], k)
    for name, t in graph.tensors.items():
        if t.is_const:
            st.region[name] = "const"
    for name in st.region:
        st.root[name] = name

    out_offsets = {name: _offset(graph, graph.outputs, k) for k, name in enumerate(graph.outputs)}
    placed_outputs = set()
    for node in graph.nodes:
        op = ops.lookup(node.op)
        if op.is_view(node, graph):
            st.root[node.outputs[0]] = st.root[node.inputs[0]]
            continue
        for out in node.outputs:
            if not out:
                continue
            st.root[out] = out
            if out in out_offsets and out not in placed_outputs:
                st.region[out], st.offset[out] = "out", out_offsets[out]
                placed_outputs.add(out)
            else:
                st.region[out] = arena_of(graph.tensor(out).dtype)

    # outputs that are inputs, constants, states or listed twice are copied at the end
    for name in graph.outputs:
        if name not in placed_outputs or st.offset.get(name) != out_offsets[name]:
            st.final_copies.append((("out", out_offsets[name]), name, graph.tensor(name).size))
    for k, s in enumerate(graph.state):
        st.final_copies.append((("next", _offset(graph, [x.input for x in graph.state], k)), s.output,
                                graph.tensor(s.output).size))

    _check_state_sources(graph, st)
    _inplace(graph, st)
    _plan_arena(graph, st)
    return st


def _check_state_sources(graph, st):
    """A next state read straight from another slot of `s` would be clobbered when `s` is `next`."""
    for k, s in enumerate(graph.state):
        src = st.root[s.output]
        if st.region.get(src) == "state" and st.offset[src] != _offset(graph, [x.input for x in graph.state], k):
            raise CompileError(f"state '{s.name}' takes its next value from another state ('{src}') unchanged; "
                               "states that swap places are not supported: compute the new value in the model")


def _offset(graph, names, k):
    return sum(graph.tensor(n).size for n in names[:k])


def _last_uses(graph, st):
    last = {}
    for k, node in enumerate(graph.nodes):
        for name in node.inputs:
            if name:
                last[st.root[name]] = k
    end = len(graph.nodes)
    for _, name, _ in st.final_copies:
        last[st.root[name]] = end
    return last


def _inplace(graph, st):
    """An elementwise output takes over its input's arena buffer when that input dies at this node."""
    last = _last_uses(graph, st)
    for k, node in enumerate(graph.nodes):
        op = ops.lookup(node.op)
        out = node.outputs[0] if node.outputs else ""
        if not out or not st.region.get(out, "").startswith("arena") or op.is_view(node, graph):
            continue
        for pos in op.inplace(node, graph):
            src = st.root[node.inputs[pos]]
            if st.region.get(src) == st.region[out] and last.get(src) == k \
                    and graph.tensor(node.inputs[pos]).size == graph.tensor(out).size:
                for name, r in list(st.root.items()):
                    if r == out:
                        st.root[name] = src
                del st.region[out]
                last = _last_uses(graph, st)
                break


def _plan_arena(graph, st):
    first, last = {}, _last_uses(graph, st)
    for k, node in enumerate(graph.nodes):
        for out in node.outputs:
            if out and st.region.get(st.root[out], "").startswith("arena"):
                first.setdefault(st.root[out], k)
    buffers = {}
    for name in first:
        buffers.setdefault(st.region[name], []).append(
            Buffer(name, graph.tensor(name).size, first[name], max(last.get(name, first[name]), first[name])))
    for k, node in enumerate(graph.nodes):
        n = ops.lookup(node.op).scratch(node, graph)
        n, dtype = n if isinstance(n, tuple) else (n, FLOAT)
        if n:
            buffers.setdefault(arena_of(dtype), []).append(Buffer(f"{node.name}#scratch", n, k, k))
            st.scratch_region[node.name] = arena_of(dtype)
    for region, bufs in sorted(buffers.items()):
        offsets, size = plan(bufs)
        for b in bufs:
            if b.key.endswith("#scratch"):
                st.scratch[b.key[:-len("#scratch")]] = offsets[b.key]
            else:
                st.offset[b.key] = offsets[b.key]
        st.arenas[region] = size
        item = ITEMSIZE[ARENA_TYPES[region]]
        st.bytes_bound += item * lower_bound(bufs)
        st.bytes_unshared += item * sum(b.size for b in bufs)
    float_buffers = buffers.get("arena", [])
    st.buffers = [b for bufs in buffers.values() for b in bufs]
    st.arena_size = st.arenas.get("arena", 0)
    st.arena_bound = lower_bound(float_buffers)
    st.arena_unshared = sum(b.size for b in float_buffers)
