/* Fitting a whole runs table: one Chinchilla fit per dataset, with its bootstrap and its
 * holdout of the largest runs, gathered into a zs_lawfile with the provenance law.json
 * records (input digest, options, version). What `zipscale fit` calls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/fit.h"

void zs_fit_table_opts_init(zs_fit_table_opts *opts) {
    *opts = (zs_fit_table_opts){.level = ZS_BOOTSTRAP_LEVEL};
    zs_fit_opts_init(&opts->fit);
}

/* Sorting rows by compute, largest first; ties keep the lower row first. */
typedef struct {
    double flops;
    size_t row;
} by_compute;

static int compare_compute(const void *a, const void *b) {
    const by_compute *x = a, *y = b;
    if (x->flops != y->flops) return x->flops < y->flops ? 1 : -1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Splits a dataset's rows into the K largest by compute (held out, largest first) and the
 * rest (in table order). */
static void split_holdout(const zs_runs *runs, size_t *rows, size_t n, size_t k,
                          by_compute *order) {
    for (size_t i = 0; i < n; i++) order[i] = (by_compute){runs->flops[rows[i]], rows[i]};
    qsort(order, n, sizeof *order, compare_compute);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        int held = 0;
        for (size_t j = 0; j < k; j++) held |= order[j].row == rows[i];
        if (!held) rows[kept++] = rows[i];
    }
    for (size_t j = 0; j < k; j++) rows[n - k + j] = order[j].row;
}

static zs_status holdout_errors(const zs_runs *runs, const size_t *held, size_t k,
                                const zs_chinchilla *law, zs_holdout *h, zs_error *err) {
    h->k = k;
    h->points = zs_calloc(k, sizeof *h->points, "holdout points", err);
    if (!h->points) return ZS_ERR_NOMEM;
    double squares = 0, worst = 0;
    for (size_t j = 0; j < k; j++) {
        size_t row = held[j];
        zs_holdout_point *p = &h->points[j];
        *p = (zs_holdout_point){runs->n_params[row], runs->n_tokens[row], runs->loss_nats[row],
                                zs_chinchilla_loss(law, runs->n_params[row], runs->n_tokens[row])};
        double e = p->predicted_nats - p->loss_nats;
        squares += e * e;
        worst = fmax(worst, fabs(e));
    }
    h->rmse = sqrt(squares / (double)k);
    h->max_abs_error = worst;
    return ZS_OK;
}

