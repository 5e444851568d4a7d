#include "tc_text.h"

#include "tc_board.h"

/* No strlen: the fault handler prints through here, and must not run library code tuned for another core. */
void tc_text(const char *s)
{
    uint32_t n = 0;
    while (s[n] && n < 256u)
        ++n;
    tc_board_write((const uint8_t *)s, n);
}

void tc_text_hex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t out[10];
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 8; ++i)
        out[2 + i] = (uint8_t)digits[(v >> (28 - 4 * i)) & 0xfu];
    tc_board_write(out, sizeof out);
}
