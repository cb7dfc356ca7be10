/* nn: the sparse-parity MLP's kernels in double, the reference for the finite-difference
 * checks and for the float path: the plain-loop double matmuls of matmul_ref.c (no context,
 * one thread), everything else the same mlp_kernels.inc as the float path. */
#include "nn/mlp_internal.h"

#define REAL double
#define FN(name) name##_f64
#define MM_FORWARD(mm, out, inp, weight, M, K, N, err)                                             \
    ((void)(mm), (void)(err), zs_mm_forward_f64(out, inp, weight, M, K, N), ZS_OK)
#define MM_BACKWARD(mm, dinp, dweight, dout, inp, weight, M, K, N, err)                            \
    ((void)(mm), (void)(err), zs_mm_backward_f64(dinp, dweight, dout, inp, weight, M, K, N), ZS_OK)
#include "nn/mlp_kernels.inc"
