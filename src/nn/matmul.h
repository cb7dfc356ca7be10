/* nn internal: the matmuls of every linear layer, in nn.Linear's layout (weight is
 * (out_features, in_features), row-major). The float path is the one training uses
 * (matmul.c: oneDNN, fp32 or bf16 operands, fp32 accumulation); the double path is plain
 * loops, the reference the gradient checks and the float path are tested against. */
#ifndef ZS_NN_MATMUL_H
#define ZS_NN_MATMUL_H

#include "zipscale/nn.h"

#include <string.h>

typedef struct zs_mm zs_mm;

/* A matmul context: precision, threads (0 = all cores) and whatever it caches per shape; one
 * thread uses it at a time. Results repeat bit for bit at a fixed thread count. Across
 * thread counts they can differ in the last bits: oneDNN splits a long reduction among
 * threads when the output is small (dweight's sum over M = 2048 or 4096 rows at N·K = 64×64
 * or 64×192 differs between 1 and 2 threads; forward and dinp did not at any shape tried),
 * and the attention's output differs between 1 and 3 threads even at 16 positions. */
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
/* The same with dinp written (=) instead of accumulated: saves zeroing it first and oneDNN's
 * read of it. dweight still accumulates. */
zs_status zs_mm_backward_write(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                               const float *inp, const float *weight, size_t M, size_t K, size_t N,
                               zs_error *err);

/* From this call to the next, the caller promises, the weights given to the forwards and to
 * the backwards' input gradients do not change. In bf16 contexts each is then rounded and
 * packed once per call into the layout oneDNN's kernels read fastest (one copy for the
 * forward, one for dinp) and reused, found again by its address, so a step's forward and
 * backward share one packing; the copies live as long as the context. fp32 contexts read the
 * weights as given (two packed fp32 copies took peak RSS at d_model 128 over 1.1× what
 * training needs, docs/PERFORMANCE.md); so do bf16 contexts on a CPU where oneDNN has no bf16
 * kernels (they widen the rounded operands to floats: matmul.c), every product before the
 * first call, and dweight always. */
void zs_mm_hold_weights(zs_mm *mm);
/* Whether zs_mm_hold_weights packs mm's weights (a bf16 context with oneDNN's bf16 kernels). */
int zs_mm_packs_weights(const zs_mm *mm);
/* Whether mm is a bf16 context that widens its rounded operands to floats (no oneDNN bf16
 * kernels on this CPU). */
int zs_mm_widens_bf16(const zs_mm *mm);
/* For tests: a bf16 context widens from now on, as on a CPU without oneDNN bf16 kernels (so
 * that path is checked on every CPU); call it before the context's first product. */
void zs_mm_force_widen(zs_mm *mm);

/* bf16 contexts only (ZS_ERR_INTERNAL otherwise): the forward and the written backward with
 * the input already rounded to bf16 (inp16, (M,K)), for kernels that write their output
 * rounded instead of in float (the GPT's norms and SwiGLU): the same bytes as rounding a
 * float input here, one pass over the activations fewer in each direction. */
zs_status zs_mm_forward_rounded(zs_mm *mm, float *out, const uint16_t *inp16, const float *weight,
                                size_t M, size_t K, size_t N, zs_error *err);
zs_status zs_mm_backward_write_rounded(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                                       const uint16_t *inp16, const float *weight, size_t M,
                                       size_t K, size_t N, zs_error *err);
/* The same with dout rounded too (dout16, (M,N)): for the kernels that write a gradient only a
 * matmul reads (SwiGLU's backward, the bf16 attention's). */
zs_status zs_mm_backward_write_rounded2(zs_mm *mm, float *dinp, float *dweight,
                                        const uint16_t *dout16, const uint16_t *inp16,
                                        const float *weight, size_t M, size_t K, size_t N,
                                        zs_error *err);

/* The general product the forwards and backwards above are made of, for kernels that multiply
 * strided views (attention): for every batch index (i, j) < (batch[0], batch[1]), c[i,j] (M,N) =
 * alpha · a[i,j] (M,K) · b[i,j] (K,N)  (+ c[i,j] when accumulate), element (i, j, r, s) of x at x +
 * i·x_strides[0] + j·x_strides[1] + r·x_strides[2] + s·x_strides[3]. a and b are float, or bf16
 * (uint16_t) when a_bf16 / b_bf16; c is float. Each distinct problem's oneDNN primitive is created
 * once and cached in mm. */
typedef struct {
    size_t batch[2];
    size_t M, K, N;
    size_t a_strides[4], b_strides[4], c_strides[4];
    int a_bf16, b_bf16;
    float alpha;
    int accumulate;
} zs_mm_problem;

zs_status zs_mm_run(zs_mm *mm, const zs_mm_problem *p, const void *a, const void *b, float *c,
                    zs_error *err);

/* x rounded to the nearest bf16, ties to even; a NaN stays a (quiet) NaN. Branch-free, so
 * that loops over it vectorise. */
static inline uint16_t zs_bf16_round(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    const uint32_t quiet_nan = (u >> 16) | 0x40u;
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}

#if defined(__AVX512F__)
#include <immintrin.h>

/* zs_bf16_round on 16 lanes, each result in the low half of its 32-bit lane. */
static inline __m512i zs_bf16_bits16(__m512 x) {
    const __m512i u = _mm512_castps_si512(x);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(
        _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(
        _mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    return _mm512_mask_or_epi32(rounded, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
}

/* 16 floats rounded to bf16 (zs_bf16_round) into dst. */
static inline void zs_bf16_store16(uint16_t *dst, __m512 x) {
    _mm256_storeu_si256((__m256i *)dst, _mm512_cvtepi32_epi16(zs_bf16_bits16(x)));
}

#endif

/* n floats rounded to the nearest bf16 (ties to even; NaN stays NaN), on mm's threads. */
void zs_mm_to_bf16(zs_mm *mm, uint16_t *dst, const float *src, size_t n);

/* The same in double, plain loops, no context. */
void zs_mm_forward_f64(double *out, const double *inp, const double *weight, size_t M, size_t K,
                       size_t N);
void zs_mm_backward_f64(double *dinp, double *dweight, const double *dout, const double *inp,
                        const double *weight, size_t M, size_t K, size_t N);

#endif
