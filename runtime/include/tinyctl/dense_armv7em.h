/* tinyctl runtime: tc_matvec and tc_dense for Cortex-M4F and Cortex-M7 (dense.h includes this when target.h
 * selects TC_ARMV7EM_KERNELS), in blocks of 8 rows (armv7em_asm.h). Same names and semantics as the reference
 * in dense.h; sums are accumulated from the bias with fused multiply-adds, so results differ from the
 * reference by rounding only. Shapes the blocks do not cover fall back to the reference. */
#ifndef TINYCTL_DENSE_ARMV7EM_H
#define TINYCTL_DENSE_ARMV7EM_H

#include <stddef.h>

#include "activations.h"
#include "armv7em_asm.h"

#define TC_ARMV7EM_INLINE static inline __attribute__((always_inline))

static const float tc_zero8[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};

/* the same in C, where gcc could not make the sizes constants (a function it cloned instead of inlining) */
static inline void tc_armv7em_mv_c(const float *w, const float *x, int k, const float *w2, const float *x2, int k2,
                                   const float *b, const float *b2, float *y, int n, int act)
{
    for (int j = 0; j < n; ++j) {
        float acc = (b ? b[j] : 0.0f) + (b2 ? b2[j] : 0.0f);
        for (int i = 0; i < k; ++i)
            acc += w[j * k + i] * x[i];
        for (int i = 0; i < k2; ++i)
            acc += w2[j * k2 + i] * x2[i];
        y[j] = tc_activate(acc, act, 0.0f, 0.0f);
    }
}

/* y[0..n) = act(b + b2 + W x + W2 x2) with W [n][k] and W2 [n][k2] row-major; b, b2 may be NULL; k2 may be 0
 * (no second source). act: one the blocks fuse (TC_ASM_FUSES). The sizes must be compile-time constants where
 * the blocks are used (they are assembly immediates); elsewhere tc_armv7em_mv_c. */
TC_ARMV7EM_INLINE void tc_armv7em_mv(const float *w, const float *x, int k, const float *w2, const float *x2,
                                     int k2, const float *b, const float *b2, float *y, int n, int act)
{
    if (!(__builtin_constant_p(k) && __builtin_constant_p(k2) && __builtin_constant_p(n)
          && __builtin_constant_p(act) && __builtin_constant_p(b != NULL) && __builtin_constant_p(b2 != NULL))) {
        tc_armv7em_mv_c(w, x, k, w2, x2, k2, b, b2, y, n, act);
        return;
    }
    const float *cp = act == TC_ACT_SIGMOID ? tc_sigm_coef : tc_tanh_coef;
    const float *bp = b ? b : tc_zero8;
    const float *xq;
    int cnt, pc;
    const int lines = 2 * TC_ASM_BLOCK_LINES(k, k2) + 8;
#define TC_MV_ASM(pad) \
    __asm__ volatile( \
        TC_ASM_BEGIN \
        ".macro tc_blk r\n" \
        "  tc_vx vldm, %[b], 8, \\r, %c[bw]\n" \
        "  .if %c[b2w]\n" \
        "    tc_vx vldm, %[b2], 0, \\r, 1\n" \
        "    tc_vec vadd, \\r, 8, 8, 0\n" \
        "  .endif\n" \
        "  tc_src %[w], %[x], %[xq], %[pc], %c[k], \\r\n" \
        "  .if %c[k2]\n" \
        "    tc_src %[w2], %[x2], %[xq], %[pc], %c[k2], \\r\n" \
        "  .endif\n" \
        "  tc_act_%c[act] \\r, %[cp]\n" \
        "  tc_vx vstm, %[y], 8, \\r, 1\n" \
        ".endm\n" \
        ".if %c[nb] > 1\n" \
        "  mov %[cnt], #%c[nb]\n" \
        "1:\n" \
        "  tc_blk 8\n" \
        "  subs %[cnt], %[cnt], #1\n" \
        "  bne 1b\n" \
        ".elseif %c[nb] == 1\n" \
        "  tc_blk 8\n" \
        ".endif\n" \
        ".if %c[rem]\n" \
        "  tc_blk %c[rem]\n" \
        ".endif\n" \
        ".purgem tc_blk\n" \
        TC_ASM_END pad \
        : [w] "+r"(w), [w2] "+r"(w2), [b] "+r"(bp), [b2] "+r"(b2), [y] "+r"(y), [xq] "=&r"(xq), [cnt] "=&r"(cnt), \
          [pc] "=&r"(pc) \
        : [x] "r"(x), [x2] "r"(x2), [cp] "r"(cp), [k] "i"(k), [k2] "i"(k2), [nb] "i"(n / 8), [rem] "i"(n % 8), \
          [act] "i"(act), [bw] "i"(b != NULL), [b2w] "i"(b2 != NULL) \
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", \
          "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28", "s29", "s30", \
          "s31", "cc", "memory")
    if (lines <= 512)
        TC_MV_ASM(TC_ASM_PAD_512);
    else if (lines <= 1024)
        TC_MV_ASM(TC_ASM_PAD_1024);
    else
        TC_MV_ASM(TC_ASM_PAD_2048);
#undef TC_MV_ASM
}

/* y = W x + b (b may be NULL) */
TC_ARMV7EM_INLINE void tc_matvec(const float *w, const float *x, const float *b, float *y, int rows, int cols)
{
    tc_armv7em_mv(w, x, cols, NULL, NULL, 0, b, NULL, y, rows, TC_ACT_NONE);
}

/* y[r] = act(W x[r] + b) for each of m rows of x */
TC_ARMV7EM_INLINE void tc_dense(const float *x, const float *w, const float *b, float *y, int m, int k, int n,
                                int act, float alpha, float beta)
{
    const int fused = TC_ASM_FUSES(act);
    for (int r = 0; r < m; ++r) {
        tc_armv7em_mv(w, x + r * k, k, NULL, NULL, 0, b, NULL, y + r * n, n, fused ? act : TC_ACT_NONE);
        if (!fused)
            for (int j = 0; j < n; ++j)
                y[r * n + j] = tc_activate(y[r * n + j], act, alpha, beta);
    }
}

#endif
