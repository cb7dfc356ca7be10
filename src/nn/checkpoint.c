/* Checkpoints: a model's config (as JSON in the metadata), its parameters and optionally
 * its AdamW moments and step, in one safetensors file; loading checks the format, every
 * tensor against the model's layout and the optimiser's settings. docs/formats.md. */
#include "zipscale/nn.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "nn/safetensors_internal.h"

#define FORMAT_NAME "zipscale-checkpoint"
#define FORMAT_VERSION "1"
#define MOMENT_NAME_MAX (ZS_TENSOR_NAME_MAX + 8) /* "adamw.m." + a layout name */

typedef struct {
    const char *name;
    size_t offset; /* of a uint32_t in zs_model_config */
} config_field;

static const config_field gpt_fields[] = {
    {"vocab", offsetof(zs_model_config, gpt.vocab)},
    {"context", offsetof(zs_model_config, gpt.context)},
    {"d_model", offsetof(zs_model_config, gpt.d_model)},
    {"layers", offsetof(zs_model_config, gpt.layers)},
    {"heads", offsetof(zs_model_config, gpt.heads)},
    {"mlp_hidden", offsetof(zs_model_config, gpt.mlp_hidden)},
};
static const config_field mlp_fields[] = {
    {"n_tasks", offsetof(zs_model_config, mlp.n_tasks)},
    {"n_bits", offsetof(zs_model_config, mlp.n_bits)},
    {"width", offsetof(zs_model_config, mlp.width)},
    {"depth", offsetof(zs_model_config, mlp.depth)},
};
static zs_status check_gpt(const zs_model_config *cfg, zs_error *err) {
    return zs_gpt_config_check(&cfg->gpt, err);
}
static zs_status check_mlp(const zs_model_config *cfg, zs_error *err) {
    return zs_mlp_config_check(&cfg->mlp, err);
}
static uint64_t params_gpt(const zs_model_config *cfg) {
    return zs_gpt_params_total(&cfg->gpt);
}
static uint64_t params_mlp(const zs_model_config *cfg) {
    return zs_mlp_params_total(&cfg->mlp);
}

static zs_status layout_gpt(const zs_model_config *cfg, zs_layout *out, zs_error *err) {
    return zs_gpt_layout(&cfg->gpt, out, err);
}
static zs_status layout_mlp(const zs_model_config *cfg, zs_layout *out, zs_error *err) {
    return zs_mlp_layout(&cfg->mlp, out, err);
}

static const struct {
    const char *name;
    const config_field *fields;
    size_t n_fields;
    zs_status (*check)(const zs_model_config *cfg, zs_error *err); /* the model's own */
    uint64_t (*params)(const zs_model_config *cfg);                /* its parameter count */
    zs_status (*layout)(const zs_model_config *cfg, zs_layout *out, zs_error *err);
} kinds[] = {
    [ZS_MODEL_GPT] = {"gpt", gpt_fields, sizeof gpt_fields / sizeof gpt_fields[0], check_gpt,
                      params_gpt, layout_gpt},
    [ZS_MODEL_MLP] = {"mlp", mlp_fields, sizeof mlp_fields / sizeof mlp_fields[0], check_mlp,
                      params_mlp, layout_mlp},
};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

/* The AdamW settings stored beside the moments, compared exactly on load. */
static const struct {
    const char *key;
    size_t offset; /* of a double in zs_adamw_opts */
} adamw_fields[] = {
    {"adamw.beta1", offsetof(zs_adamw_opts, beta1)},
    {"adamw.beta2", offsetof(zs_adamw_opts, beta2)},
    {"adamw.eps", offsetof(zs_adamw_opts, eps)},
    {"adamw.weight_decay", offsetof(zs_adamw_opts, weight_decay)},
};
enum { N_ADAMW = sizeof adamw_fields / sizeof adamw_fields[0] };

/* format, format_version, model, zipscale_version, adamw.step and the AdamW settings */
enum { N_OWN_META = 5 + N_ADAMW };

