/* nn: causal attention for small heads (hd <= ZS_ATTENTION_FUSED_MAX_HD), one (sequence, head)
 * pair at a time with everything of the pair in cache (attention.h). At hd 16 the oneDNN path
 * (attention_f32.c) spends most of a small model's step in batched products of depth 16 (about
 * 100 GFLOP/s) and in passes over (B, H, T, T) score arrays too big for any cache; here a
 * pair's q, k, v (and dout) are gathered into contiguous copies in its thread's share of the
 * scratch (with RoPE applied to q and k on the way, where asked: zs_attention_fused_rope_fits), and
 * each row's scores, softmax, output (forward) and dP, dS, dq and the dk, dv updates (backward) are
 * computed while the row is in L1. At hd 16 with AVX-512 (the second half of this file) eight rows
 * go together and the forward keeps only each row's maximum and 1/sum, from which the backward
 * recomputes P bit for bit; the plain-C copies (hd 32, any other hd, builds without AVX-512) keep P
 * in saved. The arithmetic is the oneDNN path's: in bf16 the same operands are rounded (q, k, v,
 * dout, P for the products, dS), products of rounded values are exact in float and every sum is
 * fp32 (with FMA where the CPU has it), only the order of the sums differs. Pairs are divided among
 * threads whole, and each is computed in one fixed order, so the bytes do not depend on the thread
 * count. */
#include "nn/attention.h"
#include "nn/fast_exp.h"
#include "nn/simd16.h"

#include <math.h>
#include <string.h>
#if defined(__AVX__) && defined(__FMA__)
#include <immintrin.h>
#endif

/* Independent partial sums for the reductions over keys (dependency chains of FMAs). */
#define CHAINS 8
/* Keys per block of a score row kept in registers while the head dimension is summed. */
#define KEYS 64

/* The kernels below are inlined into one copy per common head size (16, 32) with hd a
 * constant, so that their loops over hd become whole vectors, and one copy for any hd. */
#define KERNEL static inline __attribute__((always_inline))

int zs_attention_fused_fits(size_t T, size_t hd) {
    return hd >= 1 && hd <= ZS_ATTENTION_FUSED_MAX_HD && 7 * hd + 32 <= T;
}

