/* nn: the GPT's layer kernels in double, the reference for the gradient checks
 * (gpt_kernels.inc). */
#include "nn/gpt_internal.h"

#define REAL double
#define FN(name) name##_f64
#define EXP exp
#include "nn/gpt_kernels.inc"
