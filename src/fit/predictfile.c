/* The predict results file ("command": "predict"): what `zipscale predict --json` writes
 * and `zipscale report` reads. One writer, one reader (zipscale/frontier.h,
 * docs/fitting.md); the frontier's JSON pieces live here too (fit/frontier_json.h). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit/frontier_json.h"
#include "core/json.h"
#include "zipscale/frontier.h"

/* ---- writer ----------------------------------------------------------------------------- */

json_t *zs_frontier_law_json(const zs_chinchilla *law) {
    json_t *o = json_object();
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
        json_object_set_new(o, zs_law_param_name(p), json_real(zs_law_param_get(law, p)));
    return o;
}

static json_t *bounds_json(const zs_bounds *b) {
    return json_pack("[f, f]", b->lo, b->hi);
}

json_t *zs_frontier_point_json(const zs_frontier_point *p, const zs_frontier_interval *iv) {
    json_t *interval = json_null();
    if (iv)
        interval = json_pack("{s:o, s:o, s:o, s:o, s:I, s:I}", "N_opt", bounds_json(&iv->n_params),
                             "D_opt", bounds_json(&iv->n_tokens), "tokens_per_param",
                             bounds_json(&iv->tokens_per_param), "loss",
                             bounds_json(&iv->loss_nats), "replicates_used", (json_int_t)iv->used,
                             "replicates_skipped", (json_int_t)iv->skipped);
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:o}", "compute_flops", p->compute_flops, "N_opt",
                     p->n_params, "D_opt", p->n_tokens, "tokens_per_param", p->tokens_per_param,
                     "loss", p->loss_nats, "interval", interval);
}

static json_t *h_source_json(const zs_predictfile *pf) {
    if (!pf->data_path) return json_pack("{s:s}", "kind", "given");
    return json_pack("{s:s, s:s, s:s, s:I, s:I}", "kind", "measured", "data", pf->data_path,
                     "sha256", pf->data_sha256, "sequences", (json_int_t)pf->sequences, "seed",
                     (json_int_t)pf->seed);
}

static json_t *predictfile_json(const zs_predictfile *pf) {
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < pf->n_predictions; i++) {
        const zs_prediction *p = &pf->predictions[i];
        json_array_append_new(
            rows, zs_frontier_point_json(&p->point, p->has_interval ? &p->interval : NULL));
    }
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:f, s:o, s:f, s:f, s:o, s:o, s:I}",
                     "zipscale_version", zs_version(), "command", "predict", "law", "path",
                     pf->law_path ? pf->law_path : "", "sha256", pf->law_sha256, "H", pf->H,
                     "H_source", h_source_json(pf), "epsilon", pf->epsilon, "level", pf->level,
                     "adjusted_law", zs_frontier_law_json(&pf->adjusted_law), "predictions", rows,
                     "bootstrap_replicates", (json_int_t)pf->bootstrap_replicates);
}

zs_status zs_predictfile_format(const zs_predictfile *pf, char **text, size_t *len, zs_error *err) {
    json_t *doc = predictfile_json(pf);
    return zs_json_text(doc, "the predictions", text, len, err);
}

zs_status zs_predictfile_write(const zs_predictfile *pf, const char *path, zs_error *err) {
    char *text;
    size_t len;
    zs_status s = zs_predictfile_format(pf, &text, &len, err);
    if (s) return s;
    s = zs_write_file_atomic(path, text, len, err);
    free(text);
    return s;
}

/* ---- reader ----------------------------------------------------------------------------- */

typedef struct {
    const char *path;
    zs_error *err;
} ctx;

/* Fails with "PATH: FIELD: expected WHAT". */
static zs_status bad(const ctx *c, const char *field, const char *what) {
    return zs_fail(c->err, ZS_ERR_FORMAT, "%s: %s: expected %s", c->path, field, what);
}

