/* Tests for the upper bound on the Chinchilla law's E (module fit, docs/fitting.md
 * "Bounding E"): a bound the unbounded fit satisfies changes nothing, bit for bit; an
 * active bound gives E = e_max and an objective no worse than scipy's L-BFGS-B with the
 * same bound from the same starts (tests/data/fit/bounded_scipy_ref.py); the runs table's
 * e_max column and its errors; law.json's e_max / e_bound_active keys (and files without
 * them); the same numbers for any thread count, bootstrap included. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testfit.h"
#include "testutil.h"
#include "zipscale/fit.h"

/* 108 starts, for tests of the plumbing rather than of the optimum. */
#define SMALL_GRID "alpha=0:2:1,beta=0:2:1,e=-1:1:1,a=5:20:15,b=5:20:15"
/* 243 starts: e in {-1, 0, 1}, so with e_max = 1.5 a third of the starts lie above the bound
 * (e = 1: E = 2.72) and the others below it. */
#define MEDIUM_GRID "alpha=0:2:1,beta=0:2:1,e=-1:1:1,a=0:20:10,b=0:20:10"

static void make_data(zs_fit_data *data, const double *n, const double *d, const double *l,
                      size_t count) {
    size_t *rows = malloc(count * sizeof *rows);
    for (size_t i = 0; i < count; i++) rows[i] = i;
    zs_error err;
    cr_assert_eq(zs_fit_data_init(data, n, d, l, NULL, rows, count, &err), ZS_OK, "%s", err.msg);
    free(rows);
}

static void fit_opts(zs_fit_opts *opts, const char *grid, double e_max, int threads) {
    zs_fit_opts_init(opts);
    zs_error err;
    cr_assert_eq(zs_fit_grid_parse(grid, &opts->grid, &err), ZS_OK, "%s", err.msg);
    opts->e_max = e_max;
    opts->threads = threads;
}

/* Every field of two results, bit for bit. */
static void expect_same_result(const zs_fit_result *x, const zs_fit_result *y, const char *what) {
    cr_assert_eq(memcmp(x->p, y->p, sizeof x->p), 0, "%s: parameters differ", what);
    cr_assert_eq(memcmp(&x->objective, &y->objective, sizeof x->objective), 0,
                 "%s: objective %.17g vs %.17g", what, x->objective, y->objective);
    cr_assert_eq(memcmp(&x->law, &y->law, sizeof x->law), 0, "%s: law differs", what);
    cr_assert_eq(memcmp(&x->residual_rms, &y->residual_rms, sizeof x->residual_rms), 0, "%s", what);
    cr_assert_eq(x->converged, y->converged, "%s", what);
    cr_assert_eq(x->start_index, y->start_index, "%s", what);
    cr_assert_eq(x->iterations, y->iterations, "%s", what);
    cr_assert_eq(x->n_points, y->n_points, "%s", what);
    cr_assert_eq(x->e_bound_active, y->e_bound_active, "%s", what);
}

/* ---- the bounded fit -------------------------------------------------------------------- */

/* A bound at or above the unbounded optimum's E returns that optimum unchanged, bit for bit
 * (also when some grid starts lie above the bound: e_max 2 < e^1). */
Test(fit_bound, inactive_bound_changes_nothing) {
    enum { COUNT = 48 };
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&EPOCH, 6, 8, 0.01, 21, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, COUNT);
    zs_fit_opts opts;
    fit_opts(&opts, MEDIUM_GRID, INFINITY, 0);
    zs_fit_result free_fit, bounded;
    zs_error err;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &free_fit, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(free_fit.e_bound_active, 0);
    cr_assert(free_fit.law.E > 1.6 && free_fit.law.E < 2, "E %g", free_fit.law.E);
    const double bounds[] = {free_fit.law.E, free_fit.law.E * (1 + 1e-12), 2.0, 1e3};
    for (size_t k = 0; k < sizeof bounds / sizeof *bounds; k++) {
        opts.e_max = bounds[k];
        cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &bounded, &err), ZS_OK, "%s",
                     err.msg);
        char what[64];
        snprintf(what, sizeof what, "e_max %.17g", bounds[k]);
        expect_same_result(&free_fit, &bounded, what);
    }
    zs_fit_data_free(&data);
}

Test(fit_bound, rejects_non_positive_bound) {
    enum { COUNT = 12 };
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&EPOCH, 3, 4, 0, 1, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, COUNT);
    const double bad[] = {0, -1, NAN, -INFINITY};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        zs_fit_opts opts;
        fit_opts(&opts, SMALL_GRID, bad[k], 1);
        zs_fit_result fit;
        zs_error err;
        cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err), ZS_ERR_USAGE);
        cr_assert(strstr(err.msg, "expected a positive bound on E"), "%s", err.msg);
    }
    zs_fit_data_free(&data);
}

