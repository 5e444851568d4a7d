"""Nested loops that copy a strided view of a buffer (Slice, Transpose) into a contiguous output."""


def strided_loops(out_shape, base, strides):
    """dims, output index expression and source index expression for y[i] = x[base + sum(i_k * stride_k)].

    Axes of size 1 vanish; adjacent axes that are contiguous in the source merge into one loop.
    """
    axes = [(d, s) for d, s in zip(out_shape, strides) if d != 1]
    merged = []
    for d, s in axes:
        if merged and merged[-1][1] == s * d:
            pd, _ = merged[-1]
            merged[-1] = (pd * d, s)
        else:
            merged.append((d, s))
    dims = [d for d, _ in merged]
    out_strides, acc = [], 1
    for d in reversed(dims):
        out_strides.append(acc)
        acc *= d
    out_strides.reverse()
    return dims, _index(out_strides, 0), _index([s for _, s in merged], base)


def _index(strides, base):
    terms = [str(base)] if base else []
    for i, s in enumerate(strides):
        terms.append(f"i{i}" if s == 1 else f"i{i} * {s}")
    return " + ".join(terms) if terms else "0"


def contiguous_strides(shape):
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= d
    return list(reversed(out))
