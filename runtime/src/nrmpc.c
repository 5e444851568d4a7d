/* tinyctl runtime: Newton-Raphson MPC (see tinyctl/nrmpc.h for the problem and the algorithm). */
#include "tinyctl/nrmpc.h"

#include <math.h>

#define NX TC_NRMPC_NX
#define NU TC_NRMPC_NU
#define N TC_NRMPC_N
#define NC TC_NRMPC_NC
#define NV TC_NRMPC_NV
#define NIN TC_NRMPC_NIN

/* Cholesky retries: when a matrix is not positive definite in float32, the damping grows tenfold. */
#define CHOLESKY_RETRIES 6
/* The step subproblem (no model evaluations, NV-sized): iterations, halvings per line search, tolerance
 * relative to the gradient, and how far (as a share of the distance) one step may go towards a bound. */
#define INNER_ITERATIONS 50
#define INNER_BACKTRACKS 30
#define INNER_TOL 1e-6f
#define TO_BOUNDARY 0.5f
#define INNER_ARMIJO 1e-4f

static int all_finite(const float *v, int n)
{
    for (int i = 0; i < n; ++i)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static float lower(int a, const tc_nrmpc_settings_t *set)
{
    return set->u_min[a % NU];
}

static float upper(int a, const tc_nrmpc_settings_t *set)
{
    return set->u_max[a % NU];
}

/* The moves u_j are held after the control horizon: step k uses u_min(k, NC-1). */
static int move_at(int k)
{
    return k < NC ? k : NC - 1;
}

static void model_input(tc_nrmpc_workspace_t *w, const float *x, const float *u)
{
    for (int i = 0; i < NX; ++i)
        w->in[i] = x[i];
    for (int i = 0; i < NU; ++i)
        w->in[NX + i] = u[i];
}

int tc_nrmpc_check_settings(const tc_nrmpc_settings_t *set)
{
    if (!set->jacobian)
        return 1;
    for (int i = 0; i < NX; ++i)
        if (!(set->q[i] >= 0.0f) || !isfinite(set->q[i]))
            return 3;
    for (int i = 0; i < NU; ++i) {
        if (!(set->r[i] >= 0.0f) || !isfinite(set->r[i]))
            return 4;
        if (!isfinite(set->u_min[i]) || !isfinite(set->u_max[i]) || !(set->u_min[i] < set->u_max[i]))
            return 5;
    }
    if (set->constraints != TC_NRMPC_BARRIER && set->constraints != TC_NRMPC_PROJECTION)
        return 7;
    if (set->constraints == TC_NRMPC_BARRIER && !(set->barrier > 0.0f && isfinite(set->barrier)))
        return 8;
    if (!(set->mu >= 0.0f) || !isfinite(set->mu))
        return 9;
    if (!(set->tol >= 0.0f))
        return 10;
    if (!(set->rtol >= 0.0f))
        return 11;
    if (set->max_iter < 1)
        return 12;
    if (set->max_backtracks < 0)
        return 13;
    if (!(set->armijo > 0.0f && set->armijo < 0.5f))
        return 14;
    return 0;
}

void tc_nrmpc_init(const tc_nrmpc_settings_t *set, tc_nrmpc_solution_t *sol)
{
    for (int j = 0; j < NC; ++j)
        for (int i = 0; i < NU; ++i)
            sol->u[j][i] = 0.5f * (set->u_min[i] + set->u_max[i]);
}

void tc_nrmpc_shift(tc_nrmpc_solution_t *sol)
{
    for (int j = 0; j + 1 < NC; ++j)
        for (int i = 0; i < NU; ++i)
            sol->u[j][i] = sol->u[j + 1][i];
}

/* The barrier at v; +Inf outside the open box. With grad and hess (may be NULL), also its gradient and the
 * diagonal of its Hessian. */
static float barrier_at(const tc_nrmpc_settings_t *set, const float *v, float *grad, float *hess)
{
    float value = 0.0f;
    for (int a = 0; a < NV; ++a) {
        const float lo = v[a] - lower(a, set), hi = upper(a, set) - v[a];
        if (!(lo > 0.0f && hi > 0.0f))
            return INFINITY;
        const float ilo = 1.0f / lo, ihi = 1.0f / hi;
        value += set->barrier * (ilo + ihi - 4.0f / (upper(a, set) - lower(a, set)));
        if (grad) {
            grad[a] = set->barrier * (ihi * ihi - ilo * ilo);
            hess[a] = 2.0f * set->barrier * (ilo * ilo * ilo + ihi * ihi * ihi);
        }
    }
    return value;
}

/* Input-rate terms (and the barrier in barrier mode). */
static float input_cost(const tc_nrmpc_settings_t *set, const tc_nrmpc_problem_t *prob, const float *u)
{
    float cost = 0.0f;
    for (int a = 0; a < NV; ++a) {
        const float du = u[a] - (a >= NU ? u[a - NU] : prob->u_prev[a]);
        cost += set->r[a % NU] * du * du;
    }
    return set->constraints == TC_NRMPC_BARRIER ? cost + barrier_at(set, u, 0, 0) : cost;
}

/* J(u) by a rollout of the model's values. */
static float cost_at(const tc_nrmpc_settings_t *set, const tc_nrmpc_problem_t *prob, const float *u,
                     tc_nrmpc_workspace_t *w)
{
    float cost = input_cost(set, prob, u);
    if (!isfinite(cost))
        return cost;
    for (int i = 0; i < NX; ++i)
        w->x[0][i] = prob->x0[i];
    for (int k = 0; k < N; ++k) {
        model_input(w, w->x[k], u + move_at(k) * NU);
        if (set->value)
            set->value(w->in, w->x[k + 1]);
        else
            set->jacobian(w->in, w->x[k + 1], &w->jac[0][0]);
        for (int i = 0; i < NX; ++i) {
            w->x[k + 1][i] += prob->bias[i];
            const float e = w->x[k + 1][i] - prob->ref[k][i];
            cost += set->q[i] * e * e;
        }
    }
    return isfinite(cost) ? cost : NAN;
}

float tc_nrmpc_cost(const tc_nrmpc_settings_t *set, const tc_nrmpc_problem_t *prob, const tc_nrmpc_solution_t *sol,
                    tc_nrmpc_workspace_t *work)
{
    return cost_at(set, prob, &sol->u[0][0], work);
}

/* Roll out with sensitivities S_k = dx_k/dU: the tracking and rate terms of J, their gradient g and their
 * Gauss-Newton Hessian h (lower triangle); the barrier is left to the step. 0 when the model gave NaN/Inf. */
static int linearize(const tc_nrmpc_settings_t *set, const tc_nrmpc_problem_t *prob, const float *u,
                     tc_nrmpc_workspace_t *w, float *smooth_cost)
{
    float cost = 0.0f;
    for (int a = 0; a < NV; ++a) {
        w->g[a] = 0.0f;
        for (int b = 0; b < NV; ++b)
            w->h[a][b] = 0.0f;
    }
    for (int i = 0; i < NX; ++i) {
        w->x[0][i] = prob->x0[i];
        for (int a = 0; a < NV; ++a)
            w->s[i][a] = 0.0f;
    }
    for (int k = 0; k < N; ++k) {
        const int m = move_at(k);
        model_input(w, w->x[k], u + m * NU);
        set->jacobian(w->in, w->x[k + 1], &w->jac[0][0]);
        if (!all_finite(w->x[k + 1], NX) || !all_finite(&w->jac[0][0], NX * NIN))
            return 0;
        for (int i = 0; i < NX; ++i)
            w->x[k + 1][i] += prob->bias[i];
        /* S_{k+1} = A S_k + B E_m: only the columns of moves 0..m can be nonzero */
        const int live = (m + 1) * NU;
        for (int r = 0; r < NX; ++r) {
            for (int a = 0; a < live; ++a) {
                float acc = 0.0f;
                for (int c = 0; c < NX; ++c)
                    acc += w->jac[r][c] * w->s[c][a];
                w->s_next[r][a] = acc;
            }
            for (int i = 0; i < NU; ++i)
                w->s_next[r][m * NU + i] += w->jac[r][NX + i];
        }
        for (int r = 0; r < NX; ++r)
            for (int a = 0; a < live; ++a)
                w->s[r][a] = w->s_next[r][a];
        /* tracking: J += e'Qe, g += 2 S'Qe, H += 2 S'QS */
        for (int r = 0; r < NX; ++r) {
            const float q = set->q[r];
            if (q == 0.0f)
                continue;
            const float e = w->x[k + 1][r] - prob->ref[k][r];
            cost += q * e * e;
            for (int a = 0; a < live; ++a) {
                const float qs = 2.0f * q * w->s[r][a];
                w->g[a] += qs * e;
                for (int b = 0; b <= a; ++b)
                    w->h[a][b] += qs * w->s[r][b];
            }
        }
    }
    /* input rates: du_0 = u_0 - u_prev, du_j = u_j - u_{j-1} */
    for (int a = 0; a < NV; ++a) {
        const float du = u[a] - (a >= NU ? u[a - NU] : prob->u_prev[a]);
        const float r2 = 2.0f * set->r[a % NU];
        cost += 0.5f * r2 * du * du;
        w->g[a] += r2 * du;
        w->h[a][a] += r2;
        if (a >= NU) {
            w->g[a - NU] -= r2 * du;
            w->h[a - NU][a - NU] += r2;
            w->h[a][a - NU] -= r2;
        }
    }
    *smooth_cost = cost;
    return isfinite(cost);
}

/* max |gradient entry|, projected onto the box in projection mode (v - P(v - grad)). */
static float gradient_norm(const tc_nrmpc_settings_t *set, const float *v, const float *grad)
{
    float m = 0.0f;
    for (int a = 0; a < NV; ++a) {
        const float p = set->constraints == TC_NRMPC_BARRIER
                        ? fabsf(grad[a]) : fabsf(v[a] - clampf(v[a] - grad[a], lower(a, set), upper(a, set)));
        m = p > m ? p : m;
    }
    return m;
}

/* d = -(h + diag(extra) + mu I)^-1 rhs by Cholesky (h: lower triangle; rows and columns of held inputs
 * reduced to their diagonal); the damping grows when float32 finds the matrix not positive definite. */
static int cholesky_solve(const tc_nrmpc_settings_t *set, tc_nrmpc_workspace_t *w, const float *extra,
                          const float *rhs, float *d)
{
    float mu = set->mu, scale = 0.0f;
    for (int a = 0; a < NV; ++a)
        scale = w->h[a][a] + extra[a] > scale ? w->h[a][a] + extra[a] : scale;
    for (int attempt = 0; attempt <= CHOLESKY_RETRIES; ++attempt) {
        int ok = 1;
        for (int a = 0; a < NV && ok; ++a) {
            for (int b = 0; b <= a; ++b) {
                float sum = a == b ? w->h[a][a] + extra[a] + mu : (w->held[a] || w->held[b] ? 0.0f : w->h[a][b]);
                for (int c = 0; c < b; ++c)
                    sum -= w->l[a][c] * w->l[b][c];
                if (a != b) {
                    w->l[a][b] = sum / w->l[b][b];
                } else if (sum > 0.0f) {
                    w->l[a][a] = sqrtf(sum);
                } else {
                    ok = 0;
                    break;
                }
            }
        }
        if (ok) {
            for (int a = 0; a < NV; ++a) {          /* L y = -rhs */
                float sum = -rhs[a];
                for (int c = 0; c < a; ++c)
                    sum -= w->l[a][c] * d[c];
                d[a] = sum / w->l[a][a];
            }
            for (int a = NV - 1; a >= 0; --a) {     /* L' d = y */
                float sum = d[a];
                for (int c = a + 1; c < NV; ++c)
                    sum -= w->l[c][a] * d[c];
                d[a] = sum / w->l[a][a];
            }
            return all_finite(d, NV);
        }
        mu = mu > 0.0f ? 10.0f * mu : 1e-6f * (scale > 0.0f ? scale : 1.0f);
    }
    return 0;
}

/* The step model m(dv) = g'dv + dv'(H + mu I)dv/2 + B(u + dv), with the barrier B exact (barrier mode) or
 * the box as a hard constraint (projection mode). */
static float step_model(const tc_nrmpc_settings_t *set, const tc_nrmpc_workspace_t *w, const float *u,
                        const float *dv, float *v)
{
    float m = 0.0f;
    for (int a = 0; a < NV; ++a) {
        float hd = 0.5f * (w->h[a][a] + set->mu) * dv[a];
        for (int b = 0; b < a; ++b)
            hd += w->h[a][b] * dv[b];
        m += dv[a] * (w->g[a] + hd);
        v[a] = u[a] + dv[a];
    }
    return set->constraints == TC_NRMPC_BARRIER ? m + barrier_at(set, v, 0, 0) : m;
}

/* Minimise the step model by damped Newton (projected Newton with the Hessian reduced on held bounds, in
 * projection mode), from dv = 0. Leaves the step in w->dv; returns the decrease m(0) - m(dv) it predicts. */
static float solve_step(const tc_nrmpc_settings_t *set, const float *u, tc_nrmpc_workspace_t *w)
{
    const int barrier = set->constraints == TC_NRMPC_BARRIER;
    float gscale = 0.0f;
    for (int a = 0; a < NV; ++a) {
        w->dv[a] = 0.0f;
        w->held[a] = 0;
        w->extra[a] = 0.0f;
        gscale = fabsf(w->g[a]) > gscale ? fabsf(w->g[a]) : gscale;
    }
    const float m0 = step_model(set, w, u, w->dv, w->v);
    float m = m0;
    for (int it = 0; it < INNER_ITERATIONS; ++it) {
        for (int a = 0; a < NV; ++a) {        /* gradient of the model at dv */
            float hd = (w->h[a][a] + set->mu) * w->dv[a];
            for (int b = 0; b < NV; ++b)
                if (b != a)
                    hd += (b < a ? w->h[a][b] : w->h[b][a]) * w->dv[b];
            w->grad[a] = w->g[a] + hd;
            w->v[a] = u[a] + w->dv[a];
        }
        if (barrier) {
            float bg[NV];
            barrier_at(set, w->v, bg, w->extra);
            for (int a = 0; a < NV; ++a)
                w->grad[a] += bg[a];
        }
        const float gn = gradient_norm(set, w->v, w->grad);
        if (gn <= INNER_TOL * (1.0f + gscale))
            break;
        if (!barrier) {                        /* hold the bounds the gradient pushes against */
            const float eps0 = gn;
            for (int a = 0; a < NV; ++a) {
                float eps = 1e-3f * (upper(a, set) - lower(a, set));
                eps = eps0 < eps ? eps0 : eps;
                w->held[a] = (w->v[a] <= lower(a, set) + eps && w->grad[a] > 0.0f) ||
                             (w->v[a] >= upper(a, set) - eps && w->grad[a] < 0.0f);
            }
        }
        if (!cholesky_solve(set, w, w->extra, w->grad, w->d))
            break;
        if (barrier) {
            /* each input goes at most TO_BOUNDARY of its way to the bound it heads for; if clipping inputs one
             * by one turns the step uphill, the whole step shrinks instead */
            float slope = 0.0f, scale = 1.0f;
            for (int a = 0; a < NV; ++a) {
                const float room = w->d[a] > 0.0f ? upper(a, set) - w->v[a] : lower(a, set) - w->v[a];
                const float limit = TO_BOUNDARY * room;
                w->trial[a] = fabsf(w->d[a]) > fabsf(limit) ? limit : w->d[a];
                slope += w->grad[a] * w->trial[a];
                if (w->d[a] != 0.0f && limit / w->d[a] < scale)
                    scale = limit / w->d[a];
            }
            for (int a = 0; a < NV; ++a)
                w->d[a] = slope < 0.0f ? w->trial[a] : scale * w->d[a];
        }
        float alpha = 1.0f, m_trial = m;
        int accepted = 0, moved = 0;
        for (int t = 0; t < INNER_BACKTRACKS && !accepted; ++t, alpha *= 0.5f) {
            float slope = 0.0f;
            moved = 0;
            for (int a = 0; a < NV; ++a) {
                float next = w->dv[a] + alpha * w->d[a];
                if (!barrier)
                    next = clampf(u[a] + next, lower(a, set), upper(a, set)) - u[a];
                slope += w->grad[a] * (next - w->dv[a]);
                moved |= next != w->dv[a];
                w->trial[a] = next;
            }
            m_trial = step_model(set, w, u, w->trial, w->v);
            accepted = m_trial <= m + INNER_ARMIJO * slope;
        }
        if (!accepted || !moved)
            break;
        for (int a = 0; a < NV; ++a)
            w->dv[a] = w->trial[a];
        m = m_trial;
    }
    return m0 - m;
}

static void trial_point(const tc_nrmpc_settings_t *set, const float *u, float alpha, tc_nrmpc_workspace_t *w)
{
    for (int a = 0; a < NV; ++a) {
        w->trial[a] = u[a] + alpha * w->dv[a];
        if (set->constraints == TC_NRMPC_PROJECTION)  /* u + (P(u + d) - u) may round off the box */
            w->trial[a] = clampf(w->trial[a], lower(a, set), upper(a, set));
    }
}

/* Backtracking on J from half the step (the full step was tried by linearizing there): accept a sufficient
 * share of the decrease the step model predicted. */
static int backtrack(const tc_nrmpc_settings_t *set, const tc_nrmpc_problem_t *prob, const float *u, float cost,
                     float predicted, tc_nrmpc_workspace_t *w)
{
    float alpha = 0.5f;
    for (int t = 0; t < set->max_backtracks; ++t, alpha *= 0.5f) {
        trial_point(set, u, alpha, w);
        if (cost_at(set, prob, w->trial, w) <= cost - set->armijo * alpha * predicted)
            return 1;
    }
    return 0;
}

/* J at u (the linearization in w done), its gradient in w->grad and the barrier's Hessian diagonal in w->extra. */
static float total_cost(const tc_nrmpc_settings_t *set, const float *u, float smooth_cost, tc_nrmpc_workspace_t *w)
{
    float cost = smooth_cost;
    for (int a = 0; a < NV; ++a)
        w->grad[a] = w->g[a];
    if (set->constraints == TC_NRMPC_BARRIER) {
        float bg[NV];
        cost += barrier_at(set, u, bg, w->extra);
        for (int a = 0; a < NV; ++a)
            w->grad[a] += bg[a];
    }
    return cost;
}

tc_nrmpc_result_t tc_nrmpc_solve(const tc_nrmpc_settings_t *set, const tc_nrmpc_problem_t *prob,
                                 tc_nrmpc_solution_t *sol, tc_nrmpc_workspace_t *work)
{
    tc_nrmpc_result_t res = {TC_NRMPC_BAD_SETTINGS, 0, NAN, NAN};
    float *u = &sol->u[0][0];
    float smooth;
    if (tc_nrmpc_check_settings(set))
        return res;
    /* the initial guess must lie in the box (strictly inside it for the barrier) */
    for (int a = 0; a < NV; ++a) {
        const float lo = lower(a, set), hi = upper(a, set);
        const float margin = set->constraints == TC_NRMPC_BARRIER ? 1e-3f * (hi - lo) : 0.0f;
        u[a] = isfinite(u[a]) ? clampf(u[a], lo + margin, hi - margin) : 0.5f * (lo + hi);
    }
    if (!linearize(set, prob, u, work, &smooth)) {
        res.status = TC_NRMPC_NOT_FINITE;
        return res;
    }
    for (int it = 0; it <= set->max_iter; ++it) {
        const float cost = total_cost(set, u, smooth, work);
        res.cost = cost;
        res.grad_norm = gradient_norm(set, u, work->grad);
        if (res.grad_norm <= set->tol) {
            res.status = TC_NRMPC_CONVERGED;
            return res;
        }
        if (it == set->max_iter) {
            res.status = TC_NRMPC_MAX_ITER;
            return res;
        }
        const float predicted = solve_step(set, u, work);
        if (predicted <= set->rtol * fabsf(cost)) {
            res.status = TC_NRMPC_CONVERGED;
            return res;
        }
        /* the full step, linearized there at once: accepted, that linearization serves the next iteration */
        trial_point(set, u, 1.0f, work);
        if (linearize(set, prob, work->trial, work, &smooth)) {
            const float full = set->constraints == TC_NRMPC_BARRIER ? smooth + barrier_at(set, work->trial, 0, 0)
                                                                    : smooth;
            if (full <= cost - set->armijo * predicted) {
                for (int a = 0; a < NV; ++a)
                    u[a] = work->trial[a];
                res.iterations = it + 1;
                continue;
            }
        }
        if (!backtrack(set, prob, u, cost, predicted, work)) {
            res.status = TC_NRMPC_STALLED;
            return res;
        }
        for (int a = 0; a < NV; ++a)
            u[a] = work->trial[a];
        res.iterations = it + 1;
        if (!linearize(set, prob, u, work, &smooth)) {
            res.status = TC_NRMPC_NOT_FINITE;
            return res;
        }
    }
    return res;  /* not reached: the last pass returns MAX_ITER at the latest */
}
