/* tinyctl runtime: one GRU step in the quantised builds (ONNX gate order z, r, h; linear_before_reset 0 or 1).
 *
 * tc_qgru_step (int8, q15): x int8 or int16, the state h and the new state in q15 (int16), int8 weights with one
 * scale per gate row (a multiplier per row, one shift for W's rows and one for R's). Each row's sums are rescaled to Q8.23 ("q31": 23 fractional bits in int32) and clamped to
 * +-64 before they are added, so no sum leaves int32; z and r come out of the sigmoid table in q15 (their
 * multipliers and biases carry the 1/2 of sigmoid(x) = (1 + tanh(x/2)) / 2), n out of the tanh table, and
 *   h' = n + z (h - n)
 * in q15 with a 32-bit product. Biases: bzr [2*hid] = Wb + Rb of z and r (Q8.23 of x/2), bn [2*hid] = Wbh then
 * Rbh (Q8.23), each within +-32. work: 3*hid int32.
 * tc_gru_step_w8 (int8w): float arithmetic as tc_gru_step_ref, int8 weights scaled per row. */
#ifndef TINYCTL_QRECURRENT_H
#define TINYCTL_QRECURRENT_H

#include <stddef.h>
#include <stdint.h>

#include "qdense.h"
#include "qfixed.h"
#include "recurrent.h"

static inline int32_t tc_qrow(const void *x, int xbits, const int8_t *w, int32_t m, int shift, int k)
{
    return tc_sat(tc_rescale(tc_qdot(x, xbits, w, 0, k), m, shift), TC_PRE_LIMIT);
}

static inline void tc_qgru_step(const void *x, int xbits, const int16_t *h, int16_t *y_h, const int8_t *w,
                                const int32_t *mw, int sw, const int8_t *r, const int32_t *mr, int sr,
                                const int32_t *bzr, const int32_t *bn, int32_t *work, int in, int hid, int lbr,
                                const int16_t *table)
{
    int32_t *zr = work;              /* z, r in q15 */
    int32_t *g = work + 2 * hid;     /* h Rh' + Rbh (lbr 1), or n (lbr 0) */
    for (int j = 0; j < 2 * hid; ++j) {
        const int32_t pre = tc_qrow(x, xbits, w + j * in, mw[j], sw, in) + tc_qrow(h, 16, r + j * hid, mr[j], sr, hid)
                            + bzr[j];
        zr[j] = tc_qsigmoid(pre, table);
    }
    const int8_t *wn = w + 2 * hid * in, *rn = r + 2 * hid * hid;
    const int32_t *mwn = mw + 2 * hid, *mrn = mr + 2 * hid;
    if (lbr) {
        for (int j = 0; j < hid; ++j)
            g[j] = tc_qrow(h, 16, rn + j * hid, mrn[j], sr, hid) + bn[hid + j];
        for (int j = 0; j < hid; ++j) {
            const int32_t gx = tc_qrow(x, xbits, wn + j * in, mwn[j], sw, in) + bn[j];
            const int32_t pre = gx + (int32_t)(((int64_t)zr[hid + j] * g[j] + (1L << 14)) >> 15);
            g[j] = tc_qtanh(pre, table);
        }
    } else {
        for (int k = 0; k < hid; ++k)      /* r * h, in y_h until the new state is written */
            y_h[k] = (int16_t)((zr[hid + k] * h[k] + (1L << 14)) >> 15);
        for (int j = 0; j < hid; ++j) {
            const int32_t pre = tc_qrow(x, xbits, wn + j * in, mwn[j], sw, in) + bn[j]
                                + tc_qrow(y_h, 16, rn + j * hid, mrn[j], sr, hid) + bn[hid + j];
            g[j] = tc_qtanh(pre, table);
        }
    }
    for (int j = 0; j < hid; ++j)
        y_h[j] = (int16_t)(g[j] + ((zr[j] * (h[j] - g[j]) + (1L << 14)) >> 15));
}

static inline void tc_gru_step_w8(const float *x, const float *h, float *y_h, const int8_t *w, const float *sw,
                                  const int8_t *r, const float *sr, const float *wb, const float *rb, float *work,
                                  int in, int hid, int lbr, float clip, int f, float fa, float fb, int g, float ga,
                                  float gb)
{
    float *zr = work;
    float *gn = work + 2 * hid;
    tc_matvec_w8(w, sw, x, wb, zr, 2 * hid, in);
    for (int half = 0; half < 2; ++half) {
        tc_matvec_w8(r + half * hid * hid, sr + half * hid, h, rb ? rb + half * hid : NULL, gn, hid, hid);
        for (int j = 0; j < hid; ++j)
            zr[half * hid + j] = tc_rnn_act(zr[half * hid + j] + gn[j], clip, f, fa, fb);
    }
    const int8_t *wn = w + 2 * hid * in, *rn = r + 2 * hid * hid;
    const float *wbn = wb ? wb + 2 * hid : NULL, *rbn = rb ? rb + 2 * hid : NULL;
    if (lbr) {
        tc_matvec_w8(rn, sr + 2 * hid, h, rbn, gn, hid, hid);
        tc_matvec_w8(wn, sw + 2 * hid, x, wbn, y_h, hid, in);
        for (int j = 0; j < hid; ++j)
            y_h[j] = tc_rnn_act(y_h[j] + zr[hid + j] * gn[j], clip, g, ga, gb);
    } else {
        for (int j = 0; j < hid; ++j)
            gn[j] = zr[hid + j] * h[j];
        tc_matvec_w8(rn, sr + 2 * hid, gn, rbn, y_h, hid, hid);
        tc_matvec_w8(wn, sw + 2 * hid, x, wbn, gn, hid, in);
        for (int j = 0; j < hid; ++j)
            y_h[j] = tc_rnn_act(gn[j] + y_h[j], clip, g, ga, gb);
    }
    for (int j = 0; j < hid; ++j)
        y_h[j] += zr[j] * (h[j] - y_h[j]);
}

#endif
