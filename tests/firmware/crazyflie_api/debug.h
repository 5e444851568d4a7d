#ifndef DEBUG_H
#define DEBUG_H
int consolePrintf(const char *format, ...);
#define DEBUG_PRINT(fmt, ...) consolePrintf(DEBUG_MODULE ": " fmt, ##__VA_ARGS__)
#endif
