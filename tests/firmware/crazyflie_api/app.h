#ifndef APP_H
#define APP_H
void appMain(void);
#endif
