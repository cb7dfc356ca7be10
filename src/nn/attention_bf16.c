/* nn: causal attention in bf16 for heads of 64 values, on CPUs with AVX512-BF16 (attention.h).
 * The oneDNN path (attention_f32.c) runs the six T×T products as batched matmuls that oneDNN
 * 2.6 gives its slower `gemm:jit` kernels (100–260 GFLOP/s against 400 for the linear layers)
 * and passes over (B, H, T, T) arrays far bigger than any cache; at d_model 128 and 256 that is
 * a third or more of a bf16 step. Here one (sequence, head) pair at a time is computed with its
 * operands in L1/L2, the products by one register-blocked kernel on `vdpbf16ps` (16 lanes, each
 * adding the products of one pair of bf16 values per instruction), and the causal mask skips
 * every block of 32 keys a block of 8 query rows cannot see.
 *
 * `vdpbf16ps` multiplies pairs of consecutive bf16 values of its two operands, so every product
 * C = A·B takes A with the summed index paired (A read by rows whose summed index is
 * contiguous, or by columns of a pair-packed array) and B "pair-packed": row i of the packed B
 * holds, for each output column, the 32-bit pair (B[2i][col], B[2i+1][col]). The products:
 *   S = q·kᵀ:    A = q's rows;           B = kᵀ packed (k's rows as pairs, transposed)
 *   out = P·v:   A = P's rows (bf16);    B = v packed over keys
 *   dP = dout·vᵀ: A = dout's rows;       B = vᵀ packed (v's rows as pairs, transposed)
 *   dq = dS·k:   A = dS's rows (bf16);   B = k packed over keys
 *   dv = Pᵀ·dout: A = P packed over positions, read by columns; B = dout packed over positions
 *   dk = dSᵀ·q:  A = dS packed over positions, read by columns; B = q packed over positions
 * RoPE, when asked, rotates q and k as they are rounded and dq, dk as they are stored.
 *
 * Arithmetic: the oneDNN path's roundings (q, k, v, dout, P for the products, dS) and fp32
 * everywhere else; each `vdpbf16ps` adds two products at once (as oneDNN's own bf16 kernels
 * do); the order of the sums differs, and the exponential fuses its multiply-adds (exp16).
 * Each pair is computed by one thread in one order: the bytes do not depend on the thread
 * count. */
#include "nn/attention.h"
#include "nn/fast_exp.h"
#include "nn/simd16.h"

#include <math.h>
#include <string.h>

#if defined(__AVX512BF16__)
#include <immintrin.h>

/* Head values, and their pairs. */
#define HD 64
#define HP (HD / 2)
/* The product kernel's block: ROWS output rows × COLS output columns (16 accumulators). */
#define ROWS 8
#define COLS 32

/* Two bf16 values in 32 bits (the lower one first), read from uint16_t storage. */
typedef uint32_t __attribute__((may_alias)) pair_t;

int zs_attention_bf16_fits(size_t T, size_t hd) {
    return hd == HD && T % COLS == 0 && T >= 192;
}

/* c[r·ldc + col] = alpha · Σ_{p < np} pairs a[r·lda + p·lpa] · pair-packed b[p·ldb + col],
 * for r < ROWS and col < COLS; each of the two vectors of a row sums its pairs in order p = 0,
 * 1, … (A is read by rows, lpa 1, or by columns, lda 1.) */
static inline __attribute__((always_inline)) void product_block(float *c, size_t ldc, float alpha,
                                                                const pair_t *a, size_t lda,
                                                                size_t lpa, const pair_t *b,
                                                                size_t ldb, size_t np) {
    __m512 acc[ROWS][2];
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t p = 0; p < np; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * ldb);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + p * ldb + 16);
        const pair_t *ap = a + p * lpa;
#pragma GCC unroll 8
        for (int r = 0; r < ROWS; r++) {
            const __m512bh x = (__m512bh)_mm512_set1_epi32((int)ap[r * lda]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], x, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], x, b1);
        }
    }
    const __m512 s = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) {
        _mm512_storeu_ps(c + r * ldc, _mm512_mul_ps(acc[r][0], s));
        _mm512_storeu_ps(c + r * ldc + 16, _mm512_mul_ps(acc[r][1], s));
    }
}

/* The same with A by rows (lpa 1). */
static void rows_product(float *c, size_t ldc, float alpha, const pair_t *a, size_t lda,
                         const pair_t *b, size_t ldb, size_t np) {
    product_block(c, ldc, alpha, a, lda, 1, b, ldb, np);
}

