/* law.json (format "zipscale-law", version 1): what `zipscale fit` writes and frontier,
 * regress and predict read. The writer keeps every number to 17 digits so laws read back
 * exactly; the reader checks every field and names the one that is wrong. docs/fitting.md. */
#include <jansson.h>
#include <math.h>
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
    return zs_json_write_file(lawfile_json(law), "law.json", path, err);
}

/* ---- reader ----------------------------------------------------------------------------- */

typedef zs_json_reader ctx;

static zs_status read_law(const ctx *c, json_t *obj, const char *prefix, zs_chinchilla *law) {
    char p[128];
    snprintf(p, sizeof p, "%slaw.", prefix);
    json_t *l;
    zs_status s =
        zs_json_get_object(c, obj, prefix, "law", "an object {E, A, B, alpha, beta}", 0, &l);
    if (s) return s;
    /* E may be 0: a fit whose e ran below -745 (no irreducible term) writes E = 0. */
    s = zs_json_get_number(c, l, p, "E", 0, &law->E);
    if (!s && !(law->E >= 0)) return zs_json_fail(c, p, "E", "a number >= 0");
    if (!s) s = zs_json_get_number(c, l, p, "A", ZS_JSON_POSITIVE, &law->A);
    if (!s) s = zs_json_get_number(c, l, p, "B", ZS_JSON_POSITIVE, &law->B);
    if (!s) s = zs_json_get_number(c, l, p, "alpha", 0, &law->alpha);
    if (!s) s = zs_json_get_number(c, l, p, "beta", 0, &law->beta);
    return s;
}

static zs_status read_samples(const ctx *c, json_t *samples, const char *prefix,
                              zs_bootstrap *boot) {
    char field[160];
    if (!json_is_array(samples) || json_array_size(samples) != boot->replicates)
        return zs_json_fail(c, prefix, "samples",
                            "an array of 'replicates' laws [E, A, B, alpha, beta]");
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
                snprintf(field, sizeof field, "samples[%zu]", r);
                return zs_json_fail(c, prefix, field,
                                    "[E, A, B, alpha, beta] with E >= 0 and A, B positive");
            }
        }
        boot->samples[r] = (zs_chinchilla){v[0], v[1], v[2], v[3], v[4]};
    }
    return ZS_OK;
}

static zs_status read_bootstrap(const ctx *c, json_t *b, const char *prefix, zs_bootstrap *boot) {
    char p[128], field[160];
    snprintf(p, sizeof p, "%sbootstrap.", prefix);
    boot->degenerate = 0; /* absent in files from before it was recorded */
    zs_status s = zs_json_get_size(c, b, p, "replicates", 0, &boot->replicates);
    if (!s) s = zs_json_get_uint(c, b, p, "seed", 0, &boot->seed);
    if (!s) s = zs_json_get_size(c, b, p, "degenerate", ZS_JSON_OPTIONAL, &boot->degenerate);
    if (!s) s = zs_json_get_number(c, b, p, "level", 0, &boot->level);
    if (!s && !(boot->level > 0 && boot->level < 1))
        return zs_json_fail(c, p, "level", "a number in (0, 1)");
    json_t *params = zs_json_member(b, "params");
    for (int k = 0; !s && k < ZS_BOOT_NSTATS; k++) {
        json_t *iv;
        snprintf(field, sizeof field, "%sparams.", p);
        s = zs_json_get_object(c, params, field, zs_boot_stat_names[k], "an object {se, lo, hi}", 0,
                               &iv);
        snprintf(field, sizeof field, "%sparams.%s.", p, zs_boot_stat_names[k]);
        if (!s) s = zs_json_get_number(c, iv, field, "se", ZS_JSON_NULLABLE, &boot->stats[k].se);
        if (!s) s = zs_json_get_number(c, iv, field, "lo", 0, &boot->stats[k].lo);
        if (!s) s = zs_json_get_number(c, iv, field, "hi", 0, &boot->stats[k].hi);
    }
    if (!s) s = read_samples(c, zs_json_member(b, "samples"), p, boot);
    return s;
}

