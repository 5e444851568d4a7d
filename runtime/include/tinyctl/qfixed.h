/* tinyctl runtime: fixed-point arithmetic of the quantised builds (compiler/quantize/fixed.py is the same in
 * NumPy, bit for bit). Integer operations only: a core without FPU runs it with no soft-float call, the float
 * API included (floats are read and written through their bits).
 *   rescale     y = (acc * m + 2^(shift-1)) >> shift, m in [2^30, 2^31)
 *   tanh        q15 from a Q8.23 pre-activation: a q15 table of tanh on [0, 8], 64 steps per unit, interpolated
 *   sigmoid     (1 + tanh(x/2)) / 2 from x/2 in Q8.23
 *   to/from float   power-of-two scales 2^-f: round half away from zero (saturating), round to nearest even */
#ifndef TINYCTL_QFIXED_H
#define TINYCTL_QFIXED_H

#include <stdint.h>
#include <string.h>

#define TC_Q23 23
#define TC_PRE_LIMIT (1L << 29)       /* |pre-activation| clamp, 64.0 in Q8.23 */
#define TC_TANH_STEP_BITS 6

/* a tensor of int8 (bits 8) or int16 (bits 16) storage; bits is a compile-time constant at every call */
static inline int32_t tc_qload(const void *p, int bits, int i)
{
    return bits == 8 ? ((const int8_t *)p)[i] : ((const int16_t *)p)[i];
}

static inline void tc_qstore(void *p, int bits, int i, int32_t v)
{
    if (bits == 8)
        ((int8_t *)p)[i] = (int8_t)v;
    else
        ((int16_t *)p)[i] = (int16_t)v;
}

static inline int32_t tc_qmax(int bits)
{
    return bits == 8 ? 127 : 32767;
}

static inline int64_t tc_rescale(int32_t acc, int32_t m, int shift)
{
    return ((int64_t)acc * m + ((int64_t)1 << (shift - 1))) >> shift;
}

static inline int32_t tc_sat(int64_t v, int32_t limit)
{
    return v > limit ? limit : v < -limit ? -limit : (int32_t)v;
}

static inline int32_t tc_qtanh(int32_t v, const int16_t *table)
{
    const int sh = TC_Q23 - TC_TANH_STEP_BITS;
    uint32_t a = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    if (a > (8UL << TC_Q23) - 1)
        a = (8UL << TC_Q23) - 1;
    const int32_t i = (int32_t)(a >> sh), frac = (int32_t)(a & ((1UL << sh) - 1));
    const int32_t t0 = table[i], t1 = table[i + 1];
    const int32_t t = t0 + (((t1 - t0) * frac + (1L << (sh - 1))) >> sh);
    return v < 0 ? -t : t;
}

static inline int32_t tc_qsigmoid(int32_t v_half, const int16_t *table)
{
    const int32_t s = (tc_qtanh(v_half, table) + 32769) >> 1;
    return s > 32767 ? 32767 : s;
}

/* a q15 value as stored: int16 q15, or int8 q7 */
static inline int32_t tc_from_q15(int32_t t, int bits)
{
    if (bits == 16)
        return t;
    t = (t + 128) >> 8;
    return t > 127 ? 127 : t < -127 ? -127 : t;
}

/* round(x * 2^f) (half away from zero), saturated at +-qmax; NaN gives 0 */
static inline int32_t tc_float_to_q(float x, int f, int32_t qmax)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    const int e = (int)((u >> 23) & 0xFF);
    const uint32_t mant = (u & 0x7FFFFFu) | (e ? 0x800000u : 0u);
    const int sh = (e ? e : 1) - 150 + f;    /* |x| * 2^f = mant * 2^sh */
    uint32_t a;
    if (e == 0xFF)
        a = (u & 0x7FFFFFu) ? 0u : (uint32_t)qmax;
    else if (sh >= 0)
        a = (sh > 7 || (mant << sh) > (uint32_t)qmax) ? (mant ? (uint32_t)qmax : 0u) : mant << sh;
    else if (sh > -25)
        a = (mant + (1u << (-sh - 1))) >> -sh;
    else
        a = 0u;
    if (a > (uint32_t)qmax)
        a = (uint32_t)qmax;
    return (u >> 31) ? -(int32_t)a : (int32_t)a;
}

/* v * 2^-f as a float, rounded to nearest even (exact while |v| < 2^24) */
static inline float tc_q_to_float(int32_t v, int f)
{
    uint32_t a = v < 0 ? 0u - (uint32_t)v : (uint32_t)v, bits;
    float out;
    if (a == 0) {
        bits = 0;
    } else {
        int n = 31 - __builtin_clz(a);
        uint32_t mant;
        if (n > 23) {
            const int sh = n - 23;
            const uint32_t rem = a & ((1u << sh) - 1u), half = 1u << (sh - 1);
            mant = a >> sh;
            if (rem > half || (rem == half && (mant & 1u))) {
                if (++mant == (1u << 24)) {
                    mant >>= 1;
                    ++n;
                }
            }
        } else {
            mant = a << (23 - n);
        }
        bits = ((uint32_t)(n - f + 127) << 23) | (mant & 0x7FFFFFu) | (v < 0 ? 0x80000000u : 0u);
    }
    memcpy(&out, &bits, sizeof out);
    return out;
}

/* float inputs to integers, each element with its own power-of-two scale 2^-f[i] */
static inline void tc_quantize(const float *x, const int8_t *f, void *y, int bits, int n)
{
    for (int i = 0; i < n; ++i)
        tc_qstore(y, bits, i, tc_float_to_q(x[i], f[i], tc_qmax(bits)));
}

/* integers with the scale 2^-f to floats */
static inline void tc_dequantize(const void *x, int bits, int f, float *y, int n)
{
    for (int i = 0; i < n; ++i)
        y[i] = tc_q_to_float(tc_qload(x, bits, i), f);
}

#endif
