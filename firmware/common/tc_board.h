/* The board interface: what the common firmware needs from a board (UART, sleep, clock, cost counter, motors).
 * A Cortex-M board implements init and the UART; firmware/cortexm/ gives it the clock, the cost counter and WFI.
 * The host board implements all of it over stdio. */
#ifndef TC_BOARD_H
#define TC_BOARD_H

#include <stdint.h>

#include "tc_ring.h"

/* Bytes received by interrupt (or, on the host, by poll) wait here for the main loop. */
extern tc_ring_t tc_board_rx;

void tc_board_init(void);

/* Blocking transmit of n bytes. */
void tc_board_write(const uint8_t *data, uint32_t n);

/* Sleep until something may have happened (a received byte, a clock tick); returns at once if the receive ring
 * holds bytes. Never busy-polls: WFI on Cortex-M, poll() on the host. */
void tc_board_idle(void);

/* The board's own clock, free-running, in ticks of tc_board_ticks_hz(); for the failsafe timeout. */
uint64_t tc_board_ticks(void);
uint32_t tc_board_ticks_hz(void);

/* Cost counter for one step: begin returns a stamp, end the cost since it (calibrated: an empty region costs 0),
 * in the unit tc_board_cost_unit() gives (a link_protocol CostUnit). */
void tc_board_cost_init(void);
uint32_t tc_board_cost_begin(void);
uint32_t tc_board_cost_end(uint32_t begin);
uint8_t tc_board_cost_unit(void);

/* Motor commands in [0, 1], Crazyflie order M1..M4. Emulated boards have no motors: the host reads ACTION. */
void tc_board_set_motors(const float motors[4]);

#endif
