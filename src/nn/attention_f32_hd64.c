/* nn: causal attention in fp32 for heads of 64 values, on CPUs with AVX-512 (attention.h).
 * The oneDNN path (attention_f32.c) runs the six T×T products as batched matmuls by blocks of
 * 64 rows, at 80–130 GFLOP/s, with passes over (B, H, T, T) arrays far bigger than any cache
 * in between. Here one (sequence, head) pair at a time is computed with its operands in L1/L2,
 * every product by one register-blocked kernel (ROWS output rows × COLS output columns, 16
 * vector accumulators, one broadcast operand and one FMA per accumulator and summed index), and
 * the causal mask skips every block of 32 keys a block of 8 query rows cannot see.
 *
 * The products (q, k, v read in place from qkv, rows 3C apart; dout rows C apart):
 *   S = q·kᵀ/sqrt(hd) into P's saved rows (kᵀ copied once per pair), then P in place;
 *   out = P·v;  dP = dout·vᵀ (vᵀ copied) into dS's rows, then dS in place (P is read back from
 *   saved, not recomputed);
 *   dq = dS·k;  dv = Pᵀ·dout and dk = dSᵀ·q, P and dS read by columns.
 * saved holds P (B, H, T, T) as in the oneDNN path: row t up to its block's last key seen,
 * zero past the diagonal.
 *
 * Arithmetic: fp32 throughout; the order of the sums differs from the oneDNN path (each output
 * sums its products in index order in one accumulator) and the exponential fuses its
 * multiply-adds (zs_fast_exp16). Each pair is computed by one thread in one order: the bytes do
 * not depend on the thread count. */
#include "nn/attention.h"
#include "nn/fast_exp.h"
#include "nn/simd16.h"

#include <math.h>
#include <string.h>

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

#define HD 64
/* The product kernel's block: ROWS output rows × COLS output columns (16 accumulators). */
#define ROWS 8
#define COLS 32

int zs_attention_f32_hd64_fits(size_t T, size_t hd) {
    return hd == HD && T % COLS == 0 && T >= 128;
}

/* c[r·ldc + col] = alpha · Σ_{p < np} a[r·lda + p·lpa] · b[p·ldb + col], for r < ROWS and
 * col < COLS, each output summing its products in order p = 0, 1, …  (A is read by rows,
 * lpa 1, or by columns, lda 1.) */