/* The same with A by columns (lda 1): a[p·lpa + r]. */
static void columns_product(float *c, size_t ldc, const pair_t *a, size_t lpa, const pair_t *b,
                            size_t ldb, size_t np) {
    product_block(c, ldc, 1.0f, a, 1, lpa, b, ldb, np);
}

/* T rows of HD floats (rows `ld` apart in x) rounded to bf16 into dst (T, HD). */
static void rounded_rows(uint16_t *dst, const float *x, size_t T, size_t ld) {
    for (size_t t = 0; t < T; t++) {
#pragma omp simd
        for (size_t c = 0; c < HD; c++) dst[t * HD + c] = zs_bf16_round(x[t * ld + c]);
    }
}

/* dst (HP, T) = the pairs of the T rows of x (T, HD) as columns: (x[t][2j], x[t][2j+1]) at
 * dst[j·T + t]; by 16×16 blocks transposed in registers (gathers ran several times slower). */
static void pairs_as_columns(pair_t *dst, const uint16_t *x, size_t T) {
    for (size_t t = 0; t < T; t += 16)
        for (size_t j = 0; j < HP; j += 16) {
            __m512i r[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++)
                r[i] = _mm512_loadu_si512((const pair_t *)(x + (t + i) * HD) + j);
            zs_transpose16(r);
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) _mm512_storeu_si512(dst + (j + i) * T + t, r[i]);
        }
}

static inline uint32_t two(uint16_t lo, uint16_t hi) {
    return (uint32_t)lo | (uint32_t)hi << 16;
}

/* dst (T/2, HD) = the rows of x (T, HD) packed over rows: (x[2i][c], x[2i+1][c]) at
 * dst[i·HD + c]. */
static void packed_over_rows(pair_t *dst, const uint16_t *x, size_t T) {
    for (size_t i = 0; i < T / 2; i++) {
        const uint16_t *even = x + 2 * i * HD, *odd = even + HD;
#pragma omp simd
        for (size_t c = 0; c < HD; c++) dst[i * HD + c] = two(even[c], odd[c]);
    }
}

/* Keys a block of ROWS rows from i0 sees, rounded up to whole COLS blocks. */
static size_t keys_seen(size_t i0) {
    return (i0 + ROWS + COLS - 1) / COLS * COLS;
}

/* S for rows i0 .. i0+ROWS-1, keys 0 .. end-1, scaled, into s (rows T apart). */
static void scores(float *s, const pair_t *q, const pair_t *kt, size_t T, size_t i0, size_t end) {
    const float scale = 1.0f / sqrtf((float)HD);
    for (size_t u0 = 0; u0 < end; u0 += COLS)
        rows_product(s + u0, T, scale, q + i0 * HP, HP, kt + u0, T, HP);
}

static inline __m512 set1(float x) {
    return _mm512_set1_ps(x);
}

/* 16 pairs of two rows' values (even, odd) rounded to bf16 into dst. */
static inline void round16_pairs(pair_t *dst, __m512 even, __m512 odd) {
    _mm512_storeu_si512(
        dst, _mm512_or_si512(zs_bf16_bits16(even), _mm512_slli_epi32(zs_bf16_bits16(odd), 16)));
}

/* A row's n scores s (end ≥ zs_padded16(n) of them computed) to P rounded into p16 (zero from n to
 * end), its maximum and 1/sum into *max, *inv; s keeps the exponentials. */
static void softmax_row(uint16_t *p16, float *s, size_t n, size_t end, float *max, float *inv) {
    const size_t n16 = zs_padded16(n);
    __m512 mx = set1(-INFINITY);
    for (size_t u = 0; u < n16; u += 16)
        mx = _mm512_mask_max_ps(mx, zs_first16(n - u), mx, _mm512_loadu_ps(s + u));
    const float m = _mm512_reduce_max_ps(mx);
    __m512 sum = _mm512_setzero_ps();
    for (size_t u = 0; u < n16; u += 16) {
        const __m512 e = _mm512_maskz_mov_ps(
            zs_first16(n - u), zs_fast_exp16(_mm512_sub_ps(_mm512_loadu_ps(s + u), set1(m))));
        _mm512_storeu_ps(s + u, e);
        sum = _mm512_add_ps(sum, e);
    }
    const float iv = 1.0f / _mm512_reduce_add_ps(sum);
    for (size_t u = 0; u < n16; u += 16)
        zs_bf16_store16(p16 + u, _mm512_mul_ps(_mm512_loadu_ps(s + u), set1(iv)));
    memset(p16 + n16, 0, (end - n16) * sizeof *p16);
    *max = m;
    *inv = iv;
}

