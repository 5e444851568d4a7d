/* STM32F2/F4 USART: receive by interrupt (RXNE) into the ring, transmit by polling TXE.
 * The board enables the USART's clock and pins before tc_uart_init (RCC and GPIO are stubs under QEMU). */
#include "tc_board.h"
#include "tc_board_config.h"
#include "tc_cortexm.h"

#define USART_SR TC_REG(TC_UART_BASE + 0x00u)
#define USART_DR TC_REG(TC_UART_BASE + 0x04u)
#define USART_BRR TC_REG(TC_UART_BASE + 0x08u)
#define USART_CR1 TC_REG(TC_UART_BASE + 0x0Cu)

#define SR_ORE (1u << 3)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define CR1_UE (1u << 13)

tc_ring_t tc_board_rx;

void tc_uart_init(void)
{
    USART_BRR = (TC_UART_CLOCK_HZ + 115200u / 2u) / 115200u;   /* 16x oversampling, 115200 baud */
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    tc_nvic_enable(TC_UART_IRQ, TC_PRIO_UART);
}

void tc_board_uart_isr(void)
{
    uint32_t sr;
    while ((sr = USART_SR) & (SR_RXNE | SR_ORE)) {
        uint8_t byte = (uint8_t)USART_DR;      /* reading SR then DR clears RXNE and ORE */
        if (sr & SR_ORE)
            tc_board_rx.overrun = 1;
        tc_ring_put(&tc_board_rx, byte);
    }
}

void tc_board_write(const uint8_t *data, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        while (!(USART_SR & SR_TXE)) {
        }
        USART_DR = data[i];
    }
}