static zs_status read_holdout(const ctx *c, json_t *h, const char *prefix, zs_holdout *out) {
    char p[128], field[160];
    snprintf(p, sizeof p, "%sholdout.", prefix);
    zs_status s = zs_json_get_size(c, h, p, "k", 0, &out->k);
    if (!s) s = zs_json_get_number(c, h, p, "rmse", 0, &out->rmse);
    if (!s) s = zs_json_get_number(c, h, p, "max_abs_error", 0, &out->max_abs_error);
    if (s) return s;
    json_t *points = zs_json_member(h, "points");
    if (!json_is_array(points) || json_array_size(points) != out->k)
        return zs_json_fail(c, p, "points", "an array of k points {N, D, loss, predicted}");
    out->points = zs_calloc(out->k ? out->k : 1, sizeof *out->points, "holdout points", c->err);
    if (!out->points) return ZS_ERR_NOMEM;
    for (size_t i = 0; !s && i < out->k; i++) {
        json_t *pt = json_array_get(points, i);
        zs_holdout_point *hp = &out->points[i];
        snprintf(field, sizeof field, "%spoints[%zu].", p, i);
        s = zs_json_get_number(c, pt, field, "N", ZS_JSON_POSITIVE, &hp->n_params);
        if (!s) s = zs_json_get_number(c, pt, field, "D", ZS_JSON_POSITIVE, &hp->n_tokens);
        if (!s) s = zs_json_get_number(c, pt, field, "loss", ZS_JSON_POSITIVE, &hp->loss_nats);
        if (!s) s = zs_json_get_number(c, pt, field, "predicted", 0, &hp->predicted_nats);
    }
    return s;
}

/* The optional bound on E: "e_max" (a positive number, or null / absent: none),
 * "e_bound_active" (true or false; absent: false) and "e_fixed" (true or false; absent:
 * false). An active bound needs an e_max, a fixed E an active bound, and the law's E may not
 * exceed e_max. */
static zs_status read_bound(const ctx *c, json_t *f, const char *p, zs_lawfit *fit) {
    fit->e_max = NAN;
    fit->e_bound_active = fit->e_fixed = 0;
    int opt = ZS_JSON_OPTIONAL;
    zs_status s = zs_json_get_number(c, f, p, "e_max", opt | ZS_JSON_NULLABLE | ZS_JSON_POSITIVE,
                                     &fit->e_max);
    if (!s) s = zs_json_get_bool(c, f, p, "e_bound_active", opt, &fit->e_bound_active);
    if (s) return s;
    if (fit->e_bound_active && isnan(fit->e_max))
        return zs_json_fail(c, p, "e_bound_active",
                            "false when e_max is null or absent (no bound to be active)");
    s = zs_json_get_bool(c, f, p, "e_fixed", opt, &fit->e_fixed);
    if (s) return s;
    if (fit->e_fixed && !fit->e_bound_active)
        return zs_json_fail(c, p, "e_fixed",
                            "false unless e_bound_active (a fixed E sits at e_max)");
    if (fit->law.E > fit->e_max) return zs_json_fail(c, p, "law.E", "at most e_max");
    return ZS_OK;
}

static zs_status read_fit(const ctx *c, json_t *fits, size_t index, zs_lawfit *fit) {
    char p[64], field[160];
    json_t *f;
    zs_status s = zs_json_get_element(c, fits, "fits", index, p, sizeof p, &f);
    if (!s) s = zs_json_get_string(c, f, p, "dataset", ZS_JSON_NULLABLE, &fit->dataset);
    if (!s) s = zs_json_get_number(c, f, p, "H", ZS_JSON_NULLABLE, &fit->h);
    if (!s) s = zs_json_get_size(c, f, p, "n_points", 0, &fit->n_points);
    if (!s) s = read_law(c, f, p, &fit->law);
    if (!s) s = zs_json_get_number(c, f, p, "objective", 0, &fit->objective);
    if (!s) s = zs_json_get_number(c, f, p, "residual_rms", 0, &fit->residual_rms);
    if (!s) s = zs_json_get_bool(c, f, p, "converged", 0, &fit->converged);
    if (!s) s = read_bound(c, f, p, fit);
    json_t *b = NULL, *h = NULL;
    int opt = ZS_JSON_OPTIONAL | ZS_JSON_NULLABLE;
    if (!s) s = zs_json_get_object(c, f, p, "bootstrap", NULL, opt, &b);
    if (!s && b) {
        fit->has_bootstrap = 1;
        s = read_bootstrap(c, b, p, &fit->bootstrap);
    }
    for (size_t r = 0; !s && fit->has_bootstrap && r < fit->bootstrap.replicates; r++)
        if (fit->bootstrap.samples[r].E > fit->e_max) {
            snprintf(field, sizeof field, "bootstrap.samples[%zu]", r);
            s = zs_json_fail(c, p, field, "E at most the fit's e_max (the refits share its bound)");
        }
    if (!s) s = zs_json_get_object(c, f, p, "holdout", NULL, opt, &h);
    if (!s && h) {
        fit->has_holdout = 1;
        s = read_holdout(c, h, p, &fit->holdout);
    }
    return s;
}

