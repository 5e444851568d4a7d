/* tinyctl runtime: tanh, sigmoid, softplus and elu by rational and polynomial approximations.
 *
 * For targets where libm dominates a step (target.h selects them): newlib's expf and tanhf cost 69 and 101
 * instructions a call on a Cortex-M4F, a quarter to two fifths of a RAPTOR step in every peer tool. These
 * are plain C99, so the host build that verifies a model compiled for such a target runs the same arithmetic,
 * and the assembly kernels (dense_armv7em.h) compute tanh and sigmoid with exactly these operations in this
 * order, bit for bit (fmaf is one fused multiply-add, VFMA, on every FPU that has it; the clamp is VCVT to
 * fixed point and back).
 *
 * Absolute error against the exact function, over every float32 input (tests/kernels sweeps them, and the
 * slow test all 2^32 inputs):
 *   tc_tanh_fast       <= 3.1e-7      tc_sigmoid_fast   <= 2.0e-7   (all 2^32 inputs: 3.04e-7 and 1.82e-7)
 *   tc_softplus_fast   <= 2.0e-7 + 6.0e-8 |softplus(x)|      tc_expm1_neg (elu, x < 0)   <= 2.0e-7
 * NaN in gives NaN out; +-Inf give the limits within those bounds (tanh saturates at tanh(8) + 4e-8).
 *
 * tanh(x) ~ c P(c^2) / Q(c^2) with c the input clamped to [-8, 8] (tanh(8) = 1 - 2.3e-7) and truncated to a
 * multiple of 2^-28, P and Q of degree 4: a minimax fit of the math error (4e-8) on [0, 8], float rounding
 * making up the rest. The NaN term 0 / (|x| + 1) is 0 for every number, Inf included, and NaN for NaN, which
 * the clamp would otherwise turn into 0. sigmoid(x) = 1/2 + tanh(x/2)/2 with the halving folded into the
 * coefficients (powers of two: the same roundings as tanh). Softplus and elu go through e^x for x <= 0
 * (range reduction by ln 2, a degree-6 polynomial, the exponent put in by its bits) and log1p on [0, 1]
 * (log1p(z) = 2 atanh(s), s = z / (2 + z), a degree-9 odd polynomial in s). */
#ifndef TINYCTL_ACTIVATIONS_FAST_H
#define TINYCTL_ACTIVATIONS_FAST_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* tanh numerator (of c, c^2) and denominator (of c^2), highest power first: the order the kernels load them */
#define TC_TANH_P4 1.45497037e-08f
#define TC_TANH_P3 2.14086303e-05f
#define TC_TANH_P2 0.00354200858f
#define TC_TANH_P1 0.13419503f
#define TC_TANH_P0 1.0f
#define TC_TANH_Q4 8.24594736e-07f
#define TC_TANH_Q3 0.000336298574f
#define TC_TANH_Q2 0.0260516517f
#define TC_TANH_Q1 0.467528135f
/* sigmoid: P_k / 4^(k+1) and Q_k / 4^k (exact in float32) */
#define TC_SIGM_P4 1.4208695e-11f
#define TC_SIGM_P3 8.36274623e-08f
#define TC_SIGM_P2 5.5343884e-05f
#define TC_SIGM_P1 0.00838718936f
#define TC_SIGM_P0 0.25f
#define TC_SIGM_Q4 3.22107319e-09f
#define TC_SIGM_Q3 5.25466521e-06f
#define TC_SIGM_Q2 0.00162822823f
#define TC_SIGM_Q1 0.116882034f

/* the tables the assembly kernels load with one VLDM per element (P4..P0, Q4..Q1, 1), then 1, 0 and 1/2 */
static const float tc_tanh_coef[13] = {
    TC_TANH_P4, TC_TANH_P3, TC_TANH_P2, TC_TANH_P1, TC_TANH_P0, TC_TANH_Q4, TC_TANH_Q3, TC_TANH_Q2, TC_TANH_Q1, 1.0f,
    1.0f, 0.0f, 0.5f
};
static const float tc_sigm_coef[13] = {
    TC_SIGM_P4, TC_SIGM_P3, TC_SIGM_P2, TC_SIGM_P1, TC_SIGM_P0, TC_SIGM_Q4, TC_SIGM_Q3, TC_SIGM_Q2, TC_SIGM_Q1, 1.0f,
    1.0f, 0.0f, 0.5f
};