/* Points from [EP]'s law (E = 1.817) with 2% noise, bounded at e_max = 1.5 below the true E:
 * the fit must put E on the bound, satisfy the KKT conditions there, and do at least as well
 * as an independent solver of the same bounded problem: scipy's L-BFGS-B with a bound on e
 * only, run from the same 243 starts (tests/data/fit/bounded_scipy_ref.py, analytic
 * gradient, ftol 1e-15, gtol 1e-12). Tolerances:
 *   - E = e_max to 1e-12 relative (it is exp(log e_max), never above e_max);
 *   - objective <= scipy's * (1 + 1e-9), and not below it by more than 1e-9 relative
 *     either (the same optimum; measured 2.4e-15 apart);
 *   - alpha, beta within 1e-6 and log A, log B within 1e-5 of scipy's: the optimum is flat
 *     along the A-alpha and B-beta ridges, so two solvers that stop on different tests
 *     differ there first (measured: 5e-9 in alpha, beta; 7e-8 in log A, log B: ~100x
 *     margin);
 *   - KKT: |df/dp| <= 1e-6 for the free parameters, and df/de <= 1e-6 (the objective falls,
 *     or is flat, as e rises through the bound).
 * A missing python3 / numpy / scipy fails this test (zs_test_python), as every cross-check. */
Test(fit_bound, active_bound_matches_scipy_lbfgsb, .timeout = 300) {
    const char *py = zs_test_python("numpy scipy");
    enum { COUNT = 60 };
    const double e_max = 1.5, delta = 1e-3;
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&EPOCH, 6, 10, 0.02, 5, n, d, l);
    const char *csv = zs_test_path("bound_ref.csv");
    FILE *f = fopen(csv, "w");
    cr_assert(f);
    fprintf(f, "N,D,loss\n");
    for (int i = 0; i < COUNT; i++) fprintf(f, "%.17g,%.17g,%.17g\n", n[i], d[i], l[i]);
    fclose(f);
    zs_run r = zs_test_sh("'%s' '%s/tests/data/fit/bounded_scipy_ref.py' '%s' %.17g %.17g '%s'", py,
                          ZS_SOURCE_DIR, csv, e_max, delta, MEDIUM_GRID);
    cr_assert_eq(r.exit_code, 0, "the scipy reference failed: %s", r.err);
    double obj, a, b, e, alpha, beta, E, grad_e;
    int start, active;
    cr_assert_eq(sscanf(r.out,
                        "obj=%lf a=%lf b=%lf e=%lf alpha=%lf beta=%lf E=%lf start=%d active=%d "
                        "grad_e=%lf",
                        &obj, &a, &b, &e, &alpha, &beta, &E, &start, &active, &grad_e),
                 10, "reference said: %s", r.out);
    zs_run_free(&r);
    cr_assert(active, "scipy's optimum should lie on the bound (E %.17g)", E);

    zs_fit_data data;
    make_data(&data, n, d, l, COUNT);
    zs_fit_opts opts;
    fit_opts(&opts, MEDIUM_GRID, INFINITY, 0);
    zs_fit_result free_fit, fit;
    zs_error err;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &free_fit, &err), ZS_OK, "%s", err.msg);
    cr_assert_gt(free_fit.law.E, e_max, "the unbounded E %g must exceed the bound", free_fit.law.E);
    opts.e_max = e_max;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err), ZS_OK, "%s", err.msg);
    cr_assert(fit.e_bound_active);
    cr_assert(fit.converged);
    cr_assert_leq(fit.law.E, e_max);
    cr_assert_lt(fabs(fit.law.E / e_max - 1), 1e-12, "E %.17g vs e_max %.17g", fit.law.E, e_max);
    cr_assert_geq(fit.objective, free_fit.objective, "a bound cannot lower the optimum");

    cr_log_info("bounded fit vs scipy: objective %.17g vs %.17g (rel %.3g); alpha %.3g, beta "
                "%.3g, log A %.3g, log B %.3g apart; scipy start %d, zipscale start %zu",
                fit.objective, obj, fit.objective / obj - 1, fit.law.alpha - alpha,
                fit.law.beta - beta, fit.p[ZS_LAW_A] - a, fit.p[ZS_LAW_B] - b, start,
                fit.start_index);
    cr_assert_leq(fit.objective, obj * (1 + 1e-9), "zipscale %.17g vs scipy %.17g", fit.objective,
                  obj);
    cr_assert_lt(fabs(fit.objective / obj - 1), 1e-9, "zipscale %.17g vs scipy %.17g",
                 fit.objective, obj);
    cr_assert_lt(fabs(fit.law.alpha - alpha), 1e-6, "alpha %.10g vs %.10g", fit.law.alpha, alpha);
    cr_assert_lt(fabs(fit.law.beta - beta), 1e-6, "beta %.10g vs %.10g", fit.law.beta, beta);
    cr_assert_lt(fabs(fit.p[ZS_LAW_A] - a), 1e-5, "log A %.10g vs %.10g", fit.p[ZS_LAW_A], a);
    cr_assert_lt(fabs(fit.p[ZS_LAW_B] - b), 1e-5, "log B %.10g vs %.10g", fit.p[ZS_LAW_B], b);
    cr_assert_lt(fabs(E / e_max - 1), 1e-12, "scipy's E %.17g", E);

    double grad[ZS_LAW_N_PARAMS];
    zs_fit_objective(&data, opts.loss, opts.delta, fit.p, grad);
    for (int j = 0; j < ZS_LAW_N_PARAMS; j++)
        if (j != ZS_LAW_E)
            cr_assert_lt(fabs(grad[j]), 1e-6, "df/dp[%d] = %g at the bounded optimum", j, grad[j]);
    cr_assert_leq(grad[ZS_LAW_E], 1e-6, "df/de = %g: the bound must hold E down, not up",
                  grad[ZS_LAW_E]);
    cr_assert_lt(grad[ZS_LAW_E], 0, "df/de = %g: expected the bound to be binding", grad[ZS_LAW_E]);
    zs_fit_data_free(&data);
}