/* A number member of obj; optional ones may be absent (*out untouched). */
static zs_status get_number(const ctx *c, json_t *obj, const char *prefix, const char *key,
                            int required, double *out) {
    json_t *v = json_object_get(obj, key);
    if (!v && !required) return ZS_OK;
    if (!json_is_number(v)) {
        char field[192];
        snprintf(field, sizeof field, "%s%s", prefix, key);
        return bad(c, field, "a number");
    }
    *out = json_number_value(v);
    return ZS_OK;
}

static zs_status get_count(const ctx *c, json_t *obj, const char *prefix, const char *key,
                           uint64_t *out) {
    json_t *v = json_object_get(obj, key);
    if (!v) return ZS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        char field[192];
        snprintf(field, sizeof field, "%s%s", prefix, key);
        return bad(c, field, "a non-negative integer");
    }
    *out = (uint64_t)json_integer_value(v);
    return ZS_OK;
}

/* A string member copied into buf (absent: untouched), or strdup'd into *dup. */
static zs_status get_string(const ctx *c, json_t *obj, const char *prefix, const char *key,
                            char *buf, size_t size, char **dup) {
    json_t *v = json_object_get(obj, key);
    if (!v) return ZS_OK;
    if (!json_is_string(v)) {
        char field[192];
        snprintf(field, sizeof field, "%s%s", prefix, key);
        return bad(c, field, "a string");
    }
    if (buf) snprintf(buf, size, "%s", json_string_value(v));
    if (dup && !(*dup = strdup(json_string_value(v))))
        return zs_fail(c->err, ZS_ERR_NOMEM, "out of memory reading %s", c->path);
    return ZS_OK;
}

static zs_status get_bounds(const ctx *c, json_t *iv, const char *prefix, const char *key,
                            zs_bounds *out) {
    json_t *v = json_object_get(iv, key);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
        !json_is_number(json_array_get(v, 1))) {
        char field[192];
        snprintf(field, sizeof field, "%s%s", prefix, key);
        return bad(c, field, "[lo, hi] numbers");
    }
    out->lo = json_number_value(json_array_get(v, 0));
    out->hi = json_number_value(json_array_get(v, 1));
    return ZS_OK;
}

static zs_status read_row(const ctx *c, json_t *row, size_t i, zs_prediction *p) {
    char prefix[64], field[96];
    snprintf(prefix, sizeof prefix, "predictions[%zu].", i);
    if (!json_is_object(row)) {
        snprintf(field, sizeof field, "predictions[%zu]", i);
        return bad(c, field, "an object");
    }
    zs_frontier_point *pt = &p->point;
    zs_status s = get_number(c, row, prefix, "compute_flops", 1, &pt->compute_flops);
    if (!s) s = get_number(c, row, prefix, "N_opt", 1, &pt->n_params);
    if (!s) s = get_number(c, row, prefix, "D_opt", 1, &pt->n_tokens);
    if (!s) s = get_number(c, row, prefix, "tokens_per_param", 1, &pt->tokens_per_param);
    if (!s) s = get_number(c, row, prefix, "loss", 1, &pt->loss_nats);
    json_t *iv = json_object_get(row, "interval");
    if (s || !iv || json_is_null(iv)) return s;
    snprintf(field, sizeof field, "%sinterval", prefix);
    if (!json_is_object(iv)) return bad(c, field, "null or an object");
    snprintf(prefix, sizeof prefix, "predictions[%zu].interval.", i);
    zs_frontier_interval *out = &p->interval;
    s = get_bounds(c, iv, prefix, "N_opt", &out->n_params);
    if (!s) s = get_bounds(c, iv, prefix, "D_opt", &out->n_tokens);
    if (!s) s = get_bounds(c, iv, prefix, "tokens_per_param", &out->tokens_per_param);
    if (!s) s = get_bounds(c, iv, prefix, "loss", &out->loss_nats);
    if (!s) s = get_count(c, iv, prefix, "replicates_used", &out->used);
    if (!s) s = get_count(c, iv, prefix, "replicates_skipped", &out->skipped);
    p->has_interval = !s;
    return s;
}

