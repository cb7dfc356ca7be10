/* The token classes' summary file ("zipscale-quanta-tokens", version 1; zipscale/
 * quanta_tokens.h): counts, thresholds, per model the mean losses of each class, and a few
 * examples per class with their context; written by `zipscale quanta tokens -o` and read
 * back by the report. docs/quanta.md lists every field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "zipscale/quanta_tokens.h"
#include "zipscale/version.h"

#define SUMMARY_FORMAT "zipscale-quanta-tokens"
#define SUMMARY_VERSION 1

/* The order examples are listed in: the two interesting classes first. */
static const int example_order[ZS_TOKEN_N_CLASSES] = {ZS_TOKEN_MONOGENIC, ZS_TOKEN_POLYGENIC,
                                                      ZS_TOKEN_OTHER};

size_t zs_token_examples_pick(const zs_token_classes *c, int k, size_t want, size_t *idx) {
    size_t have = c->count[k];
    if (want > have) want = have;
    size_t seen = 0, next = 0, shown = 0;
    for (size_t t = 0; t < c->n_tokens && shown < want; t++) {
        if (c->cls[t] != k || seen++ != next) continue;
        idx[shown++] = t;
        next = (size_t)((double)shown * (double)have / (double)want);
    }
    return shown;
}

/* ---- writing ---- */

static json_t *example_json(const zs_token_loss_family *f, const zs_token_classes *c, size_t t,
                            size_t context_shown, const zs_tokens *data) {
    uint64_t w = t / f->context, pos = t % f->context;
    uint64_t target = (f->first_window + w) * f->context + pos + 1;
    json_t *loss = json_array(), *ctx = json_array();
    for (size_t j = 0; loss && j < f->n_models; j++)
        json_array_append_new(loss, zs_json_number(f->loss[j][t]));
    json_t *tok = json_null();
    if (data && target < data->n_tokens) {
        uint64_t from = pos + 1 > context_shown ? target - context_shown : target - pos - 1;
        for (uint64_t i = from; ctx && i < target; i++)
            json_array_append_new(ctx, json_integer((json_int_t)zs_tokens_at(data, i)));
        json_decref(tok);
        tok = json_integer((json_int_t)zs_tokens_at(data, target));
    }
    return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "class",
                     zs_token_class_name((zs_token_class)c->cls[t]), "window", (json_int_t)w,
                     "position", (json_int_t)pos, "mono_at", (json_int_t)c->mono_at[t], "slope",
                     zs_json_number(c->slope[t]), "r2", zs_json_number(c->r2[t]), "loss",
                     loss ? loss : json_null(), "context", ctx ? ctx : json_null(), "target", tok);
}

static json_t *classes_json(const zs_token_classes *c) {
    json_t *obj = json_object();
    for (int k = 0; obj && k < ZS_TOKEN_N_CLASSES; k++) {
        json_t *mean = json_array();
        for (size_t j = 0; mean && j < c->n_models; j++)
            json_array_append_new(mean, zs_json_number(c->class_mean_loss[k * c->n_models + j]));
        json_object_set_new(obj, zs_token_class_name((zs_token_class)k),
                            json_pack("{s:I, s:f, s:o}", "count", (json_int_t)c->count[k], "share",
                                      (double)c->count[k] / (double)c->n_tokens, "mean_loss",
                                      mean ? mean : json_null()));
    }
    return obj ? obj : json_null();
}

