/* law.json (format "zipscale-law", version 1): what `zipscale fit` writes and frontier,
 * regress and predict read. The writer keeps every number to 17 digits so laws read back
 * exactly; the reader checks every field and names the one that is wrong. docs/fitting.md. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "zipscale/fit.h"

static const char *const loss_names[] = {"huber", "lsq"};

/* ---- writer --------------------------------------------------------------------------- */

static json_t *law_json(const zs_chinchilla *law) {
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "E", zs_json_number(law->E), "A",
                     zs_json_number(law->A), "B", zs_json_number(law->B), "alpha",
                     zs_json_number(law->alpha), "beta", zs_json_number(law->beta));
}

static json_t *bootstrap_json(const zs_bootstrap *boot) {
    json_t *params = json_object();
    for (int k = 0; k < ZS_BOOT_NSTATS; k++) {
        const zs_interval *iv = &boot->stats[k];
        json_object_set_new(params, zs_boot_stat_names[k],
                            json_pack("{s:o, s:o, s:o}", "se", zs_json_number(iv->se), "lo",
                                      zs_json_number(iv->lo), "hi", zs_json_number(iv->hi)));
    }
    json_t *samples = json_array();
    for (size_t r = 0; r < boot->replicates; r++) {
        const zs_chinchilla *s = &boot->samples[r];
        json_array_append_new(samples,
                              json_pack("[o, o, o, o, o]", zs_json_number(s->E),
                                        zs_json_number(s->A), zs_json_number(s->B),
                                        zs_json_number(s->alpha), zs_json_number(s->beta)));
    }
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "replicates", (json_int_t)boot->replicates,
                     "degenerate", (json_int_t)boot->degenerate, "seed", (json_int_t)boot->seed,
                     "level", zs_json_number(boot->level), "params", params, "samples", samples);
}

static json_t *holdout_json(const zs_holdout *h) {
    json_t *points = json_array();
    for (size_t i = 0; i < h->k; i++) {
        const zs_holdout_point *p = &h->points[i];
        json_array_append_new(
            points, json_pack("{s:o, s:o, s:o, s:o}", "N", zs_json_number(p->n_params), "D",
                              zs_json_number(p->n_tokens), "loss", zs_json_number(p->loss_nats),
                              "predicted", zs_json_number(p->predicted_nats)));
    }
    return json_pack("{s:I, s:o, s:o, s:o}", "k", (json_int_t)h->k, "rmse", zs_json_number(h->rmse),
                     "max_abs_error", zs_json_number(h->max_abs_error), "points", points);
}

/* e_max (null: no bound, also for a zeroed zs_lawfit's 0), e_bound_active and e_fixed
 * were added to version 1 as optional keys: always written, and a file without them reads
 * as unbounded. */
static json_t *fit_json(const zs_lawfit *f) {
    return json_pack("{s:o, s:o, s:I, s:o, s:o, s:o, s:b, s:o, s:b, s:b, s:o, s:o}", "dataset",
                     f->dataset ? json_string(f->dataset) : json_null(), "H", zs_json_number(f->h),
                     "n_points", (json_int_t)f->n_points, "law", law_json(&f->law), "objective",
                     zs_json_number(f->objective), "residual_rms", zs_json_number(f->residual_rms),
                     "converged", f->converged, "e_max",
                     zs_json_number(f->e_max > 0 ? f->e_max : NAN), "e_bound_active",
                     f->e_bound_active, "e_fixed", f->e_fixed, "bootstrap",
                     f->has_bootstrap ? bootstrap_json(&f->bootstrap) : json_null(), "holdout",
                     f->has_holdout ? holdout_json(&f->holdout) : json_null());
}