static zs_status read_doc(const ctx *c, json_t *doc, zs_predictfile *pf) {
    const char *command = json_string_value(json_object_get(doc, "command"));
    if (!command || strcmp(command, "predict") != 0)
        return bad(c, "command", "\"predict\" (a predict results file)");
    zs_status s = get_number(c, doc, "", "H", 1, &pf->H);
    if (!s) s = get_number(c, doc, "", "epsilon", 0, &pf->epsilon);
    if (!s) s = get_number(c, doc, "", "level", 0, &pf->level);
    json_t *law = json_object_get(doc, "law");
    if (!s && law && !json_is_object(law)) s = bad(c, "law", "an object");
    if (!s && law) s = get_string(c, law, "law.", "path", NULL, 0, &pf->law_path);
    if (!s && law)
        s = get_string(c, law, "law.", "sha256", pf->law_sha256, sizeof pf->law_sha256, NULL);
    json_t *src = json_object_get(doc, "H_source");
    if (!s && src && !json_is_object(src)) s = bad(c, "H_source", "an object");
    if (!s && src) s = get_string(c, src, "H_source.", "data", NULL, 0, &pf->data_path);
    if (!s && src)
        s = get_string(c, src, "H_source.", "sha256", pf->data_sha256, sizeof pf->data_sha256,
                       NULL);
    if (!s && src) s = get_count(c, src, "H_source.", "sequences", &pf->sequences);
    if (!s && src) s = get_count(c, src, "H_source.", "seed", &pf->seed);
    json_t *adjusted = json_object_get(doc, "adjusted_law");
    if (!s && adjusted && !json_is_object(adjusted)) s = bad(c, "adjusted_law", "an object");
    for (int p = 0; !s && adjusted && p < ZS_LAW_N_PARAMS; p++) {
        double v = NAN;
        s = get_number(c, adjusted, "adjusted_law.", zs_law_param_name(p), 1, &v);
        zs_law_param_set(&pf->adjusted_law, p, v);
    }
    uint64_t replicates = 0;
    if (!s) s = get_count(c, doc, "", "bootstrap_replicates", &replicates);
    pf->bootstrap_replicates = (size_t)replicates;
    if (s) return s;
    json_t *rows = json_object_get(doc, "predictions");
    if (!json_is_array(rows) || json_array_size(rows) == 0)
        return bad(c, "predictions", "a non-empty array");
    pf->n_predictions = json_array_size(rows);
    if (!(pf->predictions = calloc(pf->n_predictions, sizeof *pf->predictions)))
        return zs_fail(c->err, ZS_ERR_NOMEM, "out of memory reading %s", c->path);
    for (size_t i = 0; !s && i < pf->n_predictions; i++) {
        zs_prediction *p = &pf->predictions[i];
        p->H = pf->H;
        p->epsilon = pf->epsilon;
        p->level = pf->level;
        p->law = pf->adjusted_law;
        s = read_row(c, json_array_get(rows, i), i, p);
    }
    return s;
}

zs_status zs_predictfile_read(zs_predictfile *pf, const char *path, zs_error *err) {
    memset(pf, 0, sizeof *pf);
    ctx c = {path, err};
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc && jerr.line < 0) return zs_fail(err, ZS_ERR_IO, "%s: %s", path, jerr.text);
    if (!doc)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%d:%d: bad JSON: %s", path, jerr.line, jerr.column,
                       jerr.text);
    pf->epsilon = pf->level = NAN;
    zs_status s =
        json_is_object(doc) ? read_doc(&c, doc, pf) : bad(&c, "the document", "a JSON object");
    json_decref(doc);
    if (s) zs_predictfile_free(pf);
    return s;
}

void zs_predictfile_free(zs_predictfile *pf) {
    if (!pf) return;
    free(pf->law_path);
    free(pf->data_path);
    free(pf->predictions);
    memset(pf, 0, sizeof *pf);
}
