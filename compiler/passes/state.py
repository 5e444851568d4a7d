"""Recurrent-state extraction: every recurrent state becomes an explicit entry of the model's state struct.

Three ways a state is found, in this order:
1. pairs the user names (`--state INPUT=OUTPUT`);
2. GRU/LSTM initial states: a graph input that reaches initial_h (or initial_c) through views, paired with
   the graph output Y_h (or Y_c) reaches; or, when initial_h is a constant or absent, a new state whose
   reset value is that constant (or zeros) and whose next value is Y_h;
3. a graph input and a graph output of equal size whose names pair up (h_in/h_out, state/state_next, ...).
"""
import re

import numpy as np

from tinyctl.compiler import ops
from tinyctl.compiler.errors import CompileError
from tinyctl.compiler.ir import FLOAT, StateEntry, Tensor

_NAME_PAIRS = [(r"^(.*?)[_.]?in$", "{}_out"), (r"^(.*?)[_.]?in$", "{}out"), (r"^in[_.]?(.*)$", "out_{}"),
               (r"^(.*?)[_.]?prev$", "{}_next"), (r"^(.*)$", "{}_next"), (r"^(.*)$", "{}_out"), (r"^(.*)$", "{}_new")]


def extract_state(graph, options=None):
    pairs = dict((options or {}).get("state_pairs") or {})
    for inp, out in pairs.items():
        if inp not in graph.inputs:
            raise CompileError(f"--state {inp}={out}: '{inp}' is not a graph input (inputs: {', '.join(graph.inputs)})")
        if out not in graph.outputs:
            raise CompileError(f"--state {inp}={out}: '{out}' is not a graph output (outputs: {', '.join(graph.outputs)})")
        _pair(graph, inp, out)
    _recurrent_ops(graph)
    _by_name(graph)
    return graph


def _pair(graph, inp, out):
    a, b = graph.tensor(inp), graph.tensor(out)
    if a.size != b.size or b.dtype != FLOAT:
        raise CompileError(f"state '{inp}' ({list(a.shape)}) and '{out}' ({list(b.shape)}, {b.dtype}) differ: "
                           "a state must leave with the size and type it came in with")
    graph.inputs.remove(inp)
    graph.outputs.remove(out)
    graph.state.append(StateEntry(inp, inp, out, onnx_input=inp, onnx_output=out))


def _view_chains(graph):
    producers, consumers = graph.producers(), graph.consumers()

    def back(name):
        while name in producers and ops.lookup(producers[name].op).is_view(producers[name], graph):
            name = producers[name].inputs[0]
        return name

    def forward(name):
        found, todo = [], [name]
        while todo:
            n = todo.pop()
            if n in graph.outputs:
                found.append(n)
            for c in consumers.get(n, []):
                if ops.lookup(c.op).is_view(c, graph):
                    todo.append(c.outputs[0])
        return found
    return back, forward


def _recurrent_ops(graph):
    back, forward = _view_chains(graph)
    for node in list(graph.nodes):
        op = ops.lookup(node.op)
        for in_pos, out_pos in getattr(op, "state_slots", ()):
            in_name = node.inputs[in_pos] if len(node.inputs) > in_pos else ""
            out_name = node.outputs[out_pos] if len(node.outputs) > out_pos else ""
            root = back(in_name) if in_name else ""
            if root in graph.inputs:
                outs = [o for o in (forward(out_name) if out_name else []) if graph.tensor(o).size == graph.tensor(root).size]
                if outs:
                    _pair(graph, root, outs[0])
                continue
            if any(s.input == root for s in graph.state) or (root and not graph.tensor(root).is_const):
                continue  # already a state, or computed from other inputs: not a recurrent state of its own
            _internal_state(graph, node, in_pos, out_pos, root)


def _internal_state(graph, node, in_pos, out_pos, const_name):
    """initial_h is a constant or absent: the state lives in the struct, reset to that constant."""
    kind = "c" if in_pos == 6 else "h"
    t = graph.tensor(node.outputs[1]) if len(node.outputs) > 1 and node.outputs[1] else None
    shape = t.shape if t is not None else _state_shape(graph, node)
    reset = graph.tensor(const_name).value.reshape(shape).astype(np.float32) if const_name else None
    name = graph.fresh_name(f"{node.name}_{kind}")
    graph.tensors[name] = Tensor(name, FLOAT, tuple(shape))
    while len(node.inputs) <= in_pos:
        node.inputs.append("")
    node.inputs[in_pos] = name
    while len(node.outputs) <= out_pos:
        node.outputs.append("")
    onnx_output = node.outputs[out_pos] if node.outputs[out_pos] in graph.outputs else None
    if not node.outputs[out_pos]:
        out = graph.fresh_name(f"{node.name}_{kind}_next")
        graph.tensors[out] = Tensor(out, FLOAT, tuple(shape))
        node.outputs[out_pos] = out
    if reset is not None and not np.any(reset):
        reset = None
    graph.state.append(StateEntry(name, name, node.outputs[out_pos], onnx_input=const_name or None,
                                  onnx_output=onnx_output, reset=reset, slot=(node.name, in_pos, out_pos)))


def _state_shape(graph, node):
    op = ops.lookup(node.op)
    _, batch, _, hid = op.dims(node, graph)
    return (batch, 1, hid) if node.params.get("layout") else (1, batch, hid)


def _by_name(graph):
    for inp in list(graph.inputs):
        for pattern, template in _NAME_PAIRS:
            m = re.match(pattern, inp)
            if not m or not m.group(1):
                continue
            out = template.format(m.group(1))
            if out in graph.outputs and out != inp and graph.tensor(out).size == graph.tensor(inp).size \
                    and graph.tensor(out).dtype == FLOAT and graph.tensor(inp).dtype == FLOAT:
                _pair(graph, inp, out)
                break
