#ifndef FREERTOS_H
#define FREERTOS_H
#include <stdint.h>
#define M2T(X) ((uint32_t)(X))
#endif
