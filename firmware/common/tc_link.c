#include "tc_link.h"

#include <string.h>

uint16_t tc_crc16(const uint8_t *data, uint32_t n, uint16_t crc)
{
    for (uint32_t i = 0; i < n; ++i)
        crc = (uint16_t)((crc << 8) ^ tc_crc_table[((crc >> 8) ^ data[i]) & 0xffu]);
    return crc;
}

uint32_t tc_frame_encode(uint8_t *out, uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len)
{
    uint16_t crc;
    out[0] = TC_LINK_SYNC0;
    out[1] = TC_LINK_SYNC1;
    out[2] = type;
    out[3] = seq;
    out[4] = (uint8_t)(len & 0xffu);
    out[5] = (uint8_t)(len >> 8);
    if (len && payload != out + TC_LINK_HEADER_SIZE)
        memmove(out + TC_LINK_HEADER_SIZE, payload, len);
    crc = tc_crc16(out + 2, (uint32_t)len + 4u, 0xffffu);
    out[TC_LINK_HEADER_SIZE + len] = (uint8_t)(crc & 0xffu);
    out[TC_LINK_HEADER_SIZE + len + 1] = (uint8_t)(crc >> 8);
    return (uint32_t)TC_LINK_HEADER_SIZE + len + TC_LINK_CRC_SIZE;
}

void tc_parser_init(tc_parser_t *p)
{
    p->n = 0;
    p->consumed = 0;
}

static void drop(tc_parser_t *p, uint16_t count)
{
    if (count >= p->n) {
        p->n = 0;
        return;
    }
    memmove(p->buf, p->buf + count, (size_t)(p->n - count));
    p->n = (uint16_t)(p->n - count);
}

int tc_parser_next(tc_parser_t *p, tc_frame_t *frame, uint8_t *error)
{
    uint16_t len, end, crc;
    if (p->consumed) {
        drop(p, p->consumed);
        p->consumed = 0;
    }
    /* Each pass drops at least one byte or returns, so the loop ends within TC_LINK_MAX_FRAME passes. */
    for (;;) {
        if (p->n == 0)
            return TC_PARSE_MORE;
        if (p->buf[0] != TC_LINK_SYNC0 || (p->n >= 2 && p->buf[1] != TC_LINK_SYNC1)) {
            drop(p, 1);   /* bytes between frames: the host's garbage or a lost frame's tail */
            continue;
        }
        if (p->n < TC_LINK_HEADER_SIZE)
            return TC_PARSE_MORE;
        frame->type = p->buf[2];
        frame->seq = p->buf[3];
        len = (uint16_t)(p->buf[4] | (p->buf[5] << 8));
        frame->len = len;
        if (len > TC_LINK_MAX_PAYLOAD) {
            drop(p, 1);
            *error = TC_ERR_TOO_LARGE;
            return TC_PARSE_ERROR;
        }
        end = (uint16_t)(TC_LINK_HEADER_SIZE + len + TC_LINK_CRC_SIZE);
        if (p->n < end)
            return TC_PARSE_MORE;
        crc = (uint16_t)(p->buf[end - 2] | (p->buf[end - 1] << 8));
        if (tc_crc16(p->buf + 2, (uint32_t)len + 4u, 0xffffu) != crc) {
            drop(p, 1);   /* a real frame may start inside this false one */
            *error = TC_ERR_BAD_CRC;
            return TC_PARSE_ERROR;
        }
        frame->payload = p->buf + TC_LINK_HEADER_SIZE;
        p->consumed = end;
        return TC_PARSE_FRAME;
    }
}

int tc_parser_push(tc_parser_t *p, uint8_t byte, tc_frame_t *frame, uint8_t *error)
{
    if (p->consumed) {
        drop(p, p->consumed);
        p->consumed = 0;
    }
    if (p->n >= TC_LINK_MAX_FRAME)
        drop(p, 1);       /* cannot happen with lengths checked, but keeps the buffer bounded */
    p->buf[p->n++] = byte;
    return tc_parser_next(p, frame, error);
}
