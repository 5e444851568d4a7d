/* STM32F405/F446 boards at 168 MHz: the link on USART2 (PA2 TX, PA3 RX) at 115200 baud: the deck port's UART2 on a
 * Crazyflie-class board, the ST-LINK's virtual COM port on a Nucleo. Motors are not driven: this image serves the
 * link for processor-in-the-loop tests; flying a Crazyflie is the Crazyflie app's job (--crazyflie-app). */
#include "tc_board.h"
#include "tc_cortexm.h"
#include "tc_uart.h"

#define RCC_AHB1ENR TC_REG(0x40023830u)
#define RCC_APB1ENR TC_REG(0x40023840u)
#define GPIOA_MODER TC_REG(0x40020000u)
#define GPIOA_AFRL TC_REG(0x40020020u)

void tc_stm32f4_clock_168mhz(void);

void tc_board_init(void)
{
    tc_stm32f4_clock_168mhz();
    RCC_AHB1ENR |= 1u << 0;                                     /* GPIOA */
    RCC_APB1ENR |= 1u << 17;                                    /* USART2 */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4);   /* PA2, PA3: alternate function */
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (0x77u << 8);   /* AF7: USART2 */
    tc_clock_init();
    tc_uart_init();
}

void tc_board_set_motors(const float motors[4])
{
    (void)motors;
}