/* Noise-free points from a law with E = 2 and a bound of 1.8: E lands on 1.8 for both
 * losses (243 starts, a third of them above the bound). */
Test(fit_bound, exact_law_bound_below_true_e) {
    enum { COUNT = 30 };
    const zs_chinchilla truth = {2.0, 300, 900, 0.32, 0.30};
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&truth, 5, 6, 0, 0, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, COUNT);
    for (int loss = ZS_FIT_HUBER; loss <= ZS_FIT_LSQ; loss++) {
        zs_fit_opts opts;
        fit_opts(&opts, MEDIUM_GRID, INFINITY, 0);
        opts.loss = loss;
        zs_fit_result free_fit, fit;
        zs_error err;
        cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &free_fit, &err), ZS_OK);
        cr_assert_lt(fabs(free_fit.law.E / truth.E - 1), 1e-4, "unbounded E %g", free_fit.law.E);
        opts.e_max = 1.8;
        cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err), ZS_OK, "%s", err.msg);
        cr_assert(fit.e_bound_active, "loss %d", loss);
        cr_assert_lt(fabs(fit.law.E / 1.8 - 1), 1e-12, "loss %d: E %.17g", loss, fit.law.E);
        cr_assert_leq(fit.law.E, 1.8);
        cr_assert_gt(fit.objective, free_fit.objective);
        /* A bounded E shifts the lost loss into the power terms: the fit stays close. */
        cr_assert_lt(fit.residual_rms, 0.05, "loss %d: rms %g", loss, fit.residual_rms);
    }
    zs_fit_data_free(&data);
}

/* ---- determinism -------------------------------------------------------------------------- */

/* A bounded fit (active) and its bootstrap: the same bits on 1, 2 and 3 threads, and every
 * replicate inside the bound. */
Test(fit_bound, same_bits_for_any_thread_count) {
    enum { COUNT = 40, REPLICATES = 6 };
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&EPOCH, 5, 8, 0.02, 13, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, COUNT);
    zs_fit_result fits[3];
    zs_bootstrap boots[3];
    const double e_max = 1.6;
    for (int t = 0; t < 3; t++) {
        zs_fit_opts opts;
        fit_opts(&opts, MEDIUM_GRID, e_max, t + 1);
        zs_error err;
        cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fits[t], &err), ZS_OK, "%s",
                     err.msg);
        cr_assert(fits[t].e_bound_active);
        cr_assert_eq(
            zs_fit_bootstrap(&data, &opts, &fits[t], NULL, REPLICATES, 3, 0.9, &boots[t], &err),
            ZS_OK, "%s", err.msg);
    }
    for (int t = 1; t < 3; t++) {
        expect_same_result(&fits[0], &fits[t], "threads");
        cr_assert_eq(memcmp(boots[0].samples, boots[t].samples, REPLICATES * sizeof(zs_chinchilla)),
                     0, "bootstrap samples differ on %d threads", t + 1);
    }
    for (int r = 0; r < REPLICATES; r++)
        cr_assert_leq(boots[0].samples[r].E, e_max, "replicate %d E %.17g", r,
                      boots[0].samples[r].E);
    for (int t = 0; t < 3; t++) zs_bootstrap_free(&boots[t]);
    zs_fit_data_free(&data);
}

