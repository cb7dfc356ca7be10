/* nn: the float attention training uses (attention.h): the plain loops of attention.inc,
 * one (sequence, head) pair per iteration, the pairs shared among the context's threads. */
#include "nn/attention.h"

#define REAL float
#define FN(name) name##_f32
#include "nn/attention.inc"

size_t zs_attention_saved_numel(size_t B, size_t T, size_t C, size_t H) {
    (void)C;
    return B * H * T * T;
}

size_t zs_attention_scratch_numel(size_t B, size_t T, size_t C, size_t H) {
    (void)C;
    return B * H * T;
}

zs_status zs_attention_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                   const float *qkv, size_t B, size_t T, size_t C, size_t H,
                                   zs_error *err) {
    (void)scratch;
    (void)err;
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t bh = 0; bh < B * H; bh++) pair_forward_f32(out, saved, qkv, bh, T, C, H);
    return ZS_OK;
}

zs_status zs_attention_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                    const float *qkv, const float *saved, size_t B, size_t T,
                                    size_t C, size_t H, zs_error *err) {
    (void)err;
#pragma omp parallel for num_threads(zs_mm_threads(mm)) schedule(static)
    for (size_t bh = 0; bh < B * H; bh++)
        pair_backward_f32(dqkv, scratch + bh * T, dout, qkv, saved, bh, T, C, H);
    return ZS_OK;
}
