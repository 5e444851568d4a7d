/* Reset, the vector table and the fault report, shared by every Cortex-M board. The board names its UART
 * interrupt (tc_board_config.h) and provides tc_board_uart_isr. */
#include <stdint.h>
#include <string.h>

#include "tc_board_config.h"
#include "tc_cortexm.h"
#include "tc_text.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void tc_reset_handler(void);
void tc_fault_handler(void);
void tc_fault_report(const uint32_t *frame);
void tc_default_handler(void);
void tc_systick_handler(void);
void tc_board_uart_isr(void);

typedef void (*tc_vector_t)(void);

/* Entry 0 is the initial stack pointer; the cast from a data address is what every Cortex-M startup does. */
__attribute__((section(".isr_vector"), used))
const tc_vector_t tc_vectors[16 + TC_IRQ_COUNT] = {
    [0] = (tc_vector_t)(uintptr_t)&_estack,
    [1] = tc_reset_handler,
    [2] = tc_default_handler,        /* NMI */
    [3] = tc_fault_handler,          /* HardFault */
    [4] = tc_fault_handler,          /* MemManage */
    [5] = tc_fault_handler,          /* BusFault */
    [6] = tc_fault_handler,          /* UsageFault (an FPU instruction on a core without one: NOCP) */
    [11] = tc_default_handler,       /* SVCall */
    [14] = tc_default_handler,       /* PendSV */
    [15] = tc_systick_handler,
    [16 + TC_UART_IRQ] = tc_board_uart_isr,
};

void tc_reset_handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata)
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    SCB_VTOR = (uint32_t)(uintptr_t)tc_vectors;
#if defined(__ARM_FP)
    SCB_CPACR |= 0xFu << 20;   /* CP10 and CP11 full access: QEMU, like silicon, faults FPU use without it */
    tc_isb();
#endif
    main();
    for (;;)
        tc_wfi();
}

void tc_default_handler(void)
{
    for (;;)
        tc_wfi();
}

/* The fault's stacked frame is on MSP or PSP, as bit 2 of EXC_RETURN says; pass it on untouched. */
__attribute__((naked)) void tc_fault_handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "b tc_fault_report\n\t");
}

/* Say what went wrong on the UART (the host reports it as the hung firmware's last text), then sleep. */
void tc_fault_report(const uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    tc_irq_disable();
    tc_text("\r\ntinyctl: fault, exception ");
    tc_text_hex(ipsr & 0x1ffu);
    tc_text(" CFSR=");
    tc_text_hex(SCB_CFSR);
    tc_text(" HFSR=");
    tc_text_hex(SCB_HFSR);
    tc_text(" PC=");
    tc_text_hex(frame[6]);
    tc_text("\r\n");
    for (;;)
        tc_wfi();
}
