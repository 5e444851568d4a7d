/* Controller mode `mpc`: PLANT -> Newton-Raphson MPC over the learned dynamics model -> the plant's inputs.
 *
 * A PLANT frame carries the plant's state (NX values) and its reference: one state for the whole horizon, or
 * N states (a preview, x_1 .. x_N). The solve starts from the previous solution shifted one step (warm start);
 * the first move is applied, the ACTION reports the solver's status and iterations, and the solve itself is the
 * ACTION's cost. With a disturbance gain g > 0 the model's miss over the last period, x - f(x_prev, u_prev),
 * filtered (d <- (1 - g) d + g miss), is added to every predicted step: offset-free tracking of constant
 * disturbances and model errors (tinyctl.runtime.nrmpc.DisturbanceEstimate does the same on the host).
 * NaN or Inf in a frame, time going backwards, or a solve that ends on a non-finite model
 * output latch the failsafe: the configured safe inputs until RESET. */
#include "tc_controller.h"

#if TC_MODE == TC_MODE_MPC
#include <string.h>

#include "tc_board.h"
#include "tc_mpc_config.h"
#include "tinyctl/nrmpc.h"

static tc_mpc_model_state_t tc_mpc_scratch;   /* the model is stateless: its step ignores this */

static void tc_mpc_value(const float *in, float *out)
{
    TC_MPC_STEP(&tc_mpc_scratch, in, out, &tc_mpc_scratch);
}

static void tc_mpc_jacobian(const float *in, float *out, float *jac)
{
    TC_MPC_JACOBIAN(in, out, jac);
}

static const tc_nrmpc_settings_t tc_mpc_settings = {
    .jacobian = tc_mpc_jacobian, .value = tc_mpc_value, TC_MPC_SETTINGS_FIELDS
};
static const float tc_mpc_safe_output[TC_NRMPC_NU] = TC_MPC_SAFE_OUTPUT_INIT;
static const float tc_mpc_nominal[TC_NRMPC_NU] = TC_MPC_NOMINAL_INIT;

/* By lifetime: the solution (the warm start of the next step) and the last input survive steps; the problem
 * and the workspace are rebuilt every step. */
static struct {
    tc_nrmpc_solution_t solution;
    float u_prev[TC_NRMPC_NU];
    float bias[TC_NRMPC_NX];         /* the disturbance estimate */
    float prediction[TC_NRMPC_NX];   /* f(x, u) for the state and input of the last step */
    uint8_t started;
} tc_mpc;
static tc_nrmpc_problem_t tc_mpc_problem;
static tc_nrmpc_workspace_t tc_mpc_work;

void tc_mpc_reset(void)
{
    for (int j = 0; j < TC_NRMPC_NC; ++j)
        memcpy(tc_mpc.solution.u[j], tc_mpc_nominal, sizeof tc_mpc_nominal);
    memcpy(tc_mpc.u_prev, tc_mpc_nominal, sizeof tc_mpc.u_prev);
    memset(tc_mpc.bias, 0, sizeof tc_mpc.bias);
    tc_mpc.started = 0;
}

/* d <- (1 - g) d + g (x - f(x_prev, u_prev)) */
static void tc_mpc_estimate(const float *x)
{
    if (TC_MPC_DISTURBANCE_GAIN > 0.0f && tc_mpc.started)
        for (int i = 0; i < TC_NRMPC_NX; ++i)
            tc_mpc.bias[i] += TC_MPC_DISTURBANCE_GAIN * (x[i] - tc_mpc.prediction[i] - tc_mpc.bias[i]);
}

static void tc_mpc_predict(const float *x, const float *u)
{
    float in[TC_NRMPC_NIN];
    if (TC_MPC_DISTURBANCE_GAIN <= 0.0f)
        return;
    memcpy(in, x, TC_NRMPC_NX * sizeof(float));
    memcpy(in + TC_NRMPC_NX, u, TC_NRMPC_NU * sizeof(float));
    tc_mpc_value(in, tc_mpc.prediction);
}

static void safe(tc_controller_t *c, uint8_t error, tc_result_t *r)
{
    if (!c->failsafe)
        c->failsafe = error;
    memcpy(r->values, tc_mpc_safe_output, sizeof tc_mpc_safe_output);
    r->count = TC_NRMPC_NU;
    r->flags = TC_ACTION_FLAG_FAILSAFE;
    r->error = error;
}

void tc_controller_plant(tc_controller_t *c, uint64_t time_us, const float *state, uint16_t state_size,
                         const float *reference, uint16_t reference_size, tc_result_t *r)
{
    tc_nrmpc_result_t res;
    uint32_t begin;
    tc_result_clear(r);
    if (state_size != TC_NRMPC_NX ||
        (reference_size != TC_NRMPC_NX && reference_size != TC_NRMPC_N * TC_NRMPC_NX)) {
        r->error = TC_ERR_BAD_LENGTH;   /* a frame for another plant: answered, nothing stepped */
        return;
    }
    if (!tc_controller_admit(c, time_us, state, state_size, reference, reference_size, safe, r))
        return;
    c->started = 1;
    memcpy(tc_mpc_problem.x0, state, sizeof tc_mpc_problem.x0);
    for (int k = 0; k < TC_NRMPC_N; ++k)
        memcpy(tc_mpc_problem.ref[k], reference + (reference_size == TC_NRMPC_NX ? 0 : k * TC_NRMPC_NX),
               sizeof tc_mpc_problem.ref[k]);
    memcpy(tc_mpc_problem.u_prev, tc_mpc.u_prev, sizeof tc_mpc.u_prev);
    tc_mpc_estimate(state);
    memcpy(tc_mpc_problem.bias, tc_mpc.bias, sizeof tc_mpc.bias);
    if (tc_mpc.started)
        tc_nrmpc_shift(&tc_mpc.solution);
    begin = tc_board_cost_begin();
    res = tc_nrmpc_solve(&tc_mpc_settings, &tc_mpc_problem, &tc_mpc.solution, &tc_mpc_work);
    r->cost = tc_board_cost_end(begin);
    c->steps++;
    r->iterations = (uint16_t)res.iterations;
    r->status = (uint8_t)res.status;
    if (res.status == TC_NRMPC_NOT_FINITE || res.status == TC_NRMPC_BAD_SETTINGS ||
        !tc_all_finite(tc_mpc.solution.u[0], TC_NRMPC_NU)) {
        safe(c, TC_ERR_NONFINITE_OUTPUT, r);
        r->iterations = (uint16_t)res.iterations;
        r->status = (uint8_t)res.status;
        return;
    }
    memcpy(r->values, tc_mpc.solution.u[0], sizeof tc_mpc.solution.u[0]);
    r->count = TC_NRMPC_NU;
    memcpy(tc_mpc.u_prev, tc_mpc.solution.u[0], sizeof tc_mpc.u_prev);
    tc_mpc_predict(state, tc_mpc.u_prev);
    tc_mpc.started = 1;
}
#else
typedef int tc_mpc_not_built_t;   /* ISO C wants a declaration in every translation unit */
#endif
