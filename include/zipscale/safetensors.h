/* zipscale nn: safetensors files (writer and validating memory-mapped reader) and the
 * checkpoints stored in them: a model's config, parameters and optionally AdamW state.
 * docs/formats.md "Checkpoints". */
#ifndef ZIPSCALE_SAFETENSORS_H
#define ZIPSCALE_SAFETENSORS_H

#include "zipscale/gpt.h"
#include "zipscale/mlp.h"
#include "zipscale/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- safetensors -------------------------------------------------------------------------
 * The format of Hugging Face's safetensors: an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the
 * raw little-endian tensor bytes. docs/formats.md. */
typedef enum {
    ZS_SAFETENSORS_F32,
    ZS_SAFETENSORS_F64,
    ZS_SAFETENSORS_BF16,
    ZS_SAFETENSORS_I32,
    ZS_SAFETENSORS_U32,
    ZS_SAFETENSORS_I64,
    ZS_SAFETENSORS_U64,
    ZS_SAFETENSORS_U8
} zs_safetensors_dtype;
const char *zs_safetensors_dtype_name(zs_safetensors_dtype dtype); /* "F32", "BF16", ... */
size_t zs_safetensors_dtype_bytes(zs_safetensors_dtype dtype);     /* 0 for an unknown value */

typedef struct {
    const char *name;
    zs_safetensors_dtype dtype;
    int ndim; /* 0 .. ZS_TENSOR_MAX_DIMS */
    uint64_t shape[ZS_TENSOR_MAX_DIMS];
    const void *data; /* product(shape) elements */
} zs_safetensors_tensor;

typedef struct {
    const char *key;
    const char *value;
} zs_safetensors_meta;

/* Writes the tensors (names unique) and metadata to path atomically.
 * Errors: ZS_ERR_USAGE (an unknown dtype, too many dimensions, a size past 2^63 bytes, NULL
 * data, an empty, reserved, repeated or non-UTF-8 name or metadata key: the message names the
 * tensor or key), ZS_ERR_IO (cannot write or rename the file into place). */
zs_status zs_safetensors_write(const char *path, const zs_safetensors_tensor *tensors,
                               size_t n_tensors, const zs_safetensors_meta *meta, size_t n_meta,
                               zs_error *err);

/* A file opened for reading (memory-mapped); every header field, offset and size is
 * validated on open, and errors name the file and the tensor or field. */
typedef struct zs_safetensors zs_safetensors;
/* Errors: ZS_ERR_IO (cannot open or map path), ZS_ERR_FORMAT (not a safetensors file: the
 * message names the tensor and field). */
zs_status zs_safetensors_open(zs_safetensors **out, const char *path, zs_error *err);
void zs_safetensors_close(zs_safetensors *st);
size_t zs_safetensors_count(const zs_safetensors *st);
/* The i-th tensor in file order (data points into the map; not necessarily aligned);
 * NULL when i >= zs_safetensors_count. */
const zs_safetensors_tensor *zs_safetensors_tensor_at(const zs_safetensors *st, size_t i);
/* The tensor of that name, or NULL. */
const zs_safetensors_tensor *zs_safetensors_find(const zs_safetensors *st, const char *name);
/* The metadata value for key, or NULL. */
const char *zs_safetensors_meta_value(const zs_safetensors *st, const char *key);
/* The path the file was opened with (for messages). */
const char *zs_safetensors_path(const zs_safetensors *st);
/* Copies tensor `name` into dst, checking that it exists with this dtype and shape;
 * errors name the file, the tensor and what was expected vs found.
 * Errors: ZS_ERR_USAGE (ndim not 0..ZS_TENSOR_MAX_DIMS), ZS_ERR_FORMAT (no such tensor, or
 * another dtype or shape). */
zs_status zs_safetensors_read(const zs_safetensors *st, const char *name,
                              zs_safetensors_dtype dtype, int ndim, const uint64_t *shape,
                              void *dst, zs_error *err);

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
 * model's check and have layout->numel parameters (else ZS_ERR_USAGE).
 * Errors: ZS_ERR_USAGE (an unknown kind, a config that fails its check or does not match
 * layout, opt on another layout, an extra key that collides, and those of
 * zs_safetensors_write), ZS_ERR_IO (cannot write or rename the file into place). */
zs_status zs_checkpoint_write(const char *path, const zs_model_config *cfg, const zs_layout *layout,
                              const float *params, const zs_adamw *opt,
                              const zs_safetensors_meta *extra, size_t n_extra, zs_error *err);
/* The model config stored in an opened checkpoint, checked as zs_gpt_config_check /
 * zs_mlp_config_check do (errors name the file and field), and against the file: every
 * parameter tensor the config implies must be there as F32 of its shape (the data are not
 * read), so a file that cannot hold its model is refused before the model is built.
 * Errors: ZS_ERR_FORMAT (not a zipscale checkpoint of this format_version, a "model"
 * metadata that is missing, not JSON, or names an unknown kind, field or a bad value, or a
 * parameter tensor it implies missing or of another dtype or shape). On failure *cfg is
 * zeroed. */
zs_status zs_checkpoint_read_config(const zs_safetensors *st, zs_model_config *cfg, zs_error *err);
/* Loads params, and AdamW moments + step when opt != NULL (opt already initialised on the
 * same layout; its cfg is checked against the file's, mismatch = ZS_ERR_FORMAT naming the
 * field), checking every tensor's presence, dtype and shape against the layout; a missing,
 * extra-for-the-model or mis-shaped tensor is an error naming the file and tensor.
 * On failure params and opt may be partly overwritten (opt->t is not).
 * Errors: ZS_ERR_USAGE (opt is on another layout), ZS_ERR_FORMAT (not a zipscale checkpoint
 * of this format_version, AdamW metadata missing or unlike opt->cfg, a tensor missing, extra
 * or of another dtype or shape). */
zs_status zs_checkpoint_load(const zs_safetensors *st, const zs_layout *layout, float *params,
                             zs_adamw *opt, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
