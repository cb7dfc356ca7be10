/* Tests for the Chinchilla fitter (module fit): the objective against a direct per-point
 * formula, its gradient against central differences, recovery of known laws, agreement
 * with scipy's L-BFGS-B, the bootstrap's warm-start refits against full-grid refits,
 * determinism across thread counts, law.json round trips, and every runs-table error. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testfit.h"
#include "testutil.h"
#include "zipscale/fit.h"

#define EXAMPLE ZS_SOURCE_DIR "/tests/data/fit/runs.csv"
/* 108 starts, for tests of the plumbing rather than of the optimum. */
#define SMALL_GRID "alpha=0:2:1,beta=0:2:1,e=-1:1:1,a=5:20:15,b=5:20:15"

static void make_data(zs_fit_data *data, const double *n, const double *d, const double *l,
                      const double *w, size_t count) {
    size_t *rows = malloc(count * sizeof *rows);
    for (size_t i = 0; i < count; i++) rows[i] = i;
    zs_error err;
    cr_assert_eq(zs_fit_data_init(data, n, d, l, w, rows, count, &err), ZS_OK, "%s", err.msg);
    free(rows);
}

/* ---- objective and gradient ------------------------------------------------------------ */

static double huber(double delta, double r) {
    return fabs(r) <= delta ? 0.5 * r * r : delta * (fabs(r) - 0.5 * delta);
}

/* The objective straight from its definition, point by point. */
static double direct_objective(const double *n, const double *d, const double *l, const double *w,
                               size_t count, zs_fit_loss loss, double delta, const double *p) {
    double total = 0;
    for (size_t i = 0; i < count; i++) {
        double t[3] = {p[ZS_LAW_A] - p[ZS_LAW_ALPHA] * log(n[i]),
                       p[ZS_LAW_B] - p[ZS_LAW_BETA] * log(d[i]), p[ZS_LAW_E]};
        double m = fmax(t[0], fmax(t[1], t[2]));
        double r = m + log(exp(t[0] - m) + exp(t[1] - m) + exp(t[2] - m)) - log(l[i]);
        total += (w ? w[i] : 1) * (loss == ZS_FIT_LSQ ? r * r : huber(delta, r));
    }
    return total;
}

/* Parameter points: a typical one, a grid start, and one whose powers overflow a double
 * (a = 800), which takes the max-shifted path. */
static const double PROBES[][ZS_LAW_N_PARAMS] = {
    {0.6, 6.1, 7.6, 0.35, 0.37}, /* e, a, b, alpha, beta */
    {-1, 5, 20, 0.5, 1.5},
    {0.2, 800, 7.0, 0.3, 0.4},
};

Test(fit_objective, matches_direct_formula_with_weights) {
    enum { COUNT = 24 };
    double n[COUNT], d[COUNT], l[COUNT], w[COUNT];
    zs_test_law_sweep(&EPOCH, 4, 6, 0.05, 3, n, d, l);
    for (int i = 0; i < COUNT; i++) w[i] = 1 + i % 3;
    zs_fit_data data;
    make_data(&data, n, d, l, w, COUNT);
    cr_assert_eq(data.n_log_n, 4);
    cr_assert_eq(data.n_log_d, 6);
    for (size_t k = 0; k < sizeof PROBES / sizeof *PROBES; k++)
        for (int loss = ZS_FIT_HUBER; loss <= ZS_FIT_LSQ; loss++) {
            double got = zs_fit_objective(&data, loss, 1e-3, PROBES[k], NULL);
            double want = direct_objective(n, d, l, w, COUNT, loss, 1e-3, PROBES[k]);
            cr_assert_lt(fabs(got - want), 1e-12 * fabs(want), "probe %zu loss %d: %.17g vs %.17g",
                         k, loss, got, want);
        }
    zs_fit_data_free(&data);
}

/* Central differences with h = 1e-6: truncation error O(h^2 f''') and rounding
 * O(eps f / h); a relative tolerance of 1e-5 of the largest component covers both. The
 * Huber kink is avoided with delta = 0.05 (no residual within h of +-delta here). */
Test(fit_objective, gradient_matches_central_differences) {
    enum { COUNT = 30 };
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&EPOCH, 5, 6, 0.05, 4, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, NULL, COUNT);
    const double deltas[2] = {0.05, 1e-3};
    for (size_t k = 0; k < sizeof PROBES / sizeof *PROBES; k++)
        for (int loss = ZS_FIT_HUBER; loss <= ZS_FIT_LSQ; loss++) {
            double delta = deltas[k % 2], grad[ZS_LAW_N_PARAMS], scale = 0;
            zs_fit_objective(&data, loss, delta, PROBES[k], grad);
            for (int j = 0; j < ZS_LAW_N_PARAMS; j++) scale = fmax(scale, fabs(grad[j]));
            for (int j = 0; j < ZS_LAW_N_PARAMS; j++) {
                double up[ZS_LAW_N_PARAMS], down[ZS_LAW_N_PARAMS], h = 1e-6;
                memcpy(up, PROBES[k], sizeof up);
                memcpy(down, PROBES[k], sizeof down);
                up[j] += h;
                down[j] -= h;
                double fd = (zs_fit_objective(&data, loss, delta, up, NULL) -
                             zs_fit_objective(&data, loss, delta, down, NULL)) /
                            (2 * h);
                cr_assert_lt(fabs(fd - grad[j]), 1e-5 * scale + 1e-12,
                             "probe %zu loss %d param %d: analytic %.10g, differences %.10g", k,
                             loss, j, grad[j], fd);
            }
        }
    zs_fit_data_free(&data);
}

