/* The report's reader of a sweep's summary.json (zipscale-sweep-summary, version 1; see
 * write_summary in src/sweep/analyse.c): every field checked, and a wrong one named, as
 * "PATH: datasets[2].H: expected a number or null". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "report/report_sweep.h"

typedef zs_json_reader ctx;

enum { NUM = ZS_JSON_NULLABLE }; /* every number of a summary may be null (NAN) */

/* An interval [lo, hi] of numbers or nulls. */
static zs_status get_pair(const ctx *c, json_t *obj, const char *prefix, const char *key,
                          double out[2]) {
    json_t *v = zs_json_member(obj, key);
    if (!json_is_array(v) || json_array_size(v) != 2)
        return zs_json_fail(c, prefix, key, "[lo, hi], two numbers or nulls");
    for (size_t k = 0; k < 2; k++) {
        json_t *x = json_array_get(v, k);
        if (!json_is_null(x) && !json_is_number(x))
            return zs_json_fail(c, prefix, key, "[lo, hi], two numbers or nulls");
        out[k] = json_is_number(x) ? json_number_value(x) : NAN;
    }
    return ZS_OK;
}

static zs_status read_law(const ctx *c, json_t *row, const char *prefix, zs_chinchilla *law) {
    char p[96];
    snprintf(p, sizeof p, "%slaw.", prefix);
    json_t *l;
    zs_status s =
        zs_json_get_object(c, row, prefix, "law", "an object {E, A, B, alpha, beta}", 0, &l);
    if (!s) s = zs_json_get_number(c, l, p, "E", NUM, &law->E);
    if (!s) s = zs_json_get_number(c, l, p, "A", NUM, &law->A);
    if (!s) s = zs_json_get_number(c, l, p, "B", NUM, &law->B);
    if (!s) s = zs_json_get_number(c, l, p, "alpha", NUM, &law->alpha);
    if (!s) s = zs_json_get_number(c, l, p, "beta", NUM, &law->beta);
    return s;
}

/* The numbers of a row after its law. */
static zs_status read_row_numbers(const ctx *c, json_t *row, const char *p,
                                  zs_report_sweep_row *r) {
    zs_status s = get_pair(c, row, p, "E_ci", r->e_ci);
    if (!s) s = get_pair(c, row, p, "alpha_ci", r->alpha_ci);
    if (!s) s = get_pair(c, row, p, "beta_ci", r->beta_ci);
    if (!s) s = zs_json_get_number(c, row, p, "a", NUM, &r->a);
    if (!s) s = get_pair(c, row, p, "a_ci", r->a_ci);
    if (!s) s = zs_json_get_number(c, row, p, "tokens_per_param", NUM, &r->tokens_per_param);
    if (!s) s = get_pair(c, row, p, "tokens_per_param_ci", r->tokens_per_param_ci);
    if (!s) s = zs_json_get_number(c, row, p, "residual_rms", NUM, &r->residual_rms);
    if (!s) s = zs_json_get_number(c, row, p, "holdout_rmse", NUM, &r->holdout_rmse);
    return s;
}

static zs_status read_row(const ctx *c, json_t *rows, size_t i, zs_report_sweep_row *r) {
    char p[64];
    json_t *row;
    uint64_t runs = 0;
    zs_status s = zs_json_get_element(c, rows, "datasets", i, p, sizeof p, &row);
    if (!s) s = zs_json_get_string(c, row, p, "dataset", 0, &r->dataset);
    if (!s) s = zs_json_get_number(c, row, p, "H", NUM, &r->h);
    if (!s) s = zs_json_get_number(c, row, p, "H_stdev", NUM, &r->h_stdev);
    if (!s) s = zs_json_get_number(c, row, p, "derivation_entropy_nats", NUM, &r->entropy_nats);
    if (!s) s = zs_json_get_uint(c, row, p, "runs", 0, &runs);
    r->runs = (size_t)runs;
    if (!s) s = read_law(c, row, p, &r->law);
    if (!s) s = read_row_numbers(c, row, p, r);
    if (!s) s = zs_json_get_bool(c, row, p, "e_bound_active", 0, &r->e_bound_active);
    r->e_fixed = 0; /* absent: not fixed */
    if (!s) s = zs_json_get_bool(c, row, p, "e_fixed", ZS_JSON_OPTIONAL, &r->e_fixed);
    return s;
}

