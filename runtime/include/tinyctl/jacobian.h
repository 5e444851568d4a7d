/* tinyctl runtime: forward-mode derivatives for `tinyctl compile --jacobian`.
 *
 * A tangent is stored by columns [P][elements]: column c holds d(every element) / d(in[c]), contiguous, where
 * P is the model's IN_SIZE, so a dense layer's tangent is P products with the target's tc_matvec; the Jacobian
 * itself (jac) is row-major [OUT][IN]. Activation derivatives are taken from the activation's output y, which the primal code has
 * just written (the pre-activation of a fused dense layer never reaches memory); at kinks they follow
 * PyTorch's autograd (relu'(0) = 0, the left slope at 0 for leaky relu and elu). */
#ifndef TINYCTL_JACOBIAN_H
#define TINYCTL_JACOBIAN_H

#include <math.h>

#include "activations.h"
#include "dense.h"

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

/* Tangent code lives in functions of its own (compiler/jacobian): kept out of line on purpose; the dense
 * kernel is always inlined into them, so the sizes it hands tc_matvec stay compile-time constants (the
 * Cortex-M kernels take them as immediates). */
#if defined(__GNUC__)
#define TC_JAC_NOINLINE __attribute__((noinline))
#define TC_JAC_INLINE static inline __attribute__((always_inline))
#else
#define TC_JAC_NOINLINE
#define TC_JAC_INLINE static inline
#endif

/* Tangent of y[r] = act(W x[r] + b) for m rows of k inputs and n outputs: tx [p][m * k] -> ty [p][m * n].
 * Every column is W times the column of tx, by the target's matrix-vector kernel, scaled by act'(y). */
TC_JAC_INLINE void tc_jac_dense(const float *w, const float *tx, const float *y, float *ty, int m, int k, int n,
                                int p, int act, float alpha, float beta)
{
    for (int c = 0; c < p; ++c)
        for (int r = 0; r < m; ++r)
            tc_matvec(w, tx + c * m * k + r * k, NULL, ty + c * m * n + r * n, n, k);
    if (act == TC_ACT_NONE)
        return;
    for (int j = 0; j < m * n; ++j) {
        const float d = tc_dact_from_output(y[j], act, alpha, beta);
        for (int c = 0; c < p; ++c)
            ty[c * m * n + j] *= d;
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
            ty[c * n + j] = d * ws[j * p + c];
    }
}

/* Tangent of y = alpha A B (+ a constant), A [m][k] read with strides, B constant: ta [p][sa] -> ty [p][m * n]. */
static inline void tc_jac_gemm_a(const float *ta, int sa, int a_rs, int a_cs, const float *b, int b_rs, int b_cs,
                                 float *ty, int m, int k, int n, int p, float alpha)
{
    for (int c = 0; c < p; ++c) {
        const float *a = ta + c * sa;
        float *t = ty + c * m * n;
        for (int i = 0; i < m; ++i) {
            for (int j = 0; j < n; ++j) {
                float acc = 0.0f;
                for (int q = 0; q < k; ++q)
                    acc += a[i * a_rs + q * a_cs] * b[q * b_rs + j * b_cs];
                t[i * n + j] = alpha * acc;
            }
        }
    }
}

/* Unit rows of jac (row-major [rows][p]): t[i][c] = (c == offset + i), for an output that is a model input. */
static inline void tc_jac_identity(float *t, int rows, int p, int offset)
{
    for (int i = 0; i < rows; ++i)
        for (int c = 0; c < p; ++c)
            t[i * p + c] = (c == offset + i) ? 1.0f : 0.0f;
}

/* The same as tangent columns: elements [0, rows) of a tangent whose columns are `stride` apart. */
static inline void tc_jac_identity_cols(float *t, int stride, int rows, int p, int offset)
{
    for (int c = 0; c < p; ++c)
        for (int i = 0; i < rows; ++i)
            t[c * stride + i] = (c == offset + i) ? 1.0f : 0.0f;
}

/* jac's rows of an output from its tangent: jac[i][c] = t[c][i]. */
static inline void tc_jac_rows(float *jac, const float *t, int size, int p)
{
    for (int i = 0; i < size; ++i)
        for (int c = 0; c < p; ++c)
            jac[i * p + c] = t[c * size + i];
}

static inline void tc_jac_zero(float *t, int n)
{
    for (int i = 0; i < n; ++i)
        t[i] = 0.0f;
}

#endif
