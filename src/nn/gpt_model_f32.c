/* nn: the GPT's forward and backward in float, the path training runs (gpt_model.inc):
 * matmuls and attention through the model's zs_mm context (fp32 or bf16 operands). */
#include "nn/attention.h"
#include "nn/gpt_internal.h"

/* In bf16 training the norms' and SwiGLU's outputs are stored rounded to bf16 (in the first
 * half of their float regions), written so by their kernels and read so by the matmuls; in
 * fp32 training they stay float. */
static int rounded(const zs_mm *mm) {
    return zs_mm_precision(mm) == ZS_PRECISION_BF16;
}

static void norm_for_mm(zs_mm *mm, float *out, float *rstd, const float *inp, const float *gain,
                        size_t N, size_t C, int threads) {
    if (rounded(mm))
        zs_gpt_rmsnorm_forward_bf16((uint16_t *)out, rstd, inp, gain, N, C, threads);
    else
        zs_gpt_rmsnorm_forward_f32(out, rstd, inp, gain, N, C, threads);
}

static void swiglu_for_mm(zs_mm *mm, float *out, const float *gate_up, size_t N, size_t F,
                          int threads) {
    if (rounded(mm))
        zs_gpt_swiglu_forward_bf16((uint16_t *)out, gate_up, N, F, threads);
    else
        zs_gpt_swiglu_forward_f32(out, gate_up, N, F, threads);
}

static zs_status mm_forward_act(zs_mm *mm, float *out, const float *inp, const float *weight,
                                size_t M, size_t K, size_t N, zs_error *err) {
    if (rounded(mm))
        return zs_mm_forward_rounded(mm, out, (const uint16_t *)inp, weight, M, K, N, err);
    return zs_mm_forward(mm, out, inp, weight, M, K, N, err);
}

static zs_status mm_backward_write_act(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                                       const float *inp, const float *weight, size_t M, size_t K,
                                       size_t N, zs_error *err) {
    if (rounded(mm))
        return zs_mm_backward_write_rounded(mm, dinp, dweight, dout, (const uint16_t *)inp, weight,
                                            M, K, N, err);
    return zs_mm_backward_write(mm, dinp, dweight, dout, inp, weight, M, K, N, err);
}

static void swiglu_backward_for_mm(zs_mm *mm, float *dgate_up, const float *dout,
                                   const float *gate_up, size_t N, size_t F, int threads) {
    if (rounded(mm))
        zs_gpt_swiglu_backward_bf16((uint16_t *)dgate_up, dout, gate_up, N, F, threads);
    else
        zs_gpt_swiglu_backward_f32(dgate_up, dout, gate_up, N, F, threads);
}

/* dout and inp both as their kernels store them for the matmuls (rounded in bf16). */
static zs_status mm_backward_write_dact(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                                        const float *inp, const float *weight, size_t M, size_t K,
                                        size_t N, zs_error *err) {
    if (rounded(mm))
        return zs_mm_backward_write_rounded2(mm, dinp, dweight, (const uint16_t *)dout,
                                             (const uint16_t *)inp, weight, M, K, N, err);
    return zs_mm_backward_write(mm, dinp, dweight, dout, inp, weight, M, K, N, err);
}

#define REAL float
#define FN(name) name##_f32
#define MM_FORWARD zs_mm_forward
#define MM_BACKWARD_WRITE zs_mm_backward_write
#define NORM_FOR_MM norm_for_mm
#define SWIGLU_FOR_MM swiglu_for_mm
#define MM_FORWARD_ACT mm_forward_act
#define MM_BACKWARD_WRITE_ACT mm_backward_write_act
#define SWIGLU_BACKWARD_FOR_MM swiglu_backward_for_mm
#define MM_BACKWARD_WRITE_DACT mm_backward_write_dact
#define ATTN_FORWARD zs_attention_forward_f32
#define ROPE_ATTN_FUSED zs_attention_rope_fused
#define ROPE_ATTN_FORWARD zs_attention_rope_forward_f32
#define ROPE_ATTN_BACKWARD zs_attention_rope_backward_f32
#define ATTN_BACKWARD zs_attention_backward_f32
#include "nn/gpt_model.inc"
