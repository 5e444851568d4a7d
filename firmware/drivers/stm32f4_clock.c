/* STM32F405/F446 clock tree to 168 MHz from the PLL: SYSCLK 168, AHB 168, APB1 42, APB2 84 MHz; flash at 5 wait
 * states (RM0090 and RM0390, "Reset and clock control"). TC_HSE_HZ picks the crystal as PLL source (a Crazyflie-
 * class board's 8 MHz), else the internal 16 MHz HSI (a Nucleo without the ST-LINK's MCO). */
#include "tc_board_config.h"
#include "tc_cortexm.h"

#define RCC_CR TC_REG(0x40023800u)
#define RCC_PLLCFGR TC_REG(0x40023804u)
#define RCC_CFGR TC_REG(0x40023808u)
#define RCC_APB1ENR TC_REG(0x40023840u)
#define PWR_CR TC_REG(0x40007000u)
#define FLASH_ACR TC_REG(0x40023C00u)

#define CR_HSEON (1u << 16)
#define CR_HSERDY (1u << 17)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)

void tc_stm32f4_clock_168mhz(void)
{
#ifdef TC_HSE_HZ
    const uint32_t source_mhz = TC_HSE_HZ / 1000000u, pll_source = 1u << 22;
    RCC_CR |= CR_HSEON;
    while (!(RCC_CR & CR_HSERDY)) {
    }
#else
    const uint32_t source_mhz = 16u, pll_source = 0;
#endif
    RCC_APB1ENR |= 1u << 28;                            /* PWR */
    PWR_CR |= 3u << 14;                                 /* voltage scale 1 */
    FLASH_ACR = 5u | (1u << 8) | (1u << 9) | (1u << 10); /* 5 wait states, prefetch, I- and D-cache */
    RCC_CFGR = (5u << 10) | (4u << 13);                 /* APB1 = AHB / 4, APB2 = AHB / 2 */
    /* VCO in = 1 MHz (M), VCO out = 336 MHz (N), SYSCLK = 168 MHz (P = 2), 48 MHz for USB (Q = 7) */
    RCC_PLLCFGR = source_mhz | (336u << 6) | (0u << 16) | pll_source | (7u << 24);
    RCC_CR |= CR_PLLON;
    while (!(RCC_CR & CR_PLLRDY)) {
    }
    RCC_CFGR = (RCC_CFGR & ~3u) | 2u;                   /* switch SYSCLK to the PLL */
    while ((RCC_CFGR & (3u << 2)) != (2u << 2)) {
    }
}