/* T rows of HD floats (rows `ld` apart in x) rotated by RoPE (cos_sin: (T, HP, 2), as
 * zs_gpt_rope_table_f32 makes it) and rounded to bf16 into dst (T, HD). */
static void rotated_rows(uint16_t *dst, const float *x, size_t T, size_t ld, const float *cos_sin) {
    for (size_t t = 0; t < T; t++)
        for (size_t c = 0; c < HD; c += 16)
            zs_bf16_store16(dst + t * HD + c, zs_rope_rotate16(_mm512_loadu_ps(x + t * ld + c),
                                                               cos_sin + t * HD + c, 1.0f));
}

/* Where and how the products' results go: the float rows of a (B, T, ·) array, or (rounded)
 * the bf16 rows of the same shape in the first half of its floats; rotated back by RoPE
 * (dq, dk) when cos_sin is not NULL. */
typedef struct {
    int rounded;
    const float *cos_sin;
} results;

/* A block of ROWS rows (positions t0 ..) × COLS values (head values c0 ..) from `block` into
 * dst, element (row, value) at index row·ld + value (floats or bf16 values). */
static void store_block(void *dst, size_t ld, const float *block, size_t t0, size_t c0,
                        const results *res, int rotate) {
    for (size_t r = 0; r < ROWS; r++)
        for (size_t v = 0; v < COLS; v += 16) {
            __m512 x = _mm512_loadu_ps(block + r * COLS + v);
            if (rotate && res->cos_sin)
                x = zs_rope_rotate16(x, res->cos_sin + (t0 + r) * HD + c0 + v, -1.0f);
            zs_store16(dst, r * ld + v, x, res->rounded);
        }
}

/* What the forward keeps of a pair for the backward, in the pair's T×T share of saved: each
 * row's maximum and 1/sum, and q, k, v rounded (rotated, with RoPE), (T, HD) each: 98·T floats.
 * The backward packs them again in cache rather than have the forward write (and the backward
 * read back) their packed forms too, which cost more in memory traffic. */
typedef struct {
    float *max, *inv;
    uint16_t *q, *k, *v;
} kept;

static kept carve_kept(float *share, size_t T) {
    kept k;
    k.max = share;
    k.inv = share + T;
    k.q = (uint16_t *)(share + 2 * T);
    k.k = k.q + T * HD;
    k.v = k.k + T * HD;
    return k;
}

/* Forward of one pair: out (rows C apart), qkv (rows 3C apart), share (its T×T of saved),
 * work (76·T floats). */
static void pair_forward(void *out, float *share, float *work, const float *qkv, size_t T, size_t C,
                         const results *res) {
    const kept kp = carve_kept(share, T);
    pair_t *kt = (pair_t *)work, *vp = kt + HP * T;
    float *s = (float *)(vp + HP * T);          /* ROWS × T */
    uint16_t *p16 = (uint16_t *)(s + ROWS * T); /* ROWS × T */
    if (res->cos_sin) {
        rotated_rows(kp.q, qkv, T, 3 * C, res->cos_sin);
        rotated_rows(kp.k, qkv + C, T, 3 * C, res->cos_sin);
    } else {
        rounded_rows(kp.q, qkv, T, 3 * C);
        rounded_rows(kp.k, qkv + C, T, 3 * C);
    }
    rounded_rows(kp.v, qkv + 2 * C, T, 3 * C);
    pairs_as_columns(kt, kp.k, T);
    packed_over_rows(vp, kp.v, T);
    for (size_t i0 = 0; i0 < T; i0 += ROWS) {
        const size_t end = keys_seen(i0);
        scores(s, (const pair_t *)kp.q, kt, T, i0, end);
        for (size_t r = 0; r < ROWS; r++)
            softmax_row(p16 + r * T, s + r * T, i0 + r + 1, end, kp.max + i0 + r, kp.inv + i0 + r);
        for (size_t c0 = 0; c0 < HD; c0 += COLS) {
            float block[ROWS * COLS];
            rows_product(block, COLS, 1.0f, (const pair_t *)p16, T / 2, vp + c0, HD,
                         (i0 + ROWS) / 2);
            store_block(zs_attention_element(out, i0 * C + c0, res->rounded), C, block, i0, c0, res,
                        0);
        }
    }
}

void zs_attention_bf16_forward(float *out, float *saved, float *work, const float *qkv,
                               const float *cos_sin, int rounded, size_t B, size_t T, size_t C,
                               size_t H, int threads) {
    const size_t pairs = B * H;
    const results res = {rounded, cos_sin};
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t pair = 0; pair < pairs; pair++)
        pair_forward(
            zs_attention_element(out, zs_attention_out_offset(pair, T, C, H, HD), res.rounded),
            saved + pair * T * T, zs_attention_thread_share(work, T * T),
            qkv + zs_attention_qkv_offset(pair, T, C, H, HD), T, C, &res);
}