/* ---- recovery of known laws ------------------------------------------------------------ */

/* Noise-free points: both losses must find the law itself (objective ~ 0). The grid is
 * [EP]'s; tolerances are those of an exact optimum found by L-BFGS. */
Test(fit_chinchilla, recovers_exact_law) {
    enum { COUNT = 24 };
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&EPOCH, 4, 6, 0, 0, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, NULL, COUNT);
    for (int loss = ZS_FIT_HUBER; loss <= ZS_FIT_LSQ; loss++) {
        zs_fit_opts opts;
        zs_fit_opts_init(&opts);
        opts.loss = loss;
        zs_fit_result fit;
        zs_error err;
        cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err), ZS_OK, "%s", err.msg);
        cr_assert(fit.converged);
        cr_assert_lt(fit.residual_rms, 1e-6, "rms %g", fit.residual_rms);
        cr_assert_lt(fabs(fit.law.E / EPOCH.E - 1), 1e-4, "E %g", fit.law.E);
        cr_assert_lt(fabs(fit.law.A / EPOCH.A - 1), 1e-3, "A %g", fit.law.A);
        cr_assert_lt(fabs(fit.law.B / EPOCH.B - 1), 1e-3, "B %g", fit.law.B);
        cr_assert_lt(fabs(fit.law.alpha - EPOCH.alpha), 1e-4, "alpha %g", fit.law.alpha);
        cr_assert_lt(fabs(fit.law.beta - EPOCH.beta), 1e-4, "beta %g", fit.law.beta);
        cr_assert_eq(fit.n_points, COUNT);
    }
    zs_fit_data_free(&data);
}

/* 1% log-normal noise on an 8 x 8 sweep (64 points). Tolerances: about three standard
 * errors of this design (its bootstrap gives se(alpha) ~ 0.01, se(E) ~ 1.5%). */
Test(fit_chinchilla, recovers_noisy_law) {
    enum { COUNT = 64 };
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&EPOCH, 8, 8, 0.01, 11, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, NULL, COUNT);
    zs_fit_opts opts;
    zs_fit_opts_init(&opts);
    zs_fit_result fit;
    zs_error err;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err), ZS_OK, "%s", err.msg);
    cr_assert(fit.converged);
    cr_assert_lt(fabs(fit.law.E / EPOCH.E - 1), 0.05, "E %g", fit.law.E);
    cr_assert_lt(fabs(fit.law.alpha - EPOCH.alpha), 0.03, "alpha %g", fit.law.alpha);
    cr_assert_lt(fabs(fit.law.beta - EPOCH.beta), 0.03, "beta %g", fit.law.beta);
    cr_assert_lt(fabs(log(fit.law.A / EPOCH.A)), 0.3, "A %g", fit.law.A);
    cr_assert_lt(fabs(log(fit.law.B / EPOCH.B)), 0.3, "B %g", fit.law.B);
    cr_assert_lt(fabs(fit.residual_rms - 0.01), 0.002, "rms %g vs the noise 0.01",
                 fit.residual_rms);
    zs_fit_data_free(&data);
}

/* ---- scipy ----------------------------------------------------------------------------- */

/* scipy's L-BFGS-B (tests/data/fit/bounded_scipy_ref.py with no bound on E, written from
 * docs/fitting.md) on a 60-point table from the 108 starts of SMALL_GRID (alpha, beta in {0, 1, 2},
 * e in
 * {-1, 0, 1}, a, b in {5, 20}), and zipscale from exactly the same grid, so it runs in
 * seconds. The objective must match to 1e-4 relative (never worse than scipy's) and the
 * parameters closely. Skipped under the sanitizers: it checks numbers, not memory, and the
 * other tests cover the same code. */
Test(fit_scipy, agrees_with_scipy_lbfgsb) {
    zs_test_release_only("numbers only: the Release build runs this");
    const char *py = zs_test_python("numpy scipy");
    enum { COUNT = 60, STARTS = 108 };
    double n[COUNT], d[COUNT], l[COUNT];
    zs_test_law_sweep(&EPOCH, 6, 10, 0.02, 5, n, d, l);
    const char *csv = zs_test_path("peer.csv");
    FILE *f = fopen(csv, "w");
    fprintf(f, "N,D,loss\n");
    for (int i = 0; i < COUNT; i++) fprintf(f, "%.17g,%.17g,%.17g\n", n[i], d[i], l[i]);
    fclose(f);
    zs_run r = zs_test_sh("'%s' '%s/tests/data/fit/bounded_scipy_ref.py' '%s' inf 1e-3 '%s'", py,
                          ZS_SOURCE_DIR, csv, SMALL_GRID);
    cr_assert_eq(r.exit_code, 0, "the scipy reference failed: %s", r.err);
    double obj, a, b, E, alpha, beta;
    cr_assert_eq(sscanf(r.out, "obj=%lf a=%lf b=%lf e=%*f alpha=%lf beta=%lf E=%lf", &obj, &a, &b,
                        &alpha, &beta, &E),
                 6, "reference said: %s", r.out);
    zs_fit_opts opts;
    zs_fit_opts_init(&opts);
    zs_error err;
    cr_assert_eq(zs_fit_grid_parse(SMALL_GRID, &opts.grid, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_fit_grid_size(&opts.grid), STARTS);
    zs_run_free(&r);
    const double A = exp(a), B = exp(b);
    zs_fit_data data;
    make_data(&data, n, d, l, NULL, COUNT);
    zs_fit_result fit;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err), ZS_OK, "%s", err.msg);
    /* The reference prints 17 digits; ours can only be lower or equal (1e-5 slack). */
    cr_assert_leq(fit.objective, obj * (1 + 1e-5), "zipscale %.8g vs scipy %.8g", fit.objective,
                  obj);
    cr_assert_lt(fabs(fit.objective / obj - 1), 1e-4, "zipscale %.8g vs scipy %.8g", fit.objective,
                 obj);
    cr_assert_lt(fabs(fit.law.E / E - 1), 2e-3, "E %g vs %g", fit.law.E, E);
    cr_assert_lt(fabs(fit.law.alpha - alpha), 2e-3, "alpha %g vs %g", fit.law.alpha, alpha);
    cr_assert_lt(fabs(fit.law.beta - beta), 2e-3, "beta %g vs %g", fit.law.beta, beta);
    cr_assert_lt(fabs(log(fit.law.A / A)), 0.02, "A %g vs %g", fit.law.A, A);
    cr_assert_lt(fabs(log(fit.law.B / B)), 0.02, "B %g vs %g", fit.law.B, B);
    zs_fit_data_free(&data);
}