static inline __attribute__((always_inline)) void product_block(float *c, size_t ldc, float alpha,
                                                                const float *a, size_t lda,
                                                                size_t lpa, const float *b,
                                                                size_t ldb, size_t np) {
    __m512 acc[ROWS][2];
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t p = 0; p < np; p++) {
        const __m512 b0 = _mm512_loadu_ps(b + p * ldb);
        const __m512 b1 = _mm512_loadu_ps(b + p * ldb + 16);
        const float *ap = a + p * lpa;
#pragma GCC unroll 8
        for (int r = 0; r < ROWS; r++) {
            const __m512 x = _mm512_set1_ps(ap[r * lda]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    const __m512 s = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) {
        _mm512_storeu_ps(c + r * ldc, _mm512_mul_ps(acc[r][0], s));
        _mm512_storeu_ps(c + r * ldc + 16, _mm512_mul_ps(acc[r][1], s));
    }
}

/* A by rows (lpa 1). */
static void rows_product(float *c, size_t ldc, float alpha, const float *a, size_t lda,
                         const float *b, size_t ldb, size_t np) {
    product_block(c, ldc, alpha, a, lda, 1, b, ldb, np);
}

/* A by columns (lda 1): a[p·lpa + r]. */
static void columns_product(float *c, size_t ldc, const float *a, size_t lpa, const float *b,
                            size_t ldb, size_t np) {
    product_block(c, ldc, 1.0f, a, 1, lpa, b, ldb, np);
}

/* dst (HD, T) = the T rows of HD floats of x (rows ld apart) as columns, by 16×16 blocks
 * transposed in registers. */
static void transposed(float *dst, const float *x, size_t T, size_t ld) {
    for (size_t t = 0; t < T; t += 16)
        for (size_t j = 0; j < HD; j += 16) {
            __m512i r[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_si512(x + (t + i) * ld + j);
            zs_transpose16(r);
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) _mm512_storeu_si512(dst + (j + i) * T + t, r[i]);
        }
}

/* Keys a block of ROWS rows from i0 sees, rounded up to whole COLS blocks. */
static size_t keys_seen(size_t i0) {
    return (i0 + ROWS + COLS - 1) / COLS * COLS;
}

static inline __m512 set1(float x) {
    return _mm512_set1_ps(x);
}

/* A row's n scaled scores (end ≥ zs_padded16(n) of them computed) to P in place, zero from n
 * to end. */
static void softmax_row(float *s, size_t n, size_t end) {
    const size_t n16 = zs_padded16(n);
    __m512 mx = set1(-INFINITY);
    for (size_t u = 0; u < n16; u += 16)
        mx = _mm512_mask_max_ps(mx, zs_first16(n - u), mx, _mm512_loadu_ps(s + u));
    const __m512 m = set1(_mm512_reduce_max_ps(mx));
    __m512 sum = _mm512_setzero_ps();
    for (size_t u = 0; u < n16; u += 16) {
        const __m512 e = _mm512_maskz_mov_ps(
            zs_first16(n - u), zs_fast_exp16(_mm512_sub_ps(_mm512_loadu_ps(s + u), m)));
        _mm512_storeu_ps(s + u, e);
        sum = _mm512_add_ps(sum, e);
    }
    const __m512 inv = set1(1.0f / _mm512_reduce_add_ps(sum));
    for (size_t u = 0; u < n16; u += 16)
        _mm512_storeu_ps(s + u, _mm512_mul_ps(_mm512_loadu_ps(s + u), inv));
    memset(s + n16, 0, (end - n16) * sizeof *s);
}

/* A row's dP (n entries of P's row p) to dS = P ⊙ (dP - Σ P·dP) · scale in place, zero from n
 * to end. P is zero from n on. */
static void softmax_backward_row(float *dp, const float *p, size_t n, size_t end, float scale) {
    const size_t n16 = zs_padded16(n);
    __m512 acc = _mm512_setzero_ps();
    for (size_t u = 0; u < n16; u += 16)
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(p + u), _mm512_loadu_ps(dp + u), acc);
    const __m512 dot = set1(_mm512_reduce_add_ps(acc));
    for (size_t u = 0; u < n16; u += 16) {
        const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(dp + u), dot);
        _mm512_storeu_ps(dp + u,
                         _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(p + u), d), set1(scale)));
    }
    memset(dp + n16, 0, (end - n16) * sizeof *dp);
}

/* A block of ROWS rows × COLS values into dst (rows ld apart). */
static void store_block(float *dst, size_t ld, const float *block) {
    for (size_t r = 0; r < ROWS; r++) memcpy(dst + r * ld, block + r * COLS, COLS * sizeof *dst);
}

/* Forward of one pair: out (rows C apart), p (its T×T of saved), kt (HD·T floats of work),
 * qkv (rows 3C apart). */
static void pair_forward(float *out, float *p, float *kt, const float *qkv, size_t T, size_t C) {
    const size_t ld = 3 * C;
    const float scale = 1.0f / sqrtf((float)HD);
    transposed(kt, qkv + C, T, ld);
    for (size_t i0 = 0; i0 < T; i0 += ROWS) {
        const size_t end = keys_seen(i0);
        float *s = p + i0 * T;
        for (size_t u0 = 0; u0 < end; u0 += COLS)
            rows_product(s + u0, T, scale, qkv + i0 * ld, ld, kt + u0, T, HD);
        for (size_t r = 0; r < ROWS; r++) softmax_row(s + r * T, i0 + r + 1, end);
        for (size_t c0 = 0; c0 < HD; c0 += COLS) {
            float block[ROWS * COLS];
            rows_product(block, COLS, 1.0f, s, T, qkv + 2 * C + c0, ld, i0 + ROWS);
            store_block(out + i0 * C + c0, C, block);
        }
    }
}