zs_status zs_token_summary_write(const char *path, const zs_token_loss_family *f,
                                 const zs_token_classes *c, const zs_token_class_opts *opts,
                                 size_t examples, size_t context_shown, const zs_tokens *data,
                                 zs_error *err) {
    json_t *models = json_array(), *ex = json_array();
    for (size_t j = 0; models && j < f->n_models; j++) {
        double mean = 0;
        for (size_t t = 0; t < c->n_tokens; t++) mean += f->loss[j][t];
        mean /= (double)c->n_tokens;
        json_array_append_new(models,
                              json_pack("{s:s, s:f, s:o, s:I}", "file", f->paths[j], "n_params",
                                        f->n_params[j], "mean_loss", zs_json_number(mean),
                                        "monogenic_at", (json_int_t)c->mono_count_at[j]));
    }
    size_t *idx = zs_alloc((examples ? examples : 1) * sizeof *idx, "token examples", err);
    if (!idx) {
        json_decref(models);
        json_decref(ex);
        return ZS_ERR_NOMEM;
    }
    for (int o = 0; ex && o < ZS_TOKEN_N_CLASSES; o++) {
        size_t got = zs_token_examples_pick(c, example_order[o], examples, idx);
        for (size_t i = 0; i < got; i++)
            json_array_append_new(ex, example_json(f, c, idx[i], context_shown, data));
    }
    free(idx);
    json_t *doc = json_pack(
        "{s:s, s:i, s:s, s:{s:f, s:f, s:f, s:f}, s:{s:s, s:I, s:I, s:I}, s:I, s:o, s:o, s:o}",
        "format", SUMMARY_FORMAT, "format_version", SUMMARY_VERSION, "zipscale_version",
        zs_version(), "thresholds", "mono_high_nats", opts->mono_high_nats, "mono_low_nats",
        opts->mono_low_nats, "poly_max_slope", opts->poly_max_slope, "poly_min_r2",
        opts->poly_min_r2, "data", "path", f->data_path, "first_window",
        (json_int_t)f->first_window, "windows", (json_int_t)f->windows, "context",
        (json_int_t)f->context, "n_tokens", (json_int_t)c->n_tokens, "models",
        models ? models : json_null(), "classes", classes_json(c), "examples",
        ex ? ex : json_null());
    return zs_json_write_file(doc, "token classes summary", path, err);
}

/* ---- reading ---- */

void zs_token_summary_free(zs_token_summary *s) {
    for (size_t j = 0; s->paths && j < s->classes.n_models; j++) free(s->paths[j]);
    for (size_t i = 0; s->examples && i < s->n_examples; i++) {
        free(s->examples[i].loss);
        free(s->examples[i].context);
    }
    free(s->paths);
    free(s->mean_loss);
    free(s->data_path);
    free(s->examples);
    zs_token_classes_free(&s->classes);
    memset(s, 0, sizeof *s);
}

/* A list of n numbers (null: NAN) into out. */
static zs_status read_numbers(const zs_json_reader *rd, json_t *obj, const char *p, const char *key,
                              size_t n, double *out) {
    json_t *arr;
    zs_status s = zs_json_get_array(rd, obj, p, key, 0, &arr);
    if (s) return s;
    if (json_array_size(arr) != n) return zs_json_fail(rd, p, key, "one number per model");
    for (size_t j = 0; j < n; j++) {
        json_t *e = json_array_get(arr, j);
        if (json_is_null(e))
            out[j] = NAN;
        else if (json_is_number(e))
            out[j] = json_number_value(e);
        else
            return zs_json_fail(rd, p, key, "one number (or null) per model");
    }
    return ZS_OK;
}

static zs_status read_models(const zs_json_reader *rd, json_t *root, zs_token_summary *s) {
    json_t *arr;
    zs_status st = zs_json_get_array(rd, root, NULL, "models", 0, &arr);
    if (st) return st;
    size_t n = json_array_size(arr);
    if (n < 2) return zs_json_fail(rd, NULL, "models", "at least 2 models");
    zs_token_classes *c = &s->classes;
    c->n_params = calloc(n, sizeof *c->n_params);
    c->mono_count_at = calloc(n, sizeof *c->mono_count_at);
    s->paths = calloc(n, sizeof *s->paths);
    s->mean_loss = calloc(n, sizeof *s->mean_loss);
    if (!c->n_params || !c->mono_count_at || !s->paths || !s->mean_loss) return zs_json_nomem(rd);
    c->n_models = n;
    for (size_t j = 0; !st && j < n; j++) {
        char p[64];
        json_t *m;
        uint64_t at = 0;
        st = zs_json_get_element(rd, arr, "models", j, p, sizeof p, &m);
        if (!st) st = zs_json_get_string(rd, m, p, "file", 0, &s->paths[j]);
        if (!st) st = zs_json_get_number(rd, m, p, "n_params", ZS_JSON_POSITIVE, &c->n_params[j]);
        if (!st && j > 0 && !(c->n_params[j] > c->n_params[j - 1]))
            st = zs_json_fail(rd, p, "n_params", "a count above the previous model's");
        s->mean_loss[j] = NAN;
        if (!st) st = zs_json_get_number(rd, m, p, "mean_loss", ZS_JSON_NULLABLE, &s->mean_loss[j]);
        if (!st) st = zs_json_get_uint(rd, m, p, "monogenic_at", 0, &at);
        c->mono_count_at[j] = (size_t)at;
    }
    return st;
}