/* ---- grid ------------------------------------------------------------------------------ */

Test(fit_grid, default_is_epoch_grid_in_peer_order) {
    zs_fit_grid g;
    zs_fit_grid_default(&g);
    cr_assert_eq(zs_fit_grid_size(&g), 4500);
    double p[ZS_LAW_N_PARAMS];
    zs_fit_grid_point(&g, 0, p);
    const double first[ZS_LAW_N_PARAMS] = {-1, 0, 0, 0, 0}; /* e, a, b, alpha, beta */
    cr_assert_eq(memcmp(p, first, sizeof p), 0);
    zs_fit_grid_point(&g, 1, p); /* b varies fastest, as itertools.product's last axis */
    cr_assert_eq(p[ZS_LAW_B], 5);
    zs_fit_grid_point(&g, 4499, p);
    const double last[ZS_LAW_N_PARAMS] = {1, 25, 25, 2, 2};
    cr_assert_eq(memcmp(p, last, sizeof p), 0);
    char spec[512];
    zs_fit_grid_format(&g, spec, sizeof spec);
    cr_assert_str_eq(spec, "alpha=0:2:0.5,beta=0:2:0.5,e=-1:1:0.5,a=0:25:5,b=0:25:5");
}

Test(fit_grid, parse_errors_name_the_axis) {
    zs_fit_grid g;
    zs_fit_grid_default(&g);
    zs_error err;
    cr_assert_eq(zs_fit_grid_parse("gamma=0:1:1", &g, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "grid: unknown axis 'gamma'"), "%s", err.msg);
    cr_assert_str_eq(err.field, "grid");
    cr_assert_null(strstr(err.msg, "--"), "%s", err.msg);
    cr_assert_eq(zs_fit_grid_parse("alpha=0:1", &g, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "alpha='0:1': expected LO:HI:STEP"), "%s", err.msg);
    cr_assert_eq(zs_fit_grid_parse("e=1:0:0.5", &g, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "e: expected LO <= HI and STEP > 0"), "%s", err.msg);
    cr_assert_eq(zs_fit_grid_parse("alpha", &g, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "expected NAME=LO:HI:STEP"), "%s", err.msg);
    cr_assert_eq(zs_fit_grid_size(&g), 4500, "a failed parse leaves the grid as it was");
    cr_assert_eq(zs_fit_grid_parse("a=0:10:10", &g, &err), ZS_OK);
    cr_assert_eq(zs_fit_grid_size(&g), 1500);
}

/* ---- bootstrap ------------------------------------------------------------------------- */

/* The refit strategy (warm start from the full optimum + the 48-start coarse grid) must
 * land where the full 4,500-start grid lands, replicate by replicate. */
Test(fit_bootstrap, warm_refits_match_full_grid) {
    enum { COUNT = 30, REPLICATES = 2 };
    double n[COUNT], d[COUNT], l[COUNT], w[COUNT];
    zs_test_law_sweep(&EPOCH, 5, 6, 0.03, 8, n, d, l);
    zs_fit_data data;
    make_data(&data, n, d, l, NULL, COUNT);
    zs_fit_opts opts;
    zs_fit_opts_init(&opts);
    zs_fit_result full;
    zs_error err;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &full, &err), ZS_OK, "%s", err.msg);
    zs_bootstrap boot;
    cr_assert_eq(zs_fit_bootstrap(&data, &opts, &full, NULL, REPLICATES, 9, 0.9, &boot, &err),
                 ZS_OK, "%s", err.msg);
    uint32_t counts[COUNT];
    for (size_t r = 0; r < REPLICATES; r++) {
        zs_fit_bootstrap_counts(COUNT, 9, r, counts);
        for (int i = 0; i < COUNT; i++) w[i] = counts[i];
        size_t rows[COUNT], kept = 0;
        for (int i = 0; i < COUNT; i++)
            if (counts[i]) rows[kept++] = (size_t)i;
        zs_fit_data rep;
        cr_assert_eq(zs_fit_data_init(&rep, n, d, l, w, rows, kept, &err), ZS_OK);
        zs_fit_result grid_fit;
        cr_assert_eq(zs_fit_chinchilla(&rep, &opts, NULL, 0, &grid_fit, &err), ZS_OK);
        const zs_chinchilla *s = &boot.samples[r];
        ZS_TEST_EXPECT_SAME_OPTIMUM(s, &grid_fit.law, r);
        zs_fit_data_free(&rep);
    }
    zs_bootstrap_free(&boot);
    zs_fit_data_free(&data);
}

