"""Nested C loops for NumPy-style broadcasting with compile-time shapes (used by the elementwise families)."""
import numpy as np


def broadcast_shape(node_error, shapes):
    try:
        return tuple(int(d) for d in np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        raise node_error(f"input shapes {' and '.join(str(list(s)) for s in shapes)} do not broadcast") from None


def _strides(shape):
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= d
    return list(reversed(out))


def loops(out_shape, in_shapes):
    """Loop bounds and one C index expression per operand (output first), for y[...] = f(a[...], b[...]).

    Adjacent axes on which every operand is either full or broadcast alike are merged, so same-shape
    operands need one loop and a row-vector bias two.
    """
    rank = len(out_shape)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in in_shapes]
    # per axis: which operands vary along it
    pattern = [tuple(s[a] != 1 or out_shape[a] == 1 for s in padded) for a in range(rank)]
    dims, pats = [], []
    for a in range(rank):
        if out_shape[a] == 1:
            continue
        if dims and pats[-1] == pattern[a]:
            dims[-1] *= out_shape[a]
        else:
            dims.append(out_shape[a])
            pats.append(pattern[a])
    if not dims:
        return [], ["0"] * (1 + len(in_shapes))
    merged_strides = []  # per operand, stride of each merged loop
    full = _strides(dims)
    for k in range(len(in_shapes)):
        sizes = [d if p[k] else 1 for d, p in zip(dims, pats)]
        st = _strides(sizes)
        merged_strides.append([s if p[k] else 0 for s, p in zip(st, pats)])
    exprs = [_index(full)] + [_index(st) for st in merged_strides]
    return dims, exprs


def _index(strides):
    terms = []
    for i, s in enumerate(strides):
        if s == 0:
            continue
        terms.append(f"i{i}" if s == 1 else f"i{i} * {s}")
    return " + ".join(terms) if terms else "0"