static zs_status read_classes(const zs_json_reader *rd, json_t *root, zs_token_summary *s) {
    zs_token_classes *c = &s->classes;
    json_t *obj;
    zs_status st = zs_json_get_object(rd, root, NULL, "classes", NULL, 0, &obj);
    if (st) return st;
    c->class_mean_loss = calloc(ZS_TOKEN_N_CLASSES * c->n_models, sizeof *c->class_mean_loss);
    if (!c->class_mean_loss) return zs_json_nomem(rd);
    size_t total = 0;
    for (int k = 0; !st && k < ZS_TOKEN_N_CLASSES; k++) {
        char p[64];
        json_t *x;
        snprintf(p, sizeof p, "classes.%s.", zs_token_class_name((zs_token_class)k));
        st = zs_json_get_object(rd, obj, "classes.", zs_token_class_name((zs_token_class)k), NULL,
                                0, &x);
        if (!st) st = zs_json_get_size(rd, x, p, "count", 0, &c->count[k]);
        if (!st)
            st = read_numbers(rd, x, p, "mean_loss", c->n_models,
                              c->class_mean_loss + k * c->n_models);
        total += c->count[k];
    }
    if (!st && total != c->n_tokens)
        st = zs_json_fail(rd, NULL, "classes", "counts that sum to n_tokens");
    return st;
}

