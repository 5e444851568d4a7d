/* The fixed-point helpers of qfixed.h over arrays from stdin, for the tests to compare with fixed.py:
 *   to_q:     n floats, f, qmax       -> n int32 (tc_float_to_q)
 *   to_float: n int32, f              -> n floats (tc_q_to_float)
 *   rescale:  n (acc, m, shift) int32 -> n int64 (tc_rescale)
 *   tanh:     n int32 (Q8.23)         -> n tanh, n sigmoid int32 (tc_qtanh, tc_qsigmoid on v)
 * Input: int32 mode (0..3), int32 n, then the arrays; the table for mode 3 is built from the tests' values. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tinyctl/qfixed.h"

static void *read_n(size_t size, int32_t n)
{
    void *p = malloc(size * (size_t)(n > 0 ? n : 1));
    if (!p || fread(p, size, (size_t)n, stdin) != (size_t)n)
        exit(2);
    return p;
}

int main(void)
{
    int32_t head[2];
    if (fread(head, sizeof head[0], 2, stdin) != 2)
        return 2;
    const int32_t mode = head[0], n = head[1];
    if (mode == 0) {
        float *x = read_n(sizeof(float), n);
        int32_t *fq = read_n(sizeof(int32_t), 2);
        for (int32_t i = 0; i < n; ++i) {
            const int32_t q = tc_float_to_q(x[i], fq[0], fq[1]);
            fwrite(&q, sizeof q, 1, stdout);
        }
    } else if (mode == 1) {
        int32_t *v = read_n(sizeof(int32_t), n);
        int32_t *f = read_n(sizeof(int32_t), 1);
        for (int32_t i = 0; i < n; ++i) {
            const float y = tc_q_to_float(v[i], f[0]);
            fwrite(&y, sizeof y, 1, stdout);
        }
    } else if (mode == 2) {
        int32_t *a = read_n(sizeof(int32_t), 3 * n);
        for (int32_t i = 0; i < n; ++i) {
            const int64_t y = tc_rescale(a[3 * i], a[3 * i + 1], a[3 * i + 2]);
            fwrite(&y, sizeof y, 1, stdout);
        }
    } else {
        int16_t *table = read_n(sizeof(int16_t), 513);
        int32_t *v = read_n(sizeof(int32_t), n);
        for (int32_t i = 0; i < n; ++i) {
            const int32_t t = tc_qtanh(v[i], table), s = tc_qsigmoid(v[i], table);
            fwrite(&t, sizeof t, 1, stdout);
            fwrite(&s, sizeof s, 1, stdout);
        }
    }
    return fflush(stdout) != 0;
}
