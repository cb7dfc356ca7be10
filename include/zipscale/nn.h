/* zipscale nn: the models the experiments grow (a Llama-style GPT, REFERENCE §6, and the
 * sparse-parity MLP, REFERENCE §1), the AdamW optimiser, and safetensors files. A model's
 * parameters, gradients, optimiser moments and activations each live in one allocation
 * carved into named tensors (the llm.c layout). The train module drives these; docs/model.md
 * describes the architecture exactly. */
#ifndef ZIPSCALE_NN_H
#define ZIPSCALE_NN_H

#include "zipscale/core.h"
#include "zipscale/parity.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- precision ---------------------------------------------------------------------
 * FP32: everything in float. BF16: mixed precision, bf16 matmul operands only; master
 * weights, accumulation, norms, softmax and optimiser state stay fp32. */
typedef enum { ZS_PRECISION_FP32 = 0, ZS_PRECISION_BF16 = 1 } zs_precision;

const char *zs_precision_name(zs_precision precision); /* "fp32", "bf16" */
/* Parses "fp32" / "bf16"; anything else is ZS_ERR_USAGE naming the accepted values. */
zs_status zs_precision_parse(const char *text, zs_precision *out, zs_error *err);

/* ---- named tensors in one buffer ---------------------------------------------------- */
enum {
    ZS_TENSOR_DECAY = 1u,     /* AdamW's weight decay applies (not to norm gains, biases) */
    ZS_TENSOR_EMBEDDING = 2u, /* input embedding or output projection: not counted in
                                 N non-embedding, not in per-sample gradients */
    ZS_TENSOR_NORM = 4u,      /* an RMSNorm gain: not in per-sample gradients */
};

#define ZS_TENSOR_NAME_MAX 64
#define ZS_TENSOR_MAX_DIMS 4
typedef struct {
    char name[ZS_TENSOR_NAME_MAX]; /* e.g. "blocks.0.attn_qkv" (docs/model.md) */
    size_t offset;                 /* in elements from the buffer's start */
    size_t numel;
    int ndim;
    size_t shape[ZS_TENSOR_MAX_DIMS]; /* row-major */
    unsigned flags;                   /* ZS_TENSOR_* */
} zs_tensor;

typedef struct {
    zs_tensor *tensors; /* in buffer order: tensors[i+1].offset = tensors[i].offset + numel */
    size_t n_tensors;
    size_t numel; /* the whole buffer */
} zs_layout;

void zs_layout_free(zs_layout *layout);
/* The tensor of that name, or NULL. */
const zs_tensor *zs_layout_find(const zs_layout *layout, const char *name);

/* ---- the GPT (REFERENCE §6) ----------------------------------------------------------
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

/* Checks every field (errors name the field and the allowed range; ZS_ERR_USAGE). */
zs_status zs_gpt_config_check(const zs_gpt_config *cfg, zs_error *err);
/* Parameters in all, and without the input embedding and the output projection. */
uint64_t zs_gpt_params_total(const zs_gpt_config *cfg);
uint64_t zs_gpt_params_nonembed(const zs_gpt_config *cfg);
/* The exact floating-point operations of one training step (forward + backward) on
 * `batch` sequences of `seq_len` tokens: every matmul (2 per multiply-add) and the causal
 * attention products over the positions actually attended; elementwise work not counted.
 * docs/model.md gives the formula. */
double zs_gpt_flops_train(const zs_gpt_config *cfg, uint64_t batch, uint64_t seq_len);
double zs_gpt_flops_forward(const zs_gpt_config *cfg, uint64_t batch, uint64_t seq_len);
/* The parameter layout: tensor names, shapes, flags (docs/model.md). */
zs_status zs_gpt_layout(const zs_gpt_config *cfg, zs_layout *out, zs_error *err);

typedef struct zs_gpt zs_gpt;

/* A model with room for activations of up to max_batch sequences of cfg->context tokens;
 * matmuls in `precision` on `threads` threads (0 = all cores). Parameters are zero until
 * zs_gpt_init or a checkpoint fills them. */
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
void zs_gpt_init(zs_gpt *gpt, uint64_t seed);

/* Forward pass on inputs and targets, each (batch, seq_len) token ids, row-major;
 * batch <= max_batch, seq_len <= context. *loss_nats is the mean cross-entropy over all
 * batch*seq_len positions (accumulated in double); token_loss_nats (batch*seq_len, may be
 * NULL) receives each position's loss. Keeps the activations for zs_gpt_backward. A token
 * id out of range is ZS_ERR_RANGE naming its position. */
zs_status zs_gpt_forward(zs_gpt *gpt, const uint32_t *inputs, const uint32_t *targets,
                         uint32_t batch, uint32_t seq_len, double *loss_nats,
                         float *token_loss_nats, zs_error *err);
void zs_gpt_zero_grad(zs_gpt *gpt);
/* Adds loss_scale × d(mean loss of the last forward)/d(params) into the gradients
 * (loss_scale = 1/accumulation steps for gradient accumulation). */
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
 * Leaves the model's gradient buffer zeroed. */
