/* The host board: the same firmware as a native process, the link on stdin/stdout (software in the loop).
 * poll() stands in for WFI and the receive interrupt; the clock and the cost are CLOCK_MONOTONIC nanoseconds. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tc_board.h"
#include "tc_link_protocol.h"

tc_ring_t tc_board_rx;

void tc_board_init(void)
{
}

void tc_board_write(const uint8_t *data, uint32_t n)
{
    while (n) {
        ssize_t w = write(STDOUT_FILENO, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            exit(1);          /* the host went away */
        data += w;
        n -= (uint32_t)w;
    }
}

/* Wait up to 10 ms (the Cortex-M boards' tick) for input and move what arrived into the ring. */
void tc_board_idle(void)
{
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    uint8_t buf[256];
    ssize_t n;
    uint32_t room = TC_RING_SIZE - (tc_board_rx.head - tc_board_rx.tail);
    if (!tc_ring_empty(&tc_board_rx))
        return;
    if (poll(&p, 1, 10) <= 0)
        return;
    n = read(STDIN_FILENO, buf, room < sizeof buf ? room : sizeof buf);
    if (n == 0)
        exit(0);              /* stdin closed: the session is over */
    for (ssize_t i = 0; i < n; ++i)
        tc_ring_put(&tc_board_rx, buf[i]);
}

uint64_t tc_board_ticks(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint32_t tc_board_ticks_hz(void)
{
    return 1000000000u;
}

void tc_board_cost_init(void)
{
}

uint32_t tc_board_cost_begin(void)
{
    return (uint32_t)tc_board_ticks();
}

uint32_t tc_board_cost_end(uint32_t begin)
{
    return (uint32_t)tc_board_ticks() - begin;
}

uint8_t tc_board_cost_unit(void)
{
    return TC_COST_UNIT_NANOSECONDS;
}

void tc_board_set_motors(const float motors[4])
{
    (void)motors;
}
