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

#endif
