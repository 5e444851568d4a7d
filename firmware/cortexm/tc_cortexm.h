/* The few Cortex-M core registers the firmware touches (ARMv7-M Architecture Reference Manual, B3). */
#ifndef TC_CORTEXM_H
#define TC_CORTEXM_H

#include <stdint.h>

#define TC_REG(addr) (*(volatile uint32_t *)(addr))

#define SCB_ICSR TC_REG(0xE000ED04u)
#define SCB_VTOR TC_REG(0xE000ED08u)
#define SCB_SHPR3 TC_REG(0xE000ED20u)
#define SCB_CFSR TC_REG(0xE000ED28u)
#define SCB_HFSR TC_REG(0xE000ED2Cu)
#define SCB_CPACR TC_REG(0xE000ED88u)
#define ICSR_PENDSTSET (1u << 26)

#define SYST_CSR TC_REG(0xE000E010u)
#define SYST_RVR TC_REG(0xE000E014u)
#define SYST_CVR TC_REG(0xE000E018u)
#define SYST_CSR_ENABLE 1u
#define SYST_CSR_TICKINT 2u
#define SYST_CSR_CLKSOURCE 4u     /* the processor clock */

#define DEMCR TC_REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL TC_REG(0xE0001000u)
#define DWT_CYCCNT TC_REG(0xE0001004u)
#define DWT_CTRL_CYCCNTENA 1u

#define NVIC_ISER(n) TC_REG(0xE000E100u + 4u * (n))
#define NVIC_IPR_BYTE(n) (*(volatile uint8_t *)(0xE000E400u + (n)))

static inline void tc_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void tc_irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void tc_wfi(void) { __asm__ volatile("dsb\n\twfi" ::: "memory"); }
static inline void tc_isb(void) { __asm__ volatile("dsb\n\tisb" ::: "memory"); }

static inline uint32_t tc_primask_save(void)
{
    uint32_t m;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(m)::"memory");
    return m;
}

static inline void tc_primask_restore(uint32_t m) { __asm__ volatile("msr primask, %0" ::"r"(m) : "memory"); }

static inline void tc_basepri_set(uint32_t v) { __asm__ volatile("msr basepri, %0" ::"r"(v) : "memory"); }

static inline void tc_nvic_enable(unsigned irq, uint8_t priority)
{
    NVIC_IPR_BYTE(irq) = priority;
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

/* Priorities: the UART above the clock tick, so the tick can be held off while a step is measured. */
#define TC_PRIO_UART 0x40u
#define TC_PRIO_TICK 0xC0u

#endif