const char *zs_model_kind_name(zs_model_kind kind) {
    return (unsigned)kind < N_KINDS ? kinds[kind].name : "?";
}

static uint32_t *field_at(zs_model_config *cfg, const config_field *f) {
    return (uint32_t *)((char *)cfg + f->offset);
}

static uint32_t field_value(const zs_model_config *cfg, const config_field *f) {
    return *(const uint32_t *)((const char *)cfg + f->offset);
}

static double adamw_value(const zs_adamw_opts *cfg, size_t i) {
    return *(const double *)((const char *)cfg + adamw_fields[i].offset);
}

/* ---- writing ---- */

/* A valid config whose model has as many parameters as the layout. */
static zs_status check_model(const char *path, const zs_model_config *cfg, const zs_layout *layout,
                             zs_error *err) {
    if ((unsigned)cfg->kind >= N_KINDS)
        return zs_fail(err, ZS_ERR_USAGE, "%s: unknown model kind %d", path, (int)cfg->kind);
    zs_error inner;
    if (kinds[cfg->kind].check(cfg, &inner))
        return zs_fail(err, ZS_ERR_USAGE, "%s: %s", path, inner.msg);
    uint64_t n = kinds[cfg->kind].params(cfg);
    if (n != layout->numel)
        return zs_fail(err, ZS_ERR_USAGE,
                       "%s: the layout holds %zu parameters, the %s config's model %" PRIu64, path,
                       layout->numel, kinds[cfg->kind].name, n);
    return ZS_OK;
}

/* {"kind":"gpt","vocab":...} as a malloc'd string. */
static zs_status model_json(const char *path, const zs_model_config *cfg, char **out,
                            zs_error *err) {
    json_t *obj = json_pack("{s:s}", "kind", kinds[cfg->kind].name);
    for (size_t i = 0; obj && i < kinds[cfg->kind].n_fields; i++) {
        const config_field *f = &kinds[cfg->kind].fields[i];
        json_object_set_new(obj, f->name, json_integer(field_value(cfg, f)));
    }
    *out = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(obj);
    return *out ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory", path);
}

/* Our own keys, in meta[0 .. *n), their values in text (one row of 32 chars per number). */
static void own_meta(const char *model, const zs_adamw *opt, char text[][32],
                     zs_safetensors_meta *meta, size_t *n) {
    meta[0] = (zs_safetensors_meta){"format", FORMAT_NAME};
    meta[1] = (zs_safetensors_meta){"format_version", FORMAT_VERSION};
    meta[2] = (zs_safetensors_meta){"model", model};
    meta[3] = (zs_safetensors_meta){"zipscale_version", zs_version()};
    *n = 4;
    if (!opt) return;
    snprintf(text[0], 32, "%" PRIu64, opt->t);
    meta[(*n)++] = (zs_safetensors_meta){"adamw.step", text[0]};
    for (size_t i = 0; i < N_ADAMW; i++) {
        snprintf(text[1 + i], 32, "%.17g", adamw_value(&opt->cfg, i));
        meta[(*n)++] = (zs_safetensors_meta){adamw_fields[i].key, text[1 + i]};
    }
}

static zs_status check_extra(const char *path, const zs_safetensors_meta *own, size_t n_own,
                             const zs_safetensors_meta *extra, size_t n_extra, zs_error *err) {
    for (size_t i = 0; i < n_extra; i++) {
        for (size_t j = 0; j < n_own; j++)
            if (extra[i].key && strcmp(extra[i].key, own[j].key) == 0)
                return zs_fail(err, ZS_ERR_USAGE,
                               "%s: metadata key '%s' is the checkpoint's own; pick another", path,
                               extra[i].key);
        if (extra[i].key && strncmp(extra[i].key, "adamw.", 6) == 0)
            return zs_fail(err, ZS_ERR_USAGE,
                           "%s: metadata key '%s': the prefix 'adamw.' is the checkpoint's own",
                           path, extra[i].key);
    }
    return ZS_OK;
}

