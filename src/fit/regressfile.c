/* regression.json: the data-dependent law on disk. `zipscale regress` builds and writes it
 * from law.json; `zipscale predict` reads it back. Every field is checked on reading and
 * a bad one is named by its path ("FILE: regressions.alpha.slope: expected a number"). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "zipscale/frontier.h"

#define REGRESSION_FORMAT "zipscale-regression"
#define REGRESSION_FORMAT_VERSION 1

void zs_regressfile_free(zs_regressfile *rf) {
    if (!rf) return;
    for (size_t d = 0; rf->dataset_names && d < rf->n_datasets; d++) free(rf->dataset_names[d]);
    free(rf->dataset_names);
    free(rf->input_path);
    free(rf->H);
    free(rf->laws);
    free(rf->replicates);
    *rf = (zs_regressfile){0};
}

static zs_status alloc_arrays(zs_regressfile *rf, size_t n_datasets, size_t n_replicates,
                              zs_error *err) {
    rf->n_datasets = n_datasets;
    rf->n_replicates = n_replicates;
    rf->dataset_names =
        zs_calloc(n_datasets ? n_datasets : 1, sizeof *rf->dataset_names, "dataset names", err);
    rf->H = zs_calloc(n_datasets ? n_datasets : 1, sizeof *rf->H, "dataset H", err);
    rf->laws = zs_calloc(n_datasets ? n_datasets : 1, sizeof *rf->laws, "dataset laws", err);
    if (n_replicates)
        rf->replicates =
            zs_calloc(n_replicates, sizeof *rf->replicates, "regression replicates", err);
    if (!rf->dataset_names || !rf->H || !rf->laws || (n_replicates && !rf->replicates))
        return ZS_ERR_NOMEM;
    return ZS_OK;
}

zs_status zs_regressfile_build(zs_regressfile *rf, const char *input_path, const char *input_sha256,
                               char *const *names, const double *H, const zs_chinchilla *laws,
                               size_t n_datasets, const zs_chinchilla *samples, size_t n_replicates,
                               double level, zs_error *err) {
    *rf = (zs_regressfile){0};
    if (n_replicates && !(level > 0 && level < 1))
        return zs_fail_field(err, ZS_ERR_RANGE, "level",
                             "regression: bootstrap level %g, expected a number in (0, 1)", level);
    *rf = (zs_regressfile){.reference = zs_chinchilla_published(), .level = level};
    zs_status s = alloc_arrays(rf, n_datasets, n_replicates, err);
    rf->input_path = strdup(input_path ? input_path : "");
    if (!s && !rf->input_path) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory (input path)");
    snprintf(rf->input_sha256, sizeof rf->input_sha256, "%s", input_sha256 ? input_sha256 : "");
    for (size_t d = 0; !s && d < n_datasets; d++) {
        rf->H[d] = H[d];
        rf->laws[d] = laws[d];
        if (names && names[d] && !(rf->dataset_names[d] = strdup(names[d])))
            s = zs_fail(err, ZS_ERR_NOMEM, "out of memory (dataset name)");
    }
    if (!s) s = zs_regress_fit(laws, H, n_datasets, &rf->regression, err);
    if (!s && n_replicates)
        s = zs_regress_replicates(samples, H, n_datasets, n_replicates, rf->replicates, err);
    if (s) zs_regressfile_free(rf);
    return s;
}

/* ---- writing ---------------------------------------------------------------------------- */

static json_t *law_json(const zs_chinchilla *law) {
    json_t *o = json_object();
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
        json_object_set_new(o, zs_law_param_name(p), json_real(zs_law_param_get(law, p)));
    return o;
}

static json_t *ols_json(const zs_ols *f) {
    return json_pack(
        "{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "n", (json_int_t)f->n, "slope",
        zs_json_number(f->slope), "intercept", zs_json_number(f->intercept), "slope_se",
        zs_json_number(f->slope_se), "intercept_se", zs_json_number(f->intercept_se), "slope_t",
        zs_json_number(f->slope_t), "intercept_t", zs_json_number(f->intercept_t), "slope_p",
        zs_json_number(f->slope_p), "intercept_p", zs_json_number(f->intercept_p), "r2",
        zs_json_number(f->r2), "residual_sd", zs_json_number(f->residual_sd));
}

static json_t *bootstrap_json(const zs_regressfile *rf) {
    if (!rf->n_replicates) return json_null();
    json_t *lines = json_array();
    for (size_t r = 0; r < rf->n_replicates; r++) {
        json_t *row = json_array();
        for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
            json_array_append_new(row, json_real(rf->replicates[r].slope[p]));
            json_array_append_new(row, json_real(rf->replicates[r].intercept[p]));
        }
        json_array_append_new(lines, row);
    }
    return json_pack("{s:I, s:f, s:o}", "replicates", (json_int_t)rf->n_replicates, "level",
                     rf->level, "lines", lines);
}

