/* tinyctl runtime: GRU and LSTM layers (forward direction, ONNX gate order and equations).
 * Every argument but the data pointers is a compile-time constant at the call site.
 * x: [seq][batch][in] (layout 0) or [batch][seq][in] (layout 1); y likewise with hid; h0, y_h: [batch][hid].
 * clip > 0 clips every pre-activation to [-clip, clip].
 * One step of one sequence from a given state (a policy's step) is tc_gru_step: 3*hid floats of scratch instead
 * of 7*hid, and on Cortex-M4F/M7 the kernels of recurrent_armv7em.h. */
#ifndef TINYCTL_RECURRENT_H
#define TINYCTL_RECURRENT_H

#include <stddef.h>

#include "activations.h"
#include "copy.h"
#include "dense.h"
#include "target.h"

static inline float tc_rnn_act(float v, float clip, int act, float alpha, float beta)
{
    if (clip > 0.0f)
        v = tc_min(tc_max(v, -clip), clip);
    return tc_activate(v, act, alpha, beta);
}

static inline int tc_rnn_row(int layout, int t, int b, int seq, int batch)
{
    return layout ? b * seq + t : t * batch + b;
}

/* One GRU step from state h: y_h = (1 - z) n + z h, written after every read of h (y_h must not alias h or x).
 * work: 3*hid (z and r, then h Rh' + Rbh or r * h). */
static inline void tc_gru_step_ref(const float *x, const float *h, float *y_h, const float *w, const float *r,
                                   const float *wb, const float *rb, float *work, int in, int hid, int lbr,
                                   float clip, int f, float fa, float fb, int g, float ga, float gb)
{
    float *zr = work;            /* z in [0, hid), r in [hid, 2 hid) */
    float *gn = work + 2 * hid;
    tc_matvec(w, x, wb, zr, 2 * hid, in);
    for (int half = 0; half < 2; ++half) {
        tc_matvec(r + half * hid * hid, h, rb ? rb + half * hid : NULL, gn, hid, hid);
        for (int j = 0; j < hid; ++j)
            zr[half * hid + j] = tc_rnn_act(zr[half * hid + j] + gn[j], clip, f, fa, fb);
    }
    if (lbr) {
        tc_matvec(r + 2 * hid * hid, h, rb ? rb + 2 * hid : NULL, gn, hid, hid);
        tc_matvec(w + 2 * hid * in, x, wb ? wb + 2 * hid : NULL, y_h, hid, in);
        for (int j = 0; j < hid; ++j)
            y_h[j] = tc_rnn_act(y_h[j] + zr[hid + j] * gn[j], clip, g, ga, gb);
    } else {
        for (int j = 0; j < hid; ++j)
            gn[j] = zr[hid + j] * h[j];
        tc_matvec(r + 2 * hid * hid, gn, rb ? rb + 2 * hid : NULL, y_h, hid, hid);
        tc_matvec(w + 2 * hid * in, x, wb ? wb + 2 * hid : NULL, gn, hid, in);
        for (int j = 0; j < hid; ++j)
            y_h[j] = tc_rnn_act(gn[j] + y_h[j], clip, g, ga, gb);
    }
    for (int j = 0; j < hid; ++j)
        y_h[j] += zr[j] * (h[j] - y_h[j]);
}

#if defined(TC_ARMV7EM_KERNELS)
#include "recurrent_armv7em.h"
#else
static inline void tc_gru_step(const float *x, const float *h, float *y_h, const float *w, const float *r,
                               const float *wb, const float *rb, float *work, int in, int hid, int lbr, float clip,
                               int f, float fa, float fb, int g, float ga, float gb)
{
    tc_gru_step_ref(x, h, y_h, w, r, wb, rb, work, in, hid, lbr, clip, f, fa, fb, g, ga, gb);
}
#endif

