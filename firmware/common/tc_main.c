/* The main loop: sleep until the receive interrupt (or a clock tick) wakes us, parse frames, answer them,
 * watch the failsafe timeout. One request in flight (lock-step); a repeated seq gets the cached reply. */
#include <string.h>

#include "tc_board.h"
#include "tc_board_config.h"
#include "tc_controller.h"
#include "tc_link.h"
#include "tc_firmware.h"
#include "tc_text.h"

static tc_controller_t controller;
static tc_parser_t parser;
static tc_result_t result;
static uint8_t tx[TC_LINK_MAX_FRAME];

/* The reply cache: the last answered request (seq, type) and the frame that answered it. */
static struct {
    uint8_t seq, type;
    uint32_t len;
    uint8_t frame[TC_LINK_MAX_FRAME];
} cache;

static uint8_t armed;              /* a STATE arrived since the reset: the timeout runs */
static uint64_t last_state_ticks;
static uint64_t timeout_ticks;

static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }   /* the link is little-endian, as Arm and x86 */
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void put_text(uint8_t *p, const char *text, uint32_t size)
{
    uint32_t n = (uint32_t)strlen(text);
    memset(p, 0, size);
    memcpy(p, text, n < size ? n : size);
}

static void send(uint8_t type, uint8_t seq, uint16_t len)
{
    tc_board_write(tx, tc_frame_encode(tx, type, seq, tx + TC_LINK_HEADER_SIZE, len));
}

/* Send the frame being built in tx and remember it as the answer to (seq, request_type). */
static void answer(uint8_t type, uint8_t seq, uint8_t request_type, uint16_t len)
{
    uint32_t n = tc_frame_encode(tx, type, seq, tx + TC_LINK_HEADER_SIZE, len);
    tc_board_write(tx, n);
    if (seq != 0) {
        memcpy(cache.frame, tx, n);
        cache.len = n;
        cache.seq = seq;
        cache.type = request_type;
    }
}

static uint16_t append(uint8_t *at, uint16_t n, const char *text)
{
    while (*text && n < TC_LINK_MAX_PAYLOAD - TC_ERROR_FIXED_SIZE)
        at[n++] = (uint8_t)*text++;
    return n;
}

/* An ERROR with its code's text; a latched failsafe also says what latched it. */
static void send_error(uint8_t seq, uint8_t code, uint8_t about)
{
    uint8_t *p = tx + TC_LINK_HEADER_SIZE;
    uint16_t n = append(p + TC_ERROR_FIXED_SIZE, 0, tc_error_text(code));
    if (code == TC_ERR_FAILSAFE_LATCHED && controller.failsafe) {
        n = append(p + TC_ERROR_FIXED_SIZE, n, " (");
        n = append(p + TC_ERROR_FIXED_SIZE, n, tc_error_text(controller.failsafe));
        n = append(p + TC_ERROR_FIXED_SIZE, n, ")");
    }
    p[TC_ERROR_CODE_OFFSET] = code;
    p[TC_ERROR_ABOUT_OFFSET] = about;
    send(TC_MSG_ERROR, seq, (uint16_t)(TC_ERROR_FIXED_SIZE + n));
}

static uint16_t hello_payload(uint8_t *p)
{
    memset(p, 0, TC_HELLO_FIXED_SIZE);
    p[TC_HELLO_VERSION_OFFSET] = TC_LINK_VERSION;
    p[TC_HELLO_MODE_OFFSET] = TC_MODE;
    p[TC_HELLO_COST_UNIT_OFFSET] = tc_board_cost_unit();
    put_u16(p + TC_HELLO_IN_SIZE_OFFSET, TC_MODEL_IN_SIZE);
    put_u16(p + TC_HELLO_OUT_SIZE_OFFSET, TC_MODEL_OUT_SIZE);
    put_u16(p + TC_HELLO_STATE_SIZE_OFFSET, TC_MODEL_STATE_SIZE);
    put_u32(p + TC_HELLO_CONTROL_PERIOD_US_OFFSET, TC_TRAINING_PERIOD_US);
    put_u32(p + TC_HELLO_TIMEOUT_US_OFFSET, TC_FAILSAFE_TIMEOUT_US);
    put_u32(p + TC_HELLO_CLOCK_HZ_OFFSET, tc_board_ticks_hz());
    put_text(p + TC_HELLO_BOARD_OFFSET, TC_BOARD_NAME, TC_HELLO_BOARD_COUNT);
    put_text(p + TC_HELLO_MODEL_OFFSET, TC_MODEL_NAME, TC_HELLO_MODEL_COUNT);
    put_text(p + TC_HELLO_SHA256_OFFSET, TC_MODEL_SHA256, TC_HELLO_SHA256_COUNT);
    put_text(p + TC_HELLO_CONTROLLER_OFFSET, TC_CONTROLLER_NAME, TC_HELLO_CONTROLLER_COUNT);
    put_text(p + TC_HELLO_DTYPE_OFFSET, TC_MODEL_DTYPE, TC_HELLO_DTYPE_COUNT);
    return TC_HELLO_FIXED_SIZE;
}

