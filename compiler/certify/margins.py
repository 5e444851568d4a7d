"""Rounding that only ever moves a certified bound up, so every number the manifest prints is still a bound.

Bounds are rounded up to 6 significant digits: the solvers' last bits differ between machines and BLAS
builds, and the manifest must be byte-identical for the same model and options.
"""
import math

SIGNIFICANT = 6


def safe_sqrt_up(square):
    """sqrt of a non-negative float64 value, nudged up past its rounding error."""
    return math.sqrt(max(square, 0.0)) * (1.0 + 4e-16)


def round_up(value, digits=SIGNIFICANT):
    """The smallest number of `digits` significant digits that is >= value."""
    if value <= 0 or not math.isfinite(value):
        return float(value)
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    rounded = float(f"{mantissa}e{exponent}")
    if rounded < value:
        mantissa = f"{float(mantissa) + 10.0 ** (1 - digits):.{digits - 1}f}"
        rounded = float(f"{mantissa}e{exponent}")
    return rounded
