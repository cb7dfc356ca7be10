/* nn internal: a vectorisable float exponential, shared by the GPT's kernels (SwiGLU's
 * sigmoid, the cross-entropy's softmax) and the attention softmax. */
#ifndef ZS_NN_FAST_EXP_H
#define ZS_NN_FAST_EXP_H

#include <stdint.h>
#include <string.h>

/* e^x for x in [-87, 80] (clamped outside, so no infinities and no subnormal sigmoids; a
 * NaN stays NaN): x = n·ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact n·ln2),
 * e^r by Cephes' expf polynomial (relative error about 1e-7), 2^n built in the exponent
 * bits. Adding 1.5·2^23 rounds x·log2(e) to the integer n and leaves n in the low mantissa
 * bits, so no float-to-int conversion is needed. Straight-line code: `omp simd` loops that
 * call it vectorise. */
static inline float zs_fast_expf(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 80.0f ? 80.0f : x;
    float shifted = x * 1.44269504088896341f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4B400000u + 127u) << 23; /* (n + 127) in the exponent field */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

/* zs_fast_expf on 16 lanes with the same operations, unfused: bit for bit zs_fast_expf (for the
 * kernels whose bytes must be those of the scalar loops: SwiGLU's). */
static inline __m512 zs_fast_expf16(__m512 x) {
    const __m512 c = _mm512_set1_ps(12582912.0f);
    x = _mm512_max_ps(_mm512_set1_ps(-87.0f), x); /* a NaN stays NaN, as in zs_fast_expf */
    x = _mm512_min_ps(_mm512_set1_ps(80.0f), x);
    const __m512 shifted = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), c);
    const __m512 n = _mm512_sub_ps(shifted, c);
    __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
    r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(-2.12194440e-4f)));
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r),
                      _mm512_set1_ps(1.0f));
    const __m512i bits = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(127 - 0x4B400000)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

/* zs_fast_expf on 16 lanes: the same clamp, range reduction and polynomial with its
 * multiply-adds fused, so a lane is within an ulp or so of zs_fast_expf, not bit-equal. The
 * attention kernels use it (attention_bf16.c, attention_fused.c), each in its forward and in
 * the backward that recomputes the forward's probabilities, so those agree bit for bit. A NaN
 * stays NaN (max and min return their second operand when one is NaN). */
static inline __m512 zs_fast_exp16(__m512 x) {
    const __m512 c = _mm512_set1_ps(12582912.0f);
    x = _mm512_min_ps(_mm512_set1_ps(80.0f), _mm512_max_ps(_mm512_set1_ps(-87.0f), x));
    const __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), c);
    const __m512 n = _mm512_sub_ps(shifted, c);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p =
        _mm512_fmadd_ps(_mm512_set1_ps(1.9875691500e-4f), r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    const __m512i bits = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(127 - 0x4B400000)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}
#endif

#endif
