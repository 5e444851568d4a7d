/* tinyctl runtime: dense layers of the quantised builds.
 *
 * tc_qdense: integer activations x (int8 or int16 storage), int8 weights with one scale per output channel,
 * int32 accumulators from an int32 bias, rescaled per channel (qfixed.h). The activation decides what the
 * rescale targets and what is stored:
 *   none, relu, leaky relu   the output's scale: saturated int8/int16, or (fbits >= 0) a float v * 2^-fbits
 *   tanh, sigmoid            Q8.23 (sigmoid: of x/2), then the q15 table: int16 q15, int8 q7, or a float
 * On cores with the DSP extension (target.h), the sums take two multiply-accumulates per SMLAD.
 * tc_dense_w8: float activations and int8 weights (dtype int8w: a quarter of the float weights' flash),
 * y = act(s_j * sum_k w_jk x_k + b_j) in float. */
#ifndef TINYCTL_QDENSE_H
#define TINYCTL_QDENSE_H

#include <stddef.h>
#include <stdint.h>

#include "activations.h"
#include "qfixed.h"
#include "target.h"

static inline int32_t tc_qdot_ref(const void *x, int xbits, const int8_t *w, int32_t acc, int k)
{
    if (xbits == 8) {
        const int8_t *xv = (const int8_t *)x;
        for (int i = 0; i < k; ++i)
            acc += (int32_t)w[i] * xv[i];
    } else {
        const int16_t *xv = (const int16_t *)x;
        for (int i = 0; i < k; ++i)
            acc += (int32_t)w[i] * xv[i];
    }
    return acc;
}

#if defined(TC_ARMV7EM_DSP)
#include <arm_acle.h>

/* the odd bytes of v, sign-extended to two halfwords: SXTB16 with its rotation (gcc does not fold the ROR) */
static inline int32_t tc_sxtb16_odd(uint32_t v)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/* (a low half, b low half) and (a high half, b high half): PKHBT, PKHTB */
static inline int32_t tc_pack_low(uint32_t a, uint32_t b)
{
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline int32_t tc_pack_high(uint32_t a, uint32_t b)
{
    int32_t r;
    __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* acc + sum_i w[i] x[i] with SMLAD, two 16-bit products per instruction: SXTB16 takes the even and odd bytes of
 * four weights (an int8 input the same way; an int16 input is packed into even and odd pairs), the same sum in
 * another order, and int32 holds every partial sum, so the result is the reference's bit for bit. */
static inline int32_t tc_qdot(const void *x, int xbits, const int8_t *w, int32_t acc, int k)
{
    int i = 0;
    for (; i + 4 <= k; i += 4) {
        uint32_t wv, xa, xb;
        memcpy(&wv, w + i, sizeof wv);
        int32_t x02, x13;
        if (xbits == 8) {
            memcpy(&xa, (const int8_t *)x + i, sizeof xa);
            x02 = __sxtb16((int32_t)xa);
            x13 = tc_sxtb16_odd(xa);
        } else {
            memcpy(&xa, (const int16_t *)x + i, sizeof xa);
            memcpy(&xb, (const int16_t *)x + i + 2, sizeof xb);
            x02 = tc_pack_low(xa, xb);
            x13 = tc_pack_high(xa, xb);
        }
        acc = __smlad(__sxtb16((int32_t)wv), x02, acc);
        acc = __smlad(tc_sxtb16_odd(wv), x13, acc);
    }
    return i < k ? tc_qdot_ref(xbits == 8 ? (const void *)((const int8_t *)x + i) : (const void *)((const int16_t *)x + i),
                               xbits, w + i, acc, k - i) : acc;
}
#else
static inline int32_t tc_qdot(const void *x, int xbits, const int8_t *w, int32_t acc, int k)
{
    return tc_qdot_ref(x, xbits, w, acc, k);
}
#endif

/* the activation of a rescaled accumulator v, as stored: ybits 8 or 16, or a float (y_float) */
static inline void tc_qact_store(int64_t v, int act, int32_t alpha_q15, const int16_t *table, void *y, int ybits,
                                 float *y_float, int fbits, int j)
{
    int32_t q;
    if (act == TC_ACT_TANH || act == TC_ACT_SIGMOID) {
        const int32_t pre = tc_sat(v, TC_PRE_LIMIT);
        const int32_t t = act == TC_ACT_TANH ? tc_qtanh(pre, table) : tc_qsigmoid(pre, table);
        if (y_float)
            y_float[j] = tc_q_to_float(t, 15);
        else
            tc_qstore(y, ybits, j, tc_from_q15(t, ybits));
        return;
    }
    if (act == TC_ACT_RELU && v < 0)
        v = 0;
    if (act == TC_ACT_LEAKY_RELU && v < 0)
        v = (v * alpha_q15 + (1L << 14)) >> 15;
    if (y_float) {
        q = tc_sat(v, INT32_MAX);
        y_float[j] = tc_q_to_float(q, fbits);
    } else {
        tc_qstore(y, ybits, j, tc_sat(v, tc_qmax(ybits)));
    }
}

/* y[j] = act(rescale(bias[j] + sum_k w[j][k] x[k], mult[j], shift)) for j < n (shift: the layer's, a compile-time
 * constant); y_float NULL for an integer output (ybits 8 or 16), else the float output with fbits */
static inline void tc_qdense(const void *x, int xbits, const int8_t *w, const int32_t *bias, const int32_t *mult,
                             int shift, void *y, int ybits, float *y_float, int fbits, int k, int n, int act,
                             int32_t alpha_q15, const int16_t *table)
{
    for (int j = 0; j < n; ++j) {
        const int32_t acc = tc_qdot(x, xbits, w + j * k, bias ? bias[j] : 0, k);
        tc_qact_store(tc_rescale(acc, mult[j], shift), act, alpha_q15, table, y, ybits, y_float, fbits, j);
    }
}

/* int8w: y = W x + b with W = s_j * w[j][k] (b may be NULL) */
static inline void tc_matvec_w8(const int8_t *w, const float *scale, const float *x, const float *b, float *y,
                                int rows, int cols)
{
    for (int j = 0; j < rows; ++j) {
        const int8_t *wj = w + j * cols;
        float acc = 0.0f;
        for (int i = 0; i < cols; ++i)
            acc += (float)wj[i] * x[i];
        y[j] = b ? acc * scale[j] + b[j] : acc * scale[j];
    }
}

static inline void tc_dense_w8(const float *x, const int8_t *w, const float *scale, const float *b, float *y, int m,
                               int k, int n, int act, float alpha, float beta)
{
    for (int r = 0; r < m; ++r) {
        tc_matvec_w8(w, scale, x + r * k, b, y + r * n, n, k);
        for (int j = 0; j < n; ++j)
            y[r * n + j] = tc_activate(y[r * n + j], act, alpha, beta);
    }
}

#endif
