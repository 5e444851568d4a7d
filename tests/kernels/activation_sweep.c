/* Sweeps float32 inputs (every `stride`-th bit pattern from `start`, both signs, plus the special values) through
 * the fast activations and prints, per function, the largest absolute error against the double-precision
 * function, the input where it happened, and the number of NaN mismatches:
 *   name max_abs_err worst_input nan_mismatches count
 * Usage: activation_sweep STRIDE [START] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyctl/activations_fast.h"

typedef struct {
    const char *name;
    double max_err, worst;
    long nan_bad, count;
} stat_t;

static double softplus_ref(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

static void check(stat_t *s, double x, float got, double want, double rel)
{
    s->count++;
    if (isnan(want) != isnan((double)got)) {
        s->nan_bad++;
        return;
    }
    if (isnan(want))
        return;
    if (isinf(want) || isinf((double)got)) {
        if ((double)got != want)
            s->nan_bad++;
        return;
    }
    double err = fabs((double)got - want) - rel * fabs(want);
    if (err > s->max_err) {
        s->max_err = err;
        s->worst = x;
    }
}

int main(int argc, char **argv)
{
    uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    uint64_t start = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
    stat_t st[5] = {{"tanh", 0, 0, 0, 0}, {"sigmoid", 0, 0, 0, 0}, {"softplus", 0, 0, 0, 0},
                    {"expm1_neg", 0, 0, 0, 0}, {"elu", 0, 0, 0, 0}};
    const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-45f, -1e-45f, 8.0f, -8.0f,
                              16.0f, -16.0f, 87.0f, -87.0f, -87.5f, 3.4e38f, -3.4e38f};
    uint64_t n_special = sizeof specials / sizeof specials[0];
    for (uint64_t k = 0;; ++k) {
        float x;
        if (k < n_special) {
            x = specials[k];
        } else {
            uint64_t bits = start + (k - n_special) * stride;
            if (bits > 0xFFFFFFFFull)
                break;
            uint32_t b = (uint32_t)bits;
            memcpy(&x, &b, sizeof x);
        }
        double xd = (double)x;
        check(&st[0], xd, tc_tanh_fast(x), tanh(xd), 0.0);
        check(&st[1], xd, tc_sigmoid_fast(x), 1.0 / (1.0 + exp(-xd)), 0.0);
        check(&st[2], xd, tc_softplus_fast(x), softplus_ref(xd), 6.0e-8);
        if (!(x >= 0.0f))
            check(&st[3], xd, tc_expm1_neg(x), expm1(xd), 0.0);
        check(&st[4], xd, tc_elu_fast(x, 1.0f), xd < 0 ? expm1(xd) : xd, 0.0);
    }
    for (int i = 0; i < 5; ++i)
        printf("%s %.9g %.9g %ld %ld\n", st[i].name, st[i].max_err, st[i].worst, st[i].nan_bad, st[i].count);
    return 0;
}