Test(fit_bootstrap, counts_draw_n_points) {
    uint32_t counts[50];
    zs_fit_bootstrap_counts(50, 3, 7, counts);
    uint32_t total = 0, distinct = 0;
    for (int i = 0; i < 50; i++) total += counts[i], distinct += counts[i] > 0;
    cr_assert_eq(total, 50);
    /* E[distinct] = 50 (1 - (49/50)^50) = 31.8, sd ~ 2.3 */
    cr_assert(distinct > 20 && distinct < 44, "%u distinct", distinct);
}

/* The summary against numpy's definitions on a small hand-made sample. */
Test(fit_bootstrap, summary_is_sample_sd_and_linear_quantiles) {
    zs_chinchilla samples[5];
    const double alphas[5] = {0.30, 0.34, 0.32, 0.36, 0.28};
    for (int i = 0; i < 5; i++) samples[i] = (zs_chinchilla){1, 1, 1, alphas[i], 0.3};
    zs_bootstrap boot = {.replicates = 5, .level = 0.5, .samples = samples};
    zs_error err;
    cr_assert_eq(zs_bootstrap_summarize(&boot, &err), ZS_OK);
    /* sorted .28 .30 .32 .34 .36: sd = sqrt(0.004 / 4) = 0.0316228; q(.25) = .30, q(.75) = .34 */
    cr_assert_lt(fabs(boot.stats[ZS_LAW_ALPHA].se - sqrt(0.004 / 4)), 1e-12);
    cr_assert_lt(fabs(boot.stats[ZS_LAW_ALPHA].lo - 0.30), 1e-12);
    cr_assert_lt(fabs(boot.stats[ZS_LAW_ALPHA].hi - 0.34), 1e-12);
    cr_assert_lt(fabs(boot.stats[ZS_BOOT_a].lo - 0.3 / 0.64), 1e-12, "a = beta/(alpha+beta)");
    cr_assert_lt(fabs(boot.stats[ZS_BOOT_b].hi - 0.34 / 0.64), 1e-12, "b = alpha/(alpha+beta)");
}

/* ---- the command: determinism, law.json, holdout ------------------------------------------- */

Test(fit_cli, output_identical_for_any_thread_count) {
    free(zs_test_fit_same_for_threads(
        EXAMPLE, "--grid " SMALL_GRID " --bootstrap 8 --seed 4 --holdout-largest 2", "threads"));
}

/* law.json as written reads back to the same numbers, and its JSON has the schema's keys. */
Test(fit_cli, lawfile_round_trip) {
    const char *path = zs_test_path("law.json");
    zs_run r = zs_test_cli("fit %s --grid " SMALL_GRID " --bootstrap 10 "
                           "--holdout-largest 3 -o %s --json",
                           EXAMPLE, path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    cr_assert(doc, "stdout is not JSON: %s", jerr.text);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "format")), "zipscale-law");
    json_t *fit0 = json_array_get(json_object_get(doc, "fits"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(fit0, "dataset")), "pcfg-0.22");
    cr_assert_eq(json_array_size(json_object_get(json_object_get(fit0, "bootstrap"), "samples")),
                 10);
    zs_lawfile law;
    zs_error err;
    cr_assert_eq(zs_lawfile_read(&law, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(law.n_fits, 3);
    cr_assert_eq(law.rows_read, 90);
    cr_assert_eq(law.holdout_largest, 3);
    char hex[65];
    cr_assert_eq(zs_sha256_file(EXAMPLE, hex, &err), ZS_OK);
    cr_assert_str_eq(law.input_sha256, hex);
    json_t *jlaw = json_object_get(fit0, "law");
    cr_assert_eq(law.fits[0].law.alpha, json_real_value(json_object_get(jlaw, "alpha")));
    cr_assert_eq(law.fits[0].n_points, 27);
    cr_assert_eq(law.fits[0].h, 0.22);
    cr_assert_eq(law.fits[0].holdout.k, 3);
    cr_assert_eq(law.fits[0].bootstrap.replicates, 10);
    char *again;
    cr_assert_eq(zs_lawfile_format(&law, &again, &err), ZS_OK);
    cr_assert_str_eq(again, r.out, "read + write must reproduce the file");
    free(again);
    zs_lawfile_free(&law);
    json_decref(doc);
    zs_run_free(&r);
}

/* The held-out runs are the K largest by 6 N D, predicted by the law fitted without them. */
Test(fit_cli, holdout_is_largest_runs_by_compute) {
    zs_runs runs;
    zs_error err;
    cr_assert_eq(zs_runs_read(&runs, EXAMPLE, NULL, 0, &err), ZS_OK, "%s", err.msg);
    zs_fit_table_opts opts;
    zs_fit_table_opts_init(&opts);
    cr_assert_eq(zs_fit_grid_parse(SMALL_GRID, &opts.fit.grid, &err), ZS_OK);
    opts.holdout_largest = 2;
    zs_lawfile law;
    cr_assert_eq(zs_fit_table(&runs, EXAMPLE, &opts, &law, &err), ZS_OK, "%s", err.msg);
    const zs_lawfit *f = &law.fits[1];
    cr_assert_eq(f->n_points, 28);
    cr_assert_eq(f->holdout.points[0].n_params, 2.75e8);
    cr_assert_eq(f->holdout.points[0].n_tokens, 1e8);
    cr_assert_eq(f->holdout.points[1].n_tokens, 5e7);
    double squares = 0, worst = 0;
    for (int i = 0; i < 2; i++) {
        const zs_holdout_point *p = &f->holdout.points[i];
        double e = zs_chinchilla_loss(&f->law, p->n_params, p->n_tokens) - p->loss_nats;
        squares += e * e;
        worst = fmax(worst, fabs(e));
    }
    cr_assert_lt(fabs(f->holdout.rmse - sqrt(squares / 2)), 1e-12);
    cr_assert_eq(f->holdout.max_abs_error, worst);
    zs_lawfile_free(&law);
    zs_runs_free(&runs);
}

Test(fit_cli, too_large_holdout_fails) {
    zs_run r = zs_test_cli("fit %s --holdout-largest 30", EXAMPLE);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale fit: --holdout-largest: dataset pcfg-0.22: holdout_largest "
                            "30 leaves no runs to fit (30 runs)"),
              "%s", r.err);
    zs_run_free(&r);
}

