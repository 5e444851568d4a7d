"""C literals that parse back bit-exact: float32 with 9 significant digits, arrays wrapped for diffs."""
import math

import numpy as np


def c_float(x):
    """A float32 value as a C literal: `%.9g` round-trips every float32; NaN and Inf are refused upstream."""
    v = float(np.float32(x))
    if not math.isfinite(v):
        raise ValueError(f"{v} has no C float literal")
    s = f"{v:.9g}"
    if not any(c in s for c in ".e"):
        s += ".0"
    return s + "f"


def c_float_array(values, per_line=8, indent="    "):
    flat = [c_float(v) for v in np.asarray(values, dtype=np.float32).ravel()]
    lines = [", ".join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    return (",\n" + indent).join(lines)


def c_int_array(values, per_line=16, indent="    "):
    flat = [str(int(v)) for v in np.asarray(values).ravel()]
    lines = [", ".join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    return (",\n" + indent).join(lines)
