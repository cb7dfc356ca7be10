/* nn internal: the GPT's pieces below the public API. The layer kernels (gpt_kernels.inc)
 * and the whole forward/backward (gpt_model.inc) are written once over a scalar type and
 * instantiated in float (training) and double (the reference the gradient checks use). */
#ifndef ZS_NN_GPT_INTERNAL_H
#define ZS_NN_GPT_INTERNAL_H

#include "nn/matmul.h"

/* ---- layer kernels -----------------------------------------------------------------------
 * N = rows (batch × positions), C = d_model, F = MLP hidden, V = vocabulary, H = heads,
 * hd = C/H. Every *_backward accumulates (+=) into its parameter gradients; what it does to
 * its input gradient is stated below. `threads` splits the rows; results do not depend on it.
 *
 * embedding: out (N,C) = table[tokens] (table (V,C)); backward dtable[tokens] += dout.
 * rmsnorm: out (N,C) = inp · rstd · gain, rstd (N) = 1/sqrt(mean(inp²) + ZS_GPT_NORM_EPS);
 *   backward dinp += ..., dgain += ..., with `partial` scratch of
 *   ceil(N / ZS_GPT_NORM_BLOCK_ROWS) × C values (zs_gpt_norm_partial_numel).
 * rope: rotates q and k of qkv (N,3C) in place, pair (2i, 2i+1) of each head at position
 *   pos by angle pos·θ^(-2i/hd); cos_sin is (T, hd/2, 2) (cos then sin), rows are
 *   (batch, T) so row r is at position r % T. backward rotates dq, dk back in place.
 * swiglu: out (N,F) = silu(gate_up[:, :F]) · gate_up[:, F:]; backward writes dgate_up (N,2F).
 * residual: out (N,C) += inp; its backward is the identity (the gradient flows unchanged).
 * crossentropy: from logits (N,V) and targets (N), row_loss (N) = -log softmax[target] (in
 *   double, stored as REAL), and logits replaced by dscale·(softmax - onehot(target)), the
 *   gradient of dscale × the sum of row losses (forward and backward fused in one pass). */
#define ZS_GPT_NORM_BLOCK_ROWS 32
static inline size_t zs_gpt_norm_partial_numel(size_t N, size_t C) {
    return (N + ZS_GPT_NORM_BLOCK_ROWS - 1) / ZS_GPT_NORM_BLOCK_ROWS * C;
}

#define ZS_GPT_DECLARE_KERNELS(R, S)                                                               \
    void zs_gpt_embedding_forward_##S(R *out, const uint32_t *tokens, const R *table, size_t N,    \
                                      size_t C, int threads);                                      \
    void zs_gpt_embedding_backward_##S(R *dtable, const R *dout, const uint32_t *tokens, size_t N, \
                                       size_t C);                                                  \
    void zs_gpt_rmsnorm_forward_##S(R *out, R *rstd, const R *inp, const R *gain, size_t N,        \
                                    size_t C, int threads);                                        \
    void zs_gpt_rmsnorm_backward_##S(R *dinp, R *dgain, R *partial, const R *dout, const R *inp,   \
                                     const R *rstd, const R *gain, size_t N, size_t C,             \
                                     int threads);                                                 \
    void zs_gpt_rope_table_##S(R *cos_sin, size_t T, size_t hd);                                   \
    void zs_gpt_rope_forward_##S(R *qkv, const R *cos_sin, size_t N, size_t T, size_t C, size_t H, \
                                 int threads);                                                     \
    void zs_gpt_rope_backward_##S(R *dqkv, const R *cos_sin, size_t N, size_t T, size_t C,         \
                                  size_t H, int threads);                                          \
    void zs_gpt_swiglu_forward_##S(R *out, const R *gate_up, size_t N, size_t F, int threads);     \
    void zs_gpt_swiglu_backward_##S(R *dgate_up, const R *dout, const R *gate_up, size_t N,        \
                                    size_t F, int threads);                                        \
    void zs_gpt_residual_forward_##S(R *out, const R *inp, size_t N, size_t C, int threads);       \
    void zs_gpt_crossentropy_fused_##S(R *logits, R *row_loss, const uint32_t *targets, size_t N,  \
                                       size_t V, R dscale, int threads);

ZS_GPT_DECLARE_KERNELS(float, f32)
ZS_GPT_DECLARE_KERNELS(double, f64)

/* The float rmsnorm and swiglu forwards with out written rounded to bf16 (zs_bf16_round of
 * what the _f32 kernels store), for bf16 training, where these outputs only feed matmuls. */
void zs_gpt_rmsnorm_forward_bf16(uint16_t *out, float *rstd, const float *inp, const float *gain,
                                 size_t N, size_t C, int threads);
void zs_gpt_swiglu_forward_bf16(uint16_t *out, const float *gate_up, size_t N, size_t F,
                                int threads);
/* SwiGLU's backward with dgate_up written rounded to bf16, for the same reason. */
void zs_gpt_swiglu_backward_bf16(uint16_t *dgate_up, const float *dout, const float *gate_up,
                                 size_t N, size_t F, int threads);

/* ---- activations -------------------------------------------------------------------------
 * Offsets (in elements) of the named regions of the one activation buffer and of the one
 * activation-gradient buffer, sized for max_batch sequences of context tokens. Per-layer
 * regions are arrays over layers with the stated stride. */
