/* The activations the Cortex-M4F/M7 blocks fuse, applied to ACTS_N inputs one at a time (a 1x1 dense layer
 * with weight 1 and no bias: the accumulator is 0 + x), as a model step for the PIL runner: out[0..N) tanh,
 * out[N..2N) sigmoid. Built for the host (ACTS_MAIN: stdin to stdout), the same source runs the C of
 * activations_fast.h, which the assembly must match bit for bit. */
#define TC_TARGET_CORTEX_M4F 1
#include "tinyctl/dense.h"

#define ACTS_N 2048

typedef struct {
    float h[1];
} acts_state_t;

void acts_reset(acts_state_t *s);
void acts_step(const acts_state_t *s, const float in[ACTS_N], float out[2 * ACTS_N], acts_state_t *next);

void acts_reset(acts_state_t *s)
{
    s->h[0] = 0.0f;
}

void acts_step(const acts_state_t *s, const float in[ACTS_N], float out[2 * ACTS_N], acts_state_t *next)
{
    static const float one = 1.0f;
    next->h[0] = s->h[0];
    for (int i = 0; i < ACTS_N; ++i) {
        tc_dense(in + i, &one, NULL, out + i, 1, 1, 1, TC_ACT_TANH, 0.0f, 0.0f);
        tc_dense(in + i, &one, NULL, out + ACTS_N + i, 1, 1, 1, TC_ACT_SIGMOID, 0.0f, 0.0f);
    }
}

#ifdef ACTS_MAIN
#include <stdio.h>

int main(void)
{
    static float in[ACTS_N], out[2 * ACTS_N];
    acts_state_t s = {{0.0f}};
    if (fread(in, sizeof(float), ACTS_N, stdin) != ACTS_N)
        return 2;
    acts_step(&s, in, out, &s);
    fwrite(out, sizeof(float), 2 * ACTS_N, stdout);
    return 0;
}
#endif
