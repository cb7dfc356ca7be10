/* nn: the float attention training uses (attention.h), and the choice of kernel: small heads
 * (hd <= 32) take the fused kernel (attention_fused.c); heads of 64 the fp32 kernel on AVX-512
 * (attention_f32_hd64.c) or, in bf16, the bf16 kernel on AVX512-BF16 (attention_bf16.c); every
 * other shape this file's general path. There the products of every (sequence,
 * head) pair run as batched oneDNN matmuls over strided views of qkv (zs_mm_run), by blocks
 * of rows that skip the masked triangle: scores S = q·kᵀ/sqrt(hd) straight into the saved
 * buffer, where the causal softmax turns them into P, then out = P·v; the backward's
 * dP = dout·vᵀ, dv = Pᵀ·dout, dq = dS·k, dk = dSᵀ·q. Softmax loops are vectorised. In bf16
 * the products take bf16 operands (qkv, dout, P and dS rounded into the scratch buffer, as
 * PyTorch's autocast does); P, the softmax and every sum stay fp32. Roundings are fused into
 * the softmax passes (P's in the forward's normalisation and again in the backward's row
 * pass, dS's there too), so no pass over the T×T scores only rounds. */
#include "nn/attention.h"
#include "nn/fast_exp.h"

#include <math.h>
#include <string.h>

/* Scratch regions, each rounded up to 64 bytes: dP (B,H,T,T) floats (in bf16, dS overwrites the
 * first half of each of its rows); then, for bf16, P (B,H,T,T), qkv (B,T,3C) and dout (B,T,C)
 * as bf16. */
#define ALIGN_FLOATS 16

