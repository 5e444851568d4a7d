#ifndef TASK_H
#define TASK_H
#include <stdint.h>
void vTaskDelay(uint32_t ticks);
#endif
