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
#define ZS_GPT_NORM_OWN_KERNEL
#define ZS_GPT_SWIGLU_OWN_KERNEL
#endif
#include "nn/gpt_kernels.inc"

#if defined(ZS_GPT_SWIGLU_OWN_KERNEL)
/* SwiGLU on whole vectors where F is a multiple of 16, with the generic loops' operations in
 * their order (zs_fast_expf16 is zs_fast_expf bit for bit; the division is exact either way), so
 * the same bytes (a NaN gate gives NaN as before; its sign bit may differ, as it follows which
 * operand of a product the compiler puts first). GCC vectorises the generic loops too, but row by
 * row with a prologue and a remainder each: at the small models' F of 32 and 64 those took a third
 * of the time (alone, 4096 rows: F 64 forward 118 → 85 µs, backward 172 → 115; F 512 1.32 → 1.10 ms
 * and 1.8 → 1.4). */
#define SWIGLU_TAKES(F) ((F) % 16 == 0)

/* 1 / (1 + e^-g), -g by flipping the sign bit as the scalar negation does (0 - g would differ
 * at zero and in a NaN's sign). */
static inline __m512 sigmoid16(__m512 g) {
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 minus_g = _mm512_castsi512_ps(
        _mm512_xor_si512(_mm512_castps_si512(g), _mm512_set1_epi32((int)0x80000000u)));
    return _mm512_div_ps(one, _mm512_add_ps(one, zs_fast_expf16(minus_g)));
}

/* out: floats, or (rounded) bf16 values. */
static inline __attribute__((always_inline)) void
swiglu_forward16(void *out, int rounded, const float *gate_up, size_t N, size_t F, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t r = 0; r < N; r++) {
        const float *g = gate_up + r * 2 * F, *u = g + F;
        for (size_t j = 0; j < F; j += 16) {
            const __m512 gj = _mm512_loadu_ps(g + j);
            const __m512 h =
                _mm512_mul_ps(_mm512_mul_ps(gj, sigmoid16(gj)), _mm512_loadu_ps(u + j));
            zs_store16(out, r * F + j, h, rounded);
        }
    }
}

/* dgate_up: floats, or (rounded) bf16 values. */
static inline __attribute__((always_inline)) void swiglu_backward16(void *dgate_up, int rounded,
                                                                    const float *dout,
                                                                    const float *gate_up, size_t N,
                                                                    size_t F, int threads) {
    const __m512 one = _mm512_set1_ps(1.0f);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t r = 0; r < N; r++) {
        const float *g = gate_up + r * 2 * F, *u = g + F, *dh = dout + r * F;
        for (size_t j = 0; j < F; j += 16) {
            const __m512 gj = _mm512_loadu_ps(g + j), dhj = _mm512_loadu_ps(dh + j);
            const __m512 sig = sigmoid16(gj), silu = _mm512_mul_ps(gj, sig);
            const __m512 dg =
                _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dhj, _mm512_loadu_ps(u + j)), sig),
                              _mm512_add_ps(one, _mm512_mul_ps(gj, _mm512_sub_ps(one, sig))));
            const __m512 du = _mm512_mul_ps(dhj, silu);
            const size_t at = r * 2 * F + j;
            zs_store16(dgate_up, at, dg, rounded);
            zs_store16(dgate_up, at + F, du, rounded);
        }
    }
}

void zs_gpt_swiglu_forward_f32(float *out, const float *gate_up, size_t N, size_t F, int threads) {
    if (SWIGLU_TAKES(F))
        swiglu_forward16(out, 0, gate_up, N, F, threads);
    else
        zs_gpt_swiglu_forward_generic_f32(out, gate_up, N, F, threads);
}

void zs_gpt_swiglu_backward_f32(float *dgate_up, const float *dout, const float *gate_up, size_t N,
                                size_t F, int threads) {
    if (SWIGLU_TAKES(F))
        swiglu_backward16(dgate_up, 0, dout, gate_up, N, F, threads);
    else
        zs_gpt_swiglu_backward_generic_f32(dgate_up, dout, gate_up, N, F, threads);
}
#endif

#if defined(ZS_GPT_CE_OWN_KERNEL)
/* The softmax cross-entropy of gpt_kernels.inc on whole vectors, in three passes: the maximum;
 * the exponentials (zs_fast_exp16) stored with their sum; the gradient. The row's last V mod 16
 * entries go by masks and the reductions are trees: the generic loops' scalar remainders and
 * scalar reductions had cost about a third of the time. CE_ROWS rows go through each pass
 * together, so that their dependency chains (the running maximum and sum, each pass waiting on
 * the last one's reduction) overlap: one row at a time waited on them (alone, 4096 rows of 301:
 * generic loops 0.85 ms, these vectors a row at a time 0.61 (0.51 on a quieter day), four rows
 * together 0.36). Each row's arithmetic is the same whatever its group. The loss in double from
 * the float sum, as the generic copy. */
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