/* work: batch*hid (running state) + 6*hid (gate pre-activations) */
static inline void tc_gru(const float *x, const float *h0, float *y, float *y_h,
                          const float *w, const float *r, const float *wb, const float *rb, float *work,
                          int seq, int batch, int in, int hid, int layout, int lbr, float clip,
                          int f, float fa, float fb, int g, float ga, float gb)
{
    float *h = work;
    float *gx = h + batch * hid;    /* x W' + Wb; then z in [0, hid), r in [hid, 2 hid) */
    float *gh = gx + 3 * hid;       /* h R' + Rb */
    for (int i = 0; i < batch * hid; ++i)
        h[i] = h0 ? h0[i] : 0.0f;
    for (int t = 0; t < seq; ++t) {
        for (int b = 0; b < batch; ++b) {
            float *hb = h + b * hid;
            tc_matvec(w, x + tc_rnn_row(layout, t, b, seq, batch) * in, wb, gx, 3 * hid, in);
            tc_matvec(r, hb, rb, gh, lbr ? 3 * hid : 2 * hid, hid);
            for (int j = 0; j < 2 * hid; ++j)
                gx[j] = tc_rnn_act(gx[j] + gh[j], clip, f, fa, fb);
            if (!lbr) {
                for (int j = 0; j < hid; ++j)
                    gh[j] = gx[hid + j] * hb[j];   /* r * h, in the slot z no longer needs */
                tc_matvec(r + 2 * hid * hid, gh, rb ? rb + 2 * hid : NULL, gh + 2 * hid, hid, hid);
                for (int j = 0; j < hid; ++j)
                    gh[2 * hid + j] = tc_rnn_act(gx[2 * hid + j] + gh[2 * hid + j], clip, g, ga, gb);
            } else {
                for (int j = 0; j < hid; ++j)
                    gh[2 * hid + j] = tc_rnn_act(gx[2 * hid + j] + gx[hid + j] * gh[2 * hid + j], clip, g, ga, gb);
            }
            for (int j = 0; j < hid; ++j)
                hb[j] = (1.0f - gx[j]) * gh[2 * hid + j] + gx[j] * hb[j];
            if (y)
                tc_copy(y + tc_rnn_row(layout, t, b, seq, batch) * hid, hb, hid);
        }
    }
    if (y_h)
        tc_copy(y_h, h, batch * hid);
}

/* work: 2*batch*hid (running h and c) + 4*hid (gates); p: peepholes [i, o, f] or NULL */
static inline void tc_lstm(const float *x, const float *h0, const float *c0, float *y, float *y_h, float *y_c,
                           const float *w, const float *r, const float *wb, const float *rb, const float *p,
                           float *work, int seq, int batch, int in, int hid, int layout, float clip,
                           int f, float fa, float fb, int g, float ga, float gb, int hact, float ha, float hb)
{
    float *h = work;
    float *c = h + batch * hid;
    float *gates = c + batch * hid;  /* i, o, f, c */
    for (int i = 0; i < batch * hid; ++i) {
        h[i] = h0 ? h0[i] : 0.0f;
        c[i] = c0 ? c0[i] : 0.0f;
    }
    for (int t = 0; t < seq; ++t) {
        for (int b = 0; b < batch; ++b) {
            float *hv = h + b * hid;
            float *cv = c + b * hid;
            tc_matvec(w, x + tc_rnn_row(layout, t, b, seq, batch) * in, wb, gates, 4 * hid, in);
            for (int j = 0; j < 4 * hid; ++j) {
                const float *rj = r + j * hid;
                float acc = 0.0f;
                for (int i = 0; i < hid; ++i)
                    acc += rj[i] * hv[i];
                gates[j] += rb ? acc + rb[j] : acc;
            }
            for (int j = 0; j < hid; ++j) {
                float gi = tc_rnn_act(gates[j] + (p ? p[j] * cv[j] : 0.0f), clip, f, fa, fb);
                float gf = tc_rnn_act(gates[2 * hid + j] + (p ? p[2 * hid + j] * cv[j] : 0.0f), clip, f, fa, fb);
                float gc = tc_rnn_act(gates[3 * hid + j], clip, g, ga, gb);
                float cn = gf * cv[j] + gi * gc;
                float go = tc_rnn_act(gates[hid + j] + (p ? p[hid + j] * cn : 0.0f), clip, f, fa, fb);
                cv[j] = cn;
                hv[j] = go * tc_activate(cn, hact, ha, hb);
            }
            if (y)
                tc_copy(y + tc_rnn_row(layout, t, b, seq, batch) * hid, hv, hid);
        }
    }
    if (y_h)
        tc_copy(y_h, h, batch * hid);
    if (y_c)
        tc_copy(y_c, c, batch * hid);
}

#endif