static size_t region(size_t floats) {
    return (floats + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

size_t zs_attention_saved_numel(size_t B, size_t T, size_t C, size_t H) {
    (void)C;
    return B * H * T * T;
}

size_t zs_attention_scratch_numel(size_t B, size_t T, size_t C, size_t H) {
    const size_t scores = B * H * T * T;
    return region(scores) + region((scores + 1) / 2) + region((B * T * 3 * C + 1) / 2) +
           region((B * T * C + 1) / 2);
}

typedef struct {
    float *dp;                      /* (B,H,T,T) */
    uint16_t *p16, *qkv16, *dout16; /* bf16 only */
} scratch_regions;

static scratch_regions carve(float *scratch, size_t B, size_t T, size_t C, size_t H) {
    const size_t scores = B * H * T * T;
    scratch_regions r;
    r.dp = scratch;
    float *next = scratch + region(scores);
    r.p16 = (uint16_t *)next;
    next += region((scores + 1) / 2);
    r.qkv16 = (uint16_t *)next;
    next += region((B * T * 3 * C + 1) / 2);
    r.dout16 = (uint16_t *)next;
    return r;
}

/* The strides of the views into (B, T, 3C) qkv (q at column 0, k at C, v at 2C), into
 * (B, T, C) out / dout, and into (B, H, T, T) score matrices; transposed swaps the last two. */
typedef struct {
    size_t B, T, C, H, hd;
    int bf16; /* the operands (not the outputs) are bf16 */
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

/* lead: the distance between a score matrix's rows, in elements (T, or 2T for bf16 dS kept
 * in the first half of dP's float rows). */
static void scores_view(size_t strides[4], const dims *d, int transposed, size_t lead) {
    strides[0] = d->H * d->T * lead;
    strides[1] = d->T * lead;
    strides[2] = transposed ? 1 : lead;
    strides[3] = transposed ? lead : 1;
}

static zs_mm_problem batched(const dims *d, size_t M, size_t K, size_t N, float alpha) {
    zs_mm_problem p = {.batch = {d->B, d->H},
                       .M = M,
                       .K = K,
                       .N = N,
                       .a_bf16 = d->bf16,
                       .b_bf16 = d->bf16,
                       .alpha = alpha};
    return p;
}

/* Element `offset` of an operand buffer: float, or bf16 when d->bf16. */
static const void *at(const dims *d, const void *base, size_t offset) {
    return (const char *)base + offset * (d->bf16 ? sizeof(uint16_t) : sizeof(float));
}

/* Row t of scaled scores s to causal softmax probabilities, zero from t+1 to end; also
 * rounded into s16 (to end) when s16 is not NULL. The maximum is order-free, so its
 * vectorised reduction gives the same bits as a scalar loop. */
static void softmax_row(float *s, uint16_t *s16, size_t t, size_t end) {
    float max = s[0];
#pragma omp simd reduction(max : max)
    for (size_t u = 1; u <= t; u++) max = s[u] > max ? s[u] : max;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t u = 0; u <= t; u++) {
        s[u] = zs_fast_expf(s[u] - max);
        sum += s[u];
    }
    const float inv = 1.0f / sum;
    memset(s + t + 1, 0, (end - t - 1) * sizeof *s);
    if (!s16) {
#pragma omp simd
        for (size_t u = 0; u <= t; u++) s[u] *= inv;
        return;
    }
#pragma omp simd
    for (size_t u = 0; u <= t; u++) {
        const float v = s[u] * inv;
        s[u] = v;
        s16[u] = zs_bf16_round(v);
    }
    memset(s16 + t + 1, 0, (end - t - 1) * sizeof *s16);
}

/* Row t of dP to dS = P ⊙ (dP - Σ P ⊙ dP) · scale, zero from t+1 to end, in place. */
static void softmax_backward_row(float *dp, const float *p, size_t t, size_t end, float scale) {
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (size_t u = 0; u <= t; u++) dot += p[u] * dp[u];
#pragma omp simd
    for (size_t u = 0; u <= t; u++) dp[u] = p[u] * (dp[u] - dot) * scale;
    memset(dp + t + 1, 0, (end - t - 1) * sizeof *dp);
}

/* The same for bf16 products, in one pass: P's row rounded into p16 (to end; P is zero past
 * t), and dS rounded into the first half of dP's own row (dP is read in chunks into a local
 * buffer before its bytes are overwritten: element u's bf16 lands on bytes that hold dP's
 * elements below u, already read). Bytes as rounding P and dS in separate passes. */
#define DS_CHUNK 64
static void softmax_backward_row_bf16(float *dp, uint16_t *p16, const float *p, size_t t,
                                      size_t end, float scale) {
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (size_t u = 0; u <= t; u++) dot += p[u] * dp[u];
#pragma omp simd
    for (size_t u = 0; u < end; u++) p16[u] = zs_bf16_round(p[u]);
    unsigned char *ds16 = (unsigned char *)dp;
    for (size_t u0 = 0; u0 < end; u0 += DS_CHUNK) {
        const size_t n = end - u0 < DS_CHUNK ? end - u0 : DS_CHUNK;
        const size_t live = u0 > t ? 0 : (t + 1 - u0 < n ? t + 1 - u0 : n);
        uint16_t chunk[DS_CHUNK];
#pragma omp simd
        for (size_t i = 0; i < live; i++)
            chunk[i] = zs_bf16_round(p[u0 + i] * (dp[u0 + i] - dot) * scale);
        for (size_t i = live; i < n; i++) chunk[i] = 0;
        memcpy(ds16 + u0 * sizeof(uint16_t), chunk, n * sizeof(uint16_t));
    }
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

/* c (B,H,T,T) rows by blocks = alpha · x (B,T,·) · yᵀ (keys 0 .. block end): S from q and k,
 * dP from dout and v. x_is_qkv picks x's view; y is a qkv part. */
static zs_status score_products(zs_mm *mm, const dims *d, const void *x, int x_is_qkv,
                                const void *y, float alpha, float *c, zs_error *err) {
    const size_t T = d->T, x_row = x_is_qkv ? 3 * d->C : d->C;
    for (size_t i0 = 0; i0 < T; i0 += BLOCK_ROWS) {
        const size_t R = block_rows(i0, T);
        zs_mm_problem p = batched(d, R, d->hd, i0 + R, alpha);
        if (x_is_qkv)
            qkv_view(p.a_strides, d, 0);
        else
            out_view(p.a_strides, d);
        qkv_view(p.b_strides, d, 1);
        scores_view(p.c_strides, d, 0, T);
        zs_status st = zs_mm_run(mm, &p, at(d, x, i0 * x_row), y, c + i0 * T, err);
        if (st != ZS_OK) return st;
    }
    return ZS_OK;
}

/* x (B,T,·) rows by blocks = M (B,H,T,T, keys 0 .. block end) · y (a qkv part): out from P
 * and v (x_is_qkv 0), dq from dS and k (x_is_qkv 1). */
static zs_status row_products(zs_mm *mm, const dims *d, const void *scores, size_t lead,
                              const void *y, float *x, int x_is_qkv, zs_error *err) {
    const size_t T = d->T, x_row = x_is_qkv ? 3 * d->C : d->C;
    for (size_t i0 = 0; i0 < T; i0 += BLOCK_ROWS) {
        const size_t R = block_rows(i0, T);
        zs_mm_problem p = batched(d, R, i0 + R, d->hd, 1.0f);
        scores_view(p.a_strides, d, 0, lead);
        qkv_view(p.b_strides, d, 0);
        if (x_is_qkv)
            qkv_view(p.c_strides, d, 0);
        else
            out_view(p.c_strides, d);
        zs_status st = zs_mm_run(mm, &p, at(d, scores, i0 * lead), y, x + i0 * x_row, err);
        if (st != ZS_OK) return st;
    }
    return ZS_OK;
}

/* x (keys j0 .. j0+R-1, a qkv part) = Σ over positions t >= j0 of Mᵀ[key, t] · y[t]: dv from
 * P and dout (y_is_qkv 0), dk from dS and q (y_is_qkv 1), by blocks of keys. */
static zs_status transposed_products(zs_mm *mm, const dims *d, const void *scores, size_t lead,
                                     const void *y, int y_is_qkv, float *x, zs_error *err) {
    const size_t T = d->T, y_row = y_is_qkv ? 3 * d->C : d->C;
    for (size_t j0 = 0; j0 < T; j0 += BLOCK_ROWS) {
        const size_t R = block_rows(j0, T);
        zs_mm_problem p = batched(d, R, T - j0, d->hd, 1.0f);
        scores_view(p.a_strides, d, 1, lead);
        if (y_is_qkv)
            qkv_view(p.b_strides, d, 0);
        else
            out_view(p.b_strides, d);
        qkv_view(p.c_strides, d, 0);
        zs_status st = zs_mm_run(mm, &p, at(d, scores, j0 * lead + j0), at(d, y, j0 * y_row),
                                 x + j0 * 3 * d->C, err);
        if (st != ZS_OK) return st;
    }
    return ZS_OK;
}

/* The bf16 kernel for heads of 64 (attention_bf16.c) in this scratch's regions: dP's for each
 * pair's T×T work, P's for the backward's T×T/2, qkv's and dout's bf16 ones for its packs. */
static void bf16_forward(zs_mm *mm, float *out, float *saved, float *scratch, const float *qkv,
                         const float *cos_sin, int rounded, size_t B, size_t T, size_t C,
                         size_t H) {
    zs_attention_bf16_forward(out, saved, carve(scratch, B, T, C, H).dp, qkv, cos_sin, rounded, B,
                              T, C, H, zs_mm_threads(mm));
}

static void bf16_backward(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                          const float *saved, const float *cos_sin, int rounded, size_t B, size_t T,
                          size_t C, size_t H) {
    const scratch_regions s = carve(scratch, B, T, C, H);
    zs_attention_bf16_backward(dqkv, s.dp, (float *)s.p16, (float *)s.qkv16, (float *)s.dout16,
                               dout, saved, cos_sin, rounded, B, T, C, H, zs_mm_threads(mm));
}

zs_status zs_attention_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                   const float *qkv, size_t B, size_t T, size_t C, size_t H,
                                   zs_error *err) {
    if (zs_attention_fused_fits(T, C / H)) {
        zs_attention_fused_forward_f32(mm, out, saved, scratch, qkv, B, T, C, H);
        return ZS_OK;
    }
    const dims d = {B, T, C, H, C / H, zs_mm_precision(mm) == ZS_PRECISION_BF16};
    const scratch_regions s = carve(scratch, B, T, C, H);
    const void *ops = qkv;
    if (!d.bf16 && zs_attention_f32_hd64_fits(T, d.hd)) {
        zs_attention_f32_hd64_forward(out, saved, s.dp, qkv, B, T, C, H, zs_mm_threads(mm));
        return ZS_OK;
    }
    if (d.bf16) {
        if (zs_attention_bf16_fits(T, d.hd)) {
            bf16_forward(mm, out, saved, scratch, qkv, NULL, 0, B, T, C, H);
            return ZS_OK;
        }
        zs_mm_to_bf16(mm, s.qkv16, qkv, B * T * 3 * C);
        ops = s.qkv16;
    }
    /* S = q·kᵀ / sqrt(hd) into saved, then P in place (and rounded when bf16) */
    zs_status st =
        score_products(mm, &d, ops, 1, at(&d, ops, C), 1.0f / sqrtf((float)d.hd), saved, err);
    if (st != ZS_OK) return st;
    const size_t rows = B * H * T;
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t r = 0; r < rows; r++) {
        size_t t, end;
        row_span(r, T, &t, &end);
        softmax_row(saved + r * T, d.bf16 ? s.p16 + r * T : NULL, t, end);
    }
    /* out = P·v */
    return row_products(mm, &d, d.bf16 ? (const void *)s.p16 : saved, T, at(&d, ops, 2 * C), out, 0,
                        err);
}

zs_status zs_attention_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                    const float *qkv, const float *saved, size_t B, size_t T,
                                    size_t C, size_t H, zs_error *err) {
    if (zs_attention_fused_fits(T, C / H)) {
        zs_attention_fused_backward_f32(mm, dqkv, scratch, dout, qkv, saved, B, T, C, H);
        return ZS_OK;
    }
    const dims d = {B, T, C, H, C / H, zs_mm_precision(mm) == ZS_PRECISION_BF16};
    const float scale = 1.0f / sqrtf((float)d.hd);
    const scratch_regions s = carve(scratch, B, T, C, H);
    const size_t rows = B * H * T;
    const void *ops = qkv, *dops = dout;
    if (d.bf16 && zs_attention_bf16_fits(T, d.hd)) {
        bf16_backward(mm, dqkv, scratch, dout, saved, NULL, 0, B, T, C, H);
        return ZS_OK;
    }
    if (!d.bf16 && zs_attention_f32_hd64_fits(T, d.hd)) {
        zs_attention_f32_hd64_backward(dqkv, s.dp, (float *)s.p16, dout, qkv, saved, B, T, C, H,
                                       zs_mm_threads(mm));
        return ZS_OK;
    }
    if (d.bf16) {
        zs_mm_to_bf16(mm, s.qkv16, qkv, B * T * 3 * C);
        zs_mm_to_bf16(mm, s.dout16, dout, B * T * C);
        ops = s.qkv16;
        dops = s.dout16;
    }
    /* dP = dout·vᵀ into scratch; then dS: in place, or (bf16) rounded into the first half of
     * dP's rows, with P rounded for dv in the same pass */
    zs_status st = score_products(mm, &d, dops, 0, at(&d, ops, 2 * C), 1.0f, s.dp, err);
    if (st != ZS_OK) return st;
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t r = 0; r < rows; r++) {
        size_t t, end;
        row_span(r, T, &t, &end);
        if (d.bf16)
            softmax_backward_row_bf16(s.dp + r * T, s.p16 + r * T, saved + r * T, t, end, scale);
        else
            softmax_backward_row(s.dp + r * T, saved + r * T, t, end, scale);
    }
    /* dv = Pᵀ·dout */
    const void *p = d.bf16 ? (const void *)s.p16 : saved;
    st = transposed_products(mm, &d, p, T, dops, 0, dqkv + 2 * C, err);
    if (st != ZS_OK) return st;
    /* dq = dS·k, dk = dSᵀ·q */
    const size_t lead = d.bf16 ? 2 * T : T;
    st = row_products(mm, &d, s.dp, lead, at(&d, ops, C), dqkv, 1, err);
    if (st != ZS_OK) return st;
    return transposed_products(mm, &d, s.dp, lead, ops, 1, dqkv + C, err);
}

int zs_attention_rope_fused(const zs_mm *mm, size_t T, size_t C, size_t H) {
    return zs_attention_fused_rope_fits(T, C / H) ||
           (zs_mm_precision(mm) == ZS_PRECISION_BF16 && zs_attention_bf16_fits(T, C / H));
}

void zs_attention_rope_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                   const float *qkv, const float *cos_sin, size_t B, size_t T,
                                   size_t C, size_t H) {
    if (zs_attention_fused_rope_fits(T, C / H))
        zs_attention_fused_rope_forward_f32(mm, out, saved, scratch, qkv, cos_sin, B, T, C, H);
    else
        bf16_forward(mm, out, saved, scratch, qkv, cos_sin, 1, B, T, C, H);
}

void zs_attention_rope_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                    const float *qkv, const float *saved, const float *cos_sin,
                                    size_t B, size_t T, size_t C, size_t H) {
    if (zs_attention_fused_rope_fits(T, C / H))
        zs_attention_fused_rope_backward_f32(mm, dqkv, scratch, dout, qkv, saved, cos_sin, B, T, C,
                                             H);
    else
        bf16_backward(mm, dqkv, scratch, dout, saved, cos_sin, 1, B, T, C, H);
}