zs_status zs_gpt_sample_grads(zs_gpt *gpt, const uint32_t *inputs, const uint32_t *targets,
                              uint32_t n_samples, uint32_t seq_len, zs_sample_loss which,
                              float *out, zs_error *err);

/* ---- the sparse-parity MLP (REFERENCE §1) --------------------------------------------
 * Input n_tasks + n_bits (one-hot control code, task bits); `depth` hidden layers of
 * `width` ReLU units with biases; a 2-logit output; softmax cross-entropy in nats. The
 * first layer is a gather-add (the control code picks one weight column, set task bits add
 * theirs), identical to the dense product. Depth 1 has (n_tasks+n_bits+3)·width + 2
 * parameters, as REFERENCE §1. */
typedef struct {
    uint32_t n_tasks;
    uint32_t n_bits;
    uint32_t width;
    uint32_t depth; /* hidden layers, >= 1 */
} zs_mlp_config;

zs_status zs_mlp_config_check(const zs_mlp_config *cfg, zs_error *err);
uint64_t zs_mlp_params_total(const zs_mlp_config *cfg);
/* Exact FLOPs of one training step on `batch` examples, counting the first layer as the
 * dense product it equals (docs/model.md). */
double zs_mlp_flops_train(const zs_mlp_config *cfg, uint64_t batch);
zs_status zs_mlp_layout(const zs_mlp_config *cfg, zs_layout *out, zs_error *err);

typedef struct zs_mlp zs_mlp;
zs_status zs_mlp_create(zs_mlp **out, const zs_mlp_config *cfg, uint32_t max_batch, int threads,
                        zs_error *err);
void zs_mlp_free(zs_mlp *mlp);
const zs_mlp_config *zs_mlp_get_config(const zs_mlp *mlp);
const zs_layout *zs_mlp_get_layout(const zs_mlp *mlp);
float *zs_mlp_params(zs_mlp *mlp);
float *zs_mlp_grads(zs_mlp *mlp);
/* PyTorch's nn.Linear default: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), each
 * tensor from its own stream (seed, tensor index). */
void zs_mlp_init(zs_mlp *mlp, uint64_t seed);
/* Forward on a parity batch (batch->n_examples <= max_batch, built for the same n_tasks and
 * n_bits): mean loss in nats; example_loss_nats (n_examples, may be NULL) each example's.
 * The batch is checked (task-bit words, subtask ids, stray high bits, labels; ZS_ERR_RANGE
 * naming the row) and copied, so the caller may reuse it before zs_mlp_backward. */
zs_status zs_mlp_forward(zs_mlp *mlp, const zs_parity_batch *batch, double *loss_nats,
                         float *example_loss_nats, zs_error *err);
/* The same on dense inputs (n_examples, n_tasks+n_bits) of 0/1 floats and 0/1 labels: the
 * reference the gather-add layer is tested against (bit-identical results). `inputs` is
 * borrowed, not copied: keep it unchanged until zs_mlp_backward. */
zs_status zs_mlp_forward_dense(zs_mlp *mlp, const float *inputs, const uint8_t *labels,
                               uint32_t n_examples, double *loss_nats, float *example_loss_nats,
                               zs_error *err);
void zs_mlp_zero_grad(zs_mlp *mlp);
/* Adds loss_scale × d(mean loss of the last forward)/d(params) into the gradients;
 * ZS_ERR_USAGE unless the last forward succeeded. */
zs_status zs_mlp_backward(zs_mlp *mlp, float loss_scale, zs_error *err);

/* ---- AdamW -----------------------------------------------------------------------------
 * Decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW:
 *   m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²;  m̂ = m/(1-β1^t);  v̂ = v/(1-β2^t)
 *   p -= lr (m̂ / (sqrt(v̂) + ε) + λ p)   (λ only on ZS_TENSOR_DECAY tensors). */
typedef struct {
    double beta1, beta2, eps, weight_decay;
} zs_adamw_config;

/* torch's defaults: β1 0.9, β2 0.999, ε 1e-8, weight decay 0.01. */
zs_adamw_config zs_adamw_defaults(void);
zs_status zs_adamw_config_check(const zs_adamw_config *cfg, zs_error *err);

typedef struct {
    zs_adamw_config cfg;
    const zs_layout *layout; /* borrowed: the model's */
    float *moments;          /* one allocation: m then v, each layout->numel */
    float *m, *v;
    uint64_t t; /* steps taken */
} zs_adamw;

zs_status zs_adamw_init(zs_adamw *opt, const zs_layout *layout, const zs_adamw_config *cfg,
                        zs_error *err);
void zs_adamw_free(zs_adamw *opt);
/* One update of params with grads at learning rate lr. */
void zs_adamw_step(zs_adamw *opt, float *params, const float *grads, double lr);