/* The bootstrap's refits honour the bound: each replicate equals a direct bounded fit of the
 * resampled points from the full grid (as warm_refits_match_full_grid in test_fit.c). */
Test(fit_bound, bootstrap_refits_match_bounded_full_grid) {
    enum { COUNT = 30, REPLICATES = 2 };
    double n[COUNT], d[COUNT], l[COUNT], w[COUNT];
    zs_test_law_sweep(&EPOCH, 5, 6, 0.03, 8, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, COUNT);
    zs_fit_opts opts;
    zs_fit_opts_init(&opts);
    opts.e_max = 1.5;
    zs_fit_result full;
    zs_error err;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &full, &err), ZS_OK, "%s", err.msg);
    cr_assert(full.e_bound_active);
    zs_bootstrap boot;
    cr_assert_eq(zs_fit_bootstrap(&data, &opts, &full, NULL, REPLICATES, 9, 0.9, &boot, &err),
                 ZS_OK, "%s", err.msg);
    uint32_t counts[COUNT];
    for (size_t r = 0; r < REPLICATES; r++) {
        zs_fit_bootstrap_counts(COUNT, 9, r, counts);
        size_t rows[COUNT], kept = 0;
        for (int i = 0; i < COUNT; i++) {
            w[i] = counts[i];
            if (counts[i]) rows[kept++] = (size_t)i;
        }
        zs_fit_data rep;
        cr_assert_eq(zs_fit_data_init(&rep, n, d, l, w, rows, kept, &err), ZS_OK);
        zs_fit_result grid_fit;
        cr_assert_eq(zs_fit_chinchilla(&rep, &opts, NULL, 0, &grid_fit, &err), ZS_OK);
        const zs_chinchilla *s = &boot.samples[r];
        cr_assert_leq(s->E, 1.5);
        ZS_TEST_EXPECT_SAME_OPTIMUM(s, &grid_fit.law, r);
        zs_fit_data_free(&rep);
    }
    zs_bootstrap_free(&boot);
    zs_fit_data_free(&data);
}

/* ---- the runs table's e_max column --------------------------------------------------------- */

static zs_status parse_runs(const char *text, const zs_runs_columns *cols, int skip, zs_runs *runs,
                            zs_error *err) {
    return zs_runs_parse(runs, text, strlen(text), "runs.csv", cols, skip, err);
}

static void expect_error(const char *text, const char *message) {
    zs_runs runs;
    zs_error err;
    cr_assert_eq(parse_runs(text, NULL, 0, &runs, &err), ZS_ERR_FORMAT, "accepted: %s", text);
    cr_assert(strstr(err.msg, message), "got '%s', expected '%s'", err.msg, message);
}

Test(runs_e_max, one_bound_per_dataset_empty_or_nan_for_none) {
    zs_runs runs;
    zs_error err;
    const char *text = "dataset,N,D,loss,e_max\n"
                       "x,1e6,2e9,3.5,2.25\n"
                       "y,1e6,2e9,3.1,\n"
                       "z,1e6,2e9,3.0,NaN\n"
                       "x,2e6,2e9,3.4,2.25\n"
                       "y,2e6,2e9,3.0,\n";
    cr_assert_eq(parse_runs(text, NULL, 0, &runs, &err), ZS_OK, "%s", err.msg);
    cr_assert(runs.has_e_max);
    cr_assert_eq(runs.n_datasets, 3);
    cr_assert_eq(runs.dataset_e_max[0], 2.25);
    cr_assert(isnan(runs.dataset_e_max[1]));
    cr_assert(isnan(runs.dataset_e_max[2]));
    zs_runs_free(&runs);
    /* Without the column: has_e_max 0, every dataset unbounded. */
    cr_assert_eq(parse_runs("dataset,N,D,loss\nx,1,2,3\ny,1,2,3\n", NULL, 0, &runs, &err), ZS_OK);
    cr_assert_eq(runs.has_e_max, 0);
    cr_assert(isnan(runs.dataset_e_max[0]) && isnan(runs.dataset_e_max[1]));
    zs_runs_free(&runs);
}