/* One F32 tensor per layout entry, its data at base + offset, its name prefix + name. */
static void layout_tensors(const zs_layout *layout, const float *base, const char *prefix,
                           char (*names)[MOMENT_NAME_MAX], zs_safetensors_tensor *out) {
    for (size_t i = 0; i < layout->n_tensors; i++) {
        const zs_tensor *t = &layout->tensors[i];
        snprintf(names[i], MOMENT_NAME_MAX, "%s%s", prefix, t->name);
        out[i] = (zs_safetensors_tensor){.name = names[i],
                                         .dtype = ZS_SAFETENSORS_F32,
                                         .ndim = t->ndim,
                                         .data = base + t->offset};
        for (int d = 0; d < t->ndim; d++) out[i].shape[d] = t->shape[d];
    }
}

zs_status zs_checkpoint_write(const char *path, const zs_model_config *cfg, const zs_layout *layout,
                              const float *params, const zs_adamw *opt,
                              const zs_safetensors_meta *extra, size_t n_extra, zs_error *err) {
    if (opt && (!opt->layout || opt->layout->numel != layout->numel))
        return zs_fail(err, ZS_ERR_USAGE, "%s: the optimiser's layout is not the model's", path);
    char *model = NULL;
    zs_status s = check_model(path, cfg, layout, err);
    if (!s) s = model_json(path, cfg, &model, err);
    if (s) return s;
    char text[1 + N_ADAMW][32];
    zs_safetensors_meta own[N_OWN_META];
    size_t n_own;
    own_meta(model, opt, text, own, &n_own);
    size_t n_tensors = layout->n_tensors * (opt ? 3 : 1);
    zs_safetensors_meta *meta = NULL;
    zs_safetensors_tensor *tensors = NULL;
    char(*names)[MOMENT_NAME_MAX] = NULL;
    if ((s = check_extra(path, own, n_own, extra, n_extra, err))) goto done;
    meta = zs_calloc(n_own + n_extra, sizeof *meta, "checkpoint metadata", err);
    tensors = zs_calloc(n_tensors + 1, sizeof *tensors, "checkpoint tensors", err);
    names = zs_calloc(n_tensors + 1, sizeof *names, "checkpoint tensor names", err);
    if (!meta || !tensors || !names) {
        s = ZS_ERR_NOMEM;
        goto done;
    }
    memcpy(meta, own, n_own * sizeof *own);
    if (n_extra) memcpy(meta + n_own, extra, n_extra * sizeof *extra);
    size_t n = layout->n_tensors;
    layout_tensors(layout, params, "", names, tensors);
    if (opt) {
        layout_tensors(layout, opt->m, "adamw.m.", names + n, tensors + n);
        layout_tensors(layout, opt->v, "adamw.v.", names + 2 * n, tensors + 2 * n);
    }
    s = zs_safetensors_write(path, tensors, n_tensors, meta, n_own + n_extra, err);
done:
    free(names);
    free(tensors);
    free(meta);
    free(model);
    return s;
}

/* ---- reading ---- */

static zs_status bad_meta(const zs_safetensors *st, const char *key, const char *what,
                          const char *found, zs_error *err) {
    return zs_fail(err, ZS_ERR_FORMAT, "%s: metadata '%s': expected %s, found %s",
                   zs_safetensors_path(st), key, what, found ? found : "none");
}

static zs_status check_format(const zs_safetensors *st, zs_error *err) {
    const char *format = zs_safetensors_meta_value(st, "format");
    if (!format || strcmp(format, FORMAT_NAME) != 0)
        return bad_meta(st, "format", "\"" FORMAT_NAME "\" (not a zipscale checkpoint)", format,
                        err);
    const char *version = zs_safetensors_meta_value(st, "format_version");
    if (!version || strcmp(version, FORMAT_VERSION) != 0)
        return bad_meta(st, "format_version", FORMAT_VERSION, version, err);
    return ZS_OK;
}

/* Fails with "PATH: metadata 'model': field 'FIELD': expected WHAT". */
static zs_status bad_model(const zs_safetensors *st, const char *field, const char *what,
                           zs_error *err) {
    zs_json_reader rd = {zs_safetensors_path(st), err, "metadata 'model'", 1};
    return zs_json_fail(&rd, NULL, field, what);
}

