#include "tc_controller.h"

#include <math.h>
#include <string.h>

#include "tc_board.h"

static const float tc_previous_action_reset[TC_ACTION_SIZE] = TC_PREVIOUS_ACTION_RESET_INIT;
static const float tc_safe_output[TC_MOTOR_COUNT] = TC_SAFE_OUTPUT_INIT;

#if TC_MODE == TC_MODE_POLICY
static const uint8_t tc_motor_map[TC_MOTOR_COUNT] = TC_MOTOR_MAP_INIT;
#endif

int tc_all_finite(const float *v, int n)
{
    for (int i = 0; i < n; ++i)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

void tc_controller_reset(tc_controller_t *c)
{
    memset(c, 0, sizeof *c);
#if TC_HAS_MODEL
    tc_model_reset(&c->committed);
    c->next = c->committed;
#endif
    memcpy(c->previous_action, tc_previous_action_reset, sizeof c->previous_action);
#if TC_MODE == TC_MODE_MPC
    tc_mpc_reset();
#endif
}

void tc_controller_failsafe(tc_controller_t *c, uint8_t error, tc_result_t *r)
{
    if (!c->failsafe)
        c->failsafe = error;
    memcpy(r->values, tc_safe_output, sizeof tc_safe_output);
    r->count = TC_MOTOR_COUNT;
    r->flags = TC_ACTION_FLAG_FAILSAFE;
    r->error = error;
#if TC_MODE != TC_MODE_LAW   /* a plant law's outputs are no motor commands */
    tc_board_set_motors(tc_safe_output);
#endif
}

int tc_controller_admit(tc_controller_t *c, uint64_t time_us, const float *a, int na, const float *b, int nb,
                        tc_failsafe_fn fail, tc_result_t *r)
{
    if (c->failsafe) {
        fail(c, TC_ERR_FAILSAFE_LATCHED, r);
        return 0;
    }
    if (!tc_all_finite(a, na) || !tc_all_finite(b, nb)) {
        fail(c, TC_ERR_NONFINITE_INPUT, r);
        return 0;
    }
    if (c->started && time_us < c->last_time_us) {
        fail(c, TC_ERR_TIME_BACKWARDS, r);
        return 0;
    }
    c->last_time_us = time_us;
    return 1;
}

void tc_result_clear(tc_result_t *r)
{
    r->count = 0;
    r->flags = 0;
    r->error = 0;
    r->cost = 0;
    r->iterations = 0;
    r->status = 0;
}

static void echo(const float *values, uint16_t count, uint8_t flags, tc_result_t *r)
{
    if (count > TC_MAX_VALUES)
        count = TC_MAX_VALUES;
    memcpy(r->values, values, (size_t)count * sizeof(float));
    r->count = (uint8_t)count;
    r->flags = flags;
}

#if TC_MODE == TC_MODE_POLICY
static void policy_state(tc_controller_t *c, const tc_state_t *s, tc_result_t *r)
{
    float obs[TC_OBSERVATION_SIZE], out[TC_MODEL_OUT_SIZE], action[TC_ACTION_SIZE];
    uint64_t tick;
    uint32_t begin;
    const float *floats = s->position;   /* the 19 floats are contiguous in tc_state_t */

    if (!tc_controller_admit(c, s->time_us, floats, 19, NULL, 0, tc_controller_failsafe, r))
        return;
    if (tc_observation_build(s, c->previous_action, obs))
        r->flags |= TC_ACTION_FLAG_CLIPPED;
    if (!tc_all_finite(obs, TC_OBSERVATION_SIZE)) {
        tc_controller_failsafe(c, TC_ERR_NONFINITE_INPUT, r);
        return;
    }
    begin = tc_board_cost_begin();
    tc_model_step(&c->committed, obs, out, &c->next);
    r->cost = tc_board_cost_end(begin);
    c->steps++;
    if (!tc_all_finite(out, TC_MODEL_OUT_SIZE) || !tc_all_finite((const float *)&c->next, TC_MODEL_STATE_SIZE)) {
        tc_controller_failsafe(c, TC_ERR_NONFINITE_OUTPUT, r);
        return;
    }
    for (int i = 0; i < TC_ACTION_SIZE; ++i) {
        float a = out[i] < TC_ACTION_LOW ? TC_ACTION_LOW : out[i];
        action[i] = a > TC_ACTION_HIGH ? TC_ACTION_HIGH : a;
    }
    for (int m = 0; m < TC_MOTOR_COUNT; ++m)
        r->values[m] = TC_MOTOR_LOW + (action[tc_motor_map[m]] + 1.0f) * 0.5f * (TC_MOTOR_HIGH - TC_MOTOR_LOW);
    r->count = TC_MOTOR_COUNT;
    /* dual rate: commit when STATE.time reaches the next training tick; the first STATE always commits */
    tick = s->time_us / TC_TRAINING_PERIOD_US;
    if (!c->started || tick > c->committed_tick) {
        c->committed = c->next;
        memcpy(c->previous_action, action, sizeof action);
        c->committed_tick = tick;
        c->started = 1;
        r->flags |= TC_ACTION_FLAG_COMMITTED;
    }
    tc_board_set_motors(r->values);
}
#endif

void tc_controller_state(tc_controller_t *c, const tc_state_t *s, tc_result_t *r)
{
    tc_result_clear(r);
#if TC_MODE == TC_MODE_POLICY
    policy_state(c, s, r);
#elif TC_TAKES_PLANT
    r->error = TC_ERR_UNSUPPORTED;   /* the MPC and plant laws take PLANT frames */
    (void)c;
    (void)s;
#else
    echo(s->position, 19, TC_ACTION_FLAG_ECHO, r);
    (void)c;
#endif
}

void tc_controller_observation(tc_controller_t *c, const float *in, uint16_t count, int commit, tc_result_t *r)
{
    tc_result_clear(r);
#if TC_MODE == TC_MODE_POLICY || TC_MODE == TC_MODE_MPC || TC_MODE == TC_MODE_LAW
    {
        float out[TC_MODEL_OUT_SIZE];
        uint32_t begin;
        (void)count;   /* the caller checked it against TC_MODEL_IN_SIZE */
        begin = tc_board_cost_begin();
        tc_model_step(&c->committed, in, out, &c->next);
        r->cost = tc_board_cost_end(begin);
        c->steps++;
        if (commit) {
            c->committed = c->next;
            r->flags |= TC_ACTION_FLAG_COMMITTED;
        }
        echo(out, TC_MODEL_OUT_SIZE, (uint8_t)(r->flags | TC_ACTION_FLAG_RAW), r);
    }
#else
    (void)c;
    (void)commit;
    echo(in, count, TC_ACTION_FLAG_ECHO | TC_ACTION_FLAG_RAW, r);
#endif
}