static void send_action(uint8_t seq, uint8_t request_type, uint32_t cost_total)
{
    uint8_t *p = tx + TC_LINK_HEADER_SIZE;
    uint16_t len = (uint16_t)(TC_ACTION_FIXED_SIZE + 4u * result.count);
    if (result.error)
        send_error(seq, result.error, request_type);
    put_u32(p + TC_ACTION_STEP_OFFSET, controller.steps);
    put_u32(p + TC_ACTION_COST_OFFSET, result.cost);
    put_u32(p + TC_ACTION_COST_TOTAL_OFFSET, cost_total);
    put_u16(p + TC_ACTION_ITERATIONS_OFFSET, result.iterations);
    p[TC_ACTION_STATUS_OFFSET] = result.status;
    p[TC_ACTION_FLAGS_OFFSET] = result.flags;
    memcpy(p + TC_ACTION_FIXED_SIZE, result.values, 4u * result.count);
    answer(TC_MSG_ACTION, seq, request_type, len);
}

static void decode_state(const uint8_t *p, tc_state_t *s)
{
    memcpy(&s->time_us, p + TC_STATE_TIME_US_OFFSET, 8);
    memcpy(s->position, p + TC_STATE_POSITION_OFFSET, sizeof s->position);
    memcpy(s->quaternion, p + TC_STATE_QUATERNION_OFFSET, sizeof s->quaternion);
    memcpy(s->velocity, p + TC_STATE_VELOCITY_OFFSET, sizeof s->velocity);
    memcpy(s->body_rates, p + TC_STATE_BODY_RATES_OFFSET, sizeof s->body_rates);
    memcpy(s->target_position, p + TC_STATE_TARGET_POSITION_OFFSET, sizeof s->target_position);
    memcpy(s->target_velocity, p + TC_STATE_TARGET_VELOCITY_OFFSET, sizeof s->target_velocity);
}

static void reset(void)
{
    tc_controller_reset(&controller);
    cache.seq = 0;
    cache.len = 0;
    armed = 0;
}

static int expected_observation_len(uint16_t len)
{
#if TC_MODE == TC_MODE_POLICY || TC_MODE == TC_MODE_LAW
    return len == TC_OBSERVATION_FIXED_SIZE + 4u * TC_MODEL_IN_SIZE;
#else
    return len >= TC_OBSERVATION_FIXED_SIZE && (len - TC_OBSERVATION_FIXED_SIZE) % 4u == 0;
#endif
}