/* Fits dataset d into *out. rows has room for all the table's rows. */
static zs_status fit_dataset(const zs_runs *runs, size_t d, const zs_fit_table_opts *opts,
                             size_t *rows, by_compute *order, zs_lawfit *out, zs_error *err) {
    size_t n = zs_runs_dataset_rows(runs, d, rows);
    size_t k = opts->holdout_largest;
    if (k >= n)
        return zs_fail_field(err, ZS_ERR_RANGE, "holdout_largest",
                             "dataset %s: holdout_largest %zu leaves no runs to fit (%zu runs)",
                             zs_runs_dataset_label(runs, d), k, n);
    if (n - k < ZS_LAW_N_PARAMS + 1)
        return zs_fail(err, ZS_ERR_RANGE,
                       "dataset %s: %zu runs to fit; the Chinchilla law has %d parameters, "
                       "expected at least %d runs",
                       zs_runs_dataset_label(runs, d), n - k, ZS_LAW_N_PARAMS, ZS_LAW_N_PARAMS + 1);
    if (k) split_holdout(runs, rows, n, k, order);
    zs_fit_data data;
    zs_status s = zs_fit_data_init(&data, runs->n_params, runs->n_tokens, runs->loss_nats,
                                   runs->has_weight ? runs->weight : NULL, rows, n - k, err);
    if (s) return s;
    /* A/N^alpha (B/D^beta) cannot be told from E without two model (data) sizes. */
    if (data.n_log_n < 2 || data.n_log_d < 2) {
        s = zs_fail(err, ZS_ERR_RANGE,
                    "dataset %s: the runs to fit span %zu model size(s) N and %zu data size(s) "
                    "D; the Chinchilla law needs at least 2 of each",
                    zs_runs_dataset_label(runs, d), data.n_log_n, data.n_log_d);
        zs_fit_data_free(&data);
        return s;
    }
    /* The dataset's bound on E from the table (with bound_e), under the caller's own. */
    zs_fit_opts fit_opts = opts->fit;
    if (opts->bound_e && runs->has_e_max && isfinite(runs->dataset_e_max[d])) {
        fit_opts.e_max = fmin(fit_opts.e_max, runs->dataset_e_max[d]);
        fit_opts.e_fixed = opts->fix_e;
    }
    zs_fit_result fit;
    s = zs_fit_chinchilla(&data, &fit_opts, NULL, 0, &fit, err);
    if (!s) {
        out->n_points = fit.n_points;
        out->law = fit.law;
        out->objective = fit.objective;
        out->residual_rms = fit.residual_rms;
        out->converged = fit.converged;
        out->e_max = isfinite(fit_opts.e_max) ? fit_opts.e_max : NAN;
        out->e_bound_active = fit.e_bound_active;
        out->e_fixed = fit_opts.e_fixed && isfinite(fit_opts.e_max);
    }
    if (!s && opts->bootstrap_replicates) {
        s = zs_fit_bootstrap(&data, &fit_opts, &fit, NULL, opts->bootstrap_replicates, opts->seed,
                             opts->level, &out->bootstrap, err);
        out->has_bootstrap = !s;
    }
    if (!s && k) {
        s = holdout_errors(runs, rows + (n - k), k, &fit.law, &out->holdout, err);
        out->has_holdout = !s;
    }
    zs_fit_data_free(&data);
    if (s && err) {
        char msg[ZS_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        zs_fail(err, s, "dataset %s: %s", zs_runs_dataset_label(runs, d), msg);
    }
    return s;
}

static zs_status record_provenance(const zs_runs *runs, const char *input_path,
                                   const zs_fit_table_opts *opts, zs_lawfile *law, zs_error *err) {
    char grid[512];
    zs_fit_grid_format(&opts->fit.grid, grid, sizeof grid);
    law->zipscale_version = strdup(zs_version());
    law->input_path = strdup(input_path);
    law->grid = strdup(grid);
    if (!law->zipscale_version || !law->input_path || !law->grid)
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory recording provenance");
    memcpy(law->input_sha256, runs->sha256, sizeof law->input_sha256);
    law->rows_read = runs->rows_read;
    law->rows_skipped = runs->rows_skipped;
    law->loss = opts->fit.loss;
    law->delta = opts->fit.delta;
    law->bootstrap_replicates = opts->bootstrap_replicates;
    law->seed = opts->seed;
    law->level = opts->level;
    law->holdout_largest = opts->holdout_largest;
    return ZS_OK;
}

zs_status zs_fit_table(const zs_runs *runs, const char *input_path, const zs_fit_table_opts *opts,
                       zs_lawfile *law, zs_error *err) {
    memset(law, 0, sizeof *law);
    if (!(opts->fit.delta > 0) || !isfinite(opts->fit.delta))
        return zs_fail_field(err, ZS_ERR_USAGE, "fit.delta",
                             "fit.delta %g: expected a positive number", opts->fit.delta);
    if (!(opts->level > 0 && opts->level < 1))
        return zs_fail_field(err, ZS_ERR_USAGE, "level", "level %g: expected a number in (0, 1)",
                             opts->level);
    if (!(opts->fit.e_max > 0))
        return zs_fail(err, ZS_ERR_USAGE, "e_max %g: expected a positive bound on E",
                       opts->fit.e_max);
    if (opts->bound_e && !runs->has_e_max)
        return zs_fail_field(err, ZS_ERR_USAGE, "bound_e",
                             "bound_e: %s has no e_max column (an upper bound on E per dataset; "
                             "zs_runs_columns.e_max names it)",
                             input_path);
    if (opts->seed > INT64_MAX)
        return zs_fail_field(err, ZS_ERR_USAGE, "seed", "seed %llu: expected at most 2^63 - 1",
                             (unsigned long long)opts->seed);
    zs_status s = record_provenance(runs, input_path, opts, law, err);
    law->fits = s ? NULL : zs_calloc(runs->n_datasets, sizeof *law->fits, "fits", err);
    size_t *rows = zs_alloc(runs->n_rows * sizeof *rows + 1, "fit rows", err);
    by_compute *order = zs_alloc(runs->n_rows * sizeof *order + 1, "fit rows", err);
    if (!s && (!law->fits || !rows || !order)) s = ZS_ERR_NOMEM;
    for (size_t d = 0; !s && d < runs->n_datasets; d++) {
        zs_lawfit *f = &law->fits[d];
        law->n_fits = d + 1;
        f->h = runs->dataset_h[d];
        f->e_max = NAN;
        if (runs->dataset_names[d] && !(f->dataset = strdup(runs->dataset_names[d])))
            s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
        if (!s) s = fit_dataset(runs, d, opts, rows, order, f, err);
    }
    free(rows);
    free(order);
    if (s) zs_lawfile_free(law);
    return s;
}
