/* The board clock (SysTick, extended to 64 bits by its wrap interrupt), the per-step cost counter, and sleep.
 *
 * Cost: DWT CYCCNT where it counts (silicon: core cycles); QEMU 7.2 does not model the DWT (CYCCNT stays 0), so
 * there the cost comes from SysTick at the core clock, which under `-icount` advances a fixed amount per executed
 * instruction: tinyctl.firmware.qemu converts ticks to instructions. While a step is measured, BASEPRI holds off
 * the tick interrupt (the UART stays live), so no handler's instructions land in the count. */
#include "tc_board.h"
#include "tc_board_config.h"
#include "tc_cortexm.h"
#include "tc_link_protocol.h"

#define TICK_PERIOD (TC_CLOCK_HZ / 100u)     /* a 10 ms wrap: the idle loop wakes at least this often */

static volatile uint32_t wraps;
static uint8_t cost_unit = TC_COST_UNIT_TICKS;
static uint32_t cost_overhead;

void tc_systick_handler(void)
{
    wraps++;
}

void tc_clock_init(void)
{
    SYST_RVR = TICK_PERIOD - 1u;
    SYST_CVR = 0;
    SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | (TC_PRIO_TICK << 24);
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

uint64_t tc_board_ticks(void)
{
    uint32_t m = tc_primask_save();
    uint32_t w = wraps;
    uint32_t val = SYST_CVR;
    if (SCB_ICSR & ICSR_PENDSTSET) {   /* wrapped, handler not run yet (masked, or about to) */
        val = SYST_CVR;
        w++;
    }
    tc_primask_restore(m);
    return (uint64_t)w * TICK_PERIOD + (TICK_PERIOD - 1u - val);
}

uint32_t tc_board_ticks_hz(void)
{
    return TC_CLOCK_HZ;
}

static uint32_t raw_stamp(void)
{
    return cost_unit == TC_COST_UNIT_CYCLES ? DWT_CYCCNT : (uint32_t)tc_board_ticks();
}

void tc_board_cost_init(void)
{
    uint32_t a, b, best = 0xFFFFFFFFu;
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
    a = DWT_CYCCNT;
    for (volatile int i = 0; i < 16; ++i) {
    }
    b = DWT_CYCCNT;
    cost_unit = (b != a) ? TC_COST_UNIT_CYCLES : TC_COST_UNIT_TICKS;
    cost_overhead = 0;
    for (int i = 0; i < 8; ++i) {   /* what an empty measured region costs, subtracted from every measurement */
        uint32_t t = tc_board_cost_end(tc_board_cost_begin());
        best = t < best ? t : best;
    }
    cost_overhead = best;
}

uint32_t tc_board_cost_begin(void)
{
    tc_basepri_set(TC_PRIO_TICK);
    return raw_stamp();
}

uint32_t tc_board_cost_end(uint32_t begin)
{
    uint32_t cost = raw_stamp() - begin;
    tc_basepri_set(0);
    return cost > cost_overhead ? cost - cost_overhead : 0;
}

uint8_t tc_board_cost_unit(void)
{
    return cost_unit;
}

/* Sleep with interrupts masked around the check, so a byte that arrives between the check and the WFI still
 * wakes us (WFI wakes on a pending interrupt even while PRIMASK holds it). */
void tc_board_idle(void)
{
    tc_irq_disable();
    if (tc_ring_empty(&tc_board_rx))
        tc_wfi();
    tc_irq_enable();
}