/* a·b + c, fused where the CPU has FMA (the build otherwise forbids contraction). */
static inline float madd(float a, float b, float c) {
#if defined(__FMA__)
    return fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

static inline float widen(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* x rounded to bf16, as a float (the products' operands in bf16). Loops test bf16 outside,
 * so that each of their two copies vectorises without a select. */
static inline float rounded(float x) {
    return widen(zs_bf16_round(x));
}

/* n rows of hd values (rows `stride` apart in x) into dst, rows hd apart (transposed: dst
 * (hd, n), rows n apart). */
static void gather(float *dst, const float *x, size_t n, size_t stride, size_t hd, int bf16) {
    for (size_t t = 0; t < n; t++)
        if (bf16) {
#pragma omp simd
            for (size_t i = 0; i < hd; i++) dst[t * hd + i] = rounded(x[t * stride + i]);
        } else { /* a loop, not a memcpy call per row of 16 or 32 floats */
#pragma omp simd
            for (size_t i = 0; i < hd; i++) dst[t * hd + i] = x[t * stride + i];
        }
}

/* src (n, hd) into dst (hd, n). */
static void transpose(float *dst, const float *src, size_t n, size_t hd) {
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < hd; i++) dst[i * n + t] = src[t * hd + i];
}

/* The same, transposed, through tmp (n·hd floats): the rows gathered as above, then turned
 * in cache (the element-by-element loop over x itself waits on every cold row). */
static void gather_transposed(float *dst, float *tmp, const float *x, size_t n, size_t stride,
                              size_t hd, int bf16) {
    gather(tmp, x, n, stride, hd, bf16);
    transpose(dst, tmp, n, hd);
}

/* row[u] = scale · Σ_i a[i] · bt[i·T + u] for u < n: a row of A·B with B given transposed, each
 * sum in order i = 0, 1, … and then scaled, by blocks of KEYS keys. With AVX and FMA, whole blocks
 * of KEYS_IN_REGISTERS keys first, in intrinsics that keep their sums in registers over all of i
 * (GCC keeps the KEYS sums below in memory, a load and a store per multiply-add), the same
 * operations in the same order. */
#define KEYS_IN_REGISTERS 32
KERNEL void row_times_transposed(float *row, const float *a, const float *bt, size_t n, size_t T,
                                 size_t hd, float scale) {
    size_t whole = 0;
#if defined(__AVX__) && defined(__FMA__)
    for (; whole + KEYS_IN_REGISTERS <= n; whole += KEYS_IN_REGISTERS) {
        const float *b = bt + whole;
        const __m256 a0 = _mm256_set1_ps(a[0]);
        __m256 x0 = _mm256_mul_ps(a0, _mm256_loadu_ps(b)),
               x1 = _mm256_mul_ps(a0, _mm256_loadu_ps(b + 8)),
               x2 = _mm256_mul_ps(a0, _mm256_loadu_ps(b + 16)),
               x3 = _mm256_mul_ps(a0, _mm256_loadu_ps(b + 24));
#pragma GCC unroll 32
        for (size_t i = 1; i < hd; i++) {
            const __m256 ai = _mm256_set1_ps(a[i]);
            const float *bi = b + i * T;
            x0 = _mm256_fmadd_ps(ai, _mm256_loadu_ps(bi), x0);
            x1 = _mm256_fmadd_ps(ai, _mm256_loadu_ps(bi + 8), x1);
            x2 = _mm256_fmadd_ps(ai, _mm256_loadu_ps(bi + 16), x2);
            x3 = _mm256_fmadd_ps(ai, _mm256_loadu_ps(bi + 24), x3);
        }
        const __m256 sc = _mm256_set1_ps(scale);
        _mm256_storeu_ps(row + whole, _mm256_mul_ps(x0, sc));
        _mm256_storeu_ps(row + whole + 8, _mm256_mul_ps(x1, sc));
        _mm256_storeu_ps(row + whole + 16, _mm256_mul_ps(x2, sc));
        _mm256_storeu_ps(row + whole + 24, _mm256_mul_ps(x3, sc));
    }
#endif
    row += whole, bt += whole, n -= whole;
    for (size_t u0 = 0; u0 < n; u0 += KEYS) {
        const size_t m = n - u0 < KEYS ? n - u0 : KEYS;
        float acc[KEYS];
#pragma omp simd
        for (size_t l = 0; l < m; l++) acc[l] = a[0] * bt[u0 + l];
#pragma GCC unroll 32
        for (size_t i = 1; i < hd; i++) {
            const float ai = a[i];
            const float *b = bt + i * T + u0;
#pragma omp simd
            for (size_t l = 0; l < m; l++) acc[l] = madd(ai, b[l], acc[l]);
        }
#pragma omp simd
        for (size_t l = 0; l < m; l++) row[u0 + l] = acc[l] * scale;
    }
}

/* x[0 .. hd) = Σ_{u < n} w[u] · m[u·hd ..] in CHAINS interleaved partial sums added in a
 * fixed order. */
KERNEL void weighted_rows(float *x, const float *w, const float *m, size_t n, size_t hd) {
#if defined(__AVX__) && defined(__FMA__)
    /* hd 16: the same chains and order in registers, four chains (8 vectors) a pass over the
     * keys (all eight at once would take every register) */
    if (hd == 16) {
        __m256 acc[CHAINS][2];
        for (size_t c0 = 0; c0 < CHAINS; c0 += CHAINS / 2) {
            __m256 y[CHAINS / 2][2];
#pragma GCC unroll 4
            for (size_t c = 0; c < CHAINS / 2; c++) y[c][0] = y[c][1] = _mm256_setzero_ps();
            size_t u = 0;
            for (; u + CHAINS <= n; u += CHAINS)
#pragma GCC unroll 4
                for (size_t c = 0; c < CHAINS / 2; c++) {
                    const __m256 wu = _mm256_set1_ps(w[u + c0 + c]);
                    const float *mu = m + (u + c0 + c) * 16;
                    y[c][0] = _mm256_fmadd_ps(wu, _mm256_loadu_ps(mu), y[c][0]);
                    y[c][1] = _mm256_fmadd_ps(wu, _mm256_loadu_ps(mu + 8), y[c][1]);
                }
            /* the last n mod CHAINS keys: chain c takes key u + c */
            for (size_t c = 0; c < CHAINS / 2 && u + c0 + c < n; c++) {
                const __m256 wu = _mm256_set1_ps(w[u + c0 + c]);
                const float *mu = m + (u + c0 + c) * 16;
                y[c][0] = _mm256_fmadd_ps(wu, _mm256_loadu_ps(mu), y[c][0]);
                y[c][1] = _mm256_fmadd_ps(wu, _mm256_loadu_ps(mu + 8), y[c][1]);
            }
            for (size_t c = 0; c < CHAINS / 2; c++)
                acc[c0 + c][0] = y[c][0], acc[c0 + c][1] = y[c][1];
        }
        __m256 s0 = acc[0][0], s1 = acc[0][1];
        for (size_t c = 1; c < CHAINS; c++) {
            s0 = _mm256_add_ps(s0, acc[c][0]);
            s1 = _mm256_add_ps(s1, acc[c][1]);
        }
        _mm256_storeu_ps(x, s0);
        _mm256_storeu_ps(x + 8, s1);
        return;
    }
#endif
    float acc[CHAINS][ZS_ATTENTION_FUSED_MAX_HD];
    memset(acc, 0, sizeof acc);
    size_t u = 0;
    for (; u + CHAINS <= n; u += CHAINS)
#pragma GCC unroll 8
        for (size_t c = 0; c < CHAINS; c++) {
            const float wu = w[u + c];
            const float *mu = m + (u + c) * hd;
#pragma omp simd
            for (size_t i = 0; i < hd; i++) acc[c][i] = madd(wu, mu[i], acc[c][i]);
        }
    for (size_t c = 0; u < n; u++, c++) {
        const float wu = w[u];
        const float *mu = m + u * hd;
#pragma omp simd
        for (size_t i = 0; i < hd; i++) acc[c][i] = madd(wu, mu[i], acc[c][i]);
    }
    for (size_t i = 0; i < hd; i++) {
        float s = acc[0][i];
        for (size_t c = 1; c < CHAINS; c++) s += acc[c][i];
        x[i] = s;
    }
}

/* m[u·hd ..] += w[u] · x[0 .. hd) for u < n (the rank-one updates of dk and dv). */
KERNEL void add_outer(float *m, const float *w, const float *x, size_t n, size_t hd) {
    for (size_t u = 0; u < n; u++) {
        const float wu = w[u];
        float *mu = m + u * hd;
#pragma omp simd
        for (size_t i = 0; i < hd; i++) mu[i] = madd(wu, x[i], mu[i]);
    }
}

/* Exponentials s (n of them) times inv in place: the probabilities; pr gets the products'
 * operand (P rounded in bf16; not bf16, pr is s). */
KERNEL void normalise(float *s, float *pr, size_t n, float inv, int bf16) {
    if (bf16) {
#pragma omp simd
        for (size_t u = 0; u < n; u++) {
            const float p = s[u] * inv;
            s[u] = p;
            pr[u] = rounded(p);
        }
    } else {
#pragma omp simd
        for (size_t u = 0; u < n; u++) s[u] *= inv;
    }
}

/* Scores s (row t, n = t+1 entries, already scaled) to probabilities in place, pr as
 * normalise gives it (not bf16, pr is s). */
KERNEL void softmax(float *s, float *pr, size_t n, int bf16) {
    float max = s[0];
#pragma omp simd reduction(max : max)
    for (size_t u = 1; u < n; u++) max = s[u] > max ? s[u] : max;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t u = 0; u < n; u++) {
        s[u] = zs_fast_expf(s[u] - max);
        sum += s[u];
    }
    normalise(s, pr, n, 1.0f / sum, bf16);
}

typedef struct {
    size_t T, C;
    float scale;
    int bf16;
    /* hd 16 with AVX-512 only: RoPE's (T, 8, 2) cos and sin, applied to q and k as they are
     * gathered and to dq and dk (by -angle) as they are stored, or NULL (q and k come rotated);
     * and whether out (forward) and dqkv (backward) are stored rounded to bf16 (in the first half
     * of their floats) instead of as floats. */
    const float *cos_sin;
    int rounded;
} pair_dims;

/* dP (n values of a row, in ds) to dS = P ⊙ (dP - dot) · scale, and P into pr, both as the
 * products' operands (in fp32 pr may be p itself: P is its own operand). */
KERNEL void ds_and_p(float *ds, float *pr, const float *p, float dot, size_t n,
                     const pair_dims *d) {
    if (d->bf16) {
#pragma omp simd
        for (size_t u = 0; u < n; u++) {
            ds[u] = rounded(p[u] * (ds[u] - dot) * d->scale);
            pr[u] = rounded(p[u]);
        }
    } else {
#pragma omp simd
        for (size_t u = 0; u < n; u++) ds[u] = p[u] * (ds[u] - dot) * d->scale;
        if (pr != p) memcpy(pr, p, n * sizeof *pr);
    }
}

/* One pair's forward: qkv and out point at its head's first column of position 0; probs is its
 * (T, T) block of saved (row t written up to the diagonal); ws holds 3·T·hd + T floats. */
KERNEL void pair_forward(float *out, float *probs, float *ws, const float *qkv, const pair_dims *d,
                         size_t hd) {
    const size_t T = d->T, row = 3 * d->C;
    float *q = ws, *kt = q + T * hd, *v = kt + T * hd, *pr = v + T * hd;
    gather(q, qkv, T, row, hd, d->bf16);
    gather_transposed(kt, v, qkv + d->C, T, row, hd, d->bf16);
    gather(v, qkv + 2 * d->C, T, row, hd, d->bf16);
    for (size_t t = 0; t < T; t++) {
        float *s = probs + t * T;
        const size_t n = t + 1;
        row_times_transposed(s, q + t * hd, kt, n, T, hd, d->scale);
        softmax(s, d->bf16 ? pr : s, n, d->bf16);
        weighted_rows(out + t * d->C, d->bf16 ? pr : s, v, n, hd);
    }
}

/* Query rows the backward takes together for the dk and dv updates. */
#define GROUP 4

/* m[u·hd ..] += Σ_{r < GROUP} w[r][u] · x[r·ldx ..] for u < n, the rows' terms added in order r
 * = 0, 1, … (as GROUP calls of add_outer would add them, with one load and store of m's row
 * for all of them). */
KERNEL void add_outer_group(float *m, float *const w[GROUP], const float *x, size_t ldx, size_t n,
                            size_t hd) {
#if defined(__AVX__) && defined(__FMA__)
    if (hd == 16) {
        __m256 x0[GROUP], x1[GROUP];
        for (size_t r = 0; r < GROUP; r++) {
            x0[r] = _mm256_loadu_ps(x + r * ldx);
            x1[r] = _mm256_loadu_ps(x + r * ldx + 8);
        }
        for (size_t u = 0; u < n; u++) {
            float *mu = m + u * 16;
            __m256 y0 = _mm256_loadu_ps(mu), y1 = _mm256_loadu_ps(mu + 8);
#pragma GCC unroll 4
            for (size_t r = 0; r < GROUP; r++) {
                const __m256 wr = _mm256_set1_ps(w[r][u]);
                y0 = _mm256_fmadd_ps(wr, x0[r], y0);
                y1 = _mm256_fmadd_ps(wr, x1[r], y1);
            }
            _mm256_storeu_ps(mu, y0);
            _mm256_storeu_ps(mu + 8, y1);
        }
        return;
    }
#endif
    for (size_t u = 0; u < n; u++) {
        float *mu = m + u * hd;
        const float w0 = w[0][u], w1 = w[1][u], w2 = w[2][u], w3 = w[3][u];
#pragma omp simd
        for (size_t i = 0; i < hd; i++)
            mu[i] = madd(w3, x[3 * ldx + i],
                         madd(w2, x[2 * ldx + i], madd(w1, x[ldx + i], madd(w0, x[i], mu[i]))));
    }
}

/* One pair's backward into its columns of dqkv (written): ws holds 6·T·hd + 2·GROUP·T floats.
 * Query rows go GROUP at a time: each row's dP, dS and dq, then the group's dv and dk updates,
 * every key's terms in row order (the sums of a row at a time). */
KERNEL void pair_backward(float *dqkv, float *ws, const float *dout, const float *qkv,
                          const float *probs, const pair_dims *d, size_t hd) {
    const size_t T = d->T, row = 3 * d->C;
    float *q = ws, *k = q + T * hd, *vt = k + T * hd, *dO = vt + T * hd, *dk = dO + T * hd,
          *dv = dk + T * hd, *dp[GROUP], *pr[GROUP];
    for (size_t r = 0; r < GROUP; r++) {
        dp[r] = dv + T * hd + 2 * r * T;
        pr[r] = dp[r] + T;
    }
    gather(q, qkv, T, row, hd, d->bf16);
    gather(k, qkv + d->C, T, row, hd, d->bf16);
    gather_transposed(vt, dk, qkv + 2 * d->C, T, row, hd, d->bf16);
    gather(dO, dout, T, d->C, hd, d->bf16);
    memset(dk, 0, 2 * T * hd * sizeof *dk);
    for (size_t t0 = 0; t0 < T; t0 += GROUP) {
        const size_t R = T - t0 < GROUP ? T - t0 : GROUP;
        for (size_t r = 0; r < R; r++) {
            const size_t t = t0 + r, n = t + 1;
            const float *p = probs + t * T;
            /* dP = dout·vᵀ, then dS = P ⊙ (dP - Σ P ⊙ dP) · scale (into dp[r]) */
            row_times_transposed(dp[r], dO + t * hd, vt, n, T, hd, 1.0f);
            float dot = 0;
#pragma omp simd reduction(+ : dot)
            for (size_t u = 0; u < n; u++) dot += p[u] * dp[r][u];
            ds_and_p(dp[r], pr[r], p, dot, n, d);
            /* dq = dS·k */
            weighted_rows(dqkv + t * row, dp[r], k, n, hd);
        }
        /* dv += Pᵀ·dout, dk += dSᵀ·q: the keys every row of the group sees together, then each
         * row's own keys past t0 */
        if (R == GROUP) {
            add_outer_group(dv, pr, dO + t0 * hd, hd, t0 + 1, hd);
            add_outer_group(dk, dp, q + t0 * hd, hd, t0 + 1, hd);
        } else {
            for (size_t r = 0; r < R; r++) {
                add_outer(dv, pr[r], dO + (t0 + r) * hd, t0 + 1, hd);
                add_outer(dk, dp[r], q + (t0 + r) * hd, t0 + 1, hd);
            }
        }
        for (size_t r = 1; r < R; r++) {
            const size_t t = t0 + r;
            add_outer(dv + (t0 + 1) * hd, pr[r] + t0 + 1, dO + t * hd, r, hd);
            add_outer(dk + (t0 + 1) * hd, dp[r] + t0 + 1, q + t * hd, r, hd);
        }
    }
    for (size_t t = 0; t < T; t++) {
        memcpy(dqkv + t * row + d->C, dk + t * hd, hd * sizeof *dk);
        memcpy(dqkv + t * row + 2 * d->C, dv + t * hd, hd * sizeof *dv);
    }
}

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

/* At hd 16 a head's row is one AVX-512 vector. ROWS query rows are taken together, so that each
 * key's k, v, dk and dv rows are loaded (and stored) once for all of them. */
#define ROWS 8
#define HD 16

/* A row of 16 values as the products' operand: rounded to bf16 (kept as a float) in bf16. */
static inline __m512 operand16(__m512 x, int bf16) {
    return bf16 ? _mm512_castsi512_ps(_mm512_slli_epi32(zs_bf16_bits16(x), 16)) : x;
}

/* Row t of 16 values at x as the products take it: rotated by RoPE when cos_sin (row t's 8
 * cos and sin at cos_sin + 16·t), then rounded in bf16. */
static inline __m512 operand_row16(const float *x, const float *cos_sin, size_t t, int bf16) {
    __m512 v = _mm512_loadu_ps(x);
    if (cos_sin) v = zs_rope_rotate16(v, cos_sin + t * HD, 1.0f);
    return operand16(v, bf16);
}

/* gather and gather_transposed at hd 16: whole rows as vectors (no per-row memcpy call, the
 * rounding and RoPE (cos_sin not NULL) vectorised), and the transposed copy by 16×16 blocks
 * turned in registers (the last n mod 16 rows one by one). */
static void gather16(float *dst, const float *x, size_t n, size_t stride, const float *cos_sin,
                     int bf16) {
    for (size_t t = 0; t < n; t++)
        _mm512_storeu_ps(dst + t * HD, operand_row16(x + t * stride, cos_sin, t, bf16));
}

static void gather16_transposed(float *dst, const float *x, size_t n, size_t stride,
                                const float *cos_sin, int bf16) {
    size_t t0 = 0;
    for (; t0 + 16 <= n; t0 += 16) {
        __m512i r[16];
#pragma GCC unroll 16
        for (size_t i = 0; i < 16; i++)
            r[i] = _mm512_castps_si512(operand_row16(x + (t0 + i) * stride, cos_sin, t0 + i, bf16));
        zs_transpose16(r);
#pragma GCC unroll 16
        for (size_t i = 0; i < HD; i++) _mm512_storeu_si512(dst + i * n + t0, r[i]);
    }
    for (; t0 < n; t0++) {
        float row[HD];
        _mm512_storeu_ps(row, operand_row16(x + t0 * stride, cos_sin, t0, bf16));
        for (size_t i = 0; i < HD; i++) dst[i * n + t0] = row[i];
    }
}

/* s[r][u] = scale · a_r · bt[·, u] for u < nmax, r < ROWS: a_r the 16 values at a + r·lda (rows
 * past R repeat the last), bt (16, T). Blocks of 32 keys, ROWS × 2 independent sums. With
 * maxes (ROWS floats; NULL: none), also each row's maximum over its keys u <= t0 + r (t0 = nmax -
 * R), the causal ones, as the scores are stored. */
static void rows_times_transposed16(float *const s[ROWS], const float *a, size_t lda, size_t R,
                                    const float *bt, size_t nmax, size_t T, float scale,
                                    float *maxes) {
    const float *ar[ROWS];
#pragma GCC unroll 8
    for (size_t r = 0; r < ROWS; r++) ar[r] = a + (r < R ? r : R - 1) * lda;
    const __m512 sc = _mm512_set1_ps(scale);
    const size_t t0 = nmax - R;
    __m512 mx[ROWS];
#pragma GCC unroll 8
    for (size_t r = 0; r < ROWS; r++) mx[r] = _mm512_set1_ps(-INFINITY);
    for (size_t u0 = 0; u0 < nmax; u0 += 32) {
        const __mmask16 m0 = zs_first16(nmax - u0),
                        m1 = nmax - u0 > 16 ? zs_first16(nmax - u0 - 16) : 0;
        __m512 x[ROWS], y[ROWS];
#pragma GCC unroll 8
        for (size_t r = 0; r < ROWS; r++) x[r] = y[r] = _mm512_setzero_ps();
#pragma GCC unroll 16
        for (size_t i = 0; i < HD; i++) {
            const __m512 b0 = _mm512_maskz_loadu_ps(m0, bt + i * T + u0);
            const __m512 b1 = _mm512_maskz_loadu_ps(m1, bt + i * T + u0 + 16);
#pragma GCC unroll 8
            for (size_t r = 0; r < ROWS; r++) {
                const __m512 ai = _mm512_set1_ps(ar[r][i]);
                x[r] = _mm512_fmadd_ps(ai, b0, x[r]);
                y[r] = _mm512_fmadd_ps(ai, b1, y[r]);
            }
        }
        for (size_t r = 0; r < R; r++) {
            const __m512 sx = _mm512_mul_ps(x[r], sc), sy = _mm512_mul_ps(y[r], sc);
            _mm512_mask_storeu_ps(s[r] + u0, m0, sx);
            _mm512_mask_storeu_ps(s[r] + u0 + 16, m1, sy);
            if (maxes) {
                const size_t n = t0 + r + 1;
                mx[r] = _mm512_mask_max_ps(mx[r], n > u0 ? zs_first16(n - u0) : 0, mx[r], sx);
                mx[r] =
                    _mm512_mask_max_ps(mx[r], n > u0 + 16 ? zs_first16(n - u0 - 16) : 0, mx[r], sy);
            }
        }
    }
    if (maxes)
        for (size_t r = 0; r < R; r++) maxes[r] = _mm512_reduce_max_ps(mx[r]);
}

/* Zero w[r][n_r .. nmax) (past each row's diagonal) and whole rows r >= R. */
static void clear_tails(float *const w[ROWS], size_t t0, size_t R, size_t nmax) {
#pragma GCC unroll 8
    for (size_t r = 0; r < ROWS; r++) {
        const size_t n = r < R ? t0 + r + 1 : 0;
        if (nmax - n <= 16) /* within a block: one masked store, not a call to memset */
            _mm512_mask_storeu_ps(w[r] + n, zs_first16(nmax - n), _mm512_setzero_ps());
        else
            memset(w[r] + n, 0, (nmax - n) * sizeof(float));
    }
}

/* Row loops run over whole vectors (no scalar remainders, which at a row per query position
 * cost more than the vectors): n rounded up to 16 (zs_padded16); row buffers are
 * zs_padded16(T) long. */

/* The score rows s[r] of rows t0 + r, r < R (n = t0 + r + 1 entries each, their maxima
 * given) to probabilities in place, w[r] the products' operand (P rounded in bf16; not bf16,
 * w[r] is s[r]), stats each row's maximum and 1/sum. Entries n .. zs_padded16(n) end zero. Row by
 * row each step, so that the rows' reductions overlap. The exponential is zs_fast_exp16
 * (fast_exp.h), here and in the backward's recomputation. */
static void softmax_rows16(float *const s[ROWS], float *const w[ROWS], size_t t0, size_t R,
                           const float maxes[ROWS], int bf16, float *stats) {
    float sums[ROWS];
    for (size_t r = 0; r < R; r++) {
        const size_t n = t0 + r + 1;
        const __m512 max = _mm512_set1_ps(maxes[r]);
        __m512 sum = _mm512_setzero_ps();
        for (size_t u = 0; u < n; u += 16) {
            const __m512 e = _mm512_maskz_mov_ps(
                zs_first16(n - u), zs_fast_exp16(_mm512_sub_ps(_mm512_loadu_ps(s[r] + u), max)));
            _mm512_storeu_ps(s[r] + u, e);
            sum = _mm512_add_ps(sum, e);
        }
        sums[r] = _mm512_reduce_add_ps(sum);
    }
    for (size_t r = 0; r < R; r++) {
        const float inv = 1.0f / sums[r];
        normalise(s[r], w[r], zs_padded16(t0 + r + 1), inv, bf16);
        stats[2 * r] = maxes[r];
        stats[2 * r + 1] = inv;
    }
}

/* The forward keeps, per row, the softmax's maximum and 1/sum (stats, 2·T floats at the start
 * of the pair's share of saved) instead of P: the backward recomputes P bit for bit (the same
 * products, exponentials and scaling), which costs less than writing and reading back T×T
 * floats that no cache holds. ws holds 3·T·16 + 2·ROWS·zs_padded16(T) floats. */
static void pair_forward_16(void *out, float *stats, float *ws, const float *qkv,
                            const pair_dims *d) {
    const size_t T = d->T, TP = zs_padded16(T), row = 3 * d->C;
    float *qg = ws, *kt = qg + T * HD, *vg = kt + T * HD, *sbuf = vg + T * HD,
          *prbuf = sbuf + ROWS * TP;
    memset(sbuf, 0, 2 * ROWS * TP * sizeof *sbuf);
    /* q and v rows (ld apart): in bf16 or with RoPE gathered (rounded, q rotated), in fp32
     * without RoPE read where they are */
    const float *q = qkv, *v = qkv + 2 * d->C;
    size_t ld = row;
    if (d->bf16 || d->cos_sin) {
        gather16(qg, qkv, T, row, d->cos_sin, d->bf16);
        gather16(vg, qkv + 2 * d->C, T, row, NULL, d->bf16);
        q = qg, v = vg, ld = HD;
    }
    gather16_transposed(kt, qkv + d->C, T, row, d->cos_sin, d->bf16);
    for (size_t t0 = 0; t0 < T; t0 += ROWS) {
        const size_t R = T - t0 < ROWS ? T - t0 : ROWS, nmax = t0 + R;
        float *s[ROWS], *w[ROWS];
#pragma GCC unroll 8
        for (size_t r = 0; r < ROWS; r++) {
            s[r] = sbuf + r * TP;
            w[r] = d->bf16 ? prbuf + r * TP : s[r];
        }
        float maxes[ROWS];
        rows_times_transposed16(s, q + t0 * ld, ld, R, kt, nmax, T, d->scale, maxes);
        softmax_rows16(s, w, t0, R, maxes, d->bf16, stats + 2 * t0);
        clear_tails(w, t0, R, nmax);
        /* out rows = P rows · v, two sums per row (even and odd keys) */
        __m512 x[ROWS], y[ROWS];
#pragma GCC unroll 8
        for (size_t r = 0; r < ROWS; r++) x[r] = y[r] = _mm512_setzero_ps();
        size_t u = 0;
        for (; u + 2 <= nmax; u += 2) {
            const __m512 v0 = _mm512_loadu_ps(v + u * ld), v1 = _mm512_loadu_ps(v + (u + 1) * ld);
#pragma GCC unroll 8
            for (size_t r = 0; r < ROWS; r++) {
                x[r] = _mm512_fmadd_ps(_mm512_set1_ps(w[r][u]), v0, x[r]);
                y[r] = _mm512_fmadd_ps(_mm512_set1_ps(w[r][u + 1]), v1, y[r]);
            }
        }
        if (u < nmax) {
            const __m512 v0 = _mm512_loadu_ps(v + u * ld);
#pragma GCC unroll 8
            for (size_t r = 0; r < ROWS; r++)
                x[r] = _mm512_fmadd_ps(_mm512_set1_ps(w[r][u]), v0, x[r]);
        }
        for (size_t r = 0; r < R; r++)
            zs_store16(out, (t0 + r) * d->C, _mm512_add_ps(x[r], y[r]), d->rounded);
    }
}

/* dq or dk of position t rotated back by RoPE (-angle) when d has it. */
static inline __m512 rotated_back16(__m512 x, const pair_dims *d, size_t t) {
    return d->cos_sin ? zs_rope_rotate16(x, d->cos_sin + t * HD, -1.0f) : x;
}

/* ws holds 7·T·16 + 3·ROWS·zs_padded16(T) floats. */
static void pair_backward_16(void *dqkv, float *ws, const float *dout, const float *qkv,
                             const float *stats, const pair_dims *d) {
    const size_t T = d->T, TP = zs_padded16(T), row = 3 * d->C;
    float *qg = ws, *kt = qg + T * HD, *kg = kt + T * HD, *vt = kg + T * HD, *dOg = vt + T * HD,
          *dk = dOg + T * HD, *dv = dk + T * HD, *dsbuf = dv + T * HD, *prbuf = dsbuf + ROWS * TP,
          *pbuf = prbuf + ROWS * TP;
    memset(dsbuf, 0, 3 * ROWS * TP * sizeof *dsbuf);
    /* q and k rows (ld apart) and dout's (ldo apart): in bf16 gathered and rounded (q and k
     * rotated with RoPE), in fp32 read where they are (q and k gathered rotated with RoPE) */
    const float *q = qkv, *k = qkv + d->C, *dO = dout;
    size_t ld = row, ldo = d->C;
    if (d->bf16 || d->cos_sin) {
        gather16(qg, qkv, T, row, d->cos_sin, d->bf16);
        gather16(kg, qkv + d->C, T, row, d->cos_sin, d->bf16);
        q = qg, k = kg, ld = HD;
    }
    if (d->bf16) {
        gather16(dOg, dout, T, d->C, NULL, 1);
        dO = dOg, ldo = HD;
    }
    gather16_transposed(kt, k, T, ld, NULL, 0);
    gather16_transposed(vt, qkv + 2 * d->C, T, row, NULL, d->bf16);
    memset(dk, 0, 2 * T * HD * sizeof *dk);
    for (size_t t0 = 0; t0 < T; t0 += ROWS) {
        const size_t R = T - t0 < ROWS ? T - t0 : ROWS, nmax = t0 + R;
        float *ds[ROWS], *pr[ROWS], *pp[ROWS];
#pragma GCC unroll 8
        for (size_t r = 0; r < ROWS; r++) {
            ds[r] = dsbuf + r * TP;
            pp[r] = pbuf + r * TP;
            pr[r] = d->bf16 ? prbuf + r * TP : pp[r]; /* fp32: P itself is the operand */
        }
        /* dP rows = dout rows · vᵀ; P rows again, as the forward made them, and Σ P ⊙ dP in the
         * same pass, every row's before any row's dS (so that the rows' reductions overlap);
         * then dS = P ⊙ (dP - Σ P ⊙ dP) · scale and (bf16) P, both as the products' operands */
        rows_times_transposed16(ds, dO + t0 * ldo, ldo, R, vt, nmax, T, 1.0f, NULL);
        rows_times_transposed16(pp, q + t0 * ld, ld, R, kt, nmax, T, d->scale, NULL);
        float dots[ROWS];
        for (size_t r = 0; r < R; r++) {
            const size_t n = t0 + r + 1;
            const __m512 max = _mm512_set1_ps(stats[2 * (t0 + r)]),
                         inv = _mm512_set1_ps(stats[2 * (t0 + r) + 1]);
            float *p = pp[r];
            const float *dsr = ds[r];
            __m512 acc = _mm512_setzero_ps();
            for (size_t u = 0; u < n; u += 16) {
                const __m512 pu =
                    _mm512_mul_ps(zs_fast_exp16(_mm512_sub_ps(_mm512_loadu_ps(p + u), max)), inv);
                _mm512_storeu_ps(p + u, pu);
                acc = _mm512_add_ps(
                    acc, _mm512_maskz_mul_ps(zs_first16(n - u), pu, _mm512_loadu_ps(dsr + u)));
            }
            dots[r] = _mm512_reduce_add_ps(acc);
        }
        for (size_t r = 0; r < R; r++)
            ds_and_p(ds[r], pr[r], pp[r], dots[r], zs_padded16(t0 + r + 1), d);
        clear_tails(ds, t0, R, nmax);
        clear_tails(pr, t0, R, nmax);
        /* dq rows = dS rows · k; dk += dSᵀ · q rows; dv += Pᵀ · dout rows */
        __m512 qr[ROWS], dor[ROWS], dq[ROWS];
#pragma GCC unroll 8
        for (size_t r = 0; r < ROWS; r++) {
            const size_t t = t0 + (r < R ? r : 0);
            qr[r] = _mm512_loadu_ps(q + t * ld);
            dor[r] = _mm512_loadu_ps(dO + t * ldo);
            dq[r] = _mm512_setzero_ps();
        }
        /* two loops, not one: together their row pointers and vectors did not fit the
         * registers (spilled pointers cost a load per use). A key's dk and dv rows take the
         * ROWS rows' terms in two chains of ROWS / 2 (one chain of ROWS waited on the FMA's
         * latency), added at the end. */
        for (size_t u = 0; u < nmax; u++) {
            const __m512 ku = _mm512_loadu_ps(k + u * ld);
            __m512 lo = _mm512_loadu_ps(dk + u * HD), hi = _mm512_setzero_ps();
#pragma GCC unroll 8
            for (size_t r = 0; r < ROWS; r++) {
                const __m512 s = _mm512_set1_ps(ds[r][u]);
                dq[r] = _mm512_fmadd_ps(s, ku, dq[r]);
                if (r < ROWS / 2)
                    lo = _mm512_fmadd_ps(s, qr[r], lo);
                else
                    hi = _mm512_fmadd_ps(s, qr[r], hi);
            }
            _mm512_storeu_ps(dk + u * HD, _mm512_add_ps(lo, hi));
        }
        for (size_t u = 0; u < nmax; u++) {
            __m512 lo = _mm512_loadu_ps(dv + u * HD), hi = _mm512_setzero_ps();
#pragma GCC unroll 8
            for (size_t r = 0; r < ROWS; r++) {
                const __m512 p = _mm512_set1_ps(pr[r][u]);
                if (r < ROWS / 2)
                    lo = _mm512_fmadd_ps(p, dor[r], lo);
                else
                    hi = _mm512_fmadd_ps(p, dor[r], hi);
            }
            _mm512_storeu_ps(dv + u * HD, _mm512_add_ps(lo, hi));
        }
        for (size_t r = 0; r < R; r++)
            zs_store16(dqkv, (t0 + r) * row, rotated_back16(dq[r], d, t0 + r), d->rounded);
    }
    for (size_t t = 0; t < T; t++) {
        zs_store16(dqkv, t * row + d->C, rotated_back16(_mm512_loadu_ps(dk + t * HD), d, t),
                   d->rounded);
        zs_store16(dqkv, t * row + 2 * d->C, _mm512_loadu_ps(dv + t * HD), d->rounded);
    }
}

#else
/* Without AVX-512 there is no RoPE here (zs_attention_fused_rope_fits), so out and dqkv are
 * floats. */
static void pair_forward_16(void *out, float *probs, float *ws, const float *qkv,
                            const pair_dims *d) {
    pair_forward((float *)out, probs, ws, qkv, d, 16);
}
static void pair_backward_16(void *dqkv, float *ws, const float *dout, const float *qkv,
                             const float *probs, const pair_dims *d) {
    pair_backward((float *)dqkv, ws, dout, qkv, probs, d, 16);
}
#endif
static void pair_forward_32(float *out, float *probs, float *ws, const float *qkv,
                            const pair_dims *d) {
    pair_forward(out, probs, ws, qkv, d, 32);
}
static void pair_forward_any(float *out, float *probs, float *ws, const float *qkv,
                             const pair_dims *d, size_t hd) {
    pair_forward(out, probs, ws, qkv, d, hd);
}
static void pair_backward_32(float *dqkv, float *ws, const float *dout, const float *qkv,
                             const float *probs, const pair_dims *d) {
    pair_backward(dqkv, ws, dout, qkv, probs, d, 32);
}
static void pair_backward_any(float *dqkv, float *ws, const float *dout, const float *qkv,
                              const float *probs, const pair_dims *d, size_t hd) {
    pair_backward(dqkv, ws, dout, qkv, probs, d, hd);
}

/* The pairs of the forward and the backward, with RoPE (cos_sin not NULL: hd 16 with AVX-512
 * only, zs_attention_fused_rope_fits) or without; with RoPE in bf16 out and dqkv are stored
 * rounded. */
static pair_dims dims(const zs_mm *mm, size_t T, size_t C, size_t H, const float *cos_sin) {
    const int bf16 = zs_mm_precision(mm) == ZS_PRECISION_BF16;
    return (pair_dims){T, C, 1.0f / sqrtf((float)(C / H)), bf16, cos_sin, cos_sin && bf16};
}

static void fused_forward(zs_mm *mm, float *out, float *saved, float *scratch, const float *qkv,
                          const float *cos_sin, size_t B, size_t T, size_t C, size_t H) {
    const size_t hd = C / H;
    const pair_dims d = dims(mm, T, C, H, cos_sin);
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t bh = 0; bh < B * H; bh++) {
        const size_t b = bh / H, h = bh % H, off = b * T * C + h * hd;
        float *p = saved + bh * T * T, *ws = zs_attention_thread_share(scratch, T * T);
        const float *x = qkv + b * T * 3 * C + h * hd;
        if (hd == 16)
            pair_forward_16(zs_attention_element(out, off, d.rounded), p, ws, x, &d);
        else if (hd == 32)
            pair_forward_32(out + off, p, ws, x, &d);
        else
            pair_forward_any(out + off, p, ws, x, &d, hd);
    }
}