static zs_status parse_kind(const zs_safetensors *st, json_t *obj, zs_model_config *cfg,
                            zs_error *err) {
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    for (unsigned k = 0; kind && k < N_KINDS; k++) {
        if (strcmp(kind, kinds[k].name) == 0) {
            cfg->kind = (zs_model_kind)k;
            return ZS_OK;
        }
    }
    return bad_model(st, "kind", "\"gpt\" or \"mlp\"", err);
}

static const config_field *find_field(zs_model_kind kind, const char *name) {
    for (size_t i = 0; i < kinds[kind].n_fields; i++)
        if (strcmp(kinds[kind].fields[i].name, name) == 0) return &kinds[kind].fields[i];
    return NULL;
}

static zs_status parse_model(const zs_safetensors *st, json_t *obj, zs_model_config *cfg,
                             zs_error *err) {
    zs_status s = parse_kind(st, obj, cfg, err);
    if (s) return s;
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        if (strcmp(key, "kind") == 0) continue;
        if (!find_field(cfg->kind, key))
            return zs_fail(err, ZS_ERR_FORMAT, "%s: metadata 'model': unknown field '%s' for %s",
                           zs_safetensors_path(st), key, kinds[cfg->kind].name);
    }
    for (size_t i = 0; i < kinds[cfg->kind].n_fields; i++) {
        const config_field *f = &kinds[cfg->kind].fields[i];
        json_t *v = json_object_get(obj, f->name);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > (json_int_t)UINT32_MAX)
            return bad_model(st, f->name, "an integer in [0, 4294967295]", err);
        *field_at(cfg, f) = (uint32_t)json_integer_value(v);
    }
    zs_error inner;
    if (kinds[cfg->kind].check(cfg, &inner))
        return zs_fail(err, ZS_ERR_FORMAT, "%s: metadata 'model': %s", zs_safetensors_path(st),
                       inner.msg);
    return ZS_OK;
}

/* Every parameter tensor the layout has is in the file as F32 of its shape (the data are
 * not read): a file that cannot hold its config's model is refused before one is built. */
static zs_status check_params_present(const zs_safetensors *st, const zs_layout *layout,
                                      zs_error *err) {
    for (size_t i = 0; i < layout->n_tensors; i++) {
        const zs_tensor *want = &layout->tensors[i];
        const zs_safetensors_tensor *t = zs_safetensors_find(st, want->name);
        if (!t)
            return zs_fail(err, ZS_ERR_FORMAT, "%s: no tensor '%s', which metadata 'model' implies",
                           zs_safetensors_path(st), want->name);
        uint64_t shape[ZS_TENSOR_MAX_DIMS];
        int same = t->dtype == ZS_SAFETENSORS_F32 && t->ndim == want->ndim;
        for (int d = 0; d < want->ndim; d++) {
            shape[d] = want->shape[d];
            same = same && t->shape[d] == shape[d];
        }
        if (!same) {
            char a[160], b[160];
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: tensor '%s': expected F32 shape %s (from metadata 'model'), found "
                           "%s %s",
                           zs_safetensors_path(st), want->name,
                           zs_safetensors_shape_text(a, sizeof a, want->ndim, shape),
                           zs_safetensors_dtype_name(t->dtype),
                           zs_safetensors_shape_text(b, sizeof b, t->ndim, t->shape));
        }
    }
    return ZS_OK;
}

static zs_status check_tensors(const zs_safetensors *st, const zs_model_config *cfg,
                               zs_error *err) {
    zs_layout layout = {0};
    zs_status s = kinds[cfg->kind].layout(cfg, &layout, err);
    if (!s) s = check_params_present(st, &layout, err);
    zs_layout_free(&layout);
    return s;
}