/* VCVT.S32.F32 Sd, Sd, #fbits then VCVT.F32.S32 Sd, Sd, #fbits: truncate to a multiple of 2^-fbits, saturate
 * at +-2^(31 - fbits), NaN to 0 */
static inline float tc_fixed_clamp(float x, int fbits)
{
    const float scale = (float)(1UL << fbits);
    const float s = x * scale;
    int32_t i;
    if (s != s)
        i = 0;
    else if (s >= 2147483648.0f)
        i = INT32_MAX;
    else if (s <= -2147483648.0f)
        i = INT32_MIN;
    else
        i = (int32_t)s;
    return (float)i * (1.0f / scale);
}

static inline float tc_rational_odd(float c, float t, float p4, float p3, float p2, float p1, float p0,
                                    float q4, float q3, float q2, float q1)
{
    const float y = c * c;
    float p = fmaf(p4, y, p3);
    p = fmaf(p, y, p2);
    p = fmaf(p, y, p1);
    p = fmaf(p, y, p0);
    float q = fmaf(q4, y, q3);
    q = fmaf(q, y, q2);
    q = fmaf(q, y, q1);
    q = fmaf(q, y, 1.0f);
    return fmaf(c, p, t) / q;
}

static inline float tc_tanh_fast(float x)
{
    const float t = 0.0f / (fabsf(x) + 1.0f);
    return tc_rational_odd(tc_fixed_clamp(x, 28), t, TC_TANH_P4, TC_TANH_P3, TC_TANH_P2, TC_TANH_P1, TC_TANH_P0,
                           TC_TANH_Q4, TC_TANH_Q3, TC_TANH_Q2, TC_TANH_Q1);
}

static inline float tc_sigmoid_fast(float x)
{
    const float t = 0.0f / (fabsf(x) + 1.0f);
    return tc_rational_odd(tc_fixed_clamp(x, 27), t, TC_SIGM_P4, TC_SIGM_P3, TC_SIGM_P2, TC_SIGM_P1, TC_SIGM_P0,
                           TC_SIGM_Q4, TC_SIGM_Q3, TC_SIGM_Q2, TC_SIGM_Q1) + 0.5f;
}

/* e^x for x <= 0 (NaN passes; below -87 the result is 0, e^-87 being 1.6e-38) */
static inline float tc_exp_neg(float x)
{
    const float magic = 12582912.0f;   /* 1.5 * 2^23: adding it rounds to an integer kept in the low bits */
    if (!(x > -87.0f))
        return x != x ? x : 0.0f;
    const float k = fmaf(x, 1.44269504f, magic);
    const float n = k - magic;
    float r = fmaf(n, -0.693145752f, x);           /* ln 2 in two parts: n * hi is exact */
    r = fmaf(n, -1.42860677e-06f, r);
    float e = fmaf(1.40115e-3f, r, 8.3773e-3f);
    e = fmaf(e, r, 4.166487e-2f);
    e = fmaf(e, r, 0.16666425f);
    e = fmaf(e, r, 0.50000008f);
    const float p = fmaf(e, r * r, r) + 1.0f;
    uint32_t kb, sb;
    memcpy(&kb, &k, sizeof kb);
    sb = (uint32_t)((int32_t)(kb - 0x4B400000u) + 127) << 23;   /* 2^n, n in [-126, 0] */
    float scale;
    memcpy(&scale, &sb, sizeof scale);
    return p * scale;
}

/* e^x - 1 for x < 0 */
static inline float tc_expm1_neg(float x)
{
    return tc_exp_neg(x) - 1.0f;
}

/* log(1 + z) for z in [0, 1] */
static inline float tc_log1p01(float z)
{
    const float s = z / (2.0f + z);
    const float v = s * s;
    float l = fmaf(0.28253061f, v, 0.27965866f);
    l = fmaf(l, v, 0.40022488f);
    l = fmaf(l, v, 0.66666426f);
    l = fmaf(l, v, 2.0f);
    return s * l;
}

static inline float tc_softplus_fast(float x)
{
    if (x != x)
        return x;
    return (x > 0.0f ? x : 0.0f) + tc_log1p01(tc_exp_neg(-fabsf(x)));
}

static inline float tc_elu_fast(float x, float alpha)
{
    return x < 0.0f ? alpha * tc_expm1_neg(x) : x;
}

#endif
