/* tinyctl runtime: matrix-vector products and dense layers with a fused activation.
 * Weights are row-major [rows][cols] (one row per output), as stored in flash.
 * The reference kernels are tc_matvec_ref and tc_dense_ref; tc_matvec and tc_dense are the kernels of the
 * target (target.h): the Cortex-M4F/M7 ones of dense_armv7em.h, or the reference. */
#ifndef TINYCTL_DENSE_H
#define TINYCTL_DENSE_H

#include <stddef.h>

#include "activations.h"
#include "target.h"

/* y = W x + b (b may be NULL) */
static inline void tc_matvec_ref(const float *w, const float *x, const float *b, float *y, int rows, int cols)
{
    for (int j = 0; j < rows; ++j) {
        const float *wj = w + j * cols;
        float acc = 0.0f;
        for (int i = 0; i < cols; ++i)
            acc += wj[i] * x[i];
        y[j] = b ? acc + b[j] : acc;
    }
}

/* y[r] = act(W x[r] + b) for each of m rows of x */
static inline void tc_dense_ref(const float *x, const float *w, const float *b, float *y, int m, int k, int n,
                                int act, float alpha, float beta)
{
    for (int r = 0; r < m; ++r) {
        tc_matvec_ref(w, x + r * k, b, y + r * n, n, k);
        for (int j = 0; j < n; ++j)
            y[r * n + j] = tc_activate(y[r * n + j], act, alpha, beta);
    }
}

#if defined(TC_ARMV7EM_KERNELS)
#include "dense_armv7em.h"
#else
static inline void tc_matvec(const float *w, const float *x, const float *b, float *y, int rows, int cols)
{
    tc_matvec_ref(w, x, b, y, rows, cols);
}

static inline void tc_dense(const float *x, const float *w, const float *b, float *y, int m, int k, int n,
                            int act, float alpha, float beta)
{
    tc_dense_ref(x, w, b, y, m, k, n, act, alpha, beta);
}
#endif

#endif