zs_status zs_checkpoint_read_config(const zs_safetensors *st, zs_model_config *cfg, zs_error *err) {
    memset(cfg, 0, sizeof *cfg);
    zs_status s = check_format(st, err);
    if (s) return s;
    const char *text = zs_safetensors_meta_value(st, "model");
    if (!text) return bad_meta(st, "model", "the model's config as JSON", NULL, err);
    json_error_t jerr;
    json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: metadata 'model': JSON column %d: %s",
                       zs_safetensors_path(st), jerr.column, jerr.text);
    s = json_is_object(obj) ? parse_model(st, obj, cfg, err)
                            : bad_meta(st, "model", "a JSON object", text, err);
    json_decref(obj);
    if (!s) s = check_tensors(st, cfg, err);
    if (s) memset(cfg, 0, sizeof *cfg);
    return s;
}

/* A tensor of the file that is neither a parameter nor (prefixed) a moment of the layout. */
static zs_status check_no_extra(const zs_safetensors *st, const zs_layout *layout, zs_error *err) {
    for (size_t i = 0; i < zs_safetensors_count(st); i++) {
        const char *name = zs_safetensors_tensor_at(st, i)->name;
        const char *base = name;
        if (strncmp(name, "adamw.m.", 8) == 0 || strncmp(name, "adamw.v.", 8) == 0) base += 8;
        if (!zs_layout_find(layout, base))
            return zs_fail(err, ZS_ERR_FORMAT, "%s: tensor '%s' is not part of the model",
                           zs_safetensors_path(st), name);
    }
    return ZS_OK;
}

static zs_status read_layout(const zs_safetensors *st, const zs_layout *layout, const char *prefix,
                             float *base, zs_error *err) {
    for (size_t i = 0; i < layout->n_tensors; i++) {
        const zs_tensor *t = &layout->tensors[i];
        char name[MOMENT_NAME_MAX];
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        uint64_t shape[ZS_TENSOR_MAX_DIMS];
        for (int d = 0; d < t->ndim; d++) shape[d] = t->shape[d];
        zs_status s = zs_safetensors_read(st, name, ZS_SAFETENSORS_F32, t->ndim, shape,
                                          base + t->offset, err);
        if (s) return s;
    }
    return ZS_OK;
}

/* adamw.step and the settings; the settings must equal the optimiser's. */
static zs_status read_adamw_meta(const zs_safetensors *st, const zs_adamw *opt, uint64_t *step,
                                 zs_error *err) {
    const char *text = zs_safetensors_meta_value(st, "adamw.step");
    char *end;
    errno = 0;
    *step = text ? strtoull(text, &end, 10) : 0;
    if (!text || !isdigit((unsigned char)*text) || *end || errno) /* no sign or spaces */
        return bad_meta(st, "adamw.step", "the optimiser's step count (saved without it?)", text,
                        err);
    for (size_t i = 0; i < N_ADAMW; i++) {
        const char *key = adamw_fields[i].key;
        const char *value = zs_safetensors_meta_value(st, key);
        double want = adamw_value(&opt->cfg, i);
        double found = value ? strtod(value, &end) : 0;
        if (!value || !*value || *end) return bad_meta(st, key, "a number", value, err);
        if (found != want)
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: metadata '%s': the checkpoint has %.17g, the optimiser %.17g",
                           zs_safetensors_path(st), key, found, want);
    }
    return ZS_OK;
}

zs_status zs_checkpoint_load(const zs_safetensors *st, const zs_layout *layout, float *params,
                             zs_adamw *opt, zs_error *err) {
    if (opt && (!opt->layout || opt->layout->numel != layout->numel))
        return zs_fail(err, ZS_ERR_USAGE, "%s: the optimiser's layout is not the model's",
                       zs_safetensors_path(st));
    uint64_t step = 0;
    zs_status s = check_format(st, err);
    if (!s && opt) s = read_adamw_meta(st, opt, &step, err);
    if (!s) s = check_no_extra(st, layout, err);
    if (!s) s = read_layout(st, layout, "", params, err);
    if (!s && opt) s = read_layout(st, layout, "adamw.m.", opt->m, err);
    if (!s && opt) s = read_layout(st, layout, "adamw.v.", opt->v, err);
    if (!s && opt) opt->t = step;
    return s;
}
