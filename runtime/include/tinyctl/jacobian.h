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

/* Tangent of y[r] = act(W x[r] + b) for m rows of k inputs and n outputs, from the tangent tx [m*k][p]. */
static inline void tc_jac_dense(const float *w, const float *tx, const float *y, float *ty, int m, int k, int n,
                                int p, int act, float alpha, float beta)
{
    for (int r = 0; r < m; ++r) {
        for (int j = 0; j < n; ++j) {
            const float *wj = w + j * k;
            float *t = ty + (r * n + j) * p;
            for (int c = 0; c < p; ++c)
                t[c] = 0.0f;
            for (int i = 0; i < k; ++i) {
                const float wi = wj[i];
                const float *s = tx + (r * k + i) * p;
                for (int c = 0; c < p; ++c)
                    t[c] += wi * s[c];
            }
            const float d = tc_dact_from_output(y[r * n + j], act, alpha, beta);
            for (int c = 0; c < p; ++c)
                t[c] *= d;
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
