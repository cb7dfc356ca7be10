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
    /* epsilon and level may be absent from a file read back (NaN): written as null. */
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:f, s:o, s:o, s:o, s:o, s:o, s:I}",
                     "zipscale_version", zs_version(), "command", "predict", "law", "path",
                     pf->law_path ? pf->law_path : "", "sha256", pf->law_sha256, "H", pf->H,
                     "H_source", h_source_json(pf), "epsilon", zs_json_number(pf->epsilon), "level",
                     zs_json_number(pf->level), "adjusted_law",
                     zs_frontier_law_json(&pf->adjusted_law), "predictions", rows,
                     "bootstrap_replicates", (json_int_t)pf->bootstrap_replicates);
}

zs_status zs_predictfile_format(const zs_predictfile *pf, char **text, size_t *len, zs_error *err) {
    json_t *doc = predictfile_json(pf);
    return zs_json_text(doc, "the predictions", text, len, err);
}

zs_status zs_predictfile_write(const zs_predictfile *pf, const char *path, zs_error *err) {
    return zs_json_write_file(predictfile_json(pf), "the predictions", path, err);
}

/* ---- reader ----------------------------------------------------------------------------- */

typedef zs_json_reader ctx;

enum { OPT = ZS_JSON_OPTIONAL };

/* An optional digest string copied into buf (absent: untouched). */
static zs_status get_digest(const ctx *c, json_t *obj, const char *prefix, char *buf, size_t size) {
    char *text = NULL;
    zs_status s = zs_json_get_string(c, obj, prefix, "sha256", OPT, &text);
    if (text) snprintf(buf, size, "%s", text);
    free(text);
    return s;
}

static zs_status get_bounds(const ctx *c, json_t *iv, const char *prefix, const char *key,
                            zs_bounds *out) {
    json_t *v = json_object_get(iv, key);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
        !json_is_number(json_array_get(v, 1)))
        return zs_json_fail(c, prefix, key, "[lo, hi] numbers");
    out->lo = json_number_value(json_array_get(v, 0));
    out->hi = json_number_value(json_array_get(v, 1));
    return ZS_OK;
}

static zs_status read_row(const ctx *c, json_t *rows, size_t i, zs_prediction *p) {
    char prefix[64];
    json_t *row;
    zs_frontier_point *pt = &p->point;
    zs_status s = zs_json_get_element(c, rows, "predictions", i, prefix, sizeof prefix, &row);
    if (!s) s = zs_json_get_number(c, row, prefix, "compute_flops", 0, &pt->compute_flops);
    if (!s) s = zs_json_get_number(c, row, prefix, "N_opt", 0, &pt->n_params);
    if (!s) s = zs_json_get_number(c, row, prefix, "D_opt", 0, &pt->n_tokens);
    if (!s) s = zs_json_get_number(c, row, prefix, "tokens_per_param", 0, &pt->tokens_per_param);
    if (!s) s = zs_json_get_number(c, row, prefix, "loss", 0, &pt->loss_nats);
    json_t *iv = NULL;
    if (!s) s = zs_json_get_object(c, row, prefix, "interval", NULL, OPT | ZS_JSON_NULLABLE, &iv);
    if (s || !iv) return s;
    snprintf(prefix, sizeof prefix, "predictions[%zu].interval.", i);
    zs_frontier_interval *out = &p->interval;
    s = get_bounds(c, iv, prefix, "N_opt", &out->n_params);
    if (!s) s = get_bounds(c, iv, prefix, "D_opt", &out->n_tokens);
    if (!s) s = get_bounds(c, iv, prefix, "tokens_per_param", &out->tokens_per_param);
    if (!s) s = get_bounds(c, iv, prefix, "loss", &out->loss_nats);
    if (!s) s = zs_json_get_uint(c, iv, prefix, "replicates_used", OPT, &out->used);
    if (!s) s = zs_json_get_uint(c, iv, prefix, "replicates_skipped", OPT, &out->skipped);
    p->has_interval = !s;
    return s;
}

static zs_status read_header(const ctx *c, json_t *doc, zs_predictfile *pf) {
    const char *command = json_string_value(json_object_get(doc, "command"));
    if (!command || strcmp(command, "predict") != 0)
        return zs_json_fail(c, NULL, "command", "\"predict\" (a predict results file)");
    zs_status s = zs_json_get_number(c, doc, NULL, "H", 0, &pf->H);
    if (!s) s = zs_json_get_number(c, doc, NULL, "epsilon", OPT | ZS_JSON_NULLABLE, &pf->epsilon);
    if (!s) s = zs_json_get_number(c, doc, NULL, "level", OPT | ZS_JSON_NULLABLE, &pf->level);
    if (!s && !isnan(pf->level) && !(pf->level > 0 && pf->level < 1))
        s = zs_json_fail(c, NULL, "level", "a number in (0, 1)");
    json_t *law = NULL, *src = NULL, *adjusted = NULL;
    if (!s) s = zs_json_get_object(c, doc, NULL, "law", NULL, OPT, &law);
    if (!s && law) s = zs_json_get_string(c, law, "law.", "path", OPT, &pf->law_path);
    if (!s && law) s = get_digest(c, law, "law.", pf->law_sha256, sizeof pf->law_sha256);
    if (!s) s = zs_json_get_object(c, doc, NULL, "H_source", NULL, OPT, &src);
    if (!s && src) s = zs_json_get_string(c, src, "H_source.", "data", OPT, &pf->data_path);
    if (!s && src) s = get_digest(c, src, "H_source.", pf->data_sha256, sizeof pf->data_sha256);
    if (!s && src) s = zs_json_get_uint(c, src, "H_source.", "sequences", OPT, &pf->sequences);
    if (!s && src) s = zs_json_get_uint(c, src, "H_source.", "seed", OPT, &pf->seed);
    if (!s) s = zs_json_get_object(c, doc, NULL, "adjusted_law", NULL, OPT, &adjusted);
    for (int p = 0; !s && adjusted && p < ZS_LAW_N_PARAMS; p++) {
        double v = NAN;
        s = zs_json_get_number(c, adjusted, "adjusted_law.", zs_law_param_name(p), 0, &v);
        zs_law_param_set(&pf->adjusted_law, p, v);
    }
    if (!s)
        s = zs_json_get_size(c, doc, NULL, "bootstrap_replicates", OPT, &pf->bootstrap_replicates);
    return s;
}

static zs_status read_doc(const ctx *c, json_t *doc, zs_predictfile *pf) {
    json_t *rows = NULL;
    zs_status s = read_header(c, doc, pf);
    if (!s) s = zs_json_get_array(c, doc, NULL, "predictions", ZS_JSON_NONEMPTY, &rows);
    if (s) return s;
    pf->n_predictions = json_array_size(rows);
    if (!(pf->predictions = calloc(pf->n_predictions, sizeof *pf->predictions)))
        return zs_json_nomem(c);
    for (size_t i = 0; !s && i < pf->n_predictions; i++) {
        zs_prediction *p = &pf->predictions[i];
        p->H = pf->H;
        p->epsilon = pf->epsilon;
        p->level = pf->level;
        p->law = pf->adjusted_law;
        s = read_row(c, rows, i, p);
    }
    return s;
}

zs_status zs_predictfile_read(zs_predictfile *pf, const char *path, zs_error *err) {
    memset(pf, 0, sizeof *pf);
    ctx c = {.path = path, .err = err};
    json_t *doc;
    zs_status s = zs_json_load(path, 0, &doc, err);
    if (s) return s;
    pf->epsilon = pf->level = NAN;
    s = read_doc(&c, doc, pf);
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