static void handle(const tc_frame_t *f)
{
    static float in[(TC_LINK_MAX_PAYLOAD - TC_OBSERVATION_FIXED_SIZE) / 4];
    static tc_state_t state;
    uint32_t begin = tc_board_cost_begin();

    if (f->seq != 0 && f->seq == cache.seq && f->type == cache.type && cache.len) {
        tc_board_write(cache.frame, cache.len);   /* a resend: same answer, no second step */
        return;
    }
    switch (f->type) {
    case TC_MSG_HELLO:
        if (f->len != 0) {
            send_error(f->seq, TC_ERR_BAD_LENGTH, f->type);
            return;
        }
        send(TC_MSG_HELLO, f->seq, hello_payload(tx + TC_LINK_HEADER_SIZE));
        return;
    case TC_MSG_RESET:
        if (f->len != 0) {
            send_error(f->seq, TC_ERR_BAD_LENGTH, f->type);
            return;
        }
        reset();
        answer(TC_MSG_HELLO, f->seq, f->type, hello_payload(tx + TC_LINK_HEADER_SIZE));
        return;
    case TC_MSG_STATE:
#if TC_TAKES_PLANT
        send_error(f->seq, TC_ERR_UNSUPPORTED, f->type);   /* the MPC and plant laws take PLANT frames */
        return;
#endif
        if (f->len != TC_STATE_FIXED_SIZE) {
            send_error(f->seq, TC_ERR_BAD_LENGTH, f->type);
            return;
        }
        decode_state(f->payload, &state);
        tc_controller_state(&controller, &state, &result);
        armed = 1;
        last_state_ticks = tc_board_ticks();
        send_action(f->seq, f->type, tc_board_cost_end(begin));
        return;
    case TC_MSG_OBSERVATION:
        if (!expected_observation_len(f->len)) {
            send_error(f->seq, TC_ERR_BAD_LENGTH, f->type);
            return;
        }
        memcpy(in, f->payload + TC_OBSERVATION_FIXED_SIZE, (size_t)(f->len - TC_OBSERVATION_FIXED_SIZE));
        tc_controller_observation(&controller, in, (uint16_t)((f->len - TC_OBSERVATION_FIXED_SIZE) / 4u),
                                  f->payload[TC_OBSERVATION_FLAGS_OFFSET] & TC_OBSERVATION_FLAG_COMMIT, &result);
        send_action(f->seq, f->type, tc_board_cost_end(begin));
        return;
    case TC_MSG_PLANT:
#if TC_TAKES_PLANT
    {
        uint64_t time_us;
        uint16_t ns, nr;
        if (f->len < TC_PLANT_FIXED_SIZE) {
            send_error(f->seq, TC_ERR_BAD_LENGTH, f->type);
            return;
        }
        memcpy(&time_us, f->payload + TC_PLANT_TIME_US_OFFSET, 8);
        memcpy(&ns, f->payload + TC_PLANT_STATE_SIZE_OFFSET, 2);
        memcpy(&nr, f->payload + TC_PLANT_REFERENCE_SIZE_OFFSET, 2);
        if (f->len != TC_PLANT_FIXED_SIZE + 4u * ((uint32_t)ns + nr)) {
            send_error(f->seq, TC_ERR_BAD_LENGTH, f->type);
            return;
        }
        memcpy(in, f->payload + TC_PLANT_FIXED_SIZE, 4u * ((uint32_t)ns + nr));
        tc_controller_plant(&controller, time_us, in, ns, in + ns, nr, &result);
        if (result.error == TC_ERR_BAD_LENGTH) {
            send_error(f->seq, TC_ERR_BAD_LENGTH, f->type);
            return;
        }
        armed = 1;
        last_state_ticks = tc_board_ticks();
        send_action(f->seq, f->type, tc_board_cost_end(begin));
        return;
    }
#else
        send_error(f->seq, TC_ERR_UNSUPPORTED, f->type);
        return;
#endif
    default:
        send_error(f->seq, TC_ERR_UNKNOWN_TYPE, f->type);
        return;
    }
}

static void watch_timeout(void)
{
    if (!armed || controller.failsafe)
        return;
    if (tc_board_ticks() - last_state_ticks > timeout_ticks) {
        tc_controller_failsafe(&controller, TC_ERR_TIMEOUT, &result);
        send_error(0, TC_ERR_TIMEOUT, 0);
    }
}

/* Split so that a framework that owns main() (Arduino: setup() and loop()) can drive the same firmware. */
void tc_firmware_init(void)
{
    tc_board_init();
    tc_board_cost_init();
    tc_parser_init(&parser);
    reset();
    timeout_ticks = (uint64_t)TC_FAILSAFE_TIMEOUT_US * tc_board_ticks_hz() / 1000000u;
    tc_text("tinyctl " TC_BOARD_NAME ": " TC_MODEL_NAME " (" TC_CONTROLLER_NAME ", " TC_MODE_NAME ") ready\r\n");
    send(TC_MSG_HELLO, 0, hello_payload(tx + TC_LINK_HEADER_SIZE));
}

/* Sleep until woken, answer every complete frame, watch the failsafe timeout. */
void tc_firmware_poll(void)
{
    tc_frame_t frame;
    uint8_t error;
    int byte;
    tc_board_idle();
    while ((byte = tc_ring_get(&tc_board_rx)) >= 0) {
        int r = tc_parser_push(&parser, (uint8_t)byte, &frame, &error);
        while (r != TC_PARSE_MORE) {
            if (r == TC_PARSE_FRAME)
                handle(&frame);
            else
                send_error(frame.seq, error, frame.type);
            r = tc_parser_next(&parser, &frame, &error);
        }
    }
    if (tc_board_rx.overrun) {
        tc_board_rx.overrun = 0;
        send_error(0, TC_ERR_OVERRUN, 0);
    }
    watch_timeout();
}

#ifndef TC_NO_MAIN
int main(void)
{
    tc_firmware_init();
    for (;;)
        tc_firmware_poll();
}
#endif
