/* Boards whose framework owns main() (Teensy 4.1, ESP32-S3 through the Arduino core): setup() and loop() drive the
 * same firmware; the link is the USB serial port (Serial). Between bytes the core sleeps: WFI on the Teensy (USB
 * and the 1 kHz SysTick wake it), a one-tick FreeRTOS delay on the ESP32 (its idle task sleeps the core). */
#include <Arduino.h>

extern "C" {
#include "tc_board.h"
#include "tc_firmware.h"
#include "tc_link_protocol.h"
}

tc_ring_t tc_board_rx;

extern "C" void tc_board_init(void)
{
    Serial.begin(115200);
}

extern "C" void tc_board_write(const uint8_t *data, uint32_t n)
{
    Serial.write(data, n);
}

extern "C" void tc_board_idle(void)
{
    while (Serial.available() > 0)
        tc_ring_put(&tc_board_rx, (uint8_t)Serial.read());
    if (!tc_ring_empty(&tc_board_rx))
        return;
#if defined(ARDUINO_TEENSY41)
    asm volatile("wfi");
#else
    vTaskDelay(1);
#endif
}

extern "C" uint64_t tc_board_ticks(void)
{
    static uint32_t last;
    static uint64_t high;
    uint32_t now = micros();
    if (now < last)
        high += 1ull << 32;
    last = now;
    return high | now;
}

extern "C" uint32_t tc_board_ticks_hz(void)
{
    return 1000000u;
}

extern "C" void tc_board_cost_init(void)
{
#if defined(ARDUINO_TEENSY41)
    ARM_DEMCR |= ARM_DEMCR_TRCENA;
    ARM_DWT_CTRL |= ARM_DWT_CTRL_CYCCNTENA;
#endif
}

/* Core clock cycles: the DWT cycle counter on the Teensy's M7, the CCOUNT register on the ESP32-S3's LX7. */
extern "C" uint32_t tc_board_cost_begin(void)
{
#if defined(ARDUINO_TEENSY41)
    return ARM_DWT_CYCCNT;
#else
    return ESP.getCycleCount();
#endif
}

extern "C" uint32_t tc_board_cost_end(uint32_t begin)
{
    return tc_board_cost_begin() - begin;
}

extern "C" uint8_t tc_board_cost_unit(void)
{
    return TC_COST_UNIT_CYCLES;
}

extern "C" void tc_board_set_motors(const float motors[4])
{
    (void)motors;
}

void setup()
{
    tc_firmware_init();
}

void loop()
{
    tc_firmware_poll();
}
