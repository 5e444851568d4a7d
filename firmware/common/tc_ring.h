/* A single-producer single-consumer byte ring: the receive interrupt produces, the main loop consumes.
 * The size is a power of two so indices wrap with a mask; head and tail only grow (uint32 wrap is harmless). */
#ifndef TC_RING_H
#define TC_RING_H

#include <stdint.h>

#define TC_RING_SIZE 512u

typedef struct {
    volatile uint32_t head;      /* written by the producer only */
    volatile uint32_t tail;      /* written by the consumer only */
    volatile uint8_t overrun;    /* set by the producer when a byte had no room; cleared by the consumer */
    uint8_t data[TC_RING_SIZE];
} tc_ring_t;

static inline void tc_ring_put(tc_ring_t *r, uint8_t byte)
{
    uint32_t head = r->head;
    if (head - r->tail >= TC_RING_SIZE) {
        r->overrun = 1;
        return;
    }
    r->data[head & (TC_RING_SIZE - 1u)] = byte;
    r->head = head + 1u;
}

static inline int tc_ring_empty(const tc_ring_t *r)
{
    return r->head == r->tail;
}

/* Returns -1 when empty, else the byte. */
static inline int tc_ring_get(tc_ring_t *r)
{
    uint32_t tail = r->tail;
    uint8_t byte;
    if (r->head == tail)
        return -1;
    byte = r->data[tail & (TC_RING_SIZE - 1u)];
    r->tail = tail + 1u;
    return byte;
}

#endif
