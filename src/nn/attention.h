/* nn internal: causal multi-head self-attention, forward and backward, on the fused qkv
 * activations of one block. The float path is the one training uses; the double path is
 * the reference for the gradient checks.
 *
 * Shapes (row-major): qkv is (B, T, 3C): at each position q (C values), then k (C), then
 * v (C); head h owns columns h*hd .. (h+1)*hd-1 of each third, hd = C / H; q and k are
 * already rotated (RoPE). out is (B, T, C), head h's output in columns h*hd... of it.
 * Position t attends to positions 0..t with weights softmax(q·k / sqrt(hd)). `saved` is
 * what the forward keeps for the backward (zs_attention_saved_numel floats), `scratch` a
 * workspace (zs_attention_scratch_numel). */
#ifndef ZS_NN_ATTENTION_H
#define ZS_NN_ATTENTION_H

#include "nn/matmul.h"

#include <omp.h>

size_t zs_attention_saved_numel(size_t B, size_t T, size_t C, size_t H);
size_t zs_attention_scratch_numel(size_t B, size_t T, size_t C, size_t H);

/* The (sequence, head) pair number `pair` = b·H + h, heads of hd values: the offset of its first
 * value in (B, T, 3C) qkv-shaped and in (B, T, C) out-shaped arrays (for the kernels that take
 * one pair at a time). */
static inline size_t zs_attention_qkv_offset(size_t pair, size_t T, size_t C, size_t H, size_t hd) {
    return pair / H * T * 3 * C + pair % H * hd;
}
static inline size_t zs_attention_out_offset(size_t pair, size_t T, size_t C, size_t H, size_t hd) {
    return pair / H * T * C + pair % H * hd;
}

/* Element `offset` of a (B, T, ·) array of floats, or (rounded) of the bf16 values the kernels
 * that store their results rounded write in the first half of its floats. */
static inline void *zs_attention_element(void *base, size_t offset, int rounded) {
    return rounded ? (void *)((uint16_t *)base + offset) : (void *)((float *)base + offset);
}

/* The kernels that take one pair at a time work in a share of the scratch that only the pair
 * reads: the share of the thread running it (`per` floats each, thread t's from base + t·per),
 * not one per pair, so that a thread's next pair finds its working copies in its caches instead
 * of writing fresh memory (a pair's T×T floats are 256 KiB at T 256). Called inside the pairs'
 * `omp parallel for ... schedule(static)`: with it a thread that runs any pair has a number
 * below the number of pairs, so the scratch sized for every pair has its share. */
static inline float *zs_attention_thread_share(float *base, size_t per) {
    return base + (size_t)omp_get_thread_num() * per;
}

/* mm supplies the precision and the thread count (and any cached primitives). */
zs_status zs_attention_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                   const float *qkv, size_t B, size_t T, size_t C, size_t H,
                                   zs_error *err);
/* Writes (does not accumulate) dqkv (B, T, 3C) from dout (B, T, C). */
zs_status zs_attention_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                    const float *qkv, const float *saved, size_t B, size_t T,
                                    size_t C, size_t H, zs_error *err);

/* The fused kernels for small heads (attention_fused.c), which the two functions above use when
 * zs_attention_fused_fits(T, C / H): heads of at most ZS_ATTENTION_FUSED_MAX_HD values and
 * T >= 7·hd + 32 (a pair's working copies fit in a T×T share of the scratch). saved then holds
 * P's rows up to the diagonal, or at hd 16 with AVX-512 only each row's maximum and 1/sum (2·T
 * floats at the start of each pair's T×T share). Same bytes on any thread count. */
#define ZS_ATTENTION_FUSED_MAX_HD 32
int zs_attention_fused_fits(size_t T, size_t hd);
void zs_attention_fused_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                    const float *qkv, size_t B, size_t T, size_t C, size_t H);
void zs_attention_fused_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                     const float *qkv, const float *saved, size_t B, size_t T,
                                     size_t C, size_t H);

/* The fused kernel at hd 16 (AVX-512 builds) with RoPE inside, in fp32 and bf16 training
 * (zs_attention_rope_fused, below): q and k rotated by cos_sin as they are gathered, dq and dk
 * rotated back as they are stored, qkv left unrotated; in bf16 out and dqkv are stored rounded to
 * bf16 (first half of their floats), in fp32 as floats. The backward reads q, k, v from qkv. */
int zs_attention_fused_rope_fits(size_t T, size_t hd);
void zs_attention_fused_rope_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                         const float *qkv, const float *cos_sin, size_t B, size_t T,
                                         size_t C, size_t H);
