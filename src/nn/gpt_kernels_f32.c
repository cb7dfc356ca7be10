/* nn: the GPT's layer kernels in float, the precision training runs in (gpt_kernels.inc),
 * with the vectorisable exponential of fast_exp.h. */
#include "nn/fast_exp.h"
#include "nn/gpt_internal.h"
#include "nn/simd16.h"

#define REAL float
#define FN(name) name##_f32
#define EXP zs_fast_expf
#if defined(__AVX512F__) && defined(__FMA__)
#define ZS_GPT_CE_OWN_KERNEL
#endif
#include "nn/gpt_kernels.inc"

#if defined(ZS_GPT_CE_OWN_KERNEL)
/* The softmax cross-entropy of gpt_kernels.inc on whole vectors, row by row, in three passes:
 * the maximum; the exponentials (zs_fast_exp16) stored with their sum; the gradient. The
 * row's last V mod 16 entries go by masks and the reductions are trees: the generic loops' scalar
 * remainders and scalar reductions had cost about a third of the time. Alone, 4096 rows of 301:
 * 0.85 → 0.61 ms. The loss in double from the float sum, as the generic copy. */
void zs_gpt_crossentropy_fused_f32(float *logits, float *row_loss, const uint32_t *targets,
                                   size_t N, size_t V, float dscale, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t r = 0; r < N; r++) {
        float *z = logits + r * V;
        const float target = z[targets[r]];
        __m512 mx = _mm512_set1_ps(-INFINITY);
        for (size_t v = 0; v < V; v += 16) {
            const __mmask16 m = zs_first16(V - v);
            mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, z + v));
        }
        const float max = _mm512_reduce_max_ps(mx);
        const __m512 vmax = _mm512_set1_ps(max);
        __m512 sum = _mm512_setzero_ps();
        for (size_t v = 0; v < V; v += 16) {
            const __mmask16 m = zs_first16(V - v);
            const __m512 e = zs_fast_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, z + v), vmax));
            _mm512_mask_storeu_ps(z + v, m, e);
            sum = _mm512_mask_add_ps(sum, m, sum, e);
        }
        const float s = _mm512_reduce_add_ps(sum);
        row_loss[r] = (float)(log((double)s) + (double)max - (double)target);
        const __m512 scale = _mm512_set1_ps(dscale / s);
        for (size_t v = 0; v < V; v += 16) {
            const __mmask16 m = zs_first16(V - v);
            _mm512_mask_storeu_ps(z + v, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, z + v), scale));
        }
        z[targets[r]] -= dscale;
    }
}
#endif

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