static void fused_backward(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                           const float *qkv, const float *saved, const float *cos_sin, size_t B,
                           size_t T, size_t C, size_t H) {
    const size_t hd = C / H;
    const pair_dims d = dims(mm, T, C, H, cos_sin);
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t bh = 0; bh < B * H; bh++) {
        const size_t b = bh / H, h = bh % H;
        const size_t off = b * T * 3 * C + h * hd;
        float *ws = zs_attention_thread_share(scratch, T * T);
        const float *dO = dout + b * T * C + h * hd, *x = qkv + off, *p = saved + bh * T * T;
        if (hd == 16)
            pair_backward_16(zs_attention_element(dqkv, off, d.rounded), ws, dO, x, p, &d);
        else if (hd == 32)
            pair_backward_32(dqkv + off, ws, dO, x, p, &d);
        else
            pair_backward_any(dqkv + off, ws, dO, x, p, &d, hd);
    }
}

void zs_attention_fused_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                    const float *qkv, size_t B, size_t T, size_t C, size_t H) {
    fused_forward(mm, out, saved, scratch, qkv, NULL, B, T, C, H);
}

void zs_attention_fused_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                     const float *qkv, const float *saved, size_t B, size_t T,
                                     size_t C, size_t H) {
    fused_backward(mm, dqkv, scratch, dout, qkv, saved, NULL, B, T, C, H);
}

int zs_attention_fused_rope_fits(size_t T, size_t hd) {
#if defined(__AVX512F__) && defined(__FMA__)
    return hd == 16 && zs_attention_fused_fits(T, hd);
#else
    (void)T;
    (void)hd;
    return 0;
#endif
}

void zs_attention_fused_rope_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                         const float *qkv, const float *cos_sin, size_t B, size_t T,
                                         size_t C, size_t H) {
    fused_forward(mm, out, saved, scratch, qkv, cos_sin, B, T, C, H);
}

void zs_attention_fused_rope_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                          const float *qkv, const float *saved,
                                          const float *cos_sin, size_t B, size_t T, size_t C,
                                          size_t H) {
    fused_backward(mm, dqkv, scratch, dout, qkv, saved, cos_sin, B, T, C, H);
}