static zs_status read_example(const zs_json_reader *rd, json_t *e, const char *p, size_t n_models,
                              zs_token_example *x) {
    char *name = NULL;
    zs_status st = zs_json_get_string(rd, e, p, "class", 0, &name);
    x->cls = -1;
    for (int k = 0; !st && k < ZS_TOKEN_N_CLASSES; k++)
        if (strcmp(name, zs_token_class_name((zs_token_class)k)) == 0) x->cls = k;
    free(name);
    if (!st && x->cls < 0) st = zs_json_fail(rd, p, "class", "other, monogenic or polygenic");
    uint64_t at = 0;
    if (!st) st = zs_json_get_uint(rd, e, p, "window", 0, &x->window);
    if (!st) st = zs_json_get_uint(rd, e, p, "position", 0, &x->position);
    if (!st) st = zs_json_get_uint(rd, e, p, "mono_at", 0, &at);
    x->mono_at = (uint32_t)at;
    x->slope = x->r2 = NAN;
    if (!st) st = zs_json_get_number(rd, e, p, "slope", ZS_JSON_NULLABLE, &x->slope);
    if (!st) st = zs_json_get_number(rd, e, p, "r2", ZS_JSON_NULLABLE, &x->r2);
    x->loss = calloc(n_models, sizeof *x->loss);
    if (!st && !x->loss) st = zs_json_nomem(rd);
    if (!st) st = read_numbers(rd, e, p, "loss", n_models, x->loss);
    json_t *ctx = NULL;
    if (!st) st = zs_json_get_array(rd, e, p, "context", 0, &ctx);
    size_t nc = ctx ? json_array_size(ctx) : 0;
    x->context = calloc(nc ? nc : 1, sizeof *x->context);
    if (!st && !x->context) st = zs_json_nomem(rd);
    for (size_t i = 0; !st && i < nc; i++) {
        json_t *v = json_array_get(ctx, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            st = zs_json_fail(rd, p, "context", "token ids >= 0");
        else
            x->context[i] = (uint64_t)json_integer_value(v);
    }
    x->n_context = nc;
    json_t *tok = zs_json_member(e, "target");
    x->target = -1;
    if (!st && json_is_integer(tok) && json_integer_value(tok) >= 0)
        x->target = (int64_t)json_integer_value(tok);
    else if (!st && !json_is_null(tok))
        st = zs_json_fail(rd, p, "target", "a token id >= 0 or null");
    return st;
}

static zs_status read_examples(const zs_json_reader *rd, json_t *root, zs_token_summary *s) {
    json_t *arr;
    zs_status st = zs_json_get_array(rd, root, NULL, "examples", 0, &arr);
    if (st) return st;
    size_t n = json_array_size(arr);
    s->examples = calloc(n ? n : 1, sizeof *s->examples);
    if (!s->examples) return zs_json_nomem(rd);
    for (size_t i = 0; !st && i < n; i++) {
        char p[64];
        json_t *e;
        s->n_examples = i + 1;
        st = zs_json_get_element(rd, arr, "examples", i, p, sizeof p, &e);
        if (!st) st = read_example(rd, e, p, s->classes.n_models, &s->examples[i]);
    }
    return st;
}

static zs_status read_doc(const zs_json_reader *rd, json_t *root, zs_token_summary *s) {
    zs_status st = zs_json_check_format(rd, root, SUMMARY_FORMAT, SUMMARY_VERSION,
                                        "is this the summary of zipscale quanta tokens -o?",
                                        "this zipscale reads version 1");
    json_t *th = NULL, *data = NULL;
    zs_token_class_opts *o = &s->opts;
    if (!st) st = zs_json_get_object(rd, root, NULL, "thresholds", NULL, 0, &th);
    if (!st)
        st = zs_json_get_number(rd, th, "thresholds.", "mono_high_nats", 0, &o->mono_high_nats);
    if (!st) st = zs_json_get_number(rd, th, "thresholds.", "mono_low_nats", 0, &o->mono_low_nats);
    if (!st)
        st = zs_json_get_number(rd, th, "thresholds.", "poly_max_slope", 0, &o->poly_max_slope);
    if (!st) st = zs_json_get_number(rd, th, "thresholds.", "poly_min_r2", 0, &o->poly_min_r2);
    if (!st) {
        zs_error why = {0};
        if (zs_token_class_opts_check(o, &why))
            st = zs_fail(rd->err, ZS_ERR_FORMAT, "%s: thresholds: %s", rd->path, why.msg);
    }
    if (!st) st = zs_json_get_object(rd, root, NULL, "data", NULL, 0, &data);
    if (!st) st = zs_json_get_string(rd, data, "data.", "path", 0, &s->data_path);
    if (!st) st = zs_json_get_uint(rd, data, "data.", "first_window", 0, &s->first_window);
    if (!st) st = zs_json_get_uint(rd, data, "data.", "windows", 0, &s->windows);
    if (!st) st = zs_json_get_uint(rd, data, "data.", "context", 0, &s->context);
    if (!st) st = zs_json_get_size(rd, root, NULL, "n_tokens", 0, &s->classes.n_tokens);
    if (!st && s->classes.n_tokens == 0)
        st = zs_json_fail(rd, NULL, "n_tokens", "a positive count");
    if (!st) st = read_models(rd, root, s);
    if (!st) st = read_classes(rd, root, s);
    if (!st) st = read_examples(rd, root, s);
    return st;
}

zs_status zs_token_summary_read(zs_token_summary *out, const char *path, zs_error *err) {
    memset(out, 0, sizeof *out);
    json_t *root;
    zs_status s = zs_json_load(path, 0, &root, err);
    if (s) return s;
    zs_json_reader rd = {.path = path, .err = err};
    s = read_doc(&rd, root, out);
    json_decref(root);
    if (s) zs_token_summary_free(out);
    return s;
}
