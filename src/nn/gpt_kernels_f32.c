/* nn: the GPT's layer kernels in float, the precision training runs in (gpt_kernels.inc),
 * with the vectorisable exponential of fast_exp.h. */
#include "nn/fast_exp.h"
#include "nn/gpt_internal.h"

#define REAL float
#define FN(name) name##_f32
#define EXP zs_fast_expf
#include "nn/gpt_kernels.inc"
