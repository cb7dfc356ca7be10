/* The trainer's checkpoint: nn's checkpoint (config, parameters, AdamW moments and step)
 * plus the loop's state in metadata "train.*" (step, data position, best loss, the log's
 * length, the options), and resuming from one. Every other piece of state (the shuffle
 * permutation, parity streams, the schedule) is a function of the seed and the step. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "train/train_internal.h"

char *zs_train_checkpoint_resolve(const char *path, zs_error *err) {
    struct stat st;
    size_t len = strlen(path);
    int dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    const char *leaf = dir ? "/checkpoint.safetensors" : "";
    char *out = zs_alloc(len + strlen(leaf) + 1, "checkpoint path", err);
    if (out) {
        memcpy(out, path, len);
        strcpy(out + len, leaf);
    }
    return out;
}

enum {
    META_STEP,
    META_TOKENS,
    META_SAMPLES,
    META_SEED,
    META_LOG_LINES,
    META_LAST_VAL,
    META_MIN_VAL,
    META_MIN_VAL_STEP,
    META_VAL_RISES,
    META_OPTIONS,
    META_COUNT
};
static const char *const meta_keys[META_COUNT] = {
    "train.step",      "train.tokens",        "train.data_samples", "train.seed",
    "train.log_lines", "train.last_val_loss", "train.min_val_loss", "train.min_val_step",
    "train.val_rises", "train.options"};

zs_status zs_train_checkpoint_save(const zs_train_ctx *ctx, zs_error *err) {
    char num[META_OPTIONS][40];
    snprintf(num[META_STEP], 40, "%" PRIu64, ctx->step);
    snprintf(num[META_TOKENS], 40, "%" PRIu64, ctx->step * ctx->tokens_per_step);
    snprintf(num[META_SAMPLES], 40, "%" PRIu64, ctx->step * ctx->samples_per_step);
    snprintf(num[META_SEED], 40, "%" PRIu64, ctx->opt->seed);
    snprintf(num[META_LOG_LINES], 40, "%" PRIu64, ctx->log_lines);
    /* Hexadecimal floats read back exactly. */
    snprintf(num[META_LAST_VAL], 40, "%a", ctx->last_val_loss);
    snprintf(num[META_MIN_VAL], 40, "%a", ctx->min_val_loss);
    snprintf(num[META_MIN_VAL_STEP], 40, "%" PRIu64, ctx->min_val_step);
    snprintf(num[META_VAL_RISES], 40, "%" PRIu64, ctx->val_rises);
    char *options = json_dumps(ctx->options, JSON_COMPACT | JSON_SORT_KEYS);
    if (!options) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (checkpoint options)");
    zs_safetensors_meta meta[META_COUNT];
    for (int i = 0; i < META_COUNT; i++)
        meta[i] = (zs_safetensors_meta){meta_keys[i], i == META_OPTIONS ? options : num[i]};
    const zs_train_model *m = ctx->model;
    zs_status s = zs_checkpoint_write(ctx->checkpoint_path, &m->cfg, m->layout, m->params,
                                      &ctx->adamw, meta, META_COUNT, err);
    free(options);
    return s;
}

static zs_status meta_u64(const zs_safetensors *st, const char *path, int key, uint64_t *out,
                          zs_error *err) {
    const char *text = zs_safetensors_meta_value(st, meta_keys[key]);
    char *end = NULL;
    if (text && *text) *out = strtoull(text, &end, 10);
    if (!text || !*text || *end)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: metadata \"%s\": expected an unsigned integer",
                       path, meta_keys[key]);
    return ZS_OK;
}

static zs_status meta_double(const zs_safetensors *st, const char *path, int key, double *out,
                             zs_error *err) {
    const char *text = zs_safetensors_meta_value(st, meta_keys[key]);
    char *end = NULL;
    if (text && *text) *out = strtod(text, &end);
    if (!text || !*text || *end)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: metadata \"%s\": expected a number", path,
                       meta_keys[key]);
    return ZS_OK;
}

zs_status zs_train_checkpoint_resume(zs_train_ctx *ctx, const char *given, uint64_t *log_lines,
                                     zs_error *err) {
    char *path = zs_train_checkpoint_resolve(given, err);
    if (!path) return ZS_ERR_NOMEM;
    zs_safetensors *st = NULL;
    uint64_t step = 0, samples = 0;
    zs_status s = zs_safetensors_open(&st, path, err);
    if (!s)
        s = zs_train_options_compare(path, zs_safetensors_meta_value(st, meta_keys[META_OPTIONS]),
                                     ctx->options, err);
    if (!s) s = meta_u64(st, path, META_STEP, &step, err);
    if (!s) s = meta_u64(st, path, META_SAMPLES, &samples, err);
    if (!s) s = meta_u64(st, path, META_LOG_LINES, log_lines, err);
    if (!s) s = meta_u64(st, path, META_MIN_VAL_STEP, &ctx->min_val_step, err);
    /* Absent from checkpoints written before early stopping existed: no rise counted. */
    if (!s && zs_safetensors_meta_value(st, meta_keys[META_VAL_RISES]))
        s = meta_u64(st, path, META_VAL_RISES, &ctx->val_rises, err);
    if (!s) s = meta_double(st, path, META_LAST_VAL, &ctx->last_val_loss, err);
    if (!s) s = meta_double(st, path, META_MIN_VAL, &ctx->min_val_loss, err);
    if (!s && (step > ctx->steps_total || samples != step * ctx->samples_per_step))
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: metadata: step %" PRIu64 " and data position %" PRIu64
                    " do not fit this run of %" PRIu64 " steps of %" PRIu64 " samples",
                    path, step, samples, ctx->steps_total, ctx->samples_per_step);
    if (!s) s = zs_checkpoint_load(st, ctx->model->layout, ctx->model->params, &ctx->adamw, err);
    if (!s && ctx->adamw.t != step)
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: AdamW has taken %" PRIu64 " steps but the trainer's step is %" PRIu64,
                    path, ctx->adamw.t, step);
    if (!s) ctx->step = step;
    zs_safetensors_close(st);
    free(path);
    return s;
}
