/* tinyctl runtime: Newton-Raphson MPC over a learned dynamics model (Soloway & Haley's neural generalized
 * predictive control, done with exact derivatives, a Gauss-Newton Hessian, damping and a line search).
 *
 * The model maps in = [x (NX), u (NU)] to out = x_next (NX); `tinyctl compile --jacobian` generates both
 * its step and its Jacobian [NX][NX + NU]. Over a prediction horizon of N steps with the inputs moving for
 * the first NC steps (held after), the solver minimises
 *
 *   J(U) = sum_{k=1..N} (x_k - r_k)' Q (x_k - r_k) + sum_{j=0..NC-1} du_j' R du_j + B(U),
 *   x_{k+1} = f(x_k, u_k) + bias,
 *   du_0 = u_0 - u_prev,  du_j = u_j - u_{j-1},
 *   B(U) = sum_{j<NC} sum_i s (1/(u_ji - lo_i) + 1/(hi_i - u_ji) - 4/(hi_i - lo_i))     (barrier mode)
 *
 * with Q and R diagonal. In barrier mode (Soloway & Haley's) the inputs stay strictly inside [lo, hi]; in
 * projection mode B = 0 and the inputs stay in the closed box.
 *
 * Each iteration rolls the model out with sensitivities S_k = dx_k/dU and forms the Gauss-Newton model of
 * the tracking and rate terms, g'dU + dU'(2 sum S'QS + 2 D'RD + mu I)dU/2 (Levenberg damping mu). The step
 * minimises that model plus the exact barrier (not its quadratic model: Newton on 1/(hi - u) is slow from
 * the wrong side, and a cold start pushed against a bound would need tens of iterations), or subject to the
 * box in projection mode (projected Newton, Hessian reduced on the held bounds, Bertsekas 1982), by a few
 * damped Newton steps on NV variables that evaluate no model. Backtracking on J (Armijo on the predicted
 * decrease) accepts it. Converged when the (projected) gradient's largest entry is <= tol or the predicted
 * decrease is <= rtol |J|; at most max_iter steps.
 *
 * Sizes are compile-time constants: define TC_NRMPC_NX, _NU, _N and _NC (e.g. with -D), or provide
 * "tinyctl_nrmpc_config.h" that defines them. Settings, problem data, solution and workspace are separate
 * structs owned by the caller; nothing is allocated. Every loop is bounded by these sizes or by the
 * settings' iteration caps. */
#ifndef TINYCTL_NRMPC_H
#define TINYCTL_NRMPC_H

#ifndef TC_NRMPC_NX
#include "tinyctl_nrmpc_config.h"
#endif

#if !defined(TC_NRMPC_NX) || !defined(TC_NRMPC_NU) || !defined(TC_NRMPC_N) || !defined(TC_NRMPC_NC)
#error "define TC_NRMPC_NX, TC_NRMPC_NU, TC_NRMPC_N and TC_NRMPC_NC (sizes of the MPC problem)"
#endif
#if TC_NRMPC_NC < 1 || TC_NRMPC_NC > TC_NRMPC_N
#error "the control horizon TC_NRMPC_NC must be between 1 and the prediction horizon TC_NRMPC_N"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define TC_NRMPC_NIN (TC_NRMPC_NX + TC_NRMPC_NU)   /* model inputs: state then input */
#define TC_NRMPC_NV (TC_NRMPC_NC * TC_NRMPC_NU)    /* decision variables */

/* in -> out (the model's step) and in -> out, jac (its Jacobian, row-major [NX][NX + NU]) */
typedef void (*tc_nrmpc_value_fn)(const float *in, float *out);
typedef void (*tc_nrmpc_jacobian_fn)(const float *in, float *out, float *jac);

enum { TC_NRMPC_BARRIER = 0, TC_NRMPC_PROJECTION = 1 };

enum {
    TC_NRMPC_CONVERGED = 0,      /* gradient (projected in projection mode) at most tol */
    TC_NRMPC_MAX_ITER = 1,       /* max_iter steps taken; the solution is the last accepted iterate */
    TC_NRMPC_STALLED = 2,        /* no step decreased the cost: at the limit of float precision */
    TC_NRMPC_NOT_FINITE = 3,     /* the model returned NaN or Inf; the solution holds the last good iterate */
    TC_NRMPC_BAD_SETTINGS = 4    /* settings rejected by tc_nrmpc_check_settings (nothing was computed) */
};

