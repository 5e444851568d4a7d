/* The UART drivers' one extra entry point: a board calls it once its clocks and pins are set up. */
#ifndef TC_UART_H
#define TC_UART_H

void tc_uart_init(void);
void tc_clock_init(void);    /* firmware/cortexm/clock.c: SysTick at the core clock */

#endif