/* Row t (n = t+1 entries) of P from its scores in p, in place (the forward's exponentials
 * and 1/sum, bit for bit; zero from n to zs_padded16(n)), and Σ P·dP. */
static float probabilities_row(float *p, const float *dp, size_t n, float max, float inv) {
    __m512 acc = _mm512_setzero_ps();
    for (size_t u = 0; u < zs_padded16(n); u += 16) {
        const __m512 e = zs_fast_exp16(_mm512_sub_ps(_mm512_loadu_ps(p + u), set1(max)));
        const __m512 pu = _mm512_maskz_mov_ps(zs_first16(n - u), _mm512_mul_ps(e, set1(inv)));
        _mm512_storeu_ps(p + u, pu);
        acc = _mm512_fmadd_ps(pu, _mm512_loadu_ps(dp + u), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

/* dS = P ⊙ (dP - Σ P·dP) · scale for 16 entries of a row with n entries, zero past them. */
static inline __m512 ds16_of(const float *p, const float *dp, float dot, size_t n, size_t u) {
    const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(dp + u), set1(dot));
    const __m512 ds =
        _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(p + u), d), set1(1.0f / sqrtf((float)HD)));
    return _mm512_maskz_mov_ps(zs_first16(n - u), ds);
}

/* Rows i0 .. i0+ROWS-1 (scores in s, dP in dp, rows T apart): dS rounded into the rows of ds16,
 * and P and dS rounded and packed over positions into rows i0/2 .. of pp and dsp (rows T
 * apart), all zero from each row's diagonal + 1 to end. */
static void softmax_backward_rows(uint16_t *ds16, pair_t *pp, pair_t *dsp, float *s,
                                  const float *dp, const kept *kp, size_t T, size_t i0,
                                  size_t end) {
    for (size_t r = 0; r < ROWS; r += 2) {
        const size_t t = i0 + r, n16 = zs_padded16(t + 2);
        float *pe = s + r * T, *po = pe + T;
        const float *dpe = dp + r * T, *dpo = dpe + T;
        const float dote = probabilities_row(pe, dpe, t + 1, kp->max[t], kp->inv[t]);
        const float doto = probabilities_row(po, dpo, t + 2, kp->max[t + 1], kp->inv[t + 1]);
        if (zs_padded16(t + 1) < n16) /* the even row's P past its padding, for the packed pairs */
            _mm512_storeu_ps(pe + n16 - 16, _mm512_setzero_ps());
        uint16_t *dse = ds16 + r * T, *dso = dse + T;
        pair_t *ppr = pp + (t / 2) * T, *dspr = dsp + (t / 2) * T;
        for (size_t u = 0; u < n16; u += 16) {
            const __m512 de = ds16_of(pe, dpe, dote, t + 1, u),
                         dd = ds16_of(po, dpo, doto, t + 2, u);
            zs_bf16_store16(dse + u, de);
            zs_bf16_store16(dso + u, dd);
            round16_pairs(dspr + u, de, dd);
            round16_pairs(ppr + u, _mm512_loadu_ps(pe + u), _mm512_loadu_ps(po + u));
        }
        memset(dse + n16, 0, (end - n16) * sizeof *dse);
        memset(dso + n16, 0, (end - n16) * sizeof *dso);
        memset(ppr + n16, 0, (end - n16) * sizeof *ppr);
        memset(dspr + n16, 0, (end - n16) * sizeof *dspr);
    }
}

/* Backward of one pair: dq (its q columns of dqkv, rows 3C apart), dout (rows C apart), share
 * (its T×T of saved), work (T²/2 + 84·T floats), work2 (T²/2), packs (96·T), packs2 (32·T). */
