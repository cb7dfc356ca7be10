/* nn internal: AVX-512 helpers shared by the nn kernels (attention_bf16.c, attention_fused.c,
 * attention_f32_hd64.c, gpt_kernels_f32.c). */
#ifndef ZS_NN_SIMD16_H
#define ZS_NN_SIMD16_H

#include "nn/matmul.h"

#include <stddef.h>

/* n rounded up to whole vectors of 16: row loops run over whole vectors, past a row's n
 * entries, with masks where the values there matter (a scalar remainder per row costs as much
 * as the vectors). */
static inline size_t zs_padded16(size_t n) {
    return (n + 15) & ~(size_t)15;
}

#if defined(__AVX512F__)
#include <immintrin.h>

/* The mask of the first min(n, 16) of 16 lanes: a row's last, partial vector. */
static inline __mmask16 zs_first16(size_t n) {
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

/* RoPE on 16 values (8 pairs (x[2i], x[2i+1])) with their 8 (cos, sin) in cs, by +angle
 * (sign 1) or -angle (sign -1): x[2i]·c - x[2i+1]·s and x[2i+1]·c + x[2i]·s, each the product
 * with c fused with the sum (vfmaddsub), as zs_gpt_rope_forward_f32 / _backward_f32
 * (gpt_kernels.inc) compute it with fma: the same bytes (test_attention checks it). */
static inline __m512 zs_rope_rotate16(__m512 x, const float *cs, float sign) {
    const __m512 both = _mm512_loadu_ps(cs);
    const __m512 s = _mm512_mul_ps(_mm512_movehdup_ps(both), _mm512_set1_ps(sign));
    const __m512 swapped_s = _mm512_mul_ps(_mm512_permute_ps(x, 0xB1), s);
    return _mm512_fmaddsub_ps(x, _mm512_moveldup_ps(both), swapped_s);
}

/* 16 results into element `index` of dst: floats, or (rounded) bf16 values (zs_bf16_store16). */
static inline void zs_store16(void *dst, size_t index, __m512 x, int rounded) {
    if (rounded)
        zs_bf16_store16((uint16_t *)dst + index, x);
    else
        _mm512_storeu_ps((float *)dst + index, x);
}

/* r[0..15], 16 rows of 16 32-bit values, transposed in registers (r[i] becomes column i):
 * pairs of rows interleaved by 32 then by 64 bits, then 128-bit lanes exchanged twice. */
static inline void zs_transpose16(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_i32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_i32x4(r[h + i], r[h + i + 4], 0xdd);
        }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    }
}

#endif
#endif
