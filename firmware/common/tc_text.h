/* Plain text on the link's UART between frames: a boot line, a fault report. The host keeps the last lines it
 * saw, so a firmware that stops answering is reported with what it said last. No printf: no heap, small. */
#ifndef TC_TEXT_H
#define TC_TEXT_H

#include <stdint.h>

void tc_text(const char *s);
void tc_text_hex(uint32_t v);    /* 0x%08x */

#endif