/* Too few runs, or one size only, cannot identify the law: a clear error, not a fit of
 * garbage (one run used to give negative exponents). */
Test(fit_cli, unidentifiable_tables_fail) {
    zs_run r = zs_test_cli("fit %s --holdout-largest 26", EXAMPLE);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale: dataset pcfg-0.22: 4 runs to fit; the Chinchilla law has 5 "
                            "parameters, expected at least 6 runs"),
              "%s", r.err);
    zs_run_free(&r);
    const char *path = zs_test_path("one_size.csv");
    const char *text = "N,D,loss\n1e6,1e8,4\n1e6,1e9,3.5\n1e6,1e10,3.2\n1e6,2e8,3.9\n"
                       "1e6,2e9,3.4\n1e6,2e10,3.1\n";
    cr_assert_eq(zs_test_write(path, text, strlen(text)), 0);
    r = zs_test_cli("fit %s", path);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale: dataset (all rows): the runs to fit span 1 model size(s) N "
                            "and 6 data size(s) D; the Chinchilla law needs at least 2 of each"),
              "%s", r.err);
    zs_run_free(&r);
}

Test(fit_cli, usage_errors_exit_2) {
    zs_run r = zs_test_cli("fit %s --loss l1", EXAMPLE);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--loss l1: expected huber or lsq"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("fit %s --grid beta=2:1:1", EXAMPLE);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "zipscale fit: --grid: grid: beta: expected LO <= HI"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("fit %s --level 95", EXAMPLE);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "zipscale fit: --level: level 95: expected a number in (0, 1)"), "%s",
              r.err);
    zs_run_free(&r);
    r = zs_test_cli("fit %s --delta -1", EXAMPLE);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "zipscale fit: --delta: fit.delta -1: expected a positive number"),
              "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("fit %s --seed 18446744073709551615", EXAMPLE);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "zipscale fit: --seed: seed 18446744073709551615: expected at most "
                            "2^63 - 1"),
              "%s", r.err);
    zs_run_free(&r);
}

/* ---- law.json reader errors ------------------------------------------------------------- */

static zs_status read_law_text(const char *text, zs_error *err) {
    const char *path = zs_test_path("bad_law.json");
    zs_test_write(path, text, strlen(text));
    zs_lawfile law;
    zs_status s = zs_lawfile_read(&law, path, err);
    if (!s) zs_lawfile_free(&law);
    return s;
}

static const char *VALID_HEAD =
    "{\"format\": \"zipscale-law\", \"format_version\": 1, \"zipscale_version\": \"0.1.0\","
    " \"input\": {\"path\": \"r.csv\", \"sha256\": "
    "\"0000000000000000000000000000000000000000000000000000000000000000\", \"rows_read\": 3,"
    " \"rows_skipped\": 0},"
    " \"options\": {\"loss\": \"huber\", \"delta\": 0.001, \"grid\": \"alpha=0:2:0.5\", "
    "\"bootstrap\": 0,"
    " \"seed\": 0, \"level\": 0.95, \"holdout_largest\": 0},";

Test(lawfile, reads_minimal_file_and_names_bad_fields) {
    char text[2048];
    zs_error err;
    snprintf(text, sizeof text,
             "%s \"fits\": [{\"dataset\": null, \"H\": null, \"n_points\": 3, \"law\": {\"E\": 1, "
             "\"A\": 2, \"B\": 3, \"alpha\": 0.3, \"beta\": 0.4}, \"objective\": 0, "
             "\"residual_rms\": 0, \"converged\": true, \"bootstrap\": null, \"holdout\": null}]}",
             VALID_HEAD);
    cr_assert_eq(read_law_text(text, &err), ZS_OK, "%s", err.msg);
    snprintf(text, sizeof text,
             "%s \"fits\": [{\"dataset\": null, \"H\": null, \"n_points\": 3, \"law\": {\"E\": -1, "
             "\"A\": 2, \"B\": 3, \"alpha\": 0.3, \"beta\": 0.4}, \"objective\": 0, "
             "\"residual_rms\": 0, \"converged\": true, \"bootstrap\": null, \"holdout\": null}]}",
             VALID_HEAD);
    cr_assert_eq(read_law_text(text, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "bad_law.json: fits[0].law.E: expected a number >= 0"), "%s",
              err.msg);
    snprintf(text, sizeof text, /* E = 0: a fit whose irreducible term underflowed */
             "%s \"fits\": [{\"dataset\": null, \"H\": null, \"n_points\": 3, \"law\": {\"E\": 0, "
             "\"A\": 2, \"B\": 3, \"alpha\": 0.3, \"beta\": 0.4}, \"objective\": 0, "
             "\"residual_rms\": 0, \"converged\": true, \"bootstrap\": null, \"holdout\": null}]}",
             VALID_HEAD);
    cr_assert_eq(read_law_text(text, &err), ZS_OK, "%s", err.msg);
    snprintf(text, sizeof text, "%s \"fits\": []}", VALID_HEAD);
    cr_assert_eq(read_law_text(text, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "fits: expected a non-empty array"), "%s", err.msg);
    cr_assert_eq(read_law_text("{\"format\": \"zipscale-runs\"}", &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "format: expected \"zipscale-law\""), "%s", err.msg);
    cr_assert_eq(read_law_text("{\"format\": \"zipscale-law\", \"format_version\": 2}", &err),
                 ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "format_version: expected 1"), "%s", err.msg);
    cr_assert_eq(read_law_text("{\"format\": ", &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "bad_law.json:1:"), "%s", err.msg);
}

