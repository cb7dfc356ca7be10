/* The report's reader of a sweep's summary.json (zipscale-sweep-summary, version 1; see
 * write_summary in src/sweep/analyse.c): every field checked, and a wrong one named, as
 * "PATH: datasets[2].H: expected a number or null". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_sweep.h"

typedef struct {
    const char *path;
    zs_error *err;
} ctx;

/* Fails with "PATH: PREFIXKEY: expected WHAT". */
static zs_status bad(const ctx *c, const char *prefix, const char *key, const char *what) {
    return zs_fail(c->err, ZS_ERR_FORMAT, "%s: %s%s: expected %s", c->path, prefix, key, what);
}

static json_t *member(json_t *obj, const char *key) {
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

/* A number, or null (NAN). */
static zs_status get_number(const ctx *c, json_t *obj, const char *prefix, const char *key,
                            double *out) {
    json_t *v = member(obj, key);
    if (json_is_null(v)) {
        *out = NAN;
        return ZS_OK;
    }
    if (!json_is_number(v)) return bad(c, prefix, key, "a number or null");
    *out = json_number_value(v);
    return ZS_OK;
}

/* An interval [lo, hi] of numbers or nulls. */
static zs_status get_pair(const ctx *c, json_t *obj, const char *prefix, const char *key,
                          double out[2]) {
    json_t *v = member(obj, key);
    if (!json_is_array(v) || json_array_size(v) != 2)
        return bad(c, prefix, key, "[lo, hi], two numbers or nulls");
    for (size_t k = 0; k < 2; k++) {
        json_t *x = json_array_get(v, k);
        if (!json_is_null(x) && !json_is_number(x))
            return bad(c, prefix, key, "[lo, hi], two numbers or nulls");
        out[k] = json_is_number(x) ? json_number_value(x) : NAN;
    }
    return ZS_OK;
}

static zs_status get_count(const ctx *c, json_t *obj, const char *prefix, const char *key,
                           uint64_t *out) {
    json_t *v = member(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(c, prefix, key, "a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return ZS_OK;
}

static zs_status get_string(const ctx *c, json_t *obj, const char *prefix, const char *key,
                            char **out) {
    json_t *v = member(obj, key);
    if (!json_is_string(v)) return bad(c, prefix, key, "a string");
    *out = strdup(json_string_value(v));
    return *out ? ZS_OK : zs_fail(c->err, ZS_ERR_NOMEM, "out of memory reading %s", c->path);
}

static zs_status read_law(const ctx *c, json_t *row, const char *prefix, zs_chinchilla *law) {
    char p[96];
    snprintf(p, sizeof p, "%slaw.", prefix);
    json_t *l = member(row, "law");
    if (!json_is_object(l)) return bad(c, prefix, "law", "an object {E, A, B, alpha, beta}");
    zs_status s = get_number(c, l, p, "E", &law->E);
    if (!s) s = get_number(c, l, p, "A", &law->A);
    if (!s) s = get_number(c, l, p, "B", &law->B);
    if (!s) s = get_number(c, l, p, "alpha", &law->alpha);
    if (!s) s = get_number(c, l, p, "beta", &law->beta);
    return s;
}

/* The numbers of a row after its law. */
static zs_status read_row_numbers(const ctx *c, json_t *row, const char *p,
                                  zs_report_sweep_row *r) {
    zs_status s = get_pair(c, row, p, "E_ci", r->e_ci);
    if (!s) s = get_pair(c, row, p, "alpha_ci", r->alpha_ci);
    if (!s) s = get_pair(c, row, p, "beta_ci", r->beta_ci);
    if (!s) s = get_number(c, row, p, "a", &r->a);
    if (!s) s = get_pair(c, row, p, "a_ci", r->a_ci);
    if (!s) s = get_number(c, row, p, "tokens_per_param", &r->tokens_per_param);
    if (!s) s = get_pair(c, row, p, "tokens_per_param_ci", r->tokens_per_param_ci);
    if (!s) s = get_number(c, row, p, "residual_rms", &r->residual_rms);
    if (!s) s = get_number(c, row, p, "holdout_rmse", &r->holdout_rmse);
    return s;
}

static zs_status read_row(const ctx *c, json_t *row, size_t i, zs_report_sweep_row *r) {
    char p[64];
    snprintf(p, sizeof p, "datasets[%zu].", i);
    if (!json_is_object(row)) {
        snprintf(p, sizeof p, "datasets[%zu]", i);
        return bad(c, p, "", "an object");
    }
    uint64_t runs = 0;
    zs_status s = get_string(c, row, p, "dataset", &r->dataset);
    if (!s) s = get_number(c, row, p, "H", &r->h);
    if (!s) s = get_number(c, row, p, "H_stdev", &r->h_stdev);
    if (!s) s = get_number(c, row, p, "derivation_entropy_nats", &r->entropy_nats);
    if (!s) s = get_count(c, row, p, "runs", &runs);
    r->runs = (size_t)runs;
    if (!s) s = read_law(c, row, p, &r->law);
    if (!s) s = read_row_numbers(c, row, p, r);
    if (s) return s;
    json_t *bound = member(row, "e_bound_active");
    if (!json_is_boolean(bound)) return bad(c, p, "e_bound_active", "true or false");
    r->e_bound_active = json_is_true(bound);
    json_t *fixed = member(row, "e_fixed"); /* absent: not fixed */
    if (fixed && !json_is_boolean(fixed)) return bad(c, p, "e_fixed", "true or false");
    r->e_fixed = json_is_true(fixed);
    return ZS_OK;
}

static zs_status read_failure(const ctx *c, json_t *f, size_t i, zs_report_sweep_failure *out) {
    char p[64];
    snprintf(p, sizeof p, "failures[%zu].", i);
    if (!json_is_object(f)) {
        snprintf(p, sizeof p, "failures[%zu]", i);
        return bad(c, p, "", "an object");
    }
    zs_status s = get_string(c, f, p, "id", &out->id);
    if (!s) s = get_string(c, f, p, "dataset", &out->dataset);
    if (!s) s = get_string(c, f, p, "model", &out->model);
    if (!s) s = get_count(c, f, p, "tokens", &out->tokens);
    if (!s) s = get_count(c, f, p, "seed", &out->seed);
    if (!s) s = get_string(c, f, p, "status", &out->status);
    if (!s) s = get_string(c, f, p, "message", &out->message);
    return s;
}

/* format, format_version, zipscale_version, n, reference_flops, level_pct and the slope. */
static zs_status read_header(const ctx *c, json_t *doc, zs_report_sweep *sw) {
    const char *format = json_string_value(member(doc, "format"));
    if (!format || strcmp(format, "zipscale-sweep-summary") != 0)
        return bad(c, "", "format", "\"zipscale-sweep-summary\"");
    json_t *version = member(doc, "format_version");
    if (!json_is_integer(version) || json_integer_value(version) != 1)
        return bad(c, "", "format_version", "1 (this zipscale reads sweep summaries version 1)");
    zs_status s = get_string(c, doc, "", "zipscale_version", &sw->zipscale_version);
    if (s) return s;
    const char *n = json_string_value(member(doc, "n"));
    if (!n || (strcmp(n, "nonembed") != 0 && strcmp(n, "all") != 0))
        return bad(c, "", "n", "\"nonembed\" or \"all\"");
    sw->nonembed = strcmp(n, "nonembed") == 0;
    uint64_t level = 0;
    s = get_number(c, doc, "", "reference_flops", &sw->reference_flops);
    if (!s) s = get_count(c, doc, "", "level_pct", &level);
    if (!s && (level == 0 || level >= 100))
        return bad(c, "", "level_pct", "an integer from 1 to 99");
    sw->level_pct = (size_t)level;
    if (!s) s = get_number(c, doc, "", "a_slope_on_H", &sw->a_slope);
    if (!s) s = get_pair(c, doc, "", "a_slope_ci", sw->a_slope_ci);
    return s;
}

static zs_status read_document(const ctx *c, json_t *doc, zs_report_sweep *sw) {
    zs_status s = read_header(c, doc, sw);
    if (s) return s;
    json_t *rows = member(doc, "datasets");
    if (!json_is_array(rows) || json_array_size(rows) == 0)
        return bad(c, "", "datasets", "a non-empty array");
    json_t *fails = member(doc, "failures");
    if (!json_is_array(fails)) return bad(c, "", "failures", "an array");
    sw->rows = calloc(json_array_size(rows), sizeof *sw->rows);
    sw->failures = calloc(json_array_size(fails) + 1, sizeof *sw->failures);
    if (!sw->rows || !sw->failures)
        return zs_fail(c->err, ZS_ERR_NOMEM, "out of memory reading %s", c->path);
    for (size_t i = 0; !s && i < json_array_size(rows); i++, sw->n_rows++)
        s = read_row(c, json_array_get(rows, i), i, &sw->rows[i]);
    for (size_t i = 0; !s && i < json_array_size(fails); i++, sw->n_failures++)
        s = read_failure(c, json_array_get(fails, i), i, &sw->failures[i]);
    return s;
}

zs_status zs_report_sweep_read(zs_report_sweep *sw, const char *path, json_t *doc, zs_error *err) {
    memset(sw, 0, sizeof *sw);
    ctx c = {path, err};
    zs_status s = read_document(&c, doc, sw);
    if (s) zs_report_sweep_free(sw);
    return s;
}

void zs_report_sweep_free(zs_report_sweep *sw) {
    for (size_t i = 0; sw->rows && i < sw->n_rows; i++) free(sw->rows[i].dataset);
    for (size_t i = 0; sw->failures && i < sw->n_failures; i++) {
        zs_report_sweep_failure *f = &sw->failures[i];
        free(f->id);
        free(f->dataset);
        free(f->model);
        free(f->status);
        free(f->message);
    }
    free(sw->rows);
    free(sw->failures);
    free(sw->zipscale_version);
    memset(sw, 0, sizeof *sw);
}