static json_t *regressfile_json(const zs_regressfile *rf) {
    json_t *datasets = json_array();
    for (size_t d = 0; d < rf->n_datasets; d++)
        json_array_append_new(
            datasets,
            json_pack("{s:o, s:f, s:o}", "dataset",
                      rf->dataset_names[d] ? json_string(rf->dataset_names[d]) : json_null(), "H",
                      rf->H[d], "law", law_json(&rf->laws[d])));
    json_t *regressions = json_object();
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
        json_object_set_new(regressions, zs_law_param_name(p), ols_json(&rf->regression.param[p]));
    return json_pack("{s:s, s:i, s:s, s:{s:s, s:o}, s:o, s:o, s:o, s:o}", "format",
                     REGRESSION_FORMAT, "format_version", REGRESSION_FORMAT_VERSION,
                     "zipscale_version", zs_version(), "input", "path", rf->input_path, "sha256",
                     rf->input_sha256[0] ? json_string(rf->input_sha256) : json_null(), "datasets",
                     datasets, "regressions", regressions, "reference", law_json(&rf->reference),
                     "bootstrap", bootstrap_json(rf));
}

zs_status zs_regressfile_format(const zs_regressfile *rf, char **text, zs_error *err) {
    json_t *doc = regressfile_json(rf);
    return zs_json_text(doc, "regression.json", text, NULL, err);
}

zs_status zs_regressfile_write(const zs_regressfile *rf, const char *path, zs_error *err) {
    return zs_json_write_file(regressfile_json(rf), "regression.json", path, err);
}

/* ---- reading ---------------------------------------------------------------------------- */

typedef zs_json_reader reader;

/* A law object; where is its field ("reference", "datasets[0].law"). */
static zs_status get_law(const reader *rd, json_t *obj, const char *where, zs_chinchilla *law) {
    if (!json_is_object(obj))
        return zs_json_fail(rd, NULL, where, "an object with E, A, B, alpha, beta");
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s.", where);
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        double v;
        /* as in law.json: E >= 0, A and B positive */
        int flags = p == ZS_LAW_A || p == ZS_LAW_B ? ZS_JSON_POSITIVE : 0;
        zs_status s = zs_json_get_number(rd, obj, prefix, zs_law_param_name(p), flags, &v);
        if (s) return s;
        if (p == ZS_LAW_E && !(v >= 0)) return zs_json_fail(rd, prefix, "E", "a number >= 0");
        zs_law_param_set(law, p, v);
    }
    return ZS_OK;
}

static zs_status get_header(const reader *rd, json_t *root, zs_regressfile *rf) {
    zs_status s = zs_json_check_format(rd, root, REGRESSION_FORMAT, REGRESSION_FORMAT_VERSION,
                                       "a file written by zipscale regress", NULL);
    if (!s)
        s = zs_json_get_string(rd, zs_json_member(root, "input"), "input.", "path", 0,
                               &rf->input_path);
    if (s) return s;
    /* null: the law.json's digest was not given (zs_regressfile_from_lawfile, sha256 NULL) */
    json_t *digest = zs_json_member(zs_json_member(root, "input"), "sha256");
    if (json_is_null(digest)) return ZS_OK;
    const char *sha = json_string_value(digest);
    if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
        return zs_json_fail(rd, "input.", "sha256", "64 hex digits or null");
    snprintf(rf->input_sha256, sizeof rf->input_sha256, "%s", sha);
    return ZS_OK;
}

static zs_status get_dataset(const reader *rd, json_t *datasets, size_t d, zs_regressfile *rf) {
    char where[64];
    json_t *item;
    zs_status s = zs_json_get_element(rd, datasets, "datasets", d, where, sizeof where, &item);
    if (!s)
        s = zs_json_get_string(rd, item, where, "dataset", ZS_JSON_NULLABLE, &rf->dataset_names[d]);
    if (!s) s = zs_json_get_number(rd, item, where, "H", 0, &rf->H[d]);
    char law_where[80];
    snprintf(law_where, sizeof law_where, "%slaw", where);
    if (!s) s = get_law(rd, zs_json_member(item, "law"), law_where, &rf->laws[d]);
    return s;
}

