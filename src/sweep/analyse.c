/* From a sweep's runs to its answers: the runs table, one Chinchilla law per dataset with
 * bootstrap intervals and hold-out error, the regression on H, each dataset's frontier at a
 * reference budget, the direction the frontier moves as H grows, summary.json and the
 * report. `zipscale sweep analyse` and the end of `sweep run` call it. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/json.h"
#include "sweep/sweep_internal.h"
#include "zipscale/fit.h"
#include "zipscale/frontier.h"
#include "zipscale/report.h"

void zs_sweep_analyse_opts_init(zs_sweep_analyse_opts *opts) {
    memset(opts, 0, sizeof *opts);
}

void zs_sweep_summary_free(zs_sweep_summary *summary) {
    if (!summary) return;
    free(summary->rows);
    free(summary->failures);
    memset(summary, 0, sizeof *summary);
}

static const zs_ledger_dataset *dataset_named(const zs_ledger_dataset *ds, size_t n,
                                              const char *name, const zs_sweep_spec *spec,
                                              const zs_sweep_plan *plan) {
    for (size_t d = 0; d < spec->n_datasets; d++) {
        if (strcmp(spec->datasets[d].name, name) != 0) continue;
        for (size_t i = 0; i < n; i++)
            if (strcmp(ds[i].id, plan->data[d].id) == 0) return &ds[i];
    }
    return NULL;
}

/* Percentile interval of x[0..n) at level (numpy's linear quantiles). */
static void interval(double *x, size_t n, double level, double *lo, double *hi) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) x[k++] = x[i];
    *lo = *hi = NAN;
    if (!k) return;
    for (size_t i = 1; i < k; i++) /* insertion sort: a few hundred replicates */
        for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double t = x[j];
            x[j] = x[j - 1];
            x[j - 1] = t;
        }
    *lo = zs_quantile_sorted(x, k, (1 - level) / 2);
    *hi = zs_quantile_sorted(x, k, (1 + level) / 2);
}

static double frontier_a(const zs_chinchilla *law) {
    return law->beta / (law->alpha + law->beta);
}

static zs_status summary_row(const zs_lawfit *f, const zs_ledger_dataset *d, double flops,
                             zs_sweep_summary_row *row, zs_error *err) {
    memset(row, 0, sizeof *row);
    snprintf(row->name, sizeof row->name, "%s", f->dataset ? f->dataset : "(all rows)");
    row->h = d ? d->h : f->h;
    row->h_stdev = d ? d->h_stdev : NAN;
    row->entropy_nats = d ? d->entropy_nats_per_token : NAN;
    row->n_runs = f->n_points + (f->has_holdout ? f->holdout.k : 0);
    row->law = f->law;
    row->a = frontier_a(&f->law);
    row->residual_rms = f->residual_rms;
    row->holdout_rmse = f->has_holdout ? f->holdout.rmse : NAN;
    row->e_bounded = f->e_bound_active;
    row->e_fixed = f->e_fixed;
    zs_frontier_point pt;
    row->tokens_per_param = NAN;
    if (!zs_frontier_point_at(&f->law, flops, &pt, NULL))
        row->tokens_per_param = pt.tokens_per_param;
    row->e_lo = row->e_hi = row->alpha_lo = row->alpha_hi = row->beta_lo = row->beta_hi = NAN;
    row->a_lo = row->a_hi = row->tpp_lo = row->tpp_hi = NAN;
    if (!f->has_bootstrap) return ZS_OK;
    const zs_bootstrap *b = &f->bootstrap;
    row->e_lo = b->stats[ZS_LAW_E].lo;
    row->e_hi = b->stats[ZS_LAW_E].hi;
    row->alpha_lo = b->stats[ZS_LAW_ALPHA].lo;
    row->alpha_hi = b->stats[ZS_LAW_ALPHA].hi;
    row->beta_lo = b->stats[ZS_LAW_BETA].lo;
    row->beta_hi = b->stats[ZS_LAW_BETA].hi;
    row->a_lo = b->stats[ZS_BOOT_a].lo;
    row->a_hi = b->stats[ZS_BOOT_a].hi;
    zs_frontier_interval fi;
    if (!zs_frontier_interval_at(b->samples, b->replicates, flops, b->level, &fi, err)) {
        row->tpp_lo = fi.tokens_per_param.lo;
        row->tpp_hi = fi.tokens_per_param.hi;
    }
    return ZS_OK;
}

/* The slope of a = beta/(alpha+beta) against H across datasets, and its bootstrap
 * interval (replicate r regresses every dataset's r-th law). */
