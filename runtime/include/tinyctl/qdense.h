/* tinyctl runtime: dense layers of the quantised builds.
 *
 * tc_qdense: integer activations x (int8 or int16 storage), int8 weights with one scale per output channel,
 * int32 accumulators from an int32 bias, rescaled per channel (qfixed.h). The activation decides what the
 * rescale targets and what is stored:
 *   none, relu, leaky relu   the output's scale: saturated int8/int16, or (fbits >= 0) a float v * 2^-fbits
 *   tanh, sigmoid            Q8.23 (sigmoid: of x/2), then the q15 table: int16 q15, int8 q7, or a float
 * tc_dense_w8: float activations and int8 weights (dtype int8w: a quarter of the float weights' flash),
 * y = act(s_j * sum_k w_jk x_k + b_j) in float. */
#ifndef TINYCTL_QDENSE_H
#define TINYCTL_QDENSE_H

#include <stddef.h>
#include <stdint.h>

#include "activations.h"
#include "qfixed.h"

static inline int32_t tc_qdot(const void *x, int xbits, const int8_t *w, int32_t acc, int k)
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

/* y[j] = act(rescale(bias[j] + sum_k w[j][k] x[k], mult[j], shift[j])) for j < n; y_float NULL for an integer
 * output (ybits 8 or 16), else the float output with fbits */
static inline void tc_qdense(const void *x, int xbits, const int8_t *w, const int32_t *bias, const int32_t *mult,
                             const int8_t *shift, void *y, int ybits, float *y_float, int fbits, int k, int n,
                             int act, int32_t alpha_q15, const int16_t *table)
{
    for (int j = 0; j < n; ++j) {
        const int32_t acc = tc_qdot(x, xbits, w + j * k, bias ? bias[j] : 0, k);
        tc_qact_store(tc_rescale(acc, mult[j], shift[j]), act, alpha_q15, table, y, ybits, y_float, fbits, j);
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