Test(runs_e_max, renamed_column) {
    zs_runs runs;
    zs_error err;
    zs_runs_columns cols = {.e_max = "entropy"};
    cr_assert_eq(parse_runs("N,D,loss,entropy\n1,2,3,1.25\n", &cols, 0, &runs, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert(runs.has_e_max);
    cr_assert_eq(runs.dataset_e_max[0], 1.25);
    zs_runs_free(&runs);
    cr_assert_eq(parse_runs("N,D,loss,e_max\n1,2,3,1.25\n", &cols, 0, &runs, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "runs.csv:1: missing column 'entropy' in the header (named for the "
                              "e_max column)"),
              "%s", err.msg);
}

Test(runs_e_max, errors_name_file_and_line) {
    expect_error("dataset,N,D,loss,e_max\nx,1,2,3,2.5\ny,1,2,3,1\nx,2,2,3,2.4\n",
                 "runs.csv:4: column 'e_max': 2.4 differs from 2.5 given on line 2 for dataset "
                 "'x': expected one e_max per dataset");
    expect_error("dataset,N,D,loss,e_max\nx,1,2,3,2.5\nx,2,2,3,\n",
                 "runs.csv:3: column 'e_max': no bound differs from 2.5 given on line 2 for "
                 "dataset 'x': expected one e_max per dataset");
    expect_error("N,D,loss,e_max\n1,2,3,nan\n2,2,3,1.5\n",
                 "runs.csv:3: column 'e_max': 1.5 differs from no bound given on line 2 for the "
                 "table: expected one e_max per dataset");
    expect_error("N,D,loss,e_max\n1,2,3,0\n",
                 "runs.csv:2: column 'e_max': expected a positive finite number, found 0 (an "
                 "upper bound on E in nats; empty or nan for no bound)");
    expect_error("N,D,loss,e_max\n1,2,3,-1.5\n",
                 "runs.csv:2: column 'e_max': expected a positive finite number, found -1.5");
    expect_error("N,D,loss,e_max\n1,2,3,inf\n",
                 "runs.csv:2: column 'e_max': expected a finite number, found inf");
    expect_error("N,D,loss,e_max\n1,2,3,lots\n", "runs.csv:2: column 'e_max': 'lots' is not a "
                                                 "number");
}

Test(runs_e_max, skip_invalid_skips_a_bad_bound) {
    zs_runs runs;
    zs_error err;
    const char *text = "N,D,loss,e_max\n1,2,3,1.5\n2,2,3,-1\n3,2,3,1.6\n4,2,3,1.5\n";
    cr_assert_eq(parse_runs(text, NULL, 1, &runs, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(runs.n_rows, 2);
    cr_assert_eq(runs.rows_skipped, 2);
    cr_assert_eq(runs.dataset_e_max[0], 1.5);
    zs_runs_free(&runs);
}

/* ---- fitting a table, law.json, the command ------------------------------------------------- */

/* Two datasets from [EP]'s law with 1% noise: "hard" bounded at 1.5 (below its E), "easy"
 * at 3 (above it), "free" with no bound. */
static const char *write_bounded_table(const char *name, const char *column) {
    const char *path = zs_test_path(name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "dataset,N,D,loss,%s\n", column);
    const char *names[3] = {"hard", "easy", "free"}, *bounds[3] = {"1.5", "3", ""};
    for (int k = 0; k < 3; k++) {
        double n[24], d[24], l[24];
        zs_test_law_sweep(&EPOCH, 4, 6, 0.01, 30 + (uint64_t)k, n, d, l);
        for (int i = 0; i < 24; i++)
            fprintf(f, "%s,%.17g,%.17g,%.17g,%s\n", names[k], n[i], d[i], l[i], bounds[k]);
    }
    fclose(f);
    return path;
}

Test(fit_table_bound, bound_e_uses_the_table_per_dataset) {
    const char *csv = write_bounded_table("bounded.csv", "e_max");
    zs_runs runs;
    zs_error err;
    cr_assert_eq(zs_runs_read(&runs, csv, NULL, 0, &err), ZS_OK, "%s", err.msg);
    zs_fit_table_opts opts;
    zs_fit_table_opts_init(&opts);
    cr_assert_eq(opts.bound_e, 0);
    cr_assert(isinf(opts.fit.e_max));
    cr_assert_eq(zs_fit_grid_parse(SMALL_GRID, &opts.fit.grid, &err), ZS_OK);
    zs_lawfile plain, bounded;
    cr_assert_eq(zs_fit_table(&runs, csv, &opts, &plain, &err), ZS_OK, "%s", err.msg);
    opts.bound_e = 1;
    cr_assert_eq(zs_fit_table(&runs, csv, &opts, &bounded, &err), ZS_OK, "%s", err.msg);
    for (int k = 0; k < 3; k++) {
        cr_assert(isnan(plain.fits[k].e_max), "without bound_e no fit is bounded");
        cr_assert_eq(plain.fits[k].e_bound_active, 0);
    }
    cr_assert_gt(plain.fits[0].law.E, 1.5);
    cr_assert_eq(bounded.fits[0].e_max, 1.5);
    cr_assert(bounded.fits[0].e_bound_active);
    cr_assert_lt(fabs(bounded.fits[0].law.E / 1.5 - 1), 1e-12);
    cr_assert_eq(bounded.fits[1].e_max, 3);
    cr_assert_eq(bounded.fits[1].e_bound_active, 0);
    cr_assert_eq(memcmp(&bounded.fits[1].law, &plain.fits[1].law, sizeof(zs_chinchilla)), 0,
                 "an inactive bound changes nothing");
    cr_assert(isnan(bounded.fits[2].e_max));
    cr_assert_eq(memcmp(&bounded.fits[2].law, &plain.fits[2].law, sizeof(zs_chinchilla)), 0);
    /* A bound given to the library as well: the smaller wins. */
    zs_lawfile both;
    opts.fit.e_max = 1.4;
    cr_assert_eq(zs_fit_table(&runs, csv, &opts, &both, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(both.fits[0].e_max, 1.4);
    cr_assert_eq(both.fits[1].e_max, 1.4);
    cr_assert_eq(both.fits[2].e_max, 1.4);
    zs_lawfile_free(&both);
    zs_lawfile_free(&plain);
    zs_lawfile_free(&bounded);
    zs_runs_free(&runs);
    /* bound_e on a table without the column is a usage error. */
    cr_assert_eq(zs_runs_parse(&runs, "N,D,loss\n1,2,3\n", 15, "plain.csv", NULL, 0, &err), ZS_OK);
    zs_fit_table_opts_init(&opts);
    opts.bound_e = 1;
    cr_assert_eq(zs_fit_table(&runs, "plain.csv", &opts, &both, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "bound_e: plain.csv has no e_max column"), "%s", err.msg);
    cr_assert_str_eq(err.field, "bound_e");
    cr_assert_null(strstr(err.msg, "--"), "%s", err.msg);
    zs_runs_free(&runs);
}

/* law.json carries e_max and e_bound_active; it reads back to the same numbers and
 * reformats byte for byte; the text output says which bound was active. */
Test(fit_cli_bound, lawfile_round_trip_and_text) {
    const char *csv = write_bounded_table("bounded_cli.csv", "H_star");
    const char *path = zs_test_path("bounded_law.json");
    zs_run r = zs_test_cli("fit %s --grid " SMALL_GRID " --bound-e --col-e-max H_star "
                           "--bootstrap 4 -o %s --json",
                           csv, path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    cr_assert(doc, "stdout is not JSON: %s", jerr.text);
    json_t *fits = json_object_get(doc, "fits");
    cr_assert_eq(json_real_value(json_object_get(json_array_get(fits, 0), "e_max")), 1.5);
    cr_assert(json_is_true(json_object_get(json_array_get(fits, 0), "e_bound_active")));
    cr_assert_eq(json_number_value(json_object_get(json_array_get(fits, 1), "e_max")), 3);
    cr_assert(json_is_false(json_object_get(json_array_get(fits, 1), "e_bound_active")));
    cr_assert(json_is_null(json_object_get(json_array_get(fits, 2), "e_max")));
    cr_assert_eq(json_integer_value(json_object_get(doc, "format_version")), 1);
    zs_lawfile law;
    zs_error err;
    cr_assert_eq(zs_lawfile_read(&law, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(law.fits[0].e_max, 1.5);
    cr_assert(law.fits[0].e_bound_active);
    cr_assert_leq(law.fits[0].law.E, 1.5);
    for (size_t k = 0; k < law.fits[0].bootstrap.replicates; k++)
        cr_assert_leq(law.fits[0].bootstrap.samples[k].E, 1.5);
    cr_assert(isnan(law.fits[2].e_max));
    char *again;
    cr_assert_eq(zs_lawfile_format(&law, &again, &err), ZS_OK);
    cr_assert_str_eq(again, r.out, "read + write must reproduce the file");
    free(again);
    zs_lawfile_free(&law);
    json_decref(doc);
    zs_run_free(&r);

    r = zs_test_cli("fit %s --grid " SMALL_GRID " --bound-e --col-e-max H_star", csv);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "# hard: bound active: E = e_max = 1.5 (the unbounded optimum's E "
                            "is above it)"),
              "%s", r.out);
    cr_assert(strstr(r.out, "# easy: bound not active: E = "), "%s", r.out);
    cr_assert_null(strstr(r.out, "# free:"), "%s", r.out);
    zs_run_free(&r);
    /* Without --bound-e the column is read but no fit is bounded: no bound lines. */
    r = zs_test_cli("fit %s --grid " SMALL_GRID " --col-e-max H_star", csv);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_null(strstr(r.out, "# hard: bound"), "%s", r.out);
    zs_run_free(&r);
}

Test(fit_cli_bound, bound_e_without_column_exits_2) {
    const char *csv = write_bounded_table("no_bound_col.csv", "other");
    zs_run r = zs_test_cli("fit %s --grid " SMALL_GRID " --bound-e", csv);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "zipscale fit: --bound-e: bound_e: "), "%s", r.err);
    cr_assert(strstr(r.err, "has no e_max column"), "%s", r.err);
    zs_run_free(&r);
}

Test(fit_cli_bound, output_identical_for_any_thread_count) {
    const char *csv = write_bounded_table("bounded_threads.csv", "e_max");
    char *law = zs_test_fit_same_for_threads(
        csv, "--grid " SMALL_GRID " --bound-e --bootstrap 6 --seed 4 --holdout-largest 2", "bound");
    cr_assert(strstr(law, "\"e_bound_active\": true"));
    free(law);
}

/* ---- law.json reader ------------------------------------------------------------------------- */

static zs_status read_law_text(const char *text, zs_lawfile *law, zs_error *err) {
    const char *path = zs_test_path("bound_law.json");
    zs_test_write(path, text, strlen(text));
    return zs_lawfile_read(law, path, err);
}

static const char *HEAD =
    "{\"format\": \"zipscale-law\", \"format_version\": 1, \"zipscale_version\": \"0.1.0\","
    " \"input\": {\"path\": \"r.csv\", \"sha256\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"rows_read\": 3,"
    " \"rows_skipped\": 0},"
    " \"options\": {\"loss\": \"huber\", \"delta\": 0.001, \"grid\": \"alpha=0:2:0.5\", "
    "\"bootstrap\": 0,"
    " \"seed\": 0, \"level\": 0.95, \"holdout_largest\": 0},"
    " \"fits\": [{\"dataset\": null, \"H\": null, \"n_points\": 3, \"law\": {\"E\": 1.5, "
    "\"A\": 2, \"B\": 3, \"alpha\": 0.3, \"beta\": 0.4}, \"objective\": 0, "
    "\"residual_rms\": 0, \"converged\": true";
static const char *TAIL = ", \"bootstrap\": null, \"holdout\": null}]}";

static zs_status read_with(const char *keys, zs_lawfile *law, zs_error *err) {
    char text[2048];
    snprintf(text, sizeof text, "%s%s%s", HEAD, keys, TAIL);
    return read_law_text(text, law, err);
}

Test(lawfile_bound, old_files_and_new_keys) {
    zs_lawfile law;
    zs_error err;
    /* A file from before the bound: no keys, read as unbounded. */
    cr_assert_eq(read_with("", &law, &err), ZS_OK, "%s", err.msg);
    cr_assert(isnan(law.fits[0].e_max));
    cr_assert_eq(law.fits[0].e_bound_active, 0);
    char *text;
    cr_assert_eq(zs_lawfile_format(&law, &text, &err), ZS_OK);
    cr_assert(strstr(text, "\"e_max\": null,\n      \"e_bound_active\": false,"), "%s", text);
    free(text);
    zs_lawfile_free(&law);
    cr_assert_eq(read_with(", \"e_max\": 1.5, \"e_bound_active\": true", &law, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(law.fits[0].e_max, 1.5);
    cr_assert(law.fits[0].e_bound_active);
    zs_lawfile_free(&law);
    cr_assert_eq(read_with(", \"e_max\": null, \"e_bound_active\": false", &law, &err), ZS_OK);
    cr_assert(isnan(law.fits[0].e_max));
    zs_lawfile_free(&law);
    cr_assert_eq(read_with(", \"e_max\": 2", &law, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(law.fits[0].e_max, 2);
    cr_assert_eq(law.fits[0].e_bound_active, 0);
    zs_lawfile_free(&law);
}

Test(lawfile_bound, bad_keys_are_named) {
    zs_lawfile law;
    zs_error err;
    cr_assert_eq(read_with(", \"e_max\": -1", &law, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "bound_law.json: fits[0].e_max: expected a positive number"), "%s",
              err.msg);
    cr_assert_eq(read_with(", \"e_max\": \"1.5\"", &law, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "fits[0].e_max: expected a positive number"), "%s", err.msg);
    cr_assert_eq(read_with(", \"e_max\": 2, \"e_bound_active\": 1", &law, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "fits[0].e_bound_active: expected true or false"), "%s", err.msg);
    cr_assert_eq(read_with(", \"e_bound_active\": true", &law, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "fits[0].e_bound_active: expected false when e_max is null"), "%s",
              err.msg);
    cr_assert_eq(read_with(", \"e_max\": 1.25", &law, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "fits[0].law.E: expected at most e_max"), "%s", err.msg);
}

/* ---- a fixed E (zs_fit_opts.e_fixed, --fix-e) ---------------------------------------------- */

/* With E fixed at its true value, noise-free data give back the other four exactly; the
 * unconstrained fit is never consulted (its better optimum does not win), and the fixed
 * fit equals the bounded fit's face when the bound is active. */
Test(fit_fixed_e, recovers_the_law_with_e_known) {
    enum { COUNT = 30 };
    const zs_chinchilla truth = {2.0, 300, 900, 0.32, 0.30};
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&truth, 5, 6, 0, 0, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, COUNT);
    zs_fit_opts opts;
    fit_opts(&opts, MEDIUM_GRID, truth.E, 0);
    opts.e_fixed = 1;
    zs_fit_result fit;
    zs_error err;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err), ZS_OK, "%s", err.msg);
    cr_assert(fit.e_bound_active);
    cr_assert_leq(fit.law.E, truth.E);
    cr_assert_lt(fabs(fit.law.E / truth.E - 1), 1e-12, "E %.17g", fit.law.E);
    cr_assert_lt(fabs(fit.law.alpha / truth.alpha - 1), 1e-4, "alpha %g", fit.law.alpha);
    cr_assert_lt(fabs(fit.law.beta / truth.beta - 1), 1e-4, "beta %g", fit.law.beta);
    cr_assert_lt(fabs(log(fit.law.A / truth.A)), 1e-3, "A %g", fit.law.A);
    cr_assert_lt(fabs(log(fit.law.B / truth.B)), 1e-3, "B %g", fit.law.B);
    /* Fixed below the truth: E stays put even though a free E would fit better. */
    opts.e_max = 1.8;
    zs_fit_result fixed, bounded;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fixed, &err), ZS_OK, "%s", err.msg);
    cr_assert_lt(fabs(fixed.law.E / 1.8 - 1), 1e-12, "E %.17g", fixed.law.E);
    opts.e_fixed = 0;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &bounded, &err), ZS_OK, "%s", err.msg);
    cr_assert(bounded.e_bound_active);
    cr_assert_eq(memcmp(fixed.p, bounded.p, sizeof fixed.p), 0, "fixed and face fits differ");
    /* Fixed above the free optimum's E: still fixed, where a bound would not bind. */
    opts.e_max = 2.2;
    opts.e_fixed = 1;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fixed, &err), ZS_OK, "%s", err.msg);
    cr_assert_lt(fabs(fixed.law.E / 2.2 - 1), 1e-12, "E %.17g", fixed.law.E);
    cr_assert(fixed.e_bound_active);
    zs_fit_data_free(&data);
}