static json_t *lawfile_json(const zs_lawfile *law) {
    json_t *fits = json_array();
    for (size_t i = 0; i < law->n_fits; i++) json_array_append_new(fits, fit_json(&law->fits[i]));
    json_t *input = json_pack("{s:s, s:s, s:I, s:I}", "path", law->input_path, "sha256",
                              law->input_sha256, "rows_read", (json_int_t)law->rows_read,
                              "rows_skipped", (json_int_t)law->rows_skipped);
    json_t *options =
        json_pack("{s:s, s:o, s:s, s:I, s:I, s:o, s:I}", "loss", loss_names[law->loss], "delta",
                  zs_json_number(law->delta), "grid", law->grid, "bootstrap",
                  (json_int_t)law->bootstrap_replicates, "seed", (json_int_t)law->seed, "level",
                  zs_json_number(law->level), "holdout_largest", (json_int_t)law->holdout_largest);
    return json_pack("{s:s, s:i, s:s, s:o, s:o, s:o}", "format", "zipscale-law", "format_version",
                     1, "zipscale_version", law->zipscale_version, "input", input, "options",
                     options, "fits", fits);
}

zs_status zs_lawfile_format(const zs_lawfile *law, char **text, zs_error *err) {
    json_t *doc = lawfile_json(law);
    return zs_json_text(doc, "law.json", text, NULL, err);
}