/* VALID_HEAD with `from` replaced by `to`, one fit with a bootstrap at `level`: must fail
 * naming bad_law.json and the field. Found by fuzzing (issue 14; tests/fuzz/crashes/lawfile/). */
static void expect_law_error(const char *from, const char *to, const char *boot_level,
                             const char *message) {
    char head[1024], text[4096];
    const char *at = strstr(VALID_HEAD, from);
    cr_assert(at, "'%s' is not in VALID_HEAD", from);
    snprintf(head, sizeof head, "%.*s%s%s", (int)(at - VALID_HEAD), VALID_HEAD, to,
             at + strlen(from));
    snprintf(
        text, sizeof text,
        "%s \"fits\": [{\"dataset\": null, \"H\": null, \"n_points\": 3, \"law\": {\"E\": 1, "
        "\"A\": 2, \"B\": 3, \"alpha\": 0.3, \"beta\": 0.4}, \"objective\": 0, "
        "\"residual_rms\": 0, \"converged\": true, \"bootstrap\": {\"replicates\": 1, "
        "\"seed\": 0, \"level\": %s, \"params\": {\"E\": {\"se\": null, \"lo\": 1, \"hi\": 1},"
        " \"A\": {\"se\": null, \"lo\": 2, \"hi\": 2}, \"B\": {\"se\": null, \"lo\": 3, \"hi\": "
        "3}, \"alpha\": {\"se\": null, \"lo\": 0.3, \"hi\": 0.3}, \"beta\": {\"se\": null, "
        "\"lo\": 0.4, \"hi\": 0.4}, \"a\": {\"se\": null, \"lo\": 1, \"hi\": 1}, "
        "\"b\": {\"se\": null, \"lo\": 1, \"hi\": 1}}, \"samples\": [[1, 2, 3, 0.3, "
        "0.4]]}, \"holdout\": null}]}",
        head, boot_level);
    zs_error err;
    zs_status s = read_law_text(text, &err);
    if (!message) {
        cr_assert_eq(s, ZS_OK, "%s", err.msg);
        return;
    }
    cr_assert_eq(s, ZS_ERR_FORMAT, "accepted: %s", message);
    cr_assert(strstr(err.msg, "bad_law.json: ") && strstr(err.msg, message), "got '%s', want '%s'",
              err.msg, message);
}

Test(lawfile, refuses_bad_levels_digests_and_grids) {
    expect_law_error("\"level\": 0.95", "\"level\": 0.95", "0.9", NULL);
    expect_law_error("\"level\": 0.95", "\"level\": 0.95", "5",
                     "fits[0].bootstrap.level: expected a number in (0, 1)");
    expect_law_error("\"level\": 0.95", "\"level\": 0.95", "1",
                     "fits[0].bootstrap.level: expected a number in (0, 1)");
    expect_law_error("\"level\": 0.95", "\"level\": 5", "0.9",
                     "options.level: expected a number in (0, 1)");
    expect_law_error("\"level\": 0.95", "\"level\": 0", "0.9",
                     "options.level: expected a number in (0, 1)");
    expect_law_error("\"0000000000", "\"zzzzzzzzzz", "0.9", "input.sha256: expected 64 hex digits");
    expect_law_error("\"alpha=0:2:0.5\"", "\"alpha=oops\"", "0.9",
                     "options.grid: expected a grid of starts \"alpha=LO:HI:STEP,...\"");
    expect_law_error("\"alpha=0:2:0.5\"", "\"\"", "0.9",
                     "options.grid: expected a grid of starts \"alpha=LO:HI:STEP,...\"");
}

/* ---- runs tables ------------------------------------------------------------------------ */

static zs_status parse_runs(const char *text, int skip, zs_runs *runs, zs_error *err) {
    return zs_runs_parse(runs, text, strlen(text), "runs.csv", NULL, skip, err);
}

/* Each malformed input fails with FILE:LINE and the reason. */
static void expect_error(const char *text, const char *message) {
    zs_runs runs;
    zs_error err;
    cr_assert_eq(parse_runs(text, 0, &runs, &err), ZS_ERR_FORMAT, "accepted: %s", text);
    cr_assert(strstr(err.msg, message), "got '%s', expected '%s'", err.msg, message);
}

