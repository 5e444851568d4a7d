/* tinyctl runtime: forward-mode derivatives for `tinyctl compile --jacobian`.
 *
 * A tangent is stored row-major [elements][P]: row i holds d(element i) / d(in[0..P-1]), where P is the
 * model's IN_SIZE. Activation derivatives are taken from the activation's output y, which the primal code has
 * just written (the pre-activation of a fused dense layer never reaches memory); at kinks they follow
 * PyTorch's autograd (relu'(0) = 0, the left slope at 0 for leaky relu and elu). */
#ifndef TINYCTL_JACOBIAN_H
#define TINYCTL_JACOBIAN_H

#include <math.h>

#include "activations.h"

/* d act / d x, from y = act(x). Needs alpha > 0 for leaky relu and elu (the compiler checks). */
static inline float tc_dact_from_output(float y, int act, float alpha, float beta)
{
    (void)beta;
    switch (act) {
    case TC_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case TC_ACT_LEAKY_RELU: return y > 0.0f ? 1.0f : alpha;
    case TC_ACT_ELU: return y > 0.0f ? 1.0f : y + alpha;
    case TC_ACT_TANH: return 1.0f - y * y;
    case TC_ACT_SIGMOID: return y * (1.0f - y);
    case TC_ACT_SOFTPLUS: return -expm1f(-y);  /* sigmoid(x) = 1 - e^-softplus(x) */
    case TC_ACT_HARD_SIGMOID: return (y > 0.0f && y < 1.0f) ? alpha : 0.0f;
    default: return 1.0f;
    }
}

/* Tangent code lives in functions of its own (compiler/jacobian): kept out of line on purpose. */
#if defined(__GNUC__)
#define TC_JAC_NOINLINE __attribute__((noinline))
#else
#define TC_JAC_NOINLINE
#endif

/* a * b + c, fused where the FPU has it (Cortex-M4F/M7: vfma); the host keeps the plain expression */
#if defined(__ARM_FEATURE_FMA)
#define TC_JAC_FMA(a, b, c) fmaf((a), (b), (c))
#else
#define TC_JAC_FMA(a, b, c) ((a) * (b) + (c))
#endif

/* Tangent of y[r] = act(W x[r] + b) for m rows of k inputs and n outputs, from the tangent tx [m*k][p].
 * Columns go in blocks of four accumulators held in registers (p is a compile-time constant at every call, so
 * the block's tail folds away): one weight load feeds up to four multiply-adds. */
static inline void tc_jac_dense(const float *w, const float *tx, const float *y, float *ty, int m, int k, int n,
                                int p, int act, float alpha, float beta)
{
    for (int r = 0; r < m; ++r) {
        const float *xr = tx + r * k * p;
        for (int j = 0; j < n; ++j) {
            const float *wj = w + j * k;
            float *t = ty + (r * n + j) * p;
            const float d = tc_dact_from_output(y[r * n + j], act, alpha, beta);
            for (int c = 0; c < p; c += 4) {
                const int width = p - c < 4 ? p - c : 4;
                float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
                for (int i = 0; i < k; ++i) {
                    const float wi = wj[i];
                    const float *s = xr + i * p + c;
                    a0 = TC_JAC_FMA(wi, s[0], a0);
                    if (width > 1)
                        a1 = TC_JAC_FMA(wi, s[1], a1);
                    if (width > 2)
                        a2 = TC_JAC_FMA(wi, s[2], a2);
                    if (width > 3)
                        a3 = TC_JAC_FMA(wi, s[3], a3);
                }
                t[c] = d * a0;
                if (width > 1)
                    t[c + 1] = d * a1;
                if (width > 2)
                    t[c + 2] = d * a2;
                if (width > 3)
                    t[c + 3] = d * a3;
            }
        }
    }
}

/* The same when x is a block of the model's inputs (its tangent is a selection of unit rows): the compiler
 * folds the selection into ws [n][p] = W S, so the tangent is the scaled weights, with no products at all. */
static inline void tc_jac_dense_seeded(const float *ws, const float *y, float *ty, int n, int p, int act,
                                       float alpha, float beta)
{
    for (int j = 0; j < n; ++j) {
        const float d = tc_dact_from_output(y[j], act, alpha, beta);
        for (int c = 0; c < p; ++c)
            ty[j * p + c] = d * ws[j * p + c];
    }
}

/* Tangent of y = alpha A B (+ a constant), A [m][k] read with strides from its tangent ta, B constant. */
static inline void tc_jac_gemm_a(const float *ta, int a_rs, int a_cs, const float *b, int b_rs, int b_cs,
                                 float *ty, int m, int k, int n, int p, float alpha)
{
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) {
            float *t = ty + (i * n + j) * p;
            for (int c = 0; c < p; ++c)
                t[c] = 0.0f;
            for (int q = 0; q < k; ++q) {
                const float bq = alpha * b[q * b_rs + j * b_cs];
                const float *s = ta + (i * a_rs + q * a_cs) * p;
                for (int c = 0; c < p; ++c)
                    t[c] += bq * s[c];
            }
        }
    }
}

/* Rows of unit vectors: t[i][c] = (c == offset + i), for a model input (or a contiguous block of them). */
static inline void tc_jac_identity(float *t, int rows, int p, int offset)
{
    for (int i = 0; i < rows; ++i)
        for (int c = 0; c < p; ++c)
            t[i * p + c] = (c == offset + i) ? 1.0f : 0.0f;
}

static inline void tc_jac_zero(float *t, int n)
{
    for (int i = 0; i < n; ++i)
        t[i] = 0.0f;
}

#endif