void zs_attention_fused_rope_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                          const float *qkv, const float *saved,
                                          const float *cos_sin, size_t B, size_t T, size_t C,
                                          size_t H);

/* bf16 attention for heads of 64 values on CPUs with AVX512-BF16 (attention_bf16.c), which the
 * two functions above use in bf16 when zs_attention_bf16_fits(T, C / H): hd 64, T a multiple of
 * 32 and at least 192 (a pair's working copies fit in its shares of the scratch). Each
 * (sequence, head) pair works in its thread's shares of the scratch's four regions: T×T floats of
 * `work`, T×T/2 of `work2`, 3·T·hd/2 of `work3` and T·hd/2 of `work4` (the backward only). In
 * saved the forward keeps, per pair, each row's maximum and 1/sum, from which the backward
 * recomputes P bit for bit, and the pair's rounded q, k, v (98·T of its T×T floats). cos_sin (NULL:
 * none) applies RoPE as below; `rounded` writes out (forward) and dqkv (backward) rounded to bf16,
 * in the first half of their floats. Same bytes on any thread count. */
int zs_attention_bf16_fits(size_t T, size_t hd);
void zs_attention_bf16_forward(float *out, float *saved, float *work, const float *qkv,
                               const float *cos_sin, int rounded, size_t B, size_t T, size_t C,
                               size_t H, int threads);
void zs_attention_bf16_backward(float *dqkv, float *work, float *work2, float *work3, float *work4,
                                const float *dout, const float *saved, const float *cos_sin,
                                int rounded, size_t B, size_t T, size_t C, size_t H, int threads);

/* fp32 attention for heads of 64 values on CPUs with AVX-512 (attention_f32_hd64.c), which the
 * two functions above use in fp32 when zs_attention_f32_hd64_fits(T, C / H): hd 64, T a multiple
 * of 32 and at least 128. saved holds P as in the oneDNN path. Each (sequence, head) pair works
 * in its thread's shares of the scratch's regions: the forward in hd·T floats of its T×T of `work`
 * (kᵀ); the backward in its T×T of `work` (dS) and hd·T floats of its T×T/2 of `work2` (vᵀ).
 * Same bytes on any thread count. */
int zs_attention_f32_hd64_fits(size_t T, size_t hd);
void zs_attention_f32_hd64_forward(float *out, float *saved, float *work, const float *qkv,
                                   size_t B, size_t T, size_t C, size_t H, int threads);
void zs_attention_f32_hd64_backward(float *dqkv, float *work, float *work2, const float *dout,
                                    const float *qkv, const float *saved, size_t B, size_t T,
                                    size_t C, size_t H, int threads);

/* RoPE and attention in one kernel, where zs_attention_rope_fused: bf16 training with heads
 * the bf16 kernel takes (zs_attention_bf16_fits), or fp32 or bf16 training with heads of 16 the
 * fused kernel takes (zs_attention_fused_rope_fits). The forward rotates q and k by cos_sin
 * ((T, hd/2, 2) cos and sin, as zs_gpt_rope_table_f32 makes it) as it reads them, leaving qkv as
 * it is (unrotated); the backward rotates dq and dk back as it writes dqkv (and reads q, k, v
 * from qkv, or at hd 64 from what the forward saved). In bf16 out is written rounded to bf16
 * ((B, T, C) bf16 values in the first half of out's floats) and dqkv the same way ((B, T, 3C));
 * in fp32 both are floats. The bytes are those of zs_gpt_rope_forward_f32 and
 * zs_attention_forward_f32 (and of zs_attention_backward_f32 and zs_gpt_rope_backward_f32),
 * rounded in bf16: what the output's and dqkv's matmuls read, with two passes over qkv (and in
 * bf16 two roundings) fewer per layer. */
int zs_attention_rope_fused(const zs_mm *mm, size_t T, size_t C, size_t H);
void zs_attention_rope_forward_f32(zs_mm *mm, float *out, float *saved, float *scratch,
                                   const float *qkv, const float *cos_sin, size_t B, size_t T,
                                   size_t C, size_t H);
void zs_attention_rope_backward_f32(zs_mm *mm, float *dqkv, float *scratch, const float *dout,
                                    const float *qkv, const float *saved, const float *cos_sin,
                                    size_t B, size_t T, size_t C, size_t H);

void zs_attention_forward_f64(double *out, double *saved, double *scratch, const double *qkv,
                              size_t B, size_t T, size_t C, size_t H);
void zs_attention_backward_f64(double *dqkv, double *scratch, const double *dout, const double *qkv,
                               const double *saved, size_t B, size_t T, size_t C, size_t H);

#endif
