/* nn: the GPT's layer kernels in float, the precision training runs in (gpt_kernels.inc),
 * with the vectorisable exponential of fast_exp.h. */
#include "nn/fast_exp.h"
#include "nn/gpt_internal.h"

#define REAL float
#define FN(name) name##_f32
#define EXP zs_fast_expf
#include "nn/gpt_kernels.inc"

/* The float forwards of RMSNorm and SwiGLU with their outputs written rounded to bf16 (the
 * same arithmetic as zs_gpt_rmsnorm_forward_f32 and zs_gpt_swiglu_forward_f32, then
 * zs_bf16_round): in bf16 training these outputs only ever feed a matmul, which would round
 * them anyway, so one pass writes what the matmuls read. */
void zs_gpt_rmsnorm_forward_bf16(uint16_t *out, float *rstd, const float *inp, const float *gain,
                                 size_t N, size_t C, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t r = 0; r < N; r++) {
        const float *x = inp + r * C;
        uint16_t *y = out + r * C;
        float sum_sq = 0;
#pragma omp simd reduction(+ : sum_sq)
        for (size_t c = 0; c < C; c++) sum_sq += x[c] * x[c];
        float s = 1.0f / sqrtf(sum_sq / (float)C + (float)ZS_GPT_NORM_EPS);
        rstd[r] = s;
#pragma omp simd
        for (size_t c = 0; c < C; c++) y[c] = zs_bf16_round(x[c] * s * gain[c]);
    }
}

void zs_gpt_swiglu_forward_bf16(uint16_t *out, const float *gate_up, size_t N, size_t F,
                                int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t r = 0; r < N; r++) {
        const float *g = gate_up + r * 2 * F, *u = g + F;
        uint16_t *h = out + r * F;
#pragma omp simd
        for (size_t j = 0; j < F; j++) {
            float sig = 1.0f / (1.0f + zs_fast_expf(-g[j]));
            h[j] = zs_bf16_round(g[j] * sig * u[j]);
        }
    }
}

/* SwiGLU's backward with dgate_up (N, 2F) written rounded to bf16 (zs_bf16_round of what
 * zs_gpt_swiglu_backward_f32 stores): in bf16 training only the gate_up matmul's backward reads
 * it, which would round it anyway. */
void zs_gpt_swiglu_backward_bf16(uint16_t *dgate_up, const float *dout, const float *gate_up,
                                 size_t N, size_t F, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t r = 0; r < N; r++) {
        const float *g = gate_up + r * 2 * F, *u = g + F, *dh = dout + r * F;
        uint16_t *dg = dgate_up + r * 2 * F, *du = dg + F;
#pragma omp simd
        for (size_t j = 0; j < F; j++) {
            float sig = 1.0f / (1.0f + zs_fast_expf(-g[j]));
            float silu = g[j] * sig;
            dg[j] = zs_bf16_round(dh[j] * u[j] * sig * (1.0f + g[j] * (1.0f - sig)));
            du[j] = zs_bf16_round(dh[j] * silu);
        }
    }
}