Test(fit_cli_fixed_e, lawfile_records_it_and_text_says_so) {
    const char *csv = write_bounded_table("fixed_cli.csv", "H_star");
    const char *path = zs_test_path("fixed_law.json");
    zs_run r =
        zs_test_cli("fit %s --grid " SMALL_GRID " --fix-e --col-e-max H_star -o %s", csv, path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "# hard: E fixed at e_max = 1.5 (not fitted)"), "%s", r.out);
    cr_assert(strstr(r.out, "# easy: E fixed at e_max = 3 (not fitted)"), "%s", r.out);
    zs_run_free(&r);
    zs_lawfile law;
    zs_error err;
    cr_assert_eq(zs_lawfile_read(&law, path, &err), ZS_OK, "%s", err.msg);
    cr_assert(law.fits[0].e_fixed && law.fits[1].e_fixed);
    cr_assert(!law.fits[2].e_fixed, "a dataset without e_max stays free");
    cr_assert_lt(fabs(law.fits[1].law.E / 3 - 1), 1e-12, "E %.17g", law.fits[1].law.E);
    zs_lawfile_free(&law);
}

Test(lawfile_bound, e_fixed_key) {
    zs_lawfile law;
    zs_error err;
    cr_assert_eq(
        read_with(", \"e_max\": 1.5, \"e_bound_active\": true, \"e_fixed\": true", &law, &err),
        ZS_OK, "%s", err.msg);
    cr_assert(law.fits[0].e_fixed);
    zs_lawfile_free(&law);
    cr_assert_eq(read_with(", \"e_max\": 2, \"e_fixed\": 1", &law, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "fits[0].e_fixed: expected true or false"), "%s", err.msg);
    cr_assert_eq(read_with(", \"e_max\": 2, \"e_fixed\": true", &law, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "fits[0].e_fixed: expected false unless e_bound_active"), "%s",
              err.msg);
}