zs_status zs_lawfile_write(const zs_lawfile *law, const char *path, zs_error *err) {
    char *text;
    zs_status s = zs_lawfile_format(law, &text, err);
    if (s) return s;
    s = zs_write_file_atomic(path, text, strlen(text), err);
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

static json_t *member(json_t *obj, const char *key) {
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

/* A number member; kind 0 = finite, 1 = positive finite; null_ok maps null to NAN. */
static zs_status get_number(const ctx *c, json_t *obj, const char *prefix, const char *key,
                            int positive, int null_ok, double *out) {
    char field[160];
    snprintf(field, sizeof field, "%s%s", prefix, key);
    json_t *v = member(obj, key);
    if (null_ok && json_is_null(v)) {
        *out = NAN;
        return ZS_OK;
    }
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(x) || (positive && !(x > 0)))
        return bad(c, field, positive ? "a positive number" : "a number");
    *out = x;
    return ZS_OK;
}

static zs_status get_count(const ctx *c, json_t *obj, const char *prefix, const char *key,
                           size_t *out) {
    char field[160];
    snprintf(field, sizeof field, "%s%s", prefix, key);
    json_t *v = member(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(c, field, "a non-negative integer");
    *out = (size_t)json_integer_value(v);
    return ZS_OK;
}

static zs_status get_string(const ctx *c, json_t *obj, const char *prefix, const char *key,
                            char **out) {
    char field[160];
    snprintf(field, sizeof field, "%s%s", prefix, key);
    json_t *v = member(obj, key);
    if (!json_is_string(v)) return bad(c, field, "a string");
    *out = strdup(json_string_value(v));
    return *out ? ZS_OK : zs_fail(c->err, ZS_ERR_NOMEM, "out of memory reading %s", c->path);
}

static zs_status read_law(const ctx *c, json_t *obj, const char *prefix, zs_chinchilla *law) {
    char p[128];
    snprintf(p, sizeof p, "%slaw.", prefix);
    json_t *l = member(obj, "law");
    if (!json_is_object(l)) return bad(c, p, "an object {E, A, B, alpha, beta}");
    /* E may be 0: a fit whose e ran below -745 (no irreducible term) writes E = 0. */
    char field[160];
    snprintf(field, sizeof field, "%sE", p);
    zs_status s = get_number(c, l, p, "E", 0, 0, &law->E);
    if (!s && !(law->E >= 0)) return bad(c, field, "a number >= 0");
    if (!s) s = get_number(c, l, p, "A", 1, 0, &law->A);
    if (!s) s = get_number(c, l, p, "B", 1, 0, &law->B);
    if (!s) s = get_number(c, l, p, "alpha", 0, 0, &law->alpha);
    if (!s) s = get_number(c, l, p, "beta", 0, 0, &law->beta);
    return s;
}

static zs_status read_samples(const ctx *c, json_t *samples, const char *prefix,
                              zs_bootstrap *boot) {
    char field[160];
    snprintf(field, sizeof field, "%ssamples", prefix);
    if (!json_is_array(samples) || json_array_size(samples) != boot->replicates)
        return bad(c, field, "an array of 'replicates' laws [E, A, B, alpha, beta]");
    boot->samples = zs_calloc(boot->replicates ? boot->replicates : 1, sizeof *boot->samples,
                              "bootstrap samples", c->err);
    if (!boot->samples) return ZS_ERR_NOMEM;
    for (size_t r = 0; r < boot->replicates; r++) {
        json_t *row = json_array_get(samples, r);
        double v[5];
        for (size_t k = 0; k < 5; k++) {
            json_t *x = json_array_get(row, k);
            v[k] = json_is_number(x) ? json_number_value(x) : NAN;
            if (json_array_size(row) != 5 || !isfinite(v[k]) || (k == 0 && !(v[k] >= 0)) ||
                ((k == 1 || k == 2) && !(v[k] > 0))) {
                snprintf(field, sizeof field, "%ssamples[%zu]", prefix, r);
                return bad(c, field, "[E, A, B, alpha, beta] with E >= 0 and A, B positive");
            }
        }
        boot->samples[r] = (zs_chinchilla){v[0], v[1], v[2], v[3], v[4]};
    }
    return ZS_OK;
}

static zs_status read_bootstrap(const ctx *c, json_t *b, const char *prefix, zs_bootstrap *boot) {
    char p[128], field[160];
    snprintf(p, sizeof p, "%sbootstrap.", prefix);
    size_t seed = 0;
    zs_status s = get_count(c, b, p, "replicates", &boot->replicates);
    if (!s) s = get_count(c, b, p, "seed", &seed);
    boot->seed = seed;
    boot->degenerate = 0; /* absent in files from before it was recorded */
    if (!s && member(b, "degenerate")) s = get_count(c, b, p, "degenerate", &boot->degenerate);
    if (!s) s = get_number(c, b, p, "level", 1, 0, &boot->level);
    json_t *params = member(b, "params");
    for (int k = 0; !s && k < ZS_BOOT_NSTATS; k++) {
        json_t *iv = member(params, zs_boot_stat_names[k]);
        snprintf(field, sizeof field, "%sparams.%s.", p, zs_boot_stat_names[k]);
        if (!json_is_object(iv)) return bad(c, field, "an object {se, lo, hi}");
        s = get_number(c, iv, field, "se", 0, 1, &boot->stats[k].se);
        if (!s) s = get_number(c, iv, field, "lo", 0, 0, &boot->stats[k].lo);
        if (!s) s = get_number(c, iv, field, "hi", 0, 0, &boot->stats[k].hi);
    }
    if (!s) s = read_samples(c, member(b, "samples"), p, boot);
    return s;
}

static zs_status read_holdout(const ctx *c, json_t *h, const char *prefix, zs_holdout *out) {
    char p[128], field[160];
    snprintf(p, sizeof p, "%sholdout.", prefix);
    zs_status s = get_count(c, h, p, "k", &out->k);
    if (!s) s = get_number(c, h, p, "rmse", 0, 0, &out->rmse);
    if (!s) s = get_number(c, h, p, "max_abs_error", 0, 0, &out->max_abs_error);
    if (s) return s;
    json_t *points = member(h, "points");
    snprintf(field, sizeof field, "%spoints", p);
    if (!json_is_array(points) || json_array_size(points) != out->k)
        return bad(c, field, "an array of k points {N, D, loss, predicted}");
    out->points = zs_calloc(out->k ? out->k : 1, sizeof *out->points, "holdout points", c->err);
    if (!out->points) return ZS_ERR_NOMEM;
    for (size_t i = 0; !s && i < out->k; i++) {
        json_t *pt = json_array_get(points, i);
        zs_holdout_point *hp = &out->points[i];
        snprintf(field, sizeof field, "%spoints[%zu].", p, i);
        s = get_number(c, pt, field, "N", 1, 0, &hp->n_params);
        if (!s) s = get_number(c, pt, field, "D", 1, 0, &hp->n_tokens);
        if (!s) s = get_number(c, pt, field, "loss", 1, 0, &hp->loss_nats);
        if (!s) s = get_number(c, pt, field, "predicted", 0, 0, &hp->predicted_nats);
    }
    return s;
}

/* The optional bound on E: "e_max" (a positive number, or null / absent: none),
 * "e_bound_active" (true or false; absent: false) and "e_fixed" (true or false; absent:
 * false). An active bound needs an e_max, a fixed E an active bound, and the law's E may not
 * exceed e_max. */
static zs_status read_bound(const ctx *c, json_t *f, const char *p, zs_lawfit *fit) {
    char field[96];
    fit->e_max = NAN;
    json_t *bound = member(f, "e_max");
    zs_status s = bound ? get_number(c, f, p, "e_max", 1, 1, &fit->e_max) : ZS_OK;
    if (s) return s;
    json_t *active = member(f, "e_bound_active");
    snprintf(field, sizeof field, "%se_bound_active", p);
    if (active && !json_is_boolean(active)) return bad(c, field, "true or false");
    fit->e_bound_active = json_is_true(active);
    if (fit->e_bound_active && isnan(fit->e_max))
        return bad(c, field, "false when e_max is null or absent (no bound to be active)");
    json_t *fixed = member(f, "e_fixed");
    snprintf(field, sizeof field, "%se_fixed", p);
    if (fixed && !json_is_boolean(fixed)) return bad(c, field, "true or false");
    fit->e_fixed = json_is_true(fixed);
    if (fit->e_fixed && !fit->e_bound_active)
        return bad(c, field, "false unless e_bound_active (a fixed E sits at e_max)");
    snprintf(field, sizeof field, "%slaw.E", p);
    if (fit->law.E > fit->e_max) return bad(c, field, "at most e_max");
    return ZS_OK;
}

static zs_status read_fit(const ctx *c, json_t *f, size_t index, zs_lawfit *fit) {
    char p[64];
    snprintf(p, sizeof p, "fits[%zu].", index);
    if (!json_is_object(f)) return bad(c, p, "an object");
    json_t *dataset = member(f, "dataset");
    zs_status s = ZS_OK;
    if (!json_is_null(dataset)) s = get_string(c, f, p, "dataset", &fit->dataset);
    if (!s) s = get_number(c, f, p, "H", 0, 1, &fit->h);
    if (!s) s = get_count(c, f, p, "n_points", &fit->n_points);
    if (!s) s = read_law(c, f, p, &fit->law);
    if (!s) s = get_number(c, f, p, "objective", 0, 0, &fit->objective);
    if (!s) s = get_number(c, f, p, "residual_rms", 0, 0, &fit->residual_rms);
    if (s) return s;
    json_t *converged = member(f, "converged");
    char field[160];
    snprintf(field, sizeof field, "%sconverged", p);
    if (!json_is_boolean(converged)) return bad(c, field, "true or false");
    fit->converged = json_is_true(converged);
    s = read_bound(c, f, p, fit);
    json_t *b = member(f, "bootstrap");
    if (!s && b && !json_is_null(b)) {
        fit->has_bootstrap = 1;
        s = read_bootstrap(c, b, p, &fit->bootstrap);
    }
    for (size_t r = 0; !s && fit->has_bootstrap && r < fit->bootstrap.replicates; r++)
        if (fit->bootstrap.samples[r].E > fit->e_max) {
            snprintf(field, sizeof field, "%sbootstrap.samples[%zu]", p, r);
            s = bad(c, field, "E at most the fit's e_max (the refits share its bound)");
        }
    json_t *h = member(f, "holdout");
    if (!s && h && !json_is_null(h)) {
        fit->has_holdout = 1;
        s = read_holdout(c, h, p, &fit->holdout);
    }
    return s;
}

static zs_status read_options(const ctx *c, json_t *o, zs_lawfile *law) {
    if (!json_is_object(o)) return bad(c, "options", "an object");
    json_t *loss = member(o, "loss");
    const char *name = json_is_string(loss) ? json_string_value(loss) : "";
    if (!strcmp(name, "huber"))
        law->loss = ZS_FIT_HUBER;
    else if (!strcmp(name, "lsq"))
        law->loss = ZS_FIT_LSQ;
    else
        return bad(c, "options.loss", "\"huber\" or \"lsq\"");
    size_t seed = 0;
    zs_status s = get_number(c, o, "options.", "delta", 1, 0, &law->delta);
    if (!s) s = get_string(c, o, "options.", "grid", &law->grid);
    if (!s) s = get_count(c, o, "options.", "bootstrap", &law->bootstrap_replicates);
    if (!s) s = get_count(c, o, "options.", "seed", &seed);
    law->seed = seed;
    if (!s) s = get_number(c, o, "options.", "level", 1, 0, &law->level);
    if (!s) s = get_count(c, o, "options.", "holdout_largest", &law->holdout_largest);
    return s;
}

static zs_status read_input(const ctx *c, json_t *in, zs_lawfile *law) {
    if (!json_is_object(in)) return bad(c, "input", "an object");
    zs_status s = get_string(c, in, "input.", "path", &law->input_path);
    json_t *sha = member(in, "sha256");
    if (!s && (!json_is_string(sha) || strlen(json_string_value(sha)) != 64))
        return bad(c, "input.sha256", "64 hex digits");
    if (!s) memcpy(law->input_sha256, json_string_value(sha), 65);
    if (!s) s = get_count(c, in, "input.", "rows_read", &law->rows_read);
    if (!s) s = get_count(c, in, "input.", "rows_skipped", &law->rows_skipped);
    return s;
}

static zs_status read_document(const ctx *c, json_t *root, zs_lawfile *law) {
    json_t *format = member(root, "format");
    if (!json_is_string(format) || strcmp(json_string_value(format), "zipscale-law"))
        return bad(c, "format", "\"zipscale-law\" (is this a law.json from zipscale fit?)");
    json_t *version = member(root, "format_version");
    if (!json_is_integer(version) || json_integer_value(version) != 1)
        return bad(c, "format_version", "1 (this zipscale reads law.json version 1)");
    zs_status s = get_string(c, root, "", "zipscale_version", &law->zipscale_version);
    if (!s) s = read_input(c, member(root, "input"), law);
    if (!s) s = read_options(c, member(root, "options"), law);
    if (s) return s;
    json_t *fits = member(root, "fits");
    if (!json_is_array(fits) || json_array_size(fits) == 0)
        return bad(c, "fits", "a non-empty array");
    law->n_fits = json_array_size(fits);
    law->fits = zs_calloc(law->n_fits, sizeof *law->fits, "law fits", c->err);
    if (!law->fits) return ZS_ERR_NOMEM;
    for (size_t i = 0; !s && i < law->n_fits; i++)
        s = read_fit(c, json_array_get(fits, i), i, &law->fits[i]);
    return s;
}

zs_status zs_lawfile_read(zs_lawfile *law, const char *path, zs_error *err) {
    memset(law, 0, sizeof *law);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (jerr.line < 0) return zs_fail(err, ZS_ERR_IO, "%s: %s", path, jerr.text);
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    }
    ctx c = {path, err};
    zs_status s = read_document(&c, root, law);
    json_decref(root);
    if (s) zs_lawfile_free(law);
    return s;
}

void zs_lawfile_free(zs_lawfile *law) {
    if (!law) return;
    for (size_t i = 0; law->fits && i < law->n_fits; i++) {
        free(law->fits[i].dataset);
        zs_bootstrap_free(&law->fits[i].bootstrap);
        free(law->fits[i].holdout.points);
    }
    free(law->fits);
    free(law->zipscale_version);
    free(law->input_path);
    free(law->grid);
    memset(law, 0, sizeof *law);
}
