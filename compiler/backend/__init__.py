"""C backend: the model's header and source, from the IR, its storage plan and the ops' templates."""
import os
import re

import jinja2
import numpy as np

from tinyctl import __version__
from tinyctl.compiler import ops
from tinyctl.compiler.backend.names import Namer
from tinyctl.compiler.ir import BOOL, CTYPES, FLOAT
from tinyctl.compiler.storage import ARENA_TYPES
from tinyctl.compiler.literals import c_float, c_float_array, c_int_array
from tinyctl.runtime import INCLUDE_DIR

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.dirname(__file__)), undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


# the C expression of each region's buffer (arenas are named as their region)
_BASES = {"in": "in", "out": "out", "state": "s->h"}


def _const_entry(graph, c, cname):
    t = graph.tensor(c)
    ctype = CTYPES[t.dtype]
    data = c_float_array(t.value.astype(np.float32)) if ctype == "float" else c_int_array(t.value, per_line=16)
    return {"cname": cname, "origin": c, "shape": list(t.shape), "size": t.size, "bool": t.dtype == BOOL,
            "ctype": ctype, "data": data}


class EmitContext:
    """What an op's emit phase may ask: the C expression of a tensor's buffer, shapes, its scratch space."""

    c_float = staticmethod(c_float)

    def __init__(self, graph, storage, const_names):
        self.graph, self.storage, self.const_names = graph, storage, const_names

    def ptr(self, name):
        root = self.storage.root[name]
        region = self.storage.region[root]
        if region == "const":
            return self.const_names[root]
        base = _BASES.get(region, region)
        offset = self.storage.offset[root]
        return f"{base} + {offset}" if offset else base

    def at(self, name, index):
        """The C lvalue of element `index` (a C expression) of a tensor, e.g. `arena[32 + i0]`."""
        root = self.storage.root[name]
        if self.storage.region[root] == "const":
            return f"{self.const_names[root]}[{index}]"
        base = _BASES.get(self.storage.region[root], self.storage.region[root])
        offset = self.storage.offset[root]
        if offset:
            index = str(offset) if index == "0" else f"{offset} + {index}"
        return f"{base}[{index}]"

    def scratch(self, node):
        offset = self.storage.scratch[node.name]
        base = self.storage.scratch_region.get(node.name, "arena")
        return f"{base} + {offset}" if offset else base

    def shape(self, name):
        return tuple(self.graph.tensor(name).shape)

    def size(self, name):
        return self.graph.tensor(name).size

    def dtype(self, name):
        return self.graph.tensor(name).dtype


def _used_consts(graph, storage):
    names = []
    for node in graph.nodes:
        op = ops.lookup(node.op)
        for k, name in enumerate(node.inputs):
            if name and k not in op.const_inputs and storage.region.get(storage.root[name]) == "const" \
                    and storage.root[name] not in names:
                names.append(storage.root[name])
    for _, name, _ in storage.final_copies:
        if storage.region.get(storage.root[name]) == "const" and storage.root[name] not in names:
            names.append(storage.root[name])
    return names


def _headers(graph, storage):
    wanted = {"tinyctl/copy.h"} if storage.final_copies else set()
    for node in graph.nodes:
        wanted.update(ops.lookup(node.op).headers)
    return sorted(wanted)


def runtime_headers(headers):
    """The headers and everything they include, as file names under INCLUDE_DIR/tinyctl."""
    todo, found = [os.path.basename(h) for h in headers], set()
    while todo:
        h = todo.pop()
        if h in found:
            continue
        found.add(h)
        with open(os.path.join(INCLUDE_DIR, "tinyctl", h)) as f:
            todo.extend(re.findall(r'#include "([a-z_0-9]+\.h)"', f.read()))
    return sorted(found)


def _macro(raw, taken):
    base = re.sub(r"[^A-Za-z0-9]+", "_", raw).strip("_").upper() or "T"
    name, i = base, 1
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def emit(graph, storage, layout, name, banner, target="host"):
    """Returns {file name: text} for <name>.h and <name>.c; `target` selects the runtime's kernels (target.h)."""
    namer = Namer(name)
    consts = _used_consts(graph, storage)
    const_names = {c: namer(c) for c in consts}
    ctx = EmitContext(graph, storage, const_names)
    body = []
    for node in graph.nodes:
        op = ops.lookup(node.op)
        if op.is_view(node, graph):
            continue
        outs = ", ".join(f"{o} {list(ctx.shape(o))}" for o in node.outputs if o)
        body.append((f"{node.name}: {node.op}{_act_note(node)} -> {outs}", op.emit(node, ctx)))
    commits = []
    for (region, offset), src, size in storage.final_copies:
        dst = {"out": "out", "next": "next->h"}[region]
        commits.append(f"tc_copy({dst} + {offset}, {ctx.ptr(src)}, {size});" if offset
                       else f"tc_copy({dst}, {ctx.ptr(src)}, {size});")
    reset = None
    if any(s.reset is not None for s in graph.state):
        reset = c_float_array(np.concatenate([
            (s.reset if s.reset is not None else np.zeros(graph.tensor(s.input).shape, np.float32)).ravel()
            for s in graph.state]))
    text = "\n".join(code for _, code in body) + "\n".join(commits)
    unused = [p for p, pattern in (("s", r"\bs->h\b"), ("in", r"\bin\b"), ("out", r"\bout\b"), ("next", r"\bnext->h\b"))
              if not re.search(pattern, text)]
    NAME = name.upper()
    taken = set()
    io = {
        "inputs": [(_macro(e["name"], taken), e) for e in layout["inputs"]],
        "outputs": [(_macro(e["name"], taken), e) for e in layout["outputs"]],
        "state": [(_macro(e["name"], taken), e) for e in layout["state"]],
    }
    args = dict(name=name, NAME=NAME, banner=banner, version=__version__, io=io, sizes=layout["sizes"],
                target_macro=target_macro(target),
                sha256=graph.meta["sha256"], arena=storage.arena_size, arena_bytes=storage.arena_bytes, headers=_headers(graph, storage),
                consts=[_const_entry(graph, c, const_names[c]) for c in consts],
                arenas=[(CTYPES[ARENA_TYPES[r]], r, n) for r, n in sorted(storage.arenas.items()) if r != "arena"],
                body=body, commits=commits, unused=unused, reset=reset, macs=layout["macs"])
    return {f"{name}.h": _ENV.get_template("model.h.j2").render(**args),
            f"{name}.c": _ENV.get_template("model.c.j2").render(**args)}


def target_macro(target):
    """The macro the generated source defines for the runtime headers (tinyctl/target.h), None on the host."""
    return None if target == "host" else "TC_TARGET_" + re.sub(r"[^A-Z0-9]", "_", target.upper())


def _act_note(node):
    act = node.params.get("activation") if node.op == "tc.Dense" else None
    return f" + {act}" if act else ""


__all__ = ["emit", "runtime_headers", "EmitContext", "FLOAT"]
