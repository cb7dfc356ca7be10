/* nn: the float attention training uses (attention.h). The four products of every (sequence,
 * head) pair run as batched oneDNN matmuls over strided views of qkv (zs_mm_run): scores
 * S = q·kᵀ/sqrt(hd) straight into the saved buffer, where the causal softmax turns them
 * into P, then out = P·v; the backward's dv = Pᵀ·dout, dP = dout·vᵀ, dq = dS·k, dk = dSᵀ·q.
 * The softmax and its backward are vectorised loops over rows. */
#include "nn/attention.h"

#include <math.h>
#include <string.h>

size_t zs_attention_saved_numel(size_t B, size_t T, size_t C, size_t H) {
    (void)C;
    return B * H * T * T;
}

/* dP, then dS in place: (B, H, T, T). */
size_t zs_attention_scratch_numel(size_t B, size_t T, size_t C, size_t H) {
    (void)C;
    return B * H * T * T;
}

/* The strides of the views into (B, T, 3C) qkv (one third: part 0 q, 1 k, 2 v), into
 * (B, T, C) out / dout, and into (B, H, T, T) score matrices; transposed swaps the last two. */
typedef struct {
    size_t B, T, C, H, hd;
} dims;

static void qkv_view(size_t strides[4], const dims *d, int transposed) {
    const size_t row = 3 * d->C;
    strides[0] = d->T * row;
    strides[1] = d->hd;
    strides[2] = transposed ? 1 : row;
    strides[3] = transposed ? row : 1;
}

static void out_view(size_t strides[4], const dims *d) {
    strides[0] = d->T * d->C;
    strides[1] = d->hd;
    strides[2] = d->C;
    strides[3] = 1;
}

static void scores_view(size_t strides[4], const dims *d, int transposed) {
    strides[0] = d->H * d->T * d->T;
    strides[1] = d->T * d->T;
    strides[2] = transposed ? 1 : d->T;
    strides[3] = transposed ? d->T : 1;
}

static zs_mm_problem batched(const dims *d, size_t M, size_t K, size_t N, float alpha) {
    zs_mm_problem p = {.batch = {d->B, d->H}, .M = M, .K = K, .N = N, .alpha = alpha};
    return p;
}

/* e^x for x <= 0, to within 2 ulp (Cephes' expf: x = n·ln2 + r, a degree-6 polynomial for e^r,
 * 2^n through the exponent bits), branch-free so that the row loops vectorise. Below -87 it
 * returns e^-87 ≈ 1.6e-38 rather than a subnormal. */
static inline float exp_neg(float x) {
    x = x < -87.0f ? -87.0f : x;
    const float n = nearbyintf(x * 1.44269504088896341f);
    const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float e = p * r * r + r + 1.0f;
    const int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return e * scale;
}

/* Row t of scaled scores s (T values) to causal softmax probabilities, zero after t. */
static void softmax_row(float *s, size_t t, size_t T) {
    float max = s[0];
    for (size_t u = 1; u <= t; u++) max = s[u] > max ? s[u] : max;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t u = 0; u <= t; u++) {
        s[u] = exp_neg(s[u] - max);
        sum += s[u];
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (size_t u = 0; u <= t; u++) s[u] *= inv;
    memset(s + t + 1, 0, (T - t - 1) * sizeof *s);
}

/* Row t of dP (in place) to dS = P ⊙ (dP - Σ P ⊙ dP) · scale, zero after t. */
static void softmax_backward_row(float *dp, const float *p, size_t t, size_t T, float scale) {
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (size_t u = 0; u <= t; u++) dot += p[u] * dp[u];
#pragma omp simd
    for (size_t u = 0; u <= t; u++) dp[u] = p[u] * (dp[u] - dot) * scale;
    memset(dp + t + 1, 0, (T - t - 1) * sizeof *dp);
}

zs_status zs_attention_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                   const float *qkv, size_t B, size_t T, size_t C, size_t H,
                                   zs_error *err) {
    (void)scratch;
    const dims d = {B, T, C, H, C / H};
    /* S (B,H,T,T) = q·kᵀ / sqrt(hd), into saved */
    zs_mm_problem p = batched(&d, T, d.hd, T, 1.0f / sqrtf((float)d.hd));
    qkv_view(p.a_strides, &d, 0);
    qkv_view(p.b_strides, &d, 1);
    scores_view(p.c_strides, &d, 0);
    zs_status st = zs_mm_run(mm, &p, qkv, qkv + C, saved, err);
    if (st != ZS_OK) return st;
    const size_t rows = B * H * T;
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t r = 0; r < rows; r++) softmax_row(saved + r * T, r % T, T);
    /* out (B,T,C) = P·v */
    p = batched(&d, T, T, d.hd, 1.0f);
    scores_view(p.a_strides, &d, 0);
    qkv_view(p.b_strides, &d, 0);
    out_view(p.c_strides, &d);
    return zs_mm_run(mm, &p, saved, qkv + 2 * C, out, err);
}

zs_status zs_attention_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                    const float *qkv, const float *saved, size_t B, size_t T,
                                    size_t C, size_t H, zs_error *err) {
    const dims d = {B, T, C, H, C / H};
    const float scale = 1.0f / sqrtf((float)d.hd);
    /* dv = Pᵀ·dout */
    zs_mm_problem p = batched(&d, T, T, d.hd, 1.0f);
    scores_view(p.a_strides, &d, 1);
    out_view(p.b_strides, &d);
    qkv_view(p.c_strides, &d, 0);
    zs_status st = zs_mm_run(mm, &p, saved, dout, dqkv + 2 * C, err);
    if (st != ZS_OK) return st;
    /* dP = dout·vᵀ, into scratch; then dS in place */
    p = batched(&d, T, d.hd, T, 1.0f);
    out_view(p.a_strides, &d);
    qkv_view(p.b_strides, &d, 1);
    scores_view(p.c_strides, &d, 0);
    st = zs_mm_run(mm, &p, dout, qkv + 2 * C, scratch, err);
    if (st != ZS_OK) return st;
    const size_t rows = B * H * T;
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t r = 0; r < rows; r++)
        softmax_backward_row(scratch + r * T, saved + r * T, r % T, T, scale);
    /* dq = dS·k, dk = dSᵀ·q */
    p = batched(&d, T, T, d.hd, 1.0f);
    scores_view(p.a_strides, &d, 0);
    qkv_view(p.b_strides, &d, 0);
    qkv_view(p.c_strides, &d, 0);
    st = zs_mm_run(mm, &p, scratch, qkv + C, dqkv, err);
    if (st != ZS_OK) return st;
    scores_view(p.a_strides, &d, 1);
    return zs_mm_run(mm, &p, scratch, qkv, dqkv + C, err);
}