static void a_trend(const zs_lawfile *law, zs_sweep_summary *sum, zs_error *err) {
    size_t n = law->n_fits, reps = SIZE_MAX;
    sum->a_slope = sum->a_slope_lo = sum->a_slope_hi = NAN;
    double *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    for (size_t d = 0; x && y && d < n; d++) {
        x[d] = sum->rows[d].h;
        y[d] = sum->rows[d].a;
        size_t r = law->fits[d].has_bootstrap ? law->fits[d].bootstrap.replicates : 0;
        if (r < reps) reps = r;
    }
    zs_ols ols;
    if (!x || !y || n < 3 || zs_ols_fit(x, y, n, &ols, err)) {
        free(x);
        free(y);
        return;
    }
    sum->a_slope = ols.slope;
    double *slopes = reps && reps != SIZE_MAX ? calloc(reps, sizeof *slopes) : NULL;
    for (size_t r = 0; slopes && r < reps; r++) {
        for (size_t d = 0; d < n; d++) y[d] = frontier_a(&law->fits[d].bootstrap.samples[r]);
        slopes[r] = zs_ols_fit(x, y, n, &ols, NULL) ? NAN : ols.slope;
    }
    if (slopes)
        interval(slopes, reps, law->fits[0].bootstrap.level, &sum->a_slope_lo, &sum->a_slope_hi);
    free(slopes);
    free(x);
    free(y);
}

static zs_status failures(zs_ledger *lg, zs_sweep_summary *sum, zs_error *err) {
    zs_ledger_run *runs = NULL;
    size_t n = 0;
    zs_status s = zs_ledger_runs(lg, &runs, &n, err);
    if (s) return s;
    sum->failures = calloc(n ? n : 1, sizeof *sum->failures);
    if (!sum->failures) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory (sweep failures)");
    for (size_t i = 0; !s && i < n; i++) {
        const zs_ledger_run *r = &runs[i];
        if (r->retired || r->status == ZS_RUN_COMPLETED) continue;
        zs_sweep_failure *f = &sum->failures[sum->n_failures++];
        snprintf(f->id, sizeof f->id, "%s", r->id);
        snprintf(f->dataset, sizeof f->dataset, "%s", r->dataset);
        snprintf(f->model, sizeof f->model, "%s", r->model);
        f->tokens = r->tokens;
        f->seed = r->seed;
        snprintf(f->status, sizeof f->status, "%s", zs_run_status_name(r->status));
        snprintf(f->message, sizeof f->message, "%s", r->message);
    }
    free(runs);
    return s;
}

static double largest_flops(const zs_runs *runs) {
    double c = 0;
    for (size_t i = 0; i < runs->n_rows; i++)
        if (runs->flops[i] > c) c = runs->flops[i];
    return c;
}

static json_t *row_json(const zs_sweep_summary_row *r) {
    return json_pack(
        "{s:s, s:o, s:o, s:o, s:I, s:{s:o, s:o, s:o, s:o, s:o}, s:[o,o], s:[o,o], "
        "s:[o,o], s:o, s:[o,o], s:o, s:[o,o], s:o, s:o, s:b, s:b}",
        "dataset", r->name, "H", zs_json_number(r->h), "H_stdev", zs_json_number(r->h_stdev),
        "derivation_entropy_nats", zs_json_number(r->entropy_nats), "runs", (json_int_t)r->n_runs,
        "law", "E", zs_json_number(r->law.E), "A", zs_json_number(r->law.A), "B",
        zs_json_number(r->law.B), "alpha", zs_json_number(r->law.alpha), "beta",
        zs_json_number(r->law.beta), "E_ci", zs_json_number(r->e_lo), zs_json_number(r->e_hi),
        "alpha_ci", zs_json_number(r->alpha_lo), zs_json_number(r->alpha_hi), "beta_ci",
        zs_json_number(r->beta_lo), zs_json_number(r->beta_hi), "a", zs_json_number(r->a), "a_ci",
        zs_json_number(r->a_lo), zs_json_number(r->a_hi), "tokens_per_param",
        zs_json_number(r->tokens_per_param), "tokens_per_param_ci", zs_json_number(r->tpp_lo),
        zs_json_number(r->tpp_hi), "residual_rms", zs_json_number(r->residual_rms), "holdout_rmse",
        zs_json_number(r->holdout_rmse), "e_bound_active", r->e_bounded, "e_fixed", r->e_fixed);
}

