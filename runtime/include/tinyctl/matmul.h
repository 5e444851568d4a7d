/* tinyctl runtime: general matrix product with strides (transposes) and a strided, broadcast C.
 * y[i][j] = alpha * sum_p a[i][p] b[p][j] + beta * c[i][j] (c may be NULL) */
#ifndef TINYCTL_MATMUL_H
#define TINYCTL_MATMUL_H

#include <stddef.h>

static inline void tc_gemm(const float *a, int a_rs, int a_cs, const float *b, int b_rs, int b_cs,
                           const float *c, int c_rs, int c_cs, float *y, int m, int k, int n,
                           float alpha, float beta)
{
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) {
            float acc = 0.0f;
            for (int p = 0; p < k; ++p)
                acc += a[i * a_rs + p * a_cs] * b[p * b_rs + j * b_cs];
            acc *= alpha;
            if (c)
                acc += beta * c[i * c_rs + j * c_cs];
            y[i * n + j] = acc;
        }
    }
}

#endif
