/* Controller mode `law`: PLANT -> a plant law (a plain model: an explicit MPC, a PID network, ...) -> the
 * plant's inputs.
 *
 * The spec (tinyctl/controllers/plant_law.py, generated into tc_controller_config.h) says how the frame's state x
 * and first reference state r become the model's input theta (an affine map, clipped to the law's domain box),
 * and how its outputs become the plant's inputs (offset, scale, saturation). tinyctl.controllers.PlantLaw is the
 * same arithmetic in NumPy, in the same float32 order, and a test holds the two to the same bits. The model's
 * recurrent state, if any, is committed every step. NaN or Inf in a frame or out of the model, or time going
 * backwards, latch the failsafe: the spec's safe inputs until RESET. */
#include "tc_controller.h"

#if TC_MODE == TC_MODE_LAW
#include "tc_board.h"

static const float tc_law_state_gain[TC_LAW_IN][TC_LAW_NX] = TC_LAW_STATE_GAIN_INIT;
static const float tc_law_reference_gain[TC_LAW_IN][TC_LAW_NX] = TC_LAW_REFERENCE_GAIN_INIT;
static const float tc_law_input_offset[TC_LAW_IN] = TC_LAW_INPUT_OFFSET_INIT;
#if TC_LAW_CLIPS_INPUT
static const float tc_law_input_low[TC_LAW_IN] = TC_LAW_INPUT_LOW_INIT;
static const float tc_law_input_high[TC_LAW_IN] = TC_LAW_INPUT_HIGH_INIT;
#endif
static const uint16_t tc_law_output_index[TC_ACTION_SIZE] = TC_LAW_OUTPUT_INDEX_INIT;
static const float tc_law_output_scale[TC_ACTION_SIZE] = TC_LAW_OUTPUT_SCALE_INIT;
static const float tc_law_output_offset[TC_ACTION_SIZE] = TC_LAW_OUTPUT_OFFSET_INIT;
static const float tc_law_output_low[TC_ACTION_SIZE] = TC_LAW_OUTPUT_LOW_INIT;
static const float tc_law_output_high[TC_ACTION_SIZE] = TC_LAW_OUTPUT_HIGH_INIT;
/* the build checked the model against the spec; a hand-edited configuration fails to compile here */
typedef char tc_law_sizes_agree_t[(TC_LAW_IN == TC_MODEL_IN_SIZE) ? 1 : -1];

/* theta from x and r; returns nonzero when a component was clipped to the domain box */
static int law_input(const float *x, const float *r, float theta[TC_MODEL_IN_SIZE])
{
    int clipped = 0;
    for (int i = 0; i < TC_LAW_IN; ++i) {
        float acc = tc_law_input_offset[i];
        for (int j = 0; j < TC_LAW_NX; ++j)
            acc += tc_law_state_gain[i][j] * x[j];
        for (int j = 0; j < TC_LAW_NX; ++j)
            acc += tc_law_reference_gain[i][j] * r[j];
#if TC_LAW_CLIPS_INPUT
        if (acc > tc_law_input_high[i]) {
            acc = tc_law_input_high[i];
            clipped = 1;
        } else if (acc < tc_law_input_low[i]) {
            acc = tc_law_input_low[i];
            clipped = 1;
        }
#endif
        theta[i] = acc;
    }
    return clipped;
}

void tc_controller_plant(tc_controller_t *c, uint64_t time_us, const float *state, uint16_t state_size,
                         const float *reference, uint16_t reference_size, tc_result_t *r)
{
    float theta[TC_MODEL_IN_SIZE], out[TC_MODEL_OUT_SIZE];
    uint32_t begin;
    tc_result_clear(r);
    if (state_size != TC_LAW_NX || reference_size < TC_LAW_NX || reference_size % TC_LAW_NX != 0) {
        r->error = TC_ERR_BAD_LENGTH;   /* a frame for another plant: answered, nothing stepped */
        return;
    }
    if (!tc_controller_admit(c, time_us, state, state_size, reference, reference_size, tc_controller_failsafe, r))
        return;
    c->started = 1;
    if (law_input(state, reference, theta))
        r->flags |= TC_ACTION_FLAG_CLIPPED;
    begin = tc_board_cost_begin();
    tc_model_step(&c->committed, theta, out, &c->next);
    r->cost = tc_board_cost_end(begin);
    c->steps++;
    if (!tc_all_finite(out, TC_MODEL_OUT_SIZE) || !tc_all_finite((const float *)&c->next, TC_MODEL_STATE_SIZE)) {
        tc_controller_failsafe(c, TC_ERR_NONFINITE_OUTPUT, r);
        return;
    }
    c->committed = c->next;
#if TC_LAW_INSIDE_OUTPUT >= 0
    if (!(out[TC_LAW_INSIDE_OUTPUT] >= 0.5f))
        r->flags |= TC_ACTION_FLAG_OUTSIDE;
#endif
    for (int j = 0; j < TC_ACTION_SIZE; ++j) {
        float v = tc_law_output_offset[j] + tc_law_output_scale[j] * out[tc_law_output_index[j]];
        v = v < tc_law_output_low[j] ? tc_law_output_low[j] : v;
        r->values[j] = v > tc_law_output_high[j] ? tc_law_output_high[j] : v;
    }
    r->count = TC_ACTION_SIZE;
}
#else
typedef int tc_plant_law_not_built_t;   /* ISO C wants a declaration in every translation unit */
#endif
