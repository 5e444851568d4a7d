/* The MPS2 FPGA boards QEMU models (AN385 M3, AN386 M4F, AN500 M7): CMSDK UART0 is the link, SysTick the clock. */
#include "tc_board.h"
#include "tc_uart.h"

void tc_board_init(void)
{
    tc_clock_init();
    tc_uart_init();
}

void tc_board_set_motors(const float motors[4])
{
    (void)motors;   /* an emulated board has no motors: the host reads the ACTION frame */
}