static zs_status read_failure(const ctx *c, json_t *fails, size_t i, zs_report_sweep_failure *out) {
    char p[64];
    json_t *f;
    zs_status s = zs_json_get_element(c, fails, "failures", i, p, sizeof p, &f);
    if (!s) s = zs_json_get_string(c, f, p, "id", 0, &out->id);
    if (!s) s = zs_json_get_string(c, f, p, "dataset", 0, &out->dataset);
    if (!s) s = zs_json_get_string(c, f, p, "model", 0, &out->model);
    if (!s) s = zs_json_get_uint(c, f, p, "tokens", 0, &out->tokens);
    if (!s) s = zs_json_get_uint(c, f, p, "seed", 0, &out->seed);
    if (!s) s = zs_json_get_string(c, f, p, "status", 0, &out->status);
    if (!s) s = zs_json_get_string(c, f, p, "message", 0, &out->message);
    return s;
}

/* format, format_version, zipscale_version, n, reference_flops, level_pct and the slope. */
static zs_status read_header(const ctx *c, json_t *doc, zs_report_sweep *sw) {
    zs_status s = zs_json_check_format(c, doc, "zipscale-sweep-summary", 1, NULL,
                                       "this zipscale reads sweep summaries version 1");
    if (!s) s = zs_json_get_string(c, doc, "", "zipscale_version", 0, &sw->zipscale_version);
    if (s) return s;
    const char *n = json_string_value(zs_json_member(doc, "n"));
    if (!n || (strcmp(n, "nonembed") != 0 && strcmp(n, "all") != 0))
        return zs_json_fail(c, NULL, "n", "\"nonembed\" or \"all\"");
    sw->nonembed = strcmp(n, "nonembed") == 0;
    uint64_t level = 0;
    s = zs_json_get_number(c, doc, "", "reference_flops", NUM, &sw->reference_flops);
    if (!s) s = zs_json_get_uint(c, doc, "", "level_pct", 0, &level);
    if (!s && (level == 0 || level >= 100))
        return zs_json_fail(c, NULL, "level_pct", "an integer from 1 to 99");
    sw->level_pct = (size_t)level;
    if (!s) s = zs_json_get_number(c, doc, "", "a_slope_on_H", NUM, &sw->a_slope);
    if (!s) s = get_pair(c, doc, "", "a_slope_ci", sw->a_slope_ci);
    return s;
}

static zs_status read_document(const ctx *c, json_t *doc, zs_report_sweep *sw) {
    zs_status s = read_header(c, doc, sw);
    if (s) return s;
    json_t *rows, *fails;
    s = zs_json_get_array(c, doc, NULL, "datasets", ZS_JSON_NONEMPTY, &rows);
    if (!s) s = zs_json_get_array(c, doc, NULL, "failures", 0, &fails);
    if (s) return s;
    sw->rows = calloc(json_array_size(rows), sizeof *sw->rows);
    sw->failures = calloc(json_array_size(fails) + 1, sizeof *sw->failures);
    if (!sw->rows || !sw->failures) return zs_json_nomem(c);
    for (size_t i = 0; !s && i < json_array_size(rows); i++, sw->n_rows++)
        s = read_row(c, rows, i, &sw->rows[i]);
    for (size_t i = 0; !s && i < json_array_size(fails); i++, sw->n_failures++)
        s = read_failure(c, fails, i, &sw->failures[i]);
    return s;
}

zs_status zs_report_sweep_read(zs_report_sweep *sw, const char *path, json_t *doc, zs_error *err) {
    memset(sw, 0, sizeof *sw);
    ctx c = {.path = path, .err = err};
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
