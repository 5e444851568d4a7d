/* tinyctl runtime: scalar activations, shared by elementwise loops and fused kernels.
 * NaN propagates through every function, so the firmware's failsafe sees it. On targets that select them
 * (target.h), tanh, sigmoid, softplus and elu are the approximations of activations_fast.h. */
#ifndef TINYCTL_ACTIVATIONS_H
#define TINYCTL_ACTIVATIONS_H

#include <math.h>

#include "target.h"
#if defined(TC_FAST_ACTIVATIONS)
#include "activations_fast.h"
#endif

enum {
    TC_ACT_NONE = 0,
    TC_ACT_RELU,
    TC_ACT_LEAKY_RELU,
    TC_ACT_ELU,
    TC_ACT_TANH,
    TC_ACT_SIGMOID,
    TC_ACT_SOFTPLUS,
    TC_ACT_HARD_SIGMOID
};

static inline float tc_max(float a, float b) { return (a != a || a > b) ? a : b; }
static inline float tc_min(float a, float b) { return (a != a || a < b) ? a : b; }
static inline float tc_abs(float x) { return fabsf(x); }
static inline float tc_relu(float x) { return x < 0.0f ? 0.0f : x; }
static inline float tc_leaky_relu(float x, float alpha) { return x < 0.0f ? alpha * x : x; }
#if defined(TC_FAST_ACTIVATIONS)
static inline float tc_elu(float x, float alpha) { return tc_elu_fast(x, alpha); }
static inline float tc_tanh(float x) { return tc_tanh_fast(x); }
static inline float tc_sigmoid(float x) { return tc_sigmoid_fast(x); }
static inline float tc_softplus(float x) { return tc_softplus_fast(x); }
#else
static inline float tc_elu(float x, float alpha) { return x < 0.0f ? alpha * expm1f(x) : x; }
static inline float tc_tanh(float x) { return tanhf(x); }
static inline float tc_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static inline float tc_softplus(float x)
{
    /* log(1 + e^x) without overflow: x + log1p(e^-x) for positive x */
    return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}
#endif

static inline float tc_hard_sigmoid(float x, float alpha, float beta)
{
    return tc_min(tc_max(alpha * x + beta, 0.0f), 1.0f);
}

/* `act` is a compile-time constant at every call site, so the switch folds away. */
static inline float tc_activate(float x, int act, float alpha, float beta)
{
    switch (act) {
    case TC_ACT_RELU: return tc_relu(x);
    case TC_ACT_LEAKY_RELU: return tc_leaky_relu(x, alpha);
    case TC_ACT_ELU: return tc_elu(x, alpha);
    case TC_ACT_TANH: return tc_tanh(x);
    case TC_ACT_SIGMOID: return tc_sigmoid(x);
    case TC_ACT_SOFTPLUS: return tc_softplus(x);
    case TC_ACT_HARD_SIGMOID: return tc_hard_sigmoid(x, alpha, beta);
    default: return x;
    }
}

#endif
