/* zipscale nn: the Llama-style GPT the gzip paper's experiments grow (docs/science.md §6):
 * config, sizes and FLOPs, forward and backward, per-sample gradients. docs/model.md. */
#ifndef ZIPSCALE_GPT_H
#define ZIPSCALE_GPT_H

#include "zipscale/layout.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the GPT (docs/science.md §6) ----------------------------------------------------------
 * Token embedding; `layers` blocks of [RMSNorm -> causal multi-head attention with rotary
 * position embeddings -> residual; RMSNorm -> SwiGLU MLP -> residual]; final RMSNorm;
 * untied output projection; no biases. Head size d_model / heads. */
#define ZS_GPT_ROPE_THETA 10000.0
#define ZS_GPT_NORM_EPS 1e-6f

typedef struct {
    uint32_t vocab;      /* token ids are 0 .. vocab-1 */
    uint32_t context;    /* the longest sequence (T) */
    uint32_t d_model;    /* residual width */
    uint32_t layers;     /* blocks */
    uint32_t heads;      /* divides d_model; head size d_model/heads is even (RoPE pairs) */
    uint32_t mlp_hidden; /* SwiGLU hidden width */
} zs_gpt_config;

/* The default shape (what `zipscale train` grows when no shape is given): vocab 0 (the
 * data's, to be filled in), context 256, d_model 64, layers 2, heads 1 and mlp_hidden
 * 2 x d_model = 128. */
#define ZS_GPT_MLP_HIDDEN_PER_D_MODEL 2
void zs_gpt_config_init(zs_gpt_config *cfg);
/* Checks every field (errors name the field and the allowed range; ZS_ERR_USAGE).
 * Errors: ZS_ERR_USAGE (a field out of range, or heads that do not divide d_model into an
 * even head size). */
zs_status zs_gpt_config_check(const zs_gpt_config *cfg, zs_error *err);
/* Parameters in all, and without the input embedding and the output projection. These and
 * the FLOP counts below need a config that passes zs_gpt_config_check. */
uint64_t zs_gpt_params_total(const zs_gpt_config *cfg);
uint64_t zs_gpt_params_nonembed(const zs_gpt_config *cfg);
/* The exact floating-point operations of one training step (forward + backward) on
 * `batch` sequences of `seq_len` tokens: every matmul (2 per multiply-add) and the causal
 * attention products over the positions actually attended; elementwise work not counted.
 * docs/model.md gives the formula. */
double zs_gpt_flops_train(const zs_gpt_config *cfg, uint64_t batch, uint64_t seq_len);
double zs_gpt_flops_forward(const zs_gpt_config *cfg, uint64_t batch, uint64_t seq_len);
/* The parameter layout: tensor names, shapes, flags (docs/model.md).
 * Errors: ZS_ERR_USAGE (cfg fails zs_gpt_config_check). */
zs_status zs_gpt_layout(const zs_gpt_config *cfg, zs_layout *out, zs_error *err);

typedef struct zs_gpt zs_gpt;

/* A model with room for activations of up to max_batch sequences of cfg->context tokens;
 * matmuls in `precision` on `threads` threads (0 = all cores). Parameters are zero until
 * zs_gpt_draw_weights or a checkpoint fills them.
 * Errors: ZS_ERR_USAGE (cfg fails zs_gpt_config_check, or max_batch is 0), ZS_ERR_RANGE
 * (the activations of max_batch x context would be too large), ZS_ERR_INTERNAL (oneDNN
 * cannot start). */
zs_status zs_gpt_create(zs_gpt **out, const zs_gpt_config *cfg, uint32_t max_batch,
                        zs_precision precision, int threads, zs_error *err);
void zs_gpt_free(zs_gpt *gpt);
const zs_gpt_config *zs_gpt_get_config(const zs_gpt *gpt);
const zs_layout *zs_gpt_get_layout(const zs_gpt *gpt);
float *zs_gpt_params(zs_gpt *gpt); /* layout->numel floats */
float *zs_gpt_grads(zs_gpt *gpt);  /* same layout */
/* Seeded initialisation (docs/model.md): matrices N(0, 0.02²), the residual output
 * projections (attn_out, mlp_down) N(0, (0.02/sqrt(2·layers))²), norm gains 1. Each tensor
 * draws from its own stream (seed, tensor index). */
void zs_gpt_draw_weights(zs_gpt *gpt, uint64_t seed);

/* Forward pass on inputs and targets, each (batch, seq_len) token ids, row-major;
 * batch <= max_batch, seq_len <= context. *loss_nats is the mean cross-entropy over all
 * batch*seq_len positions (accumulated in double); token_loss_nats (batch*seq_len, may be
 * NULL) receives each position's loss. Keeps the activations for zs_gpt_backward. A token
 * id out of range is ZS_ERR_RANGE naming its position.
 * Errors: ZS_ERR_USAGE (batch not 1..max_batch, or seq_len not 1..context), ZS_ERR_RANGE (a
 * token id >= vocab). */
zs_status zs_gpt_forward(zs_gpt *gpt, const uint32_t *inputs, const uint32_t *targets,
                         uint32_t batch, uint32_t seq_len, double *loss_nats,
                         float *token_loss_nats, zs_error *err);
void zs_gpt_zero_grad(zs_gpt *gpt);
/* Adds loss_scale × d(mean loss of the last forward)/d(params) into the gradients
 * (loss_scale = 1/accumulation steps for gradient accumulation).
 * Errors: ZS_ERR_USAGE (no successful forward since the last backward). */
zs_status zs_gpt_backward(zs_gpt *gpt, float loss_scale, zs_error *err);

/* Per-sample gradients for QDG: the parameters that are neither embedding, output
 * projection nor norm gain (ZS_TENSOR_EMBEDDING and ZS_TENSOR_NORM excluded), in layout
 * order. zs_gpt_sample_grad_numel gives the length of one vector. */
size_t zs_gpt_sample_grad_numel(const zs_gpt *gpt);
typedef enum {
    ZS_SAMPLE_LOSS_MEAN = 0, /* a sample's loss is the mean over its seq_len positions */
    ZS_SAMPLE_LOSS_LAST = 1, /* ... the loss at its last position only (one prediction) */
} zs_sample_loss;
/* out is (n_samples, zs_gpt_sample_grad_numel): row s is the gradient of sample s's loss.
 * Leaves the model's gradient buffer zeroed. Runs one sample at a time, so n_samples may
 * exceed max_batch. Errors: ZS_ERR_USAGE (an unknown `which`, or seq_len not
 * 1..context), ZS_ERR_RANGE (a token id >= vocab); the message names the sample. */
zs_status zs_gpt_sample_grads(zs_gpt *gpt, const uint32_t *inputs, const uint32_t *targets,
                              uint32_t n_samples, uint32_t seq_len, zs_sample_loss which,
                              float *out, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
