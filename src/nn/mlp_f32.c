/* nn: the sparse-parity MLP's kernels in float, the path training runs: hidden and output
 * layers through the model's zs_mm (matmul.h), everything else in mlp_kernels.inc. */
#include "nn/mlp_internal.h"

#define REAL float
#define FN(name) name##_f32
#define MM_FORWARD(mm, out, inp, weight, M, K, N, err)                                             \
    zs_mm_forward(mm, out, inp, weight, M, K, N, err)
#define MM_BACKWARD(mm, dinp, dweight, dout, inp, weight, M, K, N, err)                            \
    zs_mm_backward(mm, dinp, dweight, dout, inp, weight, M, K, N, err)
#include "nn/mlp_kernels.inc"