static void pair_backward(void *dq, float *work, float *work2, pair_t *packs, pair_t *packs2,
                          const float *dout, const float *share, size_t T, size_t C,
                          const results *res) {
    const size_t m = T / 2;
    const kept kp = carve_kept((float *)share, T);
    pair_t *pp = (pair_t *)work;   /* P packed over positions, (T/2, T) */
    pair_t *dsp = (pair_t *)work2; /* dS packed over positions, (T/2, T) */
    uint16_t *dout16 = (uint16_t *)(pp + m * T);
    pair_t *doutp = (pair_t *)(dout16 + T * HD);
    float *s = (float *)(doutp + HP * T), *dp = s + ROWS * T; /* ROWS × T each */
    uint16_t *ds16 = (uint16_t *)(dp + ROWS * T);             /* ROWS × T */
    /* the products' packed operands, from the forward's rounded copies: packs (96·T floats: kᵀ,
     * vᵀ, k packed over keys) and packs2 (32·T: q packed over positions) */
    pair_t *kt = packs, *vt = kt + HP * T, *kpk = vt + HP * T, *qp = packs2;
    pairs_as_columns(kt, kp.k, T);
    pairs_as_columns(vt, kp.v, T);
    packed_over_rows(kpk, kp.k, T);
    packed_over_rows(qp, kp.q, T);
    rounded_rows(dout16, dout, T, C);
    packed_over_rows(doutp, dout16, T);
    float block[ROWS * COLS];
    for (size_t i0 = 0; i0 < T; i0 += ROWS) {
        const size_t end = keys_seen(i0);
        scores(s, (const pair_t *)kp.q, kt, T, i0, end);
        for (size_t u0 = 0; u0 < end; u0 += COLS)
            rows_product(dp + u0, T, 1.0f, (const pair_t *)(dout16 + i0 * HD), HP, vt + u0, T, HP);
        softmax_backward_rows(ds16, pp, dsp, s, dp, &kp, T, i0, end);
        for (size_t c0 = 0; c0 < HD; c0 += COLS) {
            rows_product(block, COLS, 1.0f, (const pair_t *)ds16, T / 2, kpk + c0, HD,
                         (i0 + ROWS) / 2);
            store_block(zs_attention_element(dq, i0 * 3 * C + c0, res->rounded), 3 * C, block, i0,
                        c0, res, 1);
        }
    }
    /* dv = Pᵀ·dout and dk = dSᵀ·q by blocks of ROWS keys: keys u0 .. take positions u0 on */
    for (size_t u0 = 0; u0 < T; u0 += ROWS) {
        const size_t from = u0 / 2;
        for (size_t c0 = 0; c0 < HD; c0 += COLS) {
            columns_product(block, COLS, pp + from * T + u0, T, doutp + from * HD + c0, HD,
                            m - from);
            store_block(zs_attention_element(dq, 2 * C + u0 * 3 * C + c0, res->rounded), 3 * C,
                        block, u0, c0, res, 0);
            columns_product(block, COLS, dsp + from * T + u0, T, qp + from * HD + c0, HD, m - from);
            store_block(zs_attention_element(dq, C + u0 * 3 * C + c0, res->rounded), 3 * C, block,
                        u0, c0, res, 1);
        }
    }
}

void zs_attention_bf16_backward(float *dqkv, float *work, float *work2, float *work3, float *work4,
                                const float *dout, const float *saved, const float *cos_sin,
                                int rounded, size_t B, size_t T, size_t C, size_t H, int threads) {
    const size_t pairs = B * H;
    const results res = {rounded, cos_sin};
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t pair = 0; pair < pairs; pair++)
        pair_backward(
            zs_attention_element(dqkv, zs_attention_qkv_offset(pair, T, C, H, HD), res.rounded),
            zs_attention_thread_share(work, T * T), zs_attention_thread_share(work2, T * T / 2),
            (pair_t *)zs_attention_thread_share(work3, 3 * T * HD / 2),
            (pair_t *)zs_attention_thread_share(work4, T * HD / 2),
            dout + zs_attention_out_offset(pair, T, C, H, HD), saved + pair * T * T, T, C, &res);
}

#else /* no AVX512-BF16: the oneDNN path takes every problem */

int zs_attention_bf16_fits(size_t T, size_t hd) {
    (void)T;
    (void)hd;
    return 0;
}

void zs_attention_bf16_forward(float *out, float *saved, float *work, const float *qkv,
                               const float *cos_sin, int rounded, size_t B, size_t T, size_t C,
                               size_t H, int threads) {
    (void)out, (void)saved, (void)work, (void)qkv, (void)cos_sin, (void)rounded, (void)B, (void)T;
    (void)C, (void)H, (void)threads;
}

void zs_attention_bf16_backward(float *dqkv, float *work, float *work2, float *work3, float *work4,
                                const float *dout, const float *saved, const float *cos_sin,
                                int rounded, size_t B, size_t T, size_t C, size_t H, int threads) {
    (void)dqkv, (void)work, (void)work2, (void)work3, (void)work4, (void)dout, (void)saved;
    (void)cos_sin, (void)rounded;
    (void)B, (void)T, (void)C, (void)H, (void)threads;
}

#endif