/* The global L2 norm of a gradient, accumulated in double in a fixed order. */
double zs_grad_norm(const float *grads, size_t n);
/* Clips to max_norm (no-op when norm <= max_norm or max_norm <= 0); returns the norm
 * before clipping. Non-finite norms are returned unchanged and nothing is scaled. */
double zs_grad_clip(float *grads, size_t n, double max_norm);

/* ---- safetensors -------------------------------------------------------------------------
 * The format of Hugging Face's safetensors: an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the
 * raw little-endian tensor bytes. docs/formats.md. */
typedef enum {
    ZS_ST_F32,
    ZS_ST_F64,
    ZS_ST_BF16,
    ZS_ST_I32,
    ZS_ST_U32,
    ZS_ST_I64,
    ZS_ST_U64,
    ZS_ST_U8
} zs_st_dtype;
const char *zs_st_dtype_name(zs_st_dtype dtype); /* "F32", "BF16", ... */
size_t zs_st_dtype_bytes(zs_st_dtype dtype);

typedef struct {
    const char *name;
    zs_st_dtype dtype;
    int ndim; /* 0 .. ZS_TENSOR_MAX_DIMS */
    uint64_t shape[ZS_TENSOR_MAX_DIMS];
    const void *data; /* product(shape) elements */
} zs_st_tensor;

typedef struct {
    const char *key;
    const char *value;
} zs_st_meta;

/* Writes the tensors (names unique) and metadata to path atomically. */
zs_status zs_safetensors_write(const char *path, const zs_st_tensor *tensors, size_t n_tensors,
                               const zs_st_meta *meta, size_t n_meta, zs_error *err);

/* A file opened for reading (memory-mapped); every header field, offset and size is
 * validated on open, and errors name the file and the tensor or field. */
typedef struct zs_safetensors zs_safetensors;
zs_status zs_safetensors_open(zs_safetensors **out, const char *path, zs_error *err);
void zs_safetensors_close(zs_safetensors *st);
size_t zs_safetensors_count(const zs_safetensors *st);
/* The i-th tensor in file order (data points into the map; not necessarily aligned). */
const zs_st_tensor *zs_safetensors_tensor(const zs_safetensors *st, size_t i);
/* The tensor of that name, or NULL. */
const zs_st_tensor *zs_safetensors_find(const zs_safetensors *st, const char *name);
/* The metadata value for key, or NULL. */
const char *zs_safetensors_meta(const zs_safetensors *st, const char *key);
/* The path the file was opened with (for messages). */
const char *zs_safetensors_path(const zs_safetensors *st);
/* Copies tensor `name` into dst, checking that it exists with this dtype and shape;
 * errors name the file, the tensor and what was expected vs found. */
zs_status zs_safetensors_read(const zs_safetensors *st, const char *name, zs_st_dtype dtype,
                              int ndim, const uint64_t *shape, void *dst, zs_error *err);

/* ---- checkpoints ---- a model's config, parameters and (optionally) AdamW state in one
 * safetensors file; the caller adds its own metadata (the trainer's step, RNG, data
 * position, options). docs/formats.md "Checkpoints". */
typedef enum { ZS_MODEL_GPT = 0, ZS_MODEL_MLP = 1 } zs_model_kind;
typedef struct {
    zs_model_kind kind;
    zs_gpt_config gpt; /* kind GPT */
    zs_mlp_config mlp; /* kind MLP */
} zs_model_config;
const char *zs_model_kind_name(zs_model_kind kind); /* "gpt", "mlp" */
/* Writes params as F32 tensors named as the layout names them; with opt != NULL also
 * "adamw.m.<name>" and "adamw.v.<name>" and metadata adamw.step, adamw.beta1/beta2/eps/
 * weight_decay; metadata "format": "zipscale-checkpoint", "format_version": "1",
 * "model": the config as JSON ({"kind":"gpt","vocab":...}), "zipscale_version"; then the
 * caller's extra (keys must not collide: ZS_ERR_USAGE). Atomic. The config must pass its
 * model's check and have layout->numel parameters (else ZS_ERR_USAGE). */
zs_status zs_checkpoint_write(const char *path, const zs_model_config *cfg, const zs_layout *layout,
                              const float *params, const zs_adamw *opt, const zs_st_meta *extra,
                              size_t n_extra, zs_error *err);
/* The model config stored in an opened checkpoint, checked as zs_gpt_config_check /
 * zs_mlp_config_check do (errors name the file and field). */
zs_status zs_checkpoint_config(const zs_safetensors *st, zs_model_config *cfg, zs_error *err);
/* Loads params, and AdamW moments + step when opt != NULL (opt already initialised on the
 * same layout; its cfg is checked against the file's, mismatch = ZS_ERR_FORMAT naming the
 * field), checking every tensor's presence, dtype and shape against the layout; a missing,
 * extra-for-the-model or mis-shaped tensor is an error naming the file and tensor. */
zs_status zs_checkpoint_load(const zs_safetensors *st, const zs_layout *layout, float *params,
                             zs_adamw *opt, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