static zs_status read_options(const ctx *c, json_t *o, zs_lawfile *law) {
    if (!json_is_object(o)) return zs_json_fail(c, NULL, "options", "an object");
    const char *name = json_string_value(zs_json_member(o, "loss"));
    if (name && !strcmp(name, "huber"))
        law->loss = ZS_FIT_HUBER;
    else if (name && !strcmp(name, "lsq"))
        law->loss = ZS_FIT_LSQ;
    else
        return zs_json_fail(c, "options.", "loss", "\"huber\" or \"lsq\"");
    const char *p = "options.";
    zs_status s = zs_json_get_number(c, o, p, "delta", ZS_JSON_POSITIVE, &law->delta);
    if (!s) s = zs_json_get_string(c, o, p, "grid", 0, &law->grid);
    if (!s) {
        zs_fit_grid grid;
        zs_fit_grid_default(&grid);
        if (zs_fit_grid_parse(law->grid, &grid, NULL))
            return zs_json_fail(c, p, "grid", "a grid of starts \"alpha=LO:HI:STEP,...\"");
    }
    if (!s) s = zs_json_get_size(c, o, p, "bootstrap", 0, &law->bootstrap_replicates);
    if (!s) s = zs_json_get_uint(c, o, p, "seed", 0, &law->seed);
    if (!s) s = zs_json_get_number(c, o, p, "level", 0, &law->level);
    if (!s && !(law->level > 0 && law->level < 1))
        return zs_json_fail(c, p, "level", "a number in (0, 1)");
    if (!s) s = zs_json_get_size(c, o, p, "holdout_largest", 0, &law->holdout_largest);
    return s;
}

static zs_status read_input(const ctx *c, json_t *in, zs_lawfile *law) {
    if (!json_is_object(in)) return zs_json_fail(c, NULL, "input", "an object");
    zs_status s = zs_json_get_string(c, in, "input.", "path", 0, &law->input_path);
    const char *sha = json_string_value(zs_json_member(in, "sha256"));
    if (!s && (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdefABCDEF") != 64))
        return zs_json_fail(c, "input.", "sha256", "64 hex digits");
    if (!s) memcpy(law->input_sha256, sha, 65);
    if (!s) s = zs_json_get_size(c, in, "input.", "rows_read", 0, &law->rows_read);
    if (!s) s = zs_json_get_size(c, in, "input.", "rows_skipped", 0, &law->rows_skipped);
    return s;
}

static zs_status read_document(const ctx *c, json_t *root, zs_lawfile *law) {
    zs_status s =
        zs_json_check_format(c, root, "zipscale-law", 1, "is this a law.json from zipscale fit?",
                             "this zipscale reads law.json version 1");
    if (!s) s = zs_json_get_string(c, root, NULL, "zipscale_version", 0, &law->zipscale_version);
    if (!s) s = read_input(c, zs_json_member(root, "input"), law);
    if (!s) s = read_options(c, zs_json_member(root, "options"), law);
    json_t *fits = NULL;
    if (!s) s = zs_json_get_array(c, root, NULL, "fits", ZS_JSON_NONEMPTY, &fits);
    if (s) return s;
    law->n_fits = json_array_size(fits);
    law->fits = zs_calloc(law->n_fits, sizeof *law->fits, "law fits", c->err);
    if (!law->fits) return ZS_ERR_NOMEM;
    for (size_t i = 0; !s && i < law->n_fits; i++) s = read_fit(c, fits, i, &law->fits[i]);
    return s;
}

zs_status zs_lawfile_read(zs_lawfile *law, const char *path, zs_error *err) {
    memset(law, 0, sizeof *law);
    json_t *root;
    zs_status s = zs_json_load(path, JSON_REJECT_DUPLICATES, &root, err);
    if (s) return s;
    ctx c = {.path = path, .err = err};
    s = read_document(&c, root, law);
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