#if defined(ZS_GPT_NORM_OWN_KERNEL)
/* RMSNorm on whole vectors for C = 16 and 32 (the small models' d_model), with the bytes of
 * gpt_kernels.inc's loops. Their `omp simd` reductions keep one vector of 16 partial sums over a
 * row's vectors in order and then, as GCC ends such a reduction, add the 16 lanes one by one in
 * lane order, from zero: a chain of 16 dependent additions a row, which with the scalar square
 * root and division made most of the generic loops' time at small C. Here 16 rows go together:
 * their partial-sum vectors are transposed (16×16 in registers) and the lanes added in the same
 * order, each addition a vector over the 16 rows; the square roots and divisions too (both are
 * correctly rounded either way), and the backward keeps its dgain partial sums in registers.
 * Checked byte for byte against the generic loops. */
#define NORM_ROWS 16
/* The widest C taken: at C = 64 the generic loops were faster (forward 4%, backward 18%; the
 * rows' own reductions then have four vectors to overlap with). */
#define NORM_MAX_VECTORS 2
#define NORM_TAKES(C) ((C) % 16 == 0 && (C) <= 16 * NORM_MAX_VECTORS)

/* The vector of partial sums of x[c]·y[c]·z[c] (z NULL: x[c]·y[c]) over C floats. */
static inline __m512 row_partials16(const float *x, const float *y, const float *z, size_t C) {
    __m512 acc = _mm512_setzero_ps();
    for (size_t c = 0; c < C; c += 16) {
        __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + c), _mm512_loadu_ps(y + c));
        if (z) v = _mm512_mul_ps(v, _mm512_loadu_ps(z + c));
        acc = _mm512_add_ps(acc, v);
    }
    return acc;
}

/* Row r's sum (lane r of the result) from its partial sums acc[r], lanes added in lane order
 * from zero. */
static inline __m512 lane_sums16(const __m512 acc[NORM_ROWS]) {
    __m512i t[NORM_ROWS];
    for (int r = 0; r < NORM_ROWS; r++) t[r] = _mm512_castps_si512(acc[r]);
    zs_transpose16(t);
    __m512 sum = _mm512_setzero_ps();
    for (int lane = 0; lane < NORM_ROWS; lane++)
        sum = _mm512_add_ps(sum, _mm512_castsi512_ps(t[lane]));
    return sum;
}

/* zs_gpt_rmsnorm_forward_f32 (out) or zs_gpt_rmsnorm_forward_bf16 (out16, out NULL). */
static void rmsnorm_forward16(float *out, uint16_t *out16, float *rstd, const float *inp,
                              const float *gain, size_t N, size_t C, int threads) {
    const size_t blocks = (N + NORM_ROWS - 1) / NORM_ROWS;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t b = 0; b < blocks; b++) {
        const size_t r0 = b * NORM_ROWS, R = N - r0 < NORM_ROWS ? N - r0 : NORM_ROWS;
        __m512 acc[NORM_ROWS];
        for (size_t r = 0; r < NORM_ROWS; r++) {
            const float *x = inp + (r0 + r) * C;
            acc[r] = r < R ? row_partials16(x, x, NULL, C) : _mm512_setzero_ps();
        }
        const __m512 mean = _mm512_div_ps(lane_sums16(acc), _mm512_set1_ps((float)C));
        const __m512 root =
            _mm512_sqrt_ps(_mm512_add_ps(mean, _mm512_set1_ps((float)ZS_GPT_NORM_EPS)));
        float s[NORM_ROWS];
        _mm512_storeu_ps(s, _mm512_div_ps(_mm512_set1_ps(1.0f), root));
        for (size_t r = 0; r < R; r++) {
            const size_t row = r0 + r;
            const __m512 sr = _mm512_set1_ps(s[r]);
            rstd[row] = s[r];
            for (size_t c = 0; c < C; c += 16) {
                const __m512 y =
                    _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(inp + row * C + c), sr),
                                  _mm512_loadu_ps(gain + c));
                if (out16)
                    zs_bf16_store16(out16 + row * C + c, y);
                else
                    _mm512_storeu_ps(out + row * C + c, y);
            }
        }
    }
}

void zs_gpt_rmsnorm_forward_f32(float *out, float *rstd, const float *inp, const float *gain,
                                size_t N, size_t C, int threads) {
    if (NORM_TAKES(C))
        rmsnorm_forward16(out, NULL, rstd, inp, gain, N, C, threads);
    else
        zs_gpt_rmsnorm_forward_generic_f32(out, rstd, inp, gain, N, C, threads);
}

