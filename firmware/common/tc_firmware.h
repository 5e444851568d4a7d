/* The firmware's two entry points, for frameworks that own main() (Arduino's setup() and loop()). */
#ifndef TC_FIRMWARE_H
#define TC_FIRMWARE_H

#ifdef __cplusplus
extern "C" {
#endif

void tc_firmware_init(void);   /* board, clock, link; sends the boot HELLO */
void tc_firmware_poll(void);   /* sleep until woken, answer what arrived, watch the failsafe timeout */

#ifdef __cplusplus
}
#endif

#endif