static zs_status write_summary(const zs_sweep_summary *sum, const char *path, zs_error *err) {
    json_t *rows = json_array(), *fails = json_array();
    for (size_t i = 0; rows && i < sum->n_rows; i++)
        json_array_append_new(rows, row_json(&sum->rows[i]));
    for (size_t i = 0; fails && i < sum->n_failures; i++) {
        const zs_sweep_failure *f = &sum->failures[i];
        json_array_append_new(fails, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "id", f->id,
                                               "dataset", f->dataset, "model", f->model, "tokens",
                                               (json_int_t)f->tokens, "seed", (json_int_t)f->seed,
                                               "status", f->status, "message", f->message));
    }
    json_t *j =
        json_pack("{s:s, s:i, s:s, s:s, s:o, s:I, s:o, s:[o,o], s:o, s:o}", "format",
                  "zipscale-sweep-summary", "format_version", 1, "zipscale_version", zs_version(),
                  "n", sum->fit_nonembed ? "nonembed" : "all", "reference_flops",
                  zs_json_number(sum->reference_flops), "level_pct", (json_int_t)sum->level_pct,
                  "a_slope_on_H", zs_json_number(sum->a_slope), "a_slope_ci",
                  zs_json_number(sum->a_slope_lo), zs_json_number(sum->a_slope_hi), "datasets",
                  rows ? rows : json_null(), "failures", fails ? fails : json_null());
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!text) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (summary.json)");
    zs_status s = zs_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return s;
}

/* The fits, the regression and the summary from the exported table. */
static zs_status fit_all(const char *dir, const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                         zs_ledger *lg, const zs_sweep_analyse_opts *opts, zs_sweep_summary *sum,
                         zs_error *err) {
    char csv[4200], law_path[4200], reg_path[4200];
    snprintf(csv, sizeof csv, "%s/runs.csv", dir);
    snprintf(law_path, sizeof law_path, "%s/law.json", dir);
    snprintf(reg_path, sizeof reg_path, "%s/regression.json", dir);
    zs_runs runs;
    zs_lawfile law;
    memset(&runs, 0, sizeof runs);
    memset(&law, 0, sizeof law);
    zs_ledger_dataset *ds = NULL;
    size_t n_ds = 0;
    zs_status s = zs_runs_read(&runs, csv, NULL, 0, err);
    zs_fit_table_opts fo;
    zs_fit_table_opts_init(&fo);
    fo.fit.threads = opts->threads;
    fo.bootstrap_replicates = spec->bootstrap;
    fo.holdout_largest = spec->holdout_largest;
    fo.bound_e = spec->bound_e && runs.has_e_max;
    fo.fix_e = fo.bound_e && spec->fix_e;
    if (!s) s = zs_fit_table(&runs, csv, &fo, &law, err);
    if (!s) s = zs_lawfile_write(&law, law_path, err);
    if (!s) s = zs_ledger_datasets(lg, &ds, &n_ds, err);
    sum->fit_nonembed = spec->fit_nonembed;
    sum->reference_flops = spec->reference_flops > 0 ? spec->reference_flops : largest_flops(&runs);
    sum->level_pct = (size_t)lround(100 * fo.level);
    if (!s && !(sum->rows = calloc(law.n_fits, sizeof *sum->rows)))
        s = zs_fail(err, ZS_ERR_NOMEM, "out of memory (sweep summary)");
    for (size_t i = 0; !s && i < law.n_fits; i++, sum->n_rows++)
        s = summary_row(&law.fits[i], dataset_named(ds, n_ds, law.fits[i].dataset, spec, plan),
                        sum->reference_flops, &sum->rows[i], err);
    size_t with_h = 0;
    for (size_t i = 0; !s && i < law.n_fits; i++) {
        law.fits[i].h = sum->rows[i].h;
        with_h += isfinite(sum->rows[i].h);
    }
    if (!s && with_h == law.n_fits && with_h >= 3) {
        zs_regressfile rf;
        char sha[65];
        s = zs_sha256_file(law_path, sha, err);
        if (!s) s = zs_regressfile_from_lawfile(&rf, &law, law_path, sha, err);
        if (!s) {
            s = zs_regressfile_write(&rf, reg_path, err);
            zs_regressfile_free(&rf);
        }
        if (!s) a_trend(&law, sum, err);
    } else if (!s) {
        sum->a_slope = sum->a_slope_lo = sum->a_slope_hi = NAN;
        remove(reg_path);
    }
    free(ds);
    zs_lawfile_free(&law);
    zs_runs_free(&runs);
    return s;
}

