/* nn internal: the matmuls of every linear layer, in nn.Linear's layout (weight is
 * (out_features, in_features), row-major). The float path is the one training uses
 * (matmul.c: fp32 or bf16 operands, fp32 accumulation); the double path is plain loops,
 * the reference the gradient checks and the float path are tested against. */
#ifndef ZS_NN_MATMUL_H
#define ZS_NN_MATMUL_H

#include "zipscale/nn.h"

typedef struct zs_mm zs_mm;

/* A matmul context: precision, threads (0 = all cores) and whatever it caches per shape. */
zs_status zs_mm_create(zs_mm **out, zs_precision precision, int threads, zs_error *err);
void zs_mm_free(zs_mm *mm);
/* The context's precision and resolved thread count (>= 1). */
zs_precision zs_mm_precision(const zs_mm *mm);
int zs_mm_threads(const zs_mm *mm);

/* out (M,N) = inp (M,K) · weightᵀ, weight (N,K). */
zs_status zs_mm_forward(zs_mm *mm, float *out, const float *inp, const float *weight, size_t M,
                        size_t K, size_t N, zs_error *err);
/* dinp (M,K) += dout (M,N) · weight (N,K);  dweight (N,K) += doutᵀ · inp (M,K).
 * Either output may be NULL (not wanted). */
zs_status zs_mm_backward(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                         const float *inp, const float *weight, size_t M, size_t K, size_t N,
                         zs_error *err);

/* The same in double, plain loops, no context. */
void zs_mm_forward_f64(double *out, const double *inp, const double *weight, size_t M, size_t K,
                       size_t N);
void zs_mm_backward_f64(double *dinp, double *dweight, const double *dout, const double *inp,
                        const double *weight, size_t M, size_t K, size_t N);

#endif
