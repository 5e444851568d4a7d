/* tinyctl runtime: one GRU step for Cortex-M4F and Cortex-M7 (recurrent.h includes this when target.h selects
 * TC_ARMV7EM_KERNELS): the gates in blocks of 8 rows over both sources with the sigmoid fused
 * (dense_armv7em.h), then n and the new state in one pass with tanh fused. Same name, arguments and scratch
 * (3*hid) as tc_gru_step_ref, which it falls back to for what it does not cover (clip, other activations). */
#ifndef TINYCTL_RECURRENT_ARMV7EM_H
#define TINYCTL_RECURRENT_ARMV7EM_H

#include <stddef.h>

#include "activations.h"
#include "armv7em_asm.h"
#include "dense_armv7em.h"

/* y = n + z (h - n) for n elements, n = tanh(y + rg * g) (lbr) or tanh(y) */
TC_ARMV7EM_INLINE void tc_armv7em_gru_update(float *y, const float *rg, const float *g, const float *z,
                                             const float *h, int n, int lbr)
{
    if (!(__builtin_constant_p(n) && __builtin_constant_p(lbr))) {     /* see tc_armv7em_mv */
        for (int j = 0; j < n; ++j) {
            const float v = tc_tanh(lbr ? y[j] + rg[j] * g[j] : y[j]);
            y[j] = v + z[j] * (h[j] - v);
        }
        return;
    }
    const float *cp = tc_tanh_coef;
    float *ya = y;
    int cnt;
    __asm__ volatile(
        TC_ASM_BEGIN
        ".macro tc_upd r\n"
        "  tc_vx vldm, %[ya], 8, \\r, 1\n"
        "  .if %c[lbr]\n"
        "    tc_vx vldm, %[rg], 0, \\r, 1\n"
        "    tc_vx vldm, %[g], 16, \\r, 1\n"
        "    tc_vec vfma, \\r, 8, 0, 16\n"
        "  .endif\n"
        "  tc_act_4 \\r, %[cp]\n"
        "  tc_vx vldm, %[z], 0, \\r, 1\n"
        "  tc_vx vldm, %[h], 16, \\r, 1\n"
        "  tc_vec vsub, \\r, 16, 16, 8\n"
        "  tc_vec vfma, \\r, 8, 0, 16\n"
        "  tc_vx vstm, %[y], 8, \\r, 1\n"
        ".endm\n"
        ".if %c[nb] > 1\n"
        "  mov %[cnt], #%c[nb]\n"
        "1:\n"
        "  tc_upd 8\n"
        "  subs %[cnt], %[cnt], #1\n"
        "  bne 1b\n"
        ".elseif %c[nb] == 1\n"
        "  tc_upd 8\n"
        ".endif\n"
        ".if %c[rem]\n"
        "  tc_upd %c[rem]\n"
        ".endif\n"
        ".purgem tc_upd\n"
        TC_ASM_END TC_ASM_PAD_512
        : [y] "+r"(y), [ya] "+r"(ya), [rg] "+r"(rg), [g] "+r"(g), [z] "+r"(z), [h] "+r"(h), [cnt] "=&r"(cnt)
        : [cp] "r"(cp), [nb] "i"(n / 8), [rem] "i"(n % 8), [lbr] "i"(lbr)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
          "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28", "s29", "s30",
          "s31", "cc", "memory");
}

TC_ARMV7EM_INLINE void tc_gru_step(const float *x, const float *h, float *y_h, const float *w, const float *r,
                                   const float *wb, const float *rb, float *work, int in, int hid, int lbr,
                                   float clip, int f, float fa, float fb, int g, float ga, float gb)
{
    if (clip > 0.0f || f != TC_ACT_SIGMOID || g != TC_ACT_TANH) {
        tc_gru_step_ref(x, h, y_h, w, r, wb, rb, work, in, hid, lbr, clip, f, fa, fb, g, ga, gb);
        return;
    }
    float *zr = work;
    float *gn = work + 2 * hid;
    const float *wn = w + 2 * hid * in, *rn = r + 2 * hid * hid;
    const float *wbn = wb ? wb + 2 * hid : NULL, *rbn = rb ? rb + 2 * hid : NULL;
    tc_armv7em_mv(w, x, in, r, h, hid, wb, rb, zr, 2 * hid, TC_ACT_SIGMOID);
    if (lbr) {
        tc_armv7em_mv(rn, h, hid, NULL, NULL, 0, rbn, NULL, gn, hid, TC_ACT_NONE);
        tc_armv7em_mv(wn, x, in, NULL, NULL, 0, wbn, NULL, y_h, hid, TC_ACT_NONE);
        tc_armv7em_gru_update(y_h, zr + hid, gn, zr, h, hid, 1);
    } else {
        for (int j = 0; j < hid; ++j)
            gn[j] = zr[hid + j] * h[j];
        tc_armv7em_mv(wn, x, in, rn, gn, hid, wbn, rbn, y_h, hid, TC_ACT_NONE);
        tc_armv7em_gru_update(y_h, NULL, NULL, zr, h, hid, 0);
    }
}

#endif