/* Found by fuzzing (issue 14; tests/fuzz/crashes/runs_csv/). */
Test(runs, six_n_d_overflowing_to_infinite_flops_is_refused) {
    expect_error("N,D,loss\n1e200,1e200,3.0\n1e3,1e4,3.0\n",
                 "runs.csv:2: columns 'N' and 'D': 6 N D overflows to infinite flops, expected a "
                 "finite compute");
    /* with a flops column, N and D may be as large as they like */
    zs_runs runs;
    zs_error err;
    cr_assert_eq(parse_runs("N,D,loss,flops\n1e200,1e200,3.0,1e30\n", 0, &runs, &err), ZS_OK, "%s",
                 err.msg);
    zs_runs_free(&runs);
}

Test(runs, reads_columns_in_any_order_with_datasets) {
    zs_runs runs;
    zs_error err;
    const char *text = "loss, N ,D,dataset,H,flops,weight\r\n"
                       "3.5,1e6,2e9,x,0.3,1.5e16,2\r\n"
                       "\n"
                       "3.0,1e7,2e9,y,0.5,1.2e17,1\n"
                       "2.9,2e7,2e9,x,0.3,2.4e17,1\n";
    cr_assert_eq(parse_runs(text, 0, &runs, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(runs.n_rows, 3);
    cr_assert_eq(runs.n_datasets, 2);
    cr_assert_str_eq(runs.dataset_names[0], "x");
    cr_assert_eq(runs.dataset_h[1], 0.5);
    cr_assert_eq(runs.dataset_index[2], 0);
    cr_assert_eq(runs.n_params[1], 1e7);
    cr_assert_eq(runs.loss_nats[0], 3.5);
    cr_assert_eq(runs.flops[2], 2.4e17);
    cr_assert_eq(runs.weight[0], 2);
    zs_runs_free(&runs);
}

Test(runs, renamed_columns_and_default_compute) {
    zs_runs runs;
    zs_error err;
    zs_runs_columns cols = {.n_params = "params", .n_tokens = "tokens", .loss = "val_loss"};
    const char *text = "params,tokens,val_loss\n1e6,2e9,3.5\n";
    cr_assert_eq(zs_runs_parse(&runs, text, strlen(text), "r.csv", &cols, 0, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(runs.flops[0], 6 * 1e6 * 2e9);
    cr_assert_null(runs.dataset_names[0]);
    cr_assert(isnan(runs.dataset_h[0]));
    zs_runs_free(&runs);
    cr_assert_eq(zs_runs_parse(&runs, "N,D,loss\n1,2,3\n", 14, "r.csv", &cols, 0, &err),
                 ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "r.csv:1: missing column 'params'"), "%s", err.msg);
    cr_assert_str_eq(err.field, "columns.n_params");
    cr_assert_null(strstr(err.msg, "--"), "%s", err.msg);
}

Test(runs, error_missing_column) {
    expect_error("N,loss\n1,2\n", "runs.csv:1: missing column 'D' in the header");
    expect_error("\nN,loss\n1,2\n", "runs.csv:2: missing column 'D' in the header");
}

/* An optional column the caller named must exist: a typo must not silently drop it. */
Test(runs, error_named_optional_column_missing) {
    zs_runs runs;
    zs_error err;
    zs_runs_columns cols = {.dataset = "task"};
    const char *text = "N,D,loss,dataset\n1,2,3,x\n";
    cr_assert_eq(zs_runs_parse(&runs, text, strlen(text), "r.csv", &cols, 0, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "r.csv:1: missing column 'task' in the header (named for the "
                              "dataset column)"),
              "%s", err.msg);
}
Test(runs, error_duplicate_column) {
    expect_error("N,D,N,loss\n1,2,1,3\n", "runs.csv:1: column 'N' appears twice");
}
Test(runs, error_not_a_number) {
    expect_error("N,D,loss\n1,2,3\n1e6,lots,3\n", "runs.csv:3: column 'D': 'lots' is not a number");
}
Test(runs, error_empty_field) {
    expect_error("N,D,loss\n1e6,,3\n", "runs.csv:2: column 'D' is empty: expected a number");
}
Test(runs, error_non_positive) {
    expect_error("N,D,loss\n0,2,3\n", "runs.csv:2: column 'N': expected a positive finite number, "
                                      "found 0");
    expect_error("N,D,loss\n1,2,-3\n", "runs.csv:2: column 'loss': expected a positive finite");
}
Test(runs, error_non_finite) {
    expect_error("N,D,loss\n1,inf,3\n", "runs.csv:2: column 'D': expected a positive finite "
                                        "number, found inf");
    expect_error("N,D,loss\n1,2,nan\n", "runs.csv:2: column 'loss': expected a positive finite");
}
Test(runs, error_field_count) {
    expect_error("N,D,loss\n1,2,3\n1,2\n", "runs.csv:3: 2 fields: expected 3, as in the header");
}
Test(runs, error_h_varies_within_dataset) {
    expect_error("dataset,H,N,D,loss\nx,0.3,1,2,3\ny,0.4,1,2,3\nx,0.31,2,2,3\n",
                 "runs.csv:4: column 'H': 0.31 differs from 0.3 "
                 "given on line 2 for dataset 'x': expected one H per dataset");
}
Test(runs, error_empty_dataset_name) {
    expect_error("dataset,N,D,loss\n,1,2,3\n", "runs.csv:2: column 'dataset' is empty");
}
Test(runs, error_empty_file_and_no_rows) {
    expect_error("", "runs.csv: empty file: expected a header line");
    expect_error("N,D,loss\n", "runs.csv: no valid data rows (0 read, 0 skipped)");
}

Test(runs, skip_invalid_counts_bad_rows) {
    zs_runs runs;
    zs_error err;
    const char *text = "N,D,loss\n1e6,2e9,3\nx,2e9,3\n1e6,2e9\n-1,2,3\n2e6,2e9,2.8\n";
    cr_assert_eq(parse_runs(text, 1, &runs, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(runs.n_rows, 2);
    cr_assert_eq(runs.rows_read, 5);
    cr_assert_eq(runs.rows_skipped, 3);
    cr_assert_eq(runs.n_params[1], 2e6);
    zs_runs_free(&runs);
}

Test(runs, cli_reports_file_line_and_exits_1) {
    const char *path = zs_test_path("bad.csv");
    const char *text = "N,D,loss\n1e6,2e9,3\n1e6,2e9,0\n";
    zs_test_write(path, text, strlen(text));
    zs_run r = zs_test_cli("fit %s", path);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale: ") && strstr(r.err, "bad.csv:3: column 'loss'"), "%s",
              r.err);
    zs_run_free(&r);
}

Test(runs, cli_skip_invalid_counts_rows) {
    const char *csv = zs_test_path("skip.csv"), *law = zs_test_path("skip.json");
    FILE *f = fopen(csv, "w");
    fprintf(f, "N,D,loss\n");
    double n[24], d[24], l[24];
    zs_test_law_sweep(&EPOCH, 4, 6, 0.01, 2, n, d, l);
    for (int i = 0; i < 24; i++) fprintf(f, "%.17g,%.17g,%.17g\n", n[i], d[i], l[i]);
    fprintf(f, "1e6,-5,3\nbad,1,1\n");
    fclose(f);
    zs_run r = zs_test_cli("fit %s --grid " SMALL_GRID, csv);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "skip.csv:26: column 'D': expected a positive finite number"), "%s",
              r.err);
    zs_run_free(&r);
    r = zs_test_cli("fit %s --grid " SMALL_GRID " --skip-invalid -o %s", csv, law);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "26 rows read, 2 skipped"), "%s", r.out);
    zs_run_free(&r);
    zs_lawfile lf;
    zs_error err;
    cr_assert_eq(zs_lawfile_read(&lf, law, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(lf.rows_skipped, 2);
    cr_assert_eq(lf.fits[0].n_points, 24);
    cr_assert_null(lf.fits[0].dataset);
    cr_assert(isnan(lf.fits[0].h));
    zs_lawfile_free(&lf);
}

/* A dataset without a compressibility (parity data) leaves H empty or nan: NAN for that
 * dataset, while another keeps its H; a dataset may not mix the two. */
Test(runs, h_empty_or_nan_for_a_dataset_without_one) {
    zs_runs runs;
    zs_error err;
    cr_assert_eq(
        parse_runs("dataset,N,D,loss,H\np,1,2,3,\np,2,2,3,NaN\ng,1,2,3,0.25\n", 0, &runs, &err),
        ZS_OK, "%s", err.msg);
    cr_assert_eq(runs.n_datasets, 2);
    cr_assert(isnan(runs.dataset_h[0]));
    cr_assert_eq(runs.dataset_h[1], 0.25);
    zs_runs_free(&runs);
    expect_error("dataset,N,D,loss,H\np,1,2,3,\np,2,2,3,0.5\n", "runs.csv:3: column 'H'");
}

/* ---- the error contract (core.h): frees accept NULL and zeroed structs; a failed call
 * leaves its outputs zeroed ------------------------------------------------------------ */

static int all_zero(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

Test(fit_contract, frees_accept_null_and_zeroed) {
    zs_runs_free(NULL);
    zs_fit_data_free(NULL);
    zs_bootstrap_free(NULL);
    zs_lawfile_free(NULL);
    zs_runs runs = {0};
    zs_fit_data data = {0};
    zs_bootstrap boot = {0};
    zs_lawfile law = {0};
    zs_runs_free(&runs);
    zs_fit_data_free(&data);
    zs_bootstrap_free(&boot);
    zs_lawfile_free(&law);
}

Test(fit_contract, failures_leave_outputs_zeroed) {
    const double n[] = {1e6, 2e6, 4e6, 1e6}, d[] = {1e8, 1e8, 2e8, 4e8}, l[] = {3, 2.9, 2.8, 2.9};
    zs_fit_data data;
    make_data(&data, n, d, l, NULL, 4);
    zs_fit_opts opts;
    zs_fit_opts_init(&opts);
    zs_fit_result fit;
    memset(&fit, 0xff, sizeof fit);
    zs_error err;
    opts.e_max = -1;
    cr_assert_eq(zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err), ZS_ERR_USAGE);
    cr_assert(all_zero(&fit, sizeof fit));
    zs_bootstrap boot;
    memset(&boot, 0xff, sizeof boot);
    cr_assert_eq(zs_fit_bootstrap(&data, &opts, &fit, NULL, 0, 1, 0.95, &boot, &err), ZS_ERR_RANGE);
    cr_assert(all_zero(&boot, sizeof boot));
    zs_fit_data_free(&data);
    cr_assert(all_zero(&data, sizeof data));
    zs_lawfile law;
    memset(&law, 0xff, sizeof law);
    cr_assert_eq(zs_lawfile_read(&law, zs_test_path("missing.json"), &err), ZS_ERR_IO);
    cr_assert(all_zero(&law, sizeof law));
    zs_runs runs;
    memset(&runs, 0xff, sizeof runs);
    cr_assert_eq(zs_runs_read(&runs, zs_test_path("missing.csv"), NULL, 0, &err), ZS_ERR_IO);
    cr_assert(all_zero(&runs, sizeof runs));
}