/* DIR/curves/DATASET-MODEL.jsonl: links to the training logs of each dataset's largest
 * model at the largest budget (first seed), the curves the report draws under those names. */
static size_t link_curves(const char *dir, const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                          zs_ledger *lg, char (*paths)[4200], size_t max) {
    char folder[4200];
    snprintf(folder, sizeof folder, "%s/curves", dir);
    if (mkdir(folder, 0777) != 0 && errno != EEXIST) return 0;
    size_t n = 0;
    for (size_t d = 0; d < spec->n_datasets && n < max; d++) {
        const zs_sweep_plan_run *best = NULL;
        for (size_t i = 0; i < plan->n_runs; i++) {
            const zs_sweep_plan_run *r = &plan->runs[i];
            if (r->dataset != d || r->seed != spec->seeds[0]) continue;
            if (!best || r->n_params > best->n_params ||
                (r->n_params == best->n_params && r->budget > best->budget))
                best = r;
        }
        zs_ledger_run row;
        int found = 0;
        if (!best || zs_ledger_run_get(lg, best->id, &row, &found, NULL) || !found ||
            row.status != ZS_RUN_COMPLETED)
            continue;
        char target[128];
        snprintf(target, sizeof target, "../runs/%s/log.jsonl", best->id);
        int w = snprintf(paths[n], sizeof paths[n], "%s/%s-%s.jsonl", folder,
                         spec->datasets[d].name, spec->models[best->model].name);
        if (w < 0 || (size_t)w >= sizeof paths[n]) continue;
        unlink(paths[n]);
        if (symlink(target, paths[n]) == 0) n++;
    }
    return n;
}

static zs_status report(const char *dir, const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                        zs_ledger *lg, const zs_sweep_analyse_opts *opts, zs_error *err) {
    enum { MAX_INPUTS = 4 + 16 };
    static const char *const files[] = {"summary.json", "runs.csv", "law.json", "regression.json"};
    char(*paths)[4200] = calloc(MAX_INPUTS, sizeof *paths);
    const char **list = calloc(MAX_INPUTS, sizeof *list);
    if (!paths || !list) {
        free(paths);
        free(list);
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory (report inputs)");
    }
    size_t n = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(paths[n], sizeof paths[n], "%s/%s", dir, files[i]);
        if (access(paths[n], R_OK) == 0) n++;
    }
    n += link_curves(dir, spec, plan, lg, paths + n, MAX_INPUTS - n);
    for (size_t i = 0; i < n; i++) list[i] = paths[i];
    char out[4200], title[128];
    snprintf(out, sizeof out, "%s/report.html", dir);
    snprintf(title, sizeof title, "zipscale sweep %s", spec->name);
    zs_report_opts ro;
    zs_report_opts_init(&ro);
    ro.title = title;
    ro.date_utc = opts->report_date;
    ro.threads = opts->threads;
    zs_status s = zs_report_write(list, n, &ro, out, err);
    free(paths);
    free(list);
    return s;
}

zs_status zs_sweep_analyse(const char *dir, const zs_sweep_analyse_opts *opts,
                           zs_sweep_summary *summary, zs_error *err) {
    zs_ledger *lg = NULL;
    zs_sweep_spec spec;
    zs_sweep_plan plan;
    zs_sweep_summary sum;
    memset(&spec, 0, sizeof spec);
    memset(&plan, 0, sizeof plan);
    memset(&sum, 0, sizeof sum);
    size_t rows = 0;
    char csv[4200], path[4200];
    snprintf(csv, sizeof csv, "%s/runs.csv", dir);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    zs_status s = zs_ledger_open_union(&lg, dir, NULL, 0, err);
    if (!s) s = zs_sweep_ledger_spec(lg, dir, &spec, err);
    if (!s) s = zs_sweep_plan_build(&spec, &plan, err);
    if (!s) s = zs_sweep_export_ledger(lg, &spec, &plan, csv, &rows, err);
    if (!s && rows == 0)
        s = zs_fail(err, ZS_ERR_USAGE, "%s: no completed runs to analyse yet", dir);
    if (!s) s = fit_all(dir, &spec, &plan, lg, opts, &sum, err);
    if (!s) s = failures(lg, &sum, err);
    if (!s) s = write_summary(&sum, path, err);
    if (!s) s = report(dir, &spec, &plan, lg, opts, err);
    if (!s && summary)
        *summary = sum;
    else
        zs_sweep_summary_free(&sum);
    if (s && summary) memset(summary, 0, sizeof *summary);
    zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    zs_ledger_close(lg);
    return s;
}
