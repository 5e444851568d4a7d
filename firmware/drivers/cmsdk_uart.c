/* Arm CMSDK APB UART (the MPS2 boards' UART0): receive by interrupt into the ring, transmit by polling.
 * The RX interrupt is cleared before the byte is read: reading DATA lets the next byte in, and clearing after
 * that could wipe the new byte's interrupt, a lost wake-up that deadlocks the link (seen in QEMU 7.2). */
#include "tc_board.h"
#include "tc_board_config.h"
#include "tc_cortexm.h"

#define UART_DATA TC_REG(TC_UART_BASE + 0x000u)
#define UART_STATE TC_REG(TC_UART_BASE + 0x004u)
#define UART_CTRL TC_REG(TC_UART_BASE + 0x008u)
#define UART_INTCLEAR TC_REG(TC_UART_BASE + 0x00Cu)
#define UART_BAUDDIV TC_REG(TC_UART_BASE + 0x010u)

#define STATE_TXFULL 1u
#define STATE_RXFULL 2u
#define CTRL_TX_EN 1u
#define CTRL_RX_EN 2u
#define CTRL_RX_INTEN 8u
#define INT_RX 2u
#define INT_RXOVR 8u

tc_ring_t tc_board_rx;

void tc_uart_init(void)
{
    UART_BAUDDIV = TC_CLOCK_HZ / 115200u;    /* 217 at 25 MHz; QEMU ignores the rate, silicon does not */
    UART_CTRL = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INTEN;
    tc_nvic_enable(TC_UART_IRQ, TC_PRIO_UART);
}

void tc_board_uart_isr(void)
{
    while (UART_STATE & STATE_RXFULL) {
        UART_INTCLEAR = INT_RX | INT_RXOVR;
        tc_ring_put(&tc_board_rx, (uint8_t)UART_DATA);
    }
}

void tc_board_write(const uint8_t *data, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        while (UART_STATE & STATE_TXFULL) {
        }
        UART_DATA = data[i];
    }
}
