"""Fixed-point arithmetic as the integer kernels do it (runtime/include/tinyctl/qfixed.h), in NumPy, bit for bit:
the definition the quantised ops' evaluate() use, so the interpreter predicts the generated C exactly.

Real values are integers times a scale. Weights: int8, symmetric, one scale per output channel. Activations:
int8 or int16, symmetric, one scale per tensor. Graph inputs, outputs and recurrent state meet the float API
through power-of-two scales 2^-f, converted with integer operations only (no floating-point instruction, so a
core without FPU runs the whole step without a soft-float call). Rescaling an int32 accumulator uses a
multiplier m per channel (up to 2^31) and a right shift per layer: y = (acc * m + 2^(shift-1)) >> shift (round
half up).
Gate pre-activations of recurrent layers are Q8.23 int32 ("q31" precision); tanh and sigmoid read a 513-entry
q15 table of tanh on [0, 8] with linear interpolation.
"""
import math

import numpy as np

Q23 = 23                      # fractional bits of pre-activations in int32
PRE_LIMIT = 1 << 29           # |pre-activation| clamp (64.0 in Q8.23): sums of three stay inside int32
TABLE_STEP_BITS = 6           # tanh table: 64 entries per unit on [0, 8]
TABLE_SIZE = 8 * (1 << TABLE_STEP_BITS) + 1
Q15 = 15
QMAX = {"int8": 127, "int16": 32767}


def multiplier(real):
    """(m, shift) with real ~ m * 2^-shift, m in [2^30, 2^31), 1 <= shift <= 62."""
    if not real > 0 or not math.isfinite(real):
        raise ValueError(f"rescale factor {real!r} must be positive and finite")
    f, e = math.frexp(real)                  # real = f * 2^e, f in [0.5, 1)
    m = int(round(f * (1 << 31)))
    if m == 1 << 31:
        m, e = m // 2, e + 1
    shift = 31 - e
    if not 1 <= shift <= 62:
        raise ValueError(f"rescale factor {real:g} is outside what a 32-bit multiplier and a shift represent")
    return m, shift


def multipliers(reals):
    """Per channel (m int32, shift) with one shift for all: that of the largest factor, so the kernel's shift is a
    compile-time constant (a few instructions on a Cortex-M); smaller factors keep fewer bits of m (a channel
    10^4 times smaller still keeps 17)."""
    reals = np.asarray(reals, np.float64).ravel()
    _, shift = multiplier(float(reals.max()))
    m = np.round(reals * 2.0 ** shift)
    if np.any(m < 1):
        raise ValueError("rescale factors span more than 2^30 within one layer")
    return m.astype(np.int32), shift


def requantize(acc, m, shift):
    """int32 accumulators rescaled: (acc * m + 2^(shift-1)) >> shift, in int64 (no saturation)."""
    acc, m, shift = (np.asarray(a, np.int64) for a in (acc, m, shift))
    return (acc * m + (np.int64(1) << (shift - 1))) >> shift


def saturate(v, limit):
    return np.clip(np.asarray(v, np.int64), -limit, limit)


def quantize_pow2(x, f, qmax):
    """float32 x to round(x * 2^f) (half away from zero), saturated at +-qmax; NaN to 0, +-Inf saturate."""
    f = np.asarray(f, np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        x = np.asarray(x, np.float32).astype(np.float64)
        mag = np.floor(np.abs(x) * np.exp2(f.astype(np.float64)) + 0.5)
    mag = np.where(np.isnan(mag), 0.0, np.minimum(mag, qmax)).astype(np.int64)
    return np.where(x < 0, -mag, mag)


def to_float(v, f):
    """v * 2^-f as float32 (round to nearest even: exact while |v| < 2^24)."""
    return (np.asarray(v, np.int64).astype(np.float64) * np.exp2(-np.asarray(f, np.float64))).astype(np.float32)


def tanh_table():
    """tanh on [0, 8] in steps of 1/64, q15 (tanh(8) rounds to 32768: held at 32767)."""
    k = np.arange(TABLE_SIZE, dtype=np.float64)
    return np.minimum(np.round(np.tanh(k / (1 << TABLE_STEP_BITS)) * 32768), 32767).astype(np.int16)


def qtanh(v, table):
    """tanh of Q8.23 pre-activations, q15: the table interpolated linearly, odd symmetry."""
    v = np.asarray(v, np.int64)
    a = np.minimum(np.abs(v), (8 << Q23) - 1)
    sh = Q23 - TABLE_STEP_BITS
    i = a >> sh
    frac = a & ((1 << sh) - 1)
    t0 = table.astype(np.int64)[i]
    t1 = table.astype(np.int64)[i + 1]
    t = t0 + (((t1 - t0) * frac + (1 << (sh - 1))) >> sh)
    return np.where(v < 0, -t, t)


def qsigmoid(v_half, table):
    """sigmoid(x), q15 (at most 32767), from x/2 in Q8.23: (1 + tanh(x/2)) / 2."""
    return np.minimum((qtanh(v_half, table) + 32769) >> 1, 32767)


def from_q15(t, storage):
    """A q15 value stored as int16 (q15) or int8 (q7, rounded)."""
    t = np.asarray(t, np.int64)
    return t if storage == "int16" else np.clip((t + 128) >> 8, -127, 127)
