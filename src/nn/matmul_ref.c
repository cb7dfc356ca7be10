/* nn: the double-precision matmuls, plain loops in a fixed order. They are the reference
 * the gradient checks run on and the float matmuls are tested against (matmul.h). */
#include "nn/matmul.h"

void zs_mm_forward_f64(double *out, const double *inp, const double *weight, size_t M, size_t K,
                       size_t N) {
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < N; j++) {
            double s = 0.0;
            for (size_t k = 0; k < K; k++) s += inp[i * K + k] * weight[j * K + k];
            out[i * N + j] = s;
        }
    }
}

void zs_mm_backward_f64(double *dinp, double *dweight, const double *dout, const double *inp,
                        const double *weight, size_t M, size_t K, size_t N) {
    if (dinp) {
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                double d = dout[i * N + j];
                for (size_t k = 0; k < K; k++) dinp[i * K + k] += d * weight[j * K + k];
            }
    }
    if (dweight) {
        for (size_t j = 0; j < N; j++)
            for (size_t i = 0; i < M; i++) {
                double d = dout[i * N + j];
                for (size_t k = 0; k < K; k++) dweight[j * K + k] += d * inp[i * K + k];
            }
    }
}