static zs_status get_regression(const reader *rd, json_t *regressions, int p, size_t n_datasets,
                                zs_ols *f) {
    char where[64];
    json_t *obj;
    zs_status s =
        zs_json_get_object(rd, regressions, "regressions.", zs_law_param_name(p), NULL, 0, &obj);
    if (s) return s;
    snprintf(where, sizeof where, "regressions.%s.", zs_law_param_name(p));
    json_t *n = json_object_get(obj, "n");
    if (!json_is_integer(n) || json_integer_value(n) < 3 ||
        (uint64_t)json_integer_value(n) > n_datasets)
        return zs_json_fail(rd, where, "n", "an integer from 3 to the number of datasets");
    f->n = (uint64_t)json_integer_value(n);
    struct {
        const char *key;
        double *value;
        int flags;
    } fields[] = {
        {"slope", &f->slope, 0},
        {"intercept", &f->intercept, 0},
        {"slope_se", &f->slope_se, 0},
        {"intercept_se", &f->intercept_se, 0},
        {"slope_t", &f->slope_t, ZS_JSON_NULLABLE},
        {"intercept_t", &f->intercept_t, ZS_JSON_NULLABLE},
        {"slope_p", &f->slope_p, 0},
        {"intercept_p", &f->intercept_p, 0},
        {"r2", &f->r2, 0},
        {"residual_sd", &f->residual_sd, 0},
    };
    for (size_t i = 0; !s && i < sizeof fields / sizeof fields[0]; i++)
        s = zs_json_get_number(rd, obj, where, fields[i].key, fields[i].flags, fields[i].value);
    if (!s && !(f->slope_p >= 0 && f->slope_p <= 1))
        s = zs_json_fail(rd, where, "slope_p", "a p-value in [0, 1]");
    if (!s && !(f->intercept_p >= 0 && f->intercept_p <= 1))
        s = zs_json_fail(rd, where, "intercept_p", "a p-value in [0, 1]");
    return s;
}

static zs_status get_replicate(const reader *rd, json_t *row, size_t r, zs_regress_lines *out) {
    char field[64];
    snprintf(field, sizeof field, "bootstrap.lines[%zu]", r);
    if (!json_is_array(row) || json_array_size(row) != 2 * ZS_LAW_N_PARAMS)
        return zs_json_fail(rd, NULL, field,
                            "10 numbers (slope and intercept of E, A, B, alpha, beta)");
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        json_t *m = json_array_get(row, (size_t)(2 * p)),
               *n = json_array_get(row, (size_t)(2 * p + 1));
        if (!json_is_number(m) || !json_is_number(n))
            return zs_json_fail(rd, NULL, field,
                                "10 numbers (slope and intercept of E, A, B, alpha, beta)");
        out->slope[p] = json_number_value(m);
        out->intercept[p] = json_number_value(n);
    }
    return ZS_OK;
}

/* The bootstrap block: null, or replicates, level and one line per replicate. */
static size_t replicate_count(json_t *boot) {
    return json_array_size(zs_json_member(boot, "lines"));
}

static zs_status get_bootstrap(const reader *rd, json_t *root, zs_regressfile *rf) {
    json_t *boot, *lines = NULL;
    zs_status s = zs_json_get_object(rd, root, NULL, "bootstrap", NULL, ZS_JSON_NULLABLE, &boot);
    if (s || !boot) return s;
    s = zs_json_get_array(rd, boot, "bootstrap.", "lines", ZS_JSON_NONEMPTY, &lines);
    if (s) return s;
    json_t *count = json_object_get(boot, "replicates");
    if (!json_is_integer(count) || (size_t)json_integer_value(count) != json_array_size(lines))
        return zs_json_fail(rd, "bootstrap.", "replicates", "the number of bootstrap.lines");
    s = zs_json_get_number(rd, boot, "bootstrap.", "level", 0, &rf->level);
    if (!s && !(rf->level > 0 && rf->level < 1))
        s = zs_json_fail(rd, "bootstrap.", "level", "a number in (0, 1)");
    for (size_t r = 0; !s && r < rf->n_replicates; r++)
        s = get_replicate(rd, json_array_get(lines, r), r, &rf->replicates[r]);
    return s;
}

static zs_status read_document(const reader *rd, json_t *root, zs_regressfile *rf) {
    zs_status s = get_header(rd, root, rf);
    if (s) return s;
    json_t *datasets = json_object_get(root, "datasets");
    if (!json_is_array(datasets) || json_array_size(datasets) < 3)
        return zs_json_fail(rd, NULL, "datasets", "an array of at least 3 datasets");
    s = alloc_arrays(rf, json_array_size(datasets),
                     replicate_count(json_object_get(root, "bootstrap")), rd->err);
    for (size_t d = 0; !s && d < rf->n_datasets; d++) s = get_dataset(rd, datasets, d, rf);
    json_t *regressions = NULL;
    if (!s) s = zs_json_get_object(rd, root, NULL, "regressions", NULL, 0, &regressions);
    for (int p = 0; !s && p < ZS_LAW_N_PARAMS; p++)
        s = get_regression(rd, regressions, p, rf->n_datasets, &rf->regression.param[p]);
    if (!s) s = get_law(rd, json_object_get(root, "reference"), "reference", &rf->reference);
    if (!s) s = get_bootstrap(rd, root, rf);
    return s;
}

zs_status zs_regressfile_read(zs_regressfile *rf, const char *path, zs_error *err) {
    *rf = (zs_regressfile){0};
    json_t *root;
    zs_status s = zs_json_load(path, 0, &root, err);
    if (s) return s;
    zs_error local;
    reader rd = {.path = path, .err = err ? err : &local};
    s = read_document(&rd, root, rf);
    json_decref(root);
    if (s) zs_regressfile_free(rf);
    return s;
}