void zs_attention_f32_hd64_forward(float *out, float *saved, float *work, const float *qkv,
                                   size_t B, size_t T, size_t C, size_t H, int threads) {
    const size_t pairs = B * H;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t pair = 0; pair < pairs; pair++)
        pair_forward(out + zs_attention_out_offset(pair, T, C, H, HD), saved + pair * T * T,
                     zs_attention_thread_share(work, T * T),
                     qkv + zs_attention_qkv_offset(pair, T, C, H, HD), T, C);
}

/* Backward of one pair: dqkv and qkv at the pair's q columns (rows 3C apart), dout (rows C
 * apart), p (its T×T of saved), ds (T×T of work), vt (HD·T floats). */
static void pair_backward(float *dqkv, float *ds, float *vt, const float *dout, const float *qkv,
                          const float *p, size_t T, size_t C) {
    const size_t ld = 3 * C;
    const float scale = 1.0f / sqrtf((float)HD);
    transposed(vt, qkv + 2 * C, T, ld);
    float block[ROWS * COLS];
    for (size_t i0 = 0; i0 < T; i0 += ROWS) {
        const size_t end = keys_seen(i0);
        float *d = ds + i0 * T;
        for (size_t u0 = 0; u0 < end; u0 += COLS)
            rows_product(d + u0, T, 1.0f, dout + i0 * C, C, vt + u0, T, HD);
        for (size_t r = 0; r < ROWS; r++)
            softmax_backward_row(d + r * T, p + (i0 + r) * T, i0 + r + 1, end, scale);
        for (size_t c0 = 0; c0 < HD; c0 += COLS) {
            rows_product(block, COLS, 1.0f, d, T, qkv + C + c0, ld, i0 + ROWS);
            store_block(dqkv + i0 * ld + c0, ld, block);
        }
    }
    /* dv = Pᵀ·dout and dk = dSᵀ·q by blocks of ROWS keys: keys u0 .. take positions u0 on */
    for (size_t u0 = 0; u0 < T; u0 += ROWS)
        for (size_t c0 = 0; c0 < HD; c0 += COLS) {
            columns_product(block, COLS, p + u0 * T + u0, T, dout + u0 * C + c0, C, T - u0);
            store_block(dqkv + 2 * C + u0 * ld + c0, ld, block);
            columns_product(block, COLS, ds + u0 * T + u0, T, qkv + u0 * ld + c0, ld, T - u0);
            store_block(dqkv + C + u0 * ld + c0, ld, block);
        }
}

void zs_attention_f32_hd64_backward(float *dqkv, float *work, float *work2, const float *dout,
                                    const float *qkv, const float *saved, size_t B, size_t T,
                                    size_t C, size_t H, int threads) {
    const size_t pairs = B * H;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t pair = 0; pair < pairs; pair++) {
        const size_t q = zs_attention_qkv_offset(pair, T, C, H, HD);
        pair_backward(dqkv + q, zs_attention_thread_share(work, T * T),
                      zs_attention_thread_share(work2, T * T / 2),
                      dout + zs_attention_out_offset(pair, T, C, H, HD), qkv + q,
                      saved + pair * T * T, T, C);
    }
}

#else /* no AVX-512: the oneDNN path takes every problem */

int zs_attention_f32_hd64_fits(size_t T, size_t hd) {
    (void)T;
    (void)hd;
    return 0;
}

void zs_attention_f32_hd64_forward(float *out, float *saved, float *work, const float *qkv,
                                   size_t B, size_t T, size_t C, size_t H, int threads) {
    (void)out, (void)saved, (void)work, (void)qkv, (void)B, (void)T, (void)C, (void)H;
    (void)threads;
}

void zs_attention_f32_hd64_backward(float *dqkv, float *work, float *work2, const float *dout,
                                    const float *qkv, const float *saved, size_t B, size_t T,
                                    size_t C, size_t H, int threads) {
    (void)dqkv, (void)work, (void)work2, (void)dout, (void)qkv, (void)saved;
    (void)B, (void)T, (void)C, (void)H, (void)threads;
}

#endif