typedef struct {
    size_t rows; /* max_batch × context */
    /* activations */
    size_t resid;        /* (L+1, rows, C): the residual stream entering block l; [L] is the last */
    size_t attn_norm;    /* (L, rows, C) */
    size_t attn_rstd;    /* (L, rows) */
    size_t qkv;          /* (L, rows, 3C), q and k rotated (unrotated where RoPE is fused) */
    size_t att_saved;    /* (L, saved_stride): what attention keeps for its backward */
    size_t att_out;      /* (L, rows, C): attention output, before attn_out */
    size_t resid_mid;    /* (L, rows, C): after the attention residual */
    size_t mlp_norm;     /* (L, rows, C) */
    size_t mlp_rstd;     /* (L, rows) */
    size_t gate_up;      /* (L, rows, 2F) */
    size_t swiglu;       /* (L, rows, F) */
    size_t final_norm;   /* (rows, C) */
    size_t final_rstd;   /* (rows) */
    size_t logits;       /* (rows, V); after the forward, d loss / d logits */
    size_t row_loss;     /* (rows) */
    size_t att_scratch;  /* attention's workspace, forward and backward */
    size_t saved_stride; /* zs_attention_saved_numel(max_batch, context, C, H) */
    size_t numel;        /* the whole activation buffer */
    /* activation gradients (reused by every layer) */
    size_t d_resid;        /* (rows, C): d loss / d the residual stream */
    size_t d_norm;         /* (rows, C): d loss / d a norm's output */
    size_t d_qkv;          /* (rows, 3C) */
    size_t d_att;          /* (rows, C) */
    size_t d_gate_up;      /* (rows, 2F) */
    size_t d_swiglu;       /* (rows, F) */
    size_t d_norm_partial; /* the RMSNorm backward's per-block gain sums */
    size_t d_numel;        /* the whole gradient buffer */
} zs_gpt_plan;

/* Offsets (in elements) of the parameters in zs_gpt_layout's buffer. */
typedef struct {
    size_t tok_embedding;
    size_t block0, block_stride; /* block l's tensors start at block0 + l·block_stride */
    size_t attn_norm, attn_qkv, attn_out, mlp_norm, mlp_gate_up, mlp_down; /* in a block */
    size_t final_norm, lm_head;
    size_t numel;
} zs_gpt_offsets;

/* Everything the forward and backward need to know besides the buffers. */
typedef struct {
    zs_gpt_config cfg;
    uint32_t max_batch;
    zs_gpt_offsets params;
    zs_gpt_plan plan;
    int threads;
} zs_gpt_shape;

/* Checks the config, fills the plan; ZS_ERR_RANGE when a size overflows. */
zs_status zs_gpt_shape_init(zs_gpt_shape *shape, const zs_gpt_config *cfg, uint32_t max_batch,
                            int threads, zs_error *err);
/* Checks every input and target id (batch × seq_len) is below vocab: ZS_ERR_RANGE naming
 * the position. */
zs_status zs_gpt_check_tokens(const zs_gpt_config *cfg, const uint32_t *inputs,
                              const uint32_t *targets, uint32_t batch, uint32_t seq_len,
                              zs_error *err);

/* Which positions the loss is over (zs_sample_loss): MEAN is the mean over all batch ×
 * seq_len positions, LAST the mean over the batch of each sequence's last position. */
#define ZS_GPT_DECLARE_MODEL(R, S)                                                                 \
    zs_status zs_gpt_model_forward_##S(const zs_gpt_shape *shape, zs_mm *mm, const R *params,      \
                                       R *acts, const R *rope, const uint32_t *inputs,             \
                                       const uint32_t *targets, size_t B, size_t T,                \
                                       zs_sample_loss which, double *loss_nats, zs_error *err);    \
    zs_status zs_gpt_model_backward_##S(                                                           \
        const zs_gpt_shape *shape, zs_mm *mm, const R *params, R *grads, R *acts, R *dacts,        \
        const R *rope, const uint32_t *inputs, size_t B, size_t T, R loss_scale, zs_error *err);

ZS_GPT_DECLARE_MODEL(float, f32)
ZS_GPT_DECLARE_MODEL(double, f64)

/* zs_gpt_forward with the loss over the positions `which` names (zs_gpt_sample_grads uses
 * LAST); with LAST, token_loss_nats is 0 at every position but the last of each sequence. */
zs_status zs_gpt_forward_positions(zs_gpt *gpt, const uint32_t *inputs, const uint32_t *targets,
                                   uint32_t batch, uint32_t seq_len, zs_sample_loss which,
                                   double *loss_nats, float *token_loss_nats, zs_error *err);

/* ---- the double-precision model, for the gradient checks ---------------------------------
 * The same forward and backward as zs_gpt on double buffers (plain-loop matmuls, one
 * thread). params and grads follow zs_gpt_layout. */
typedef struct {
    zs_gpt_shape shape;
    zs_layout layout;
    double *params, *grads, *acts, *dacts, *rope;
    uint32_t *inputs; /* the last forward's inputs (max_batch × context) */
    size_t batch, seq_len;
} zs_gpt_f64;

zs_status zs_gpt_f64_create(zs_gpt_f64 *m, const zs_gpt_config *cfg, uint32_t max_batch,
                            zs_error *err);
void zs_gpt_f64_free(zs_gpt_f64 *m);
/* token_loss_nats (batch × seq_len, may be NULL) receives each position's loss. */
zs_status zs_gpt_f64_forward(zs_gpt_f64 *m, const uint32_t *inputs, const uint32_t *targets,
                             uint32_t batch, uint32_t seq_len, double *loss_nats,
                             double *token_loss_nats, zs_error *err);
zs_status zs_gpt_f64_backward(zs_gpt_f64 *m, double loss_scale, zs_error *err);

#endif
