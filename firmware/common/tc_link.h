/* The link's framing (contract 2): a byte-at-a-time parser that resynchronises, and a frame writer.
 * Message layouts, error codes and the CRC table come from the generated tc_link_protocol.h. */
#ifndef TC_LINK_H
#define TC_LINK_H

#include <stdint.h>

#include "tc_link_protocol.h"

typedef struct {
    uint8_t type;
    uint8_t seq;
    uint16_t len;
    const uint8_t *payload;
} tc_frame_t;

typedef struct {
    uint8_t buf[TC_LINK_MAX_FRAME];
    uint16_t n;
    uint16_t consumed;      /* the length of the frame last returned, dropped at the next push */
} tc_parser_t;

enum { TC_PARSE_MORE = 0, TC_PARSE_FRAME = 1, TC_PARSE_ERROR = 2 };

void tc_parser_init(tc_parser_t *p);

/* Feed one byte. Returns TC_PARSE_FRAME with *frame filled (valid until the next push), TC_PARSE_ERROR with
 * *error (TC_ERR_BAD_CRC or TC_ERR_TOO_LARGE) and *frame naming what the bad header said, or TC_PARSE_MORE.
 * After an error, scanning resumes one byte after the bad frame's sync, so call tc_parser_next() until it
 * returns TC_PARSE_MORE before pushing the next byte. */
int tc_parser_push(tc_parser_t *p, uint8_t byte, tc_frame_t *frame, uint8_t *error);
int tc_parser_next(tc_parser_t *p, tc_frame_t *frame, uint8_t *error);

uint16_t tc_crc16(const uint8_t *data, uint32_t n, uint16_t crc);

/* Encode a frame into out (at least TC_LINK_HEADER_SIZE + len + 2 bytes); returns its length. */
uint32_t tc_frame_encode(uint8_t *out, uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len);

#endif
