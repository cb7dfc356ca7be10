/* zipscale nn, the shared vocabulary: the training precision and named tensors carved out
 * of one buffer (the llm.c layout), in which every model keeps its parameters, gradients,
 * optimiser moments and activations. docs/model.md. */
#ifndef ZIPSCALE_LAYOUT_H
#define ZIPSCALE_LAYOUT_H

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- precision ---------------------------------------------------------------------
 * FP32: everything in float. BF16: mixed precision, bf16 matmul operands only; master
 * weights, accumulation, norms, softmax and optimiser state stay fp32. */
typedef enum { ZS_PRECISION_FP32 = 0, ZS_PRECISION_BF16 = 1 } zs_precision;

const char *zs_precision_name(zs_precision precision); /* "fp32", "bf16" */
/* Parses "fp32" / "bf16"; anything else is ZS_ERR_USAGE naming the accepted values.
 * Errors: ZS_ERR_USAGE (text is neither "fp32" nor "bf16"). */
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

#ifdef __cplusplus
}
#endif
#endif
