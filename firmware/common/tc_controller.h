/* The controller glue (contract 2): STATE -> observation -> model step -> motor commands, with dual-rate commit
 * and the failsafe; OBSERVATION -> raw model step; and the passthrough mode that echoes for link tests.
 * Its configuration is generated from the controller spec (tc_controller_config.h) and the model (tc_model.h). */
#ifndef TC_CONTROLLER_H
#define TC_CONTROLLER_H

#include <stdint.h>

#include "tc_controller_config.h"
#include "tc_link_protocol.h"
#include "tc_model.h"

/* The modes that take PLANT frames (tc_controller_plant): the Newton-Raphson MPC and plant laws. */
#define TC_TAKES_PLANT (TC_MODE == TC_MODE_MPC || TC_MODE == TC_MODE_LAW)

/* The most values an ACTION carries. */
#define TC_MAX_VALUES ((TC_LINK_MAX_PAYLOAD - TC_ACTION_FIXED_SIZE) / 4)

typedef struct {
    uint64_t time_us;
    float position[3], quaternion[4], velocity[3], body_rates[3], target_position[3], target_velocity[3];
} tc_state_t;

/* Split by lifetime: what a reset sets, what a committed step changes, the scratch of every step. */
typedef struct {
    tc_model_state_t committed;          /* recurrent state at the last training tick */
    tc_model_state_t next;               /* scratch: the state this step produced */
    float previous_action[TC_ACTION_SIZE];
    uint64_t committed_tick;             /* STATE.time / training period at the last commit */
    uint64_t last_time_us;
    uint8_t started;                     /* a STATE was stepped since the reset */
    uint8_t failsafe;                    /* the latched error code, 0 when flying */
    uint32_t steps;                      /* model steps since the reset */
} tc_controller_t;

typedef struct {
    float values[TC_MAX_VALUES];
    uint8_t count;
    uint8_t flags;                       /* TC_ACTION_FLAG_* */
    uint8_t error;                       /* TC_ERR_* to report before the ACTION, or 0 */
    uint32_t cost;                       /* the model step, in the board's cost unit */
    uint16_t iterations;                 /* mode mpc: the solver's iterations and status (0 otherwise) */
    uint8_t status;
} tc_result_t;

void tc_controller_reset(tc_controller_t *c);
void tc_controller_state(tc_controller_t *c, const tc_state_t *s, tc_result_t *r);
void tc_controller_observation(tc_controller_t *c, const float *in, uint16_t count, int commit, tc_result_t *r);
/* Modes mpc (tc_mpc.c) and law (tc_plant_law.c): a PLANT frame's state and reference -> the plant's inputs. */
void tc_controller_plant(tc_controller_t *c, uint64_t time_us, const float *state, uint16_t state_size,
                         const float *reference, uint16_t reference_size, tc_result_t *r);
void tc_mpc_reset(void);

/* Nonzero when all n values are finite (no NaN, no Inf). */
int tc_all_finite(const float *v, int n);

/* Latch the failsafe with `error` (e.g. TC_ERR_TIMEOUT) and fill r with the safe output. */
void tc_controller_failsafe(tc_controller_t *c, uint8_t error, tc_result_t *r);

/* How a mode answers a failsafe: latch `error` and fill r with that mode's safe output. */
typedef void (*tc_failsafe_fn)(tc_controller_t *c, uint8_t error, tc_result_t *r);

/* The checks every STATE and PLANT frame passes before it is stepped, in this order: a latched failsafe, NaN or
 * Inf in its floats (a[0..na) and b[0..nb); nb may be 0), time going backwards. A frame that fails one is
 * answered by `fail` and 0 is returned; otherwise its time is recorded and 1 is returned. */
int tc_controller_admit(tc_controller_t *c, uint64_t time_us, const float *a, int na, const float *b, int nb,
                        tc_failsafe_fn fail, tc_result_t *r);

/* An answer with nothing in it yet: no values, flags, error, cost or solver figures. */
void tc_result_clear(tc_result_t *r);

/* tc_observation.c: the spec's features from a STATE; returns nonzero when a feature was clipped. */
int tc_observation_build(const tc_state_t *s, const float previous_action[TC_ACTION_SIZE],
                         float obs[TC_OBSERVATION_SIZE]);

#endif
