/* STM32F405 as QEMU's netduinoplus2 models it: USART1 (PA9/PA10, AF7) is the link, SysTick the clock.
 * The RCC and GPIO writes are what silicon needs; QEMU 7.2 stubs those blocks and ignores them. */
#include "tc_board.h"
#include "tc_cortexm.h"
#include "tc_uart.h"

#define RCC_AHB1ENR TC_REG(0x40023830u)
#define RCC_APB2ENR TC_REG(0x40023844u)
#define GPIOA_MODER TC_REG(0x40020000u)
#define GPIOA_AFRH TC_REG(0x40020024u)

void tc_board_init(void)
{
    RCC_AHB1ENR |= 1u << 0;                                    /* GPIOA */
    RCC_APB2ENR |= 1u << 4;                                    /* USART1 */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 18)) | (0xAu << 18); /* PA9, PA10: alternate function */
    GPIOA_AFRH = (GPIOA_AFRH & ~(0xFFu << 4)) | (0x77u << 4);  /* AF7: USART1 */
    tc_clock_init();
    tc_uart_init();
}

void tc_board_set_motors(const float motors[4])
{
    (void)motors;   /* an emulated board has no motors: the host reads the ACTION frame */
}