typedef struct {
    tc_nrmpc_jacobian_fn jacobian;   /* required: <model>_jacobian */
    tc_nrmpc_value_fn value;         /* optional, cheaper for line searches; NULL: the Jacobian function */
    float q[TC_NRMPC_NX];            /* state weights (diagonal of Q), >= 0 */
    float r[TC_NRMPC_NU];            /* input-rate weights (diagonal of R), >= 0 */
    float u_min[TC_NRMPC_NU];        /* input box, u_min < u_max */
    float u_max[TC_NRMPC_NU];
    int constraints;                 /* TC_NRMPC_BARRIER or TC_NRMPC_PROJECTION */
    float barrier;                   /* s > 0 in barrier mode */
    float mu;                        /* Levenberg damping added to the Hessian's diagonal, >= 0 */
    float tol;                       /* converged when max |(projected) gradient entry| <= tol */
    float rtol;                      /* ... or when the step would decrease J by at most rtol |J| */
    int max_iter;                    /* Newton steps per solve, >= 1 */
    int max_backtracks;              /* step halvings per line search, >= 0 */
    float armijo;                    /* sufficient decrease, in (0, 0.5) */
} tc_nrmpc_settings_t;

typedef struct {                     /* what arrives at each control step */
    float x0[TC_NRMPC_NX];           /* measured state */
    float ref[TC_NRMPC_N][TC_NRMPC_NX];  /* reference for x_1 .. x_N */
    float u_prev[TC_NRMPC_NU];       /* the input applied during the last period */
    float bias[TC_NRMPC_NX];         /* added to every predicted step: x_{k+1} = f(x_k, u_k) + bias, the estimate
                                      * of what the model misses (offset-free tracking); zeros for the plain model */
} tc_nrmpc_problem_t;

typedef struct {
    float u[TC_NRMPC_NC][TC_NRMPC_NU];   /* the input moves; u[0] is applied */
} tc_nrmpc_solution_t;

typedef struct {
    int status;
    int iterations;                  /* Newton steps taken */
    float cost;                      /* J at the returned solution */
    float grad_norm;                 /* max |(projected) gradient entry| at the returned solution */
} tc_nrmpc_result_t;

typedef struct {                     /* scratch space; its contents mean nothing between calls */
    float x[TC_NRMPC_N + 1][TC_NRMPC_NX];
    float s[TC_NRMPC_NX][TC_NRMPC_NV];       /* sensitivity dx_k/dU */
    float s_next[TC_NRMPC_NX][TC_NRMPC_NV];
    float jac[TC_NRMPC_NX][TC_NRMPC_NIN];
    float in[TC_NRMPC_NIN];
    float h[TC_NRMPC_NV][TC_NRMPC_NV];      /* Gauss-Newton Hessian of tracking and rates (lower triangle) */
    float l[TC_NRMPC_NV][TC_NRMPC_NV];      /* a Cholesky factor */
    float g[TC_NRMPC_NV];                   /* gradient of tracking and rates */
    float grad[TC_NRMPC_NV];                /* gradient of the step model (or of J) */
    float extra[TC_NRMPC_NV];               /* barrier Hessian diagonal */
    float dv[TC_NRMPC_NV];                  /* the step */
    float d[TC_NRMPC_NV];
    float v[TC_NRMPC_NV];
    float trial[TC_NRMPC_NV];
    unsigned char held[TC_NRMPC_NV];        /* inputs held at a bound (projection mode) */
} tc_nrmpc_workspace_t;

/* 0 when the settings are usable, else the index (1-based) of the first bad field in declaration order. */
int tc_nrmpc_check_settings(const tc_nrmpc_settings_t *set);

/* A starting point: every move at the middle of the box. */
void tc_nrmpc_init(const tc_nrmpc_settings_t *set, tc_nrmpc_solution_t *sol);

/* Warm start for the next control step: moves shift one step earlier, the last one is repeated. */
void tc_nrmpc_shift(tc_nrmpc_solution_t *sol);

/* J at sol (+Inf outside the box in barrier mode). */
float tc_nrmpc_cost(const tc_nrmpc_settings_t *set, const tc_nrmpc_problem_t *prob, const tc_nrmpc_solution_t *sol,
                    tc_nrmpc_workspace_t *work);

/* Improve sol (the initial guess on entry) for prob; returns status, steps, cost and gradient norm. */
tc_nrmpc_result_t tc_nrmpc_solve(const tc_nrmpc_settings_t *set, const tc_nrmpc_problem_t *prob,
                                 tc_nrmpc_solution_t *sol, tc_nrmpc_workspace_t *work);

#ifdef __cplusplus
}
#endif

#endif
