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
/* The softmax cross-entropy of gpt_kernels.inc on whole vectors, in three passes: the maximum;
 * the exponentials (zs_fast_exp16) stored with their sum; the gradient. The row's last V mod 16
 * entries go by masks and the reductions are trees: the generic loops' scalar remainders and
 * scalar reductions had cost about a third of the time. CE_ROWS rows go through each pass
 * together, so that their dependency chains (the running maximum and sum, each pass waiting on
 * the last one's reduction) overlap: one row at a time waited on them (alone, 4096 rows of 301:
 * 0.85 → 0.61 ms for the vectors, → CE_ROWS rows together below). Each row's arithmetic is
 * the same whatever its group. The loss in double from the float sum, as the generic copy. */
#define CE_ROWS 4

/* G rows from z (rows V apart) and their targets, their losses into loss. */
static inline __attribute__((always_inline)) void
ce_rows(float *z, float *loss, const uint32_t *targets, size_t V, float dscale, size_t G) {
    __m512 mx[CE_ROWS], sum[CE_ROWS], vmax[CE_ROWS], scale[CE_ROWS];
    float target[CE_ROWS];
#pragma GCC unroll 4
    for (size_t r = 0; r < G; r++) {
        target[r] = z[r * V + targets[r]];
        mx[r] = _mm512_set1_ps(-INFINITY);
        sum[r] = _mm512_setzero_ps();
    }
    for (size_t v = 0; v < V; v += 16) {
        const __mmask16 m = zs_first16(V - v);
#pragma GCC unroll 4
        for (size_t r = 0; r < G; r++)
            mx[r] = _mm512_mask_max_ps(mx[r], m, mx[r], _mm512_maskz_loadu_ps(m, z + r * V + v));
    }
#pragma GCC unroll 4
    for (size_t r = 0; r < G; r++) vmax[r] = _mm512_set1_ps(_mm512_reduce_max_ps(mx[r]));
    for (size_t v = 0; v < V; v += 16) {
        const __mmask16 m = zs_first16(V - v);
#pragma GCC unroll 4
        for (size_t r = 0; r < G; r++) {
            const __m512 e =
                zs_fast_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, z + r * V + v), vmax[r]));
            _mm512_mask_storeu_ps(z + r * V + v, m, e);
            sum[r] = _mm512_mask_add_ps(sum[r], m, sum[r], e);
        }
    }
#pragma GCC unroll 4
    for (size_t r = 0; r < G; r++) {
        const float s = _mm512_reduce_add_ps(sum[r]);
        loss[r] = (float)(log((double)s) + (double)_mm512_cvtss_f32(vmax[r]) - (double)target[r]);
        scale[r] = _mm512_set1_ps(dscale / s);
    }
    for (size_t v = 0; v < V; v += 16) {
        const __mmask16 m = zs_first16(V - v);
#pragma GCC unroll 4
        for (size_t r = 0; r < G; r++)
            _mm512_mask_storeu_ps(z + r * V + v, m,
                                  _mm512_mul_ps(_mm512_maskz_loadu_ps(m, z + r * V + v), scale[r]));
    }
#pragma GCC unroll 4
    for (size_t r = 0; r < G; r++) z[r * V + targets[r]] -= dscale;
}

void zs_gpt_crossentropy_fused_f32(float *logits, float *row_loss, const uint32_t *targets,
                                   size_t N, size_t V, float dscale, int threads) {
    const size_t groups = (N + CE_ROWS - 1) / CE_ROWS;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t g = 0; g < groups; g++) {
        const size_t r0 = g * CE_ROWS;
        if (N - r0 >= CE_ROWS)
            ce_rows(logits + r0 * V, row_loss + r0, targets + r0, V, dscale, CE_ROWS);
        else
            for (size_t r = r0; r < N; r++)
                ce_rows(logits + r * V, row_loss + r, targets + r, V, dscale, 1);
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
