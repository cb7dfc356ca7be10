/* nn: the float attention training uses (attention.h). The products of every (sequence,
 * head) pair run as batched oneDNN matmuls over strided views of qkv (zs_mm_run), by blocks
 * of rows that skip the masked triangle: scores S = q·kᵀ/sqrt(hd) straight into the saved
 * buffer, where the causal softmax turns them into P, then out = P·v; the backward's
 * dv = Pᵀ·dout, dP = dout·vᵀ, dq = dS·k, dk = dSᵀ·q. Softmax loops are vectorised. */
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

/* Row t of scaled scores s to causal softmax probabilities; zero from t+1 to end. */
static void softmax_row(float *s, size_t t, size_t end) {
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
    memset(s + t + 1, 0, (end - t - 1) * sizeof *s);
}

/* Row t of dP (in place) to dS = P ⊙ (dP - Σ P ⊙ dP) · scale; zero from t+1 to end. */
static void softmax_backward_row(float *dp, const float *p, size_t t, size_t end, float scale) {
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (size_t u = 0; u <= t; u++) dot += p[u] * dp[u];
#pragma omp simd
    for (size_t u = 0; u <= t; u++) dp[u] = p[u] * (dp[u] - dot) * scale;
    memset(dp + t + 1, 0, (end - t - 1) * sizeof *dp);
}

/* The rows are taken in blocks of BLOCK_ROWS positions: block i (rows i0 .. i0+R-1) attends
 * to keys 0 .. i0+R-1 only, so the products skip most of the masked upper triangle (at
 * T = 256, 10/16 of the full products remain). Score rows are written up to their block's
 * last key; entries beyond it are never read. */
#define BLOCK_ROWS 64

static size_t block_rows(size_t i0, size_t T) {
    return T - i0 < BLOCK_ROWS ? T - i0 : BLOCK_ROWS;
}

/* Row r of the (B·H·T, T) score rows: its position and its block's end. */
static void row_span(size_t r, size_t T, size_t *t, size_t *end) {
    *t = r % T;
    const size_t i0 = *t - *t % BLOCK_ROWS;
    *end = i0 + block_rows(i0, T);
}

zs_status zs_attention_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                   const float *qkv, size_t B, size_t T, size_t C, size_t H,
                                   zs_error *err) {
    (void)scratch;
    const dims d = {B, T, C, H, C / H};
    const float *q = qkv, *k = qkv + C, *v = qkv + 2 * C;
    /* S = q·kᵀ / sqrt(hd) into saved: block rows i0.., keys 0 .. i0+R-1 */
    for (size_t i0 = 0; i0 < T; i0 += BLOCK_ROWS) {
        const size_t R = block_rows(i0, T);
        zs_mm_problem p = batched(&d, R, d.hd, i0 + R, 1.0f / sqrtf((float)d.hd));
        qkv_view(p.a_strides, &d, 0);
        qkv_view(p.b_strides, &d, 1);
        scores_view(p.c_strides, &d, 0);
        zs_status st = zs_mm_run(mm, &p, q + i0 * 3 * C, k, saved + i0 * T, err);
        if (st != ZS_OK) return st;
    }
    const size_t rows = B * H * T;
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t r = 0; r < rows; r++) {
        size_t t, end;
        row_span(r, T, &t, &end);
        softmax_row(saved + r * T, t, end);
    }
    /* out = P·v: block rows i0.., summing over keys 0 .. i0+R-1 */
    for (size_t i0 = 0; i0 < T; i0 += BLOCK_ROWS) {
        const size_t R = block_rows(i0, T);
        zs_mm_problem p = batched(&d, R, i0 + R, d.hd, 1.0f);
        scores_view(p.a_strides, &d, 0);
        qkv_view(p.b_strides, &d, 0);
        out_view(p.c_strides, &d);
        zs_status st = zs_mm_run(mm, &p, saved + i0 * T, v, out + i0 * C, err);
        if (st != ZS_OK) return st;
    }
    return ZS_OK;
}

/* x (keys j0 .. j0+R-1) = Σ over positions t >= j0 of Mᵀ[key, t] · y[t], M a (B,H,T,T)
 * score matrix, y and x (B,T,·) views: the products with a transposed score matrix (dv from
 * P and dout, dk from dS and q), by blocks of keys. */
static zs_status transposed_products(zs_mm *mm, const dims *d, const float *scores, const float *y,
                                     int y_is_qkv, float *x, zs_error *err) {
    const size_t T = d->T, y_row = y_is_qkv ? 3 * d->C : d->C;
    for (size_t j0 = 0; j0 < T; j0 += BLOCK_ROWS) {
        const size_t R = block_rows(j0, T);
        zs_mm_problem p = batched(d, R, T - j0, d->hd, 1.0f);
        scores_view(p.a_strides, d, 1);
        if (y_is_qkv)
            qkv_view(p.b_strides, d, 0);
        else
            out_view(p.b_strides, d);
        qkv_view(p.c_strides, d, 0);
        zs_status st =
            zs_mm_run(mm, &p, scores + j0 * T + j0, y + j0 * y_row, x + j0 * 3 * d->C, err);
        if (st != ZS_OK) return st;
    }
    return ZS_OK;
}

zs_status zs_attention_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                    const float *qkv, const float *saved, size_t B, size_t T,
                                    size_t C, size_t H, zs_error *err) {
    const dims d = {B, T, C, H, C / H};
    const float scale = 1.0f / sqrtf((float)d.hd);
    const float *q = qkv, *k = qkv + C, *v = qkv + 2 * C;
    /* dv = Pᵀ·dout */
    zs_status st = transposed_products(mm, &d, saved, dout, 0, dqkv + 2 * C, err);
    if (st != ZS_OK) return st;
    /* dP = dout·vᵀ into scratch, by blocks as S; then dS in place */
    for (size_t i0 = 0; i0 < T; i0 += BLOCK_ROWS) {
        const size_t R = block_rows(i0, T);
        zs_mm_problem p = batched(&d, R, d.hd, i0 + R, 1.0f);
        out_view(p.a_strides, &d);
        qkv_view(p.b_strides, &d, 1);
        scores_view(p.c_strides, &d, 0);
        st = zs_mm_run(mm, &p, dout + i0 * C, v, scratch + i0 * T, err);
        if (st != ZS_OK) return st;
    }
    const size_t rows = B * H * T;
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t r = 0; r < rows; r++) {
        size_t t, end;
        row_span(r, T, &t, &end);
        softmax_backward_row(scratch + r * T, saved + r * T, t, end, scale);
    }
    /* dq = dS·k, by blocks as P·v */
    for (size_t i0 = 0; i0 < T; i0 += BLOCK_ROWS) {
        const size_t R = block_rows(i0, T);
        zs_mm_problem p = batched(&d, R, i0 + R, d.hd, 1.0f);
        scores_view(p.a_strides, &d, 0);
        qkv_view(p.b_strides, &d, 0);
        qkv_view(p.c_strides, &d, 0);
        st = zs_mm_run(mm, &p, scratch + i0 * T, k, dqkv + i0 * 3 * C, err);
        if (st != ZS_OK) return st;
    }
    /* dk = dSᵀ·q */
    return transposed_products(mm, &d, scratch, q, 1, dqkv + C, err);
}