void zs_gpt_rmsnorm_backward_f32(float *dinp, float *dgain, float *partial, const float *dout,
                                 const float *inp, const float *rstd, const float *gain, size_t N,
                                 size_t C, int threads) {
    if (!NORM_TAKES(C)) {
        zs_gpt_rmsnorm_backward_generic_f32(dinp, dgain, partial, dout, inp, rstd, gain, N, C,
                                            threads);
        return;
    }
    const size_t blocks = (N + ZS_GPT_NORM_BLOCK_ROWS - 1) / ZS_GPT_NORM_BLOCK_ROWS, nv = C / 16;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t b = 0; b < blocks; b++) {
        __m512 part[NORM_MAX_VECTORS], g[NORM_MAX_VECTORS];
        for (size_t j = 0; j < nv; j++) {
            part[j] = _mm512_setzero_ps();
            g[j] = _mm512_loadu_ps(gain + 16 * j);
        }
        const size_t end =
            (b + 1) * ZS_GPT_NORM_BLOCK_ROWS < N ? (b + 1) * ZS_GPT_NORM_BLOCK_ROWS : N;
        for (size_t r0 = b * ZS_GPT_NORM_BLOCK_ROWS; r0 < end; r0 += NORM_ROWS) {
            const size_t R = end - r0 < NORM_ROWS ? end - r0 : NORM_ROWS;
            /* Σ dy·gain·x of each row, as the generic loop sums it */
            __m512 acc[NORM_ROWS];
            for (size_t r = 0; r < NORM_ROWS; r++)
                acc[r] = r < R ? row_partials16(dout + (r0 + r) * C, gain, inp + (r0 + r) * C, C)
                               : _mm512_setzero_ps();
            float dots[NORM_ROWS];
            _mm512_storeu_ps(dots, lane_sums16(acc));
            for (size_t r = 0; r < R; r++) {
                const size_t row = r0 + r;
                const float *x = inp + row * C, *dy = dout + row * C;
                float *dx = dinp + row * C;
                const float s = rstd[row];
                const float mean = dots[r] * s / (float)C; /* mean(gy·n) */
                const __m512 vs = _mm512_set1_ps(s), vm = _mm512_set1_ps(mean);
                for (size_t j = 0; j < nv; j++) {
                    const __m512 xj = _mm512_loadu_ps(x + 16 * j),
                                 dyj = _mm512_loadu_ps(dy + 16 * j);
                    const __m512 gy = _mm512_mul_ps(dyj, g[j]);
                    const __m512 d = _mm512_sub_ps(gy, _mm512_mul_ps(_mm512_mul_ps(xj, vs), vm));
                    _mm512_storeu_ps(dx + 16 * j, _mm512_add_ps(_mm512_loadu_ps(dx + 16 * j),
                                                                _mm512_mul_ps(vs, d)));
                    part[j] = _mm512_add_ps(part[j], _mm512_mul_ps(_mm512_mul_ps(dyj, xj), vs));
                }
            }
        }
        for (size_t j = 0; j < nv; j++) _mm512_storeu_ps(partial + b * C + 16 * j, part[j]);
    }
    for (size_t b = 0; b < blocks; b++) {
        const float *part = partial + b * C;
#pragma omp simd
        for (size_t c = 0; c < C; c++) dgain[c] += part[c];
    }
}
#endif

/* The float forwards of RMSNorm and SwiGLU with their outputs written rounded to bf16 (the
 * same arithmetic as zs_gpt_rmsnorm_forward_f32 and zs_gpt_swiglu_forward_f32, then
 * zs_bf16_round): in bf16 training these outputs only ever feed a matmul, which would round
 * them anyway, so one pass writes what the matmuls read. */
void zs_gpt_rmsnorm_forward_bf16(uint16_t *out, float *rstd, const float *inp, const float *gain,
                                 size_t N, size_t C, int threads) {
#if defined(ZS_GPT_NORM_OWN_KERNEL)
    if (NORM_TAKES(C)) {
        rmsnorm_forward16(NULL, out, rstd, inp, gain, N, C, threads);
        return;
    }
#endif
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
#if defined(ZS_GPT_SWIGLU_OWN_KERNEL)
    if (SWIGLU_TAKES(F)) {
        swiglu_forward16(out, 1, gate_up, N, F, threads);
        return;
    }
#endif
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
#if defined(ZS_GPT_SWIGLU_OWN_KERNEL)
    if (SWIGLU_TAKES(F)) {
        swiglu_backward16(dgate_up, 1, dout, gate_up, N, F, threads);
        return;
    }
#endif
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
