/* Included before CasADi's generated C (gcc -include): its scalar maths in float, as a float build should be. */
#include <math.h>
#define tanh(x) tanhf(x)
#define exp(x) expf(x)
#define log(x) logf(x)
#define sqrt(x) sqrtf(x)
#define fabs(x) fabsf(x)
#define fmin(a, b) fminf(a, b)
#define fmax(a, b) fmaxf(a, b)
