/* nn: the GPT's layer kernels in float, the precision training runs in (gpt_kernels.inc). */
#include "nn/gpt_internal.h"

#define REAL float
#define FN(name) name##_f32
#include "nn/gpt_kernels.inc"
