/* nn: the float matmuls training uses (matmul.h). Plain loops, with bf16 operands rounded
 * to nearest-even when the precision is bf16 and every sum in fp32. */
#include "nn/matmul.h"

#include <stdlib.h>
#include <string.h>

struct zs_mm {
    zs_precision precision;
    int threads;
};

zs_status zs_mm_create(zs_mm **out, zs_precision precision, int threads, zs_error *err) {
    zs_mm *mm = zs_calloc(1, sizeof *mm, "matmul context", err);
    if (!mm) return ZS_ERR_NOMEM;
    mm->precision = precision;
    mm->threads = zs_threads_resolve(threads);
    *out = mm;
    return ZS_OK;
}

void zs_mm_free(zs_mm *mm) {
    free(mm);
}

zs_precision zs_mm_precision(const zs_mm *mm) {
    return mm->precision;
}

int zs_mm_threads(const zs_mm *mm) {
    return mm->threads;
}

/* x rounded to the nearest bf16 (ties to even), returned as a float. */
static float round_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7f800000u) != 0x7f800000u) u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    memcpy(&x, &u, sizeof x);
    return x;
}

static float operand(const zs_mm *mm, float x) {
    return mm->precision == ZS_PRECISION_BF16 ? round_bf16(x) : x;
}

zs_status zs_mm_forward(zs_mm *mm, float *out, const float *inp, const float *weight, size_t M,
                        size_t K, size_t N, zs_error *err) {
    (void)err;
#pragma omp parallel for num_threads(mm->threads) schedule(static)
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < N; j++) {
            float s = 0.0f;
            for (size_t k = 0; k < K; k++)
                s += operand(mm, inp[i * K + k]) * operand(mm, weight[j * K + k]);
            out[i * N + j] = s;
        }
    }
    return ZS_OK;
}

zs_status zs_mm_backward(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                         const float *inp, const float *weight, size_t M, size_t K, size_t N,
                         zs_error *err) {
    (void)err;
    if (dinp) {
#pragma omp parallel for num_threads(mm->threads) schedule(static)
        for (size_t i = 0; i < M; i++)
            for (size_t k = 0; k < K; k++) {
                float s = 0.0f;
                for (size_t j = 0; j < N; j++)
                    s += operand(mm, dout[i * N + j]) * operand(mm, weight[j * K + k]);
                dinp[i * K + k] += s;
            }
    }
    if (dweight) {
#pragma omp parallel for num_threads(mm->threads) schedule(static)
        for (size_t j = 0; j < N; j++)
            for (size_t k = 0; k < K; k++) {
                float s = 0.0f;
                for (size_t i = 0; i < M; i++)
                    s += operand(mm, dout[i * N + j]) * operand(mm, inp[i * K + k]);
                dweight[j * K + k] += s;
            }
    }
    return ZS_OK;
}
