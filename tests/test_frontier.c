/* Tests for the downstream half of module fit: OLS against NIST's certified Norris values,
 * closed forms and scipy; power laws recovered from synthetic data; the frontier against
 * brute-force minimisation of L(N, C/6N); regression on H, the adjusted law, prediction
 * intervals; and every input error with its message. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testjson.h"
#include "testutil.h"
#include "zipscale/frontier.h"

static void assert_rel(double got, double expected, double tolerance, const char *what) {
    double scale = fmax(fabs(expected), 1e-300);
    cr_assert_leq(fabs(got - expected) / scale, tolerance, "%s: got %.17g, expected %.17g", what,
                  got, expected);
}

/* ---- OLS ------------------------------------------------------------------------------ */

/* NIST StRD linear regression data set "Norris" (calibration of ozone monitors), 36
 * observations, and its certified values:
 * https://www.itl.nist.gov/div898/strd/lls/data/Norris.shtml */
static const double norris_x[36] = {0.2,   337.4, 118.2, 884.6, 10.1,  226.5, 666.3, 996.3, 448.6,
                                    777.0, 558.2, 0.4,   0.6,   775.5, 666.9, 338.0, 447.5, 11.6,
                                    556.0, 228.1, 995.8, 887.6, 120.2, 0.3,   0.3,   556.8, 339.1,
                                    887.2, 999.0, 779.0, 11.1,  118.3, 229.2, 669.1, 448.9, 0.5};
static const double norris_y[36] = {0.1,   338.8, 118.1, 888.0, 9.2,   228.1, 668.5, 998.5, 449.1,
                                    778.9, 559.2, 0.3,   0.1,   778.1, 668.8, 339.3, 448.9, 10.8,
                                    557.7, 228.3, 998.0, 888.8, 119.6, 0.3,   0.6,   557.6, 339.3,
                                    888.0, 998.5, 778.9, 10.2,  117.6, 228.9, 668.4, 449.2, 0.2};

Test(ols, norris_certified_values) {
    zs_ols f;
    zs_error err;
    cr_assert_eq(zs_ols_fit(norris_x, norris_y, 36, &f, &err), ZS_OK, "%s", err.msg);
    /* Certified to 15 digits; gsl_fit_linear's centred sums keep about 10 of them here. */
    const double tol = 1e-9;
    assert_rel(f.intercept, -0.262323073774029, tol, "intercept");
    assert_rel(f.intercept_se, 0.232818234301152, tol, "intercept se");
    assert_rel(f.slope, 1.00211681802045, tol, "slope");
    assert_rel(f.slope_se, 0.429796848199937E-03, tol, "slope se");
    assert_rel(f.residual_sd, 0.884796396144373, tol, "residual sd");
    assert_rel(f.r2, 0.999993745883712, 1e-12, "R^2");
    cr_assert_eq(f.n, 36);
    assert_rel(f.intercept_t, -0.262323073774029 / 0.232818234301152, tol, "intercept t");
}

/* With 1 and 2 degrees of freedom Student's t has closed-form tails: dof 1 is Cauchy,
 * p = 1 - (2/pi) atan|t|; dof 2 gives p = 1 - |t| / sqrt(2 + t^2). Estimates checked
 * against the textbook sums Sxy / Sxx. */
static void check_closed_form(const double *x, const double *y, size_t n) {
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) mx += x[i] / (double)n, my += y[i] / (double)n;
    double sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
        syy += (y[i] - my) * (y[i] - my);
    }
    double slope = sxy / sxx, intercept = my - slope * mx;
    double sse = syy - slope * sxy, s2 = sse / (double)(n - 2);
    double slope_se = sqrt(s2 / sxx), intercept_se = sqrt(s2 * (1.0 / (double)n + mx * mx / sxx));
    double t = slope / slope_se, ti = intercept / intercept_se;
    double p = n == 3 ? 1 - 2 / M_PI * atan(fabs(t)) : 1 - fabs(t) / sqrt(2 + t * t);
    double pi = n == 3 ? 1 - 2 / M_PI * atan(fabs(ti)) : 1 - fabs(ti) / sqrt(2 + ti * ti);
    zs_ols f;
    cr_assert_eq(zs_ols_fit(x, y, n, &f, NULL), ZS_OK);
    assert_rel(f.slope, slope, 1e-12, "slope");
    assert_rel(f.intercept, intercept, 1e-12, "intercept");
    assert_rel(f.slope_se, slope_se, 1e-12, "slope se");
    assert_rel(f.intercept_se, intercept_se, 1e-12, "intercept se");
    assert_rel(f.slope_p, p, 1e-10, "slope p");
    assert_rel(f.intercept_p, pi, 1e-10, "intercept p");
    assert_rel(f.r2, sxy * sxy / (sxx * syy), 1e-12, "R^2");
}

Test(ols, closed_form_p_values_one_and_two_dof) {
    const double x3[3] = {1, 2, 4}, y3[3] = {1.2, 1.9, 4.4};
    check_closed_form(x3, y3, 3);
    const double x4[4] = {0.1, 0.25, 0.4, 0.6}, y4[4] = {3.0, 2.7, 2.65, 2.2};
    check_closed_form(x4, y4, 4);
}

Test(ols, exact_fit_has_zero_se_and_p) {
    const double x[4] = {1, 2, 3, 4}, y[4] = {3, 5, 7, 9};
    zs_ols f;
    cr_assert_eq(zs_ols_fit(x, y, 4, &f, NULL), ZS_OK);
    assert_rel(f.slope, 2, 1e-14, "slope");
    assert_rel(f.intercept, 1, 1e-14, "intercept");
    cr_assert_eq(f.slope_se, 0);
    cr_assert(isinf(f.slope_t) && f.slope_t > 0);
    cr_assert_eq(f.slope_p, 0);
    cr_assert_eq(f.r2, 1);
}

Test(ols, matches_scipy_linregress) {
    const char *py = zs_test_python("numpy scipy");
    /* A noisy line with a modest slope, so both p-values are far from 0 and 1. */
    double x[12], y[12];
    zs_rng rng;
    zs_rng_seed(&rng, 5, 0);
    const char *path = zs_test_path("ols.txt");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 12; i++) {
        x[i] = 0.1 + 0.05 * i;
        y[i] = 0.3 * x[i] + 0.2 + 0.1 * (zs_rng_uniform(&rng) - 0.5);
        fprintf(f, "%.17g %.17g\n", x[i], y[i]);
    }
    fclose(f);
    zs_run r = zs_test_sh(
        "%s -c 'import numpy as np, scipy.stats as st; d = np.loadtxt(\"%s\"); "
        "r = st.linregress(d[:,0], d[:,1]); t = r.intercept / r.intercept_stderr; "
        "print(\"%%.17g %%.17g %%.17g %%.17g %%.17g %%.17g\" %% (r.slope, r.intercept, r.stderr, "
        "r.intercept_stderr, r.pvalue, 2 * st.t.sf(abs(t), len(d) - 2)))'",
        py, path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    double ref[6];
    cr_assert_eq(sscanf(r.out, "%lf %lf %lf %lf %lf %lf", &ref[0], &ref[1], &ref[2], &ref[3],
                        &ref[4], &ref[5]),
                 6);
    zs_ols o;
    cr_assert_eq(zs_ols_fit(x, y, 12, &o, NULL), ZS_OK);
    assert_rel(o.slope, ref[0], 1e-10, "slope");
    assert_rel(o.intercept, ref[1], 1e-10, "intercept");
    assert_rel(o.slope_se, ref[2], 1e-10, "slope se");
    assert_rel(o.intercept_se, ref[3], 1e-10, "intercept se");
    assert_rel(o.slope_p, ref[4], 1e-8, "slope p");
    assert_rel(o.intercept_p, ref[5], 1e-8, "intercept p");
    zs_run_free(&r);
}

Test(ols, errors_name_the_problem) {
    const double x[3] = {1, 2, 3}, y[3] = {1, NAN, 3}, same[3] = {2, 2, 2};
    zs_ols f;
    zs_error err;
    cr_assert_eq(zs_ols_fit(x, x, 2, &f, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "OLS: 2 points, expected at least 3");
    cr_assert_eq(zs_ols_fit(x, y, 3, &f, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "OLS: y[1] = nan, expected a finite number");
    cr_assert_eq(zs_ols_fit(y, x, 3, &f, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "OLS: x[1] = nan, expected a finite number");
    cr_assert_eq(zs_ols_fit(same, x, 3, &f, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "OLS: every x equals 2, expected at least two distinct x");
}

/* ---- one-variable power laws ---------------------------------------------------------- */

/* A standard normal draw (Box-Muller) from a zipscale stream. */
static double normal(zs_rng *rng) {
    double u = 1 - zs_rng_uniform(rng), v = zs_rng_uniform(rng);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* n points x log-spaced over [lo, hi], loss = E + A x^-alpha times (1 + noise * normal). */
static void synthetic_points(double E, double A, double alpha, double lo, double hi, size_t n,
                             double noise, uint64_t seed, double *x, double *loss) {
    zs_rng rng;
    zs_rng_seed(&rng, seed, 0);
    for (size_t i = 0; i < n; i++) {
        x[i] = lo * pow(hi / lo, (double)i / (double)(n - 1));
        loss[i] = (E + A * pow(x[i], -alpha)) * (1 + noise * normal(&rng));
    }
}

static void assert_estimate(const zs_estimate *e, double truth, double max_se, const char *what) {
    cr_assert_leq(fabs(e->value - truth), max_se * e->se, "%s: %g +- %g, truth %g", what, e->value,
                  e->se, truth);
    cr_assert(e->lo <= e->value && e->value <= e->hi, "%s: interval [%g, %g] around %g", what,
              e->lo, e->hi, e->value);
}

Test(powerlaw, pure_exact_and_noisy_recovery) {
    enum { N = 20 };
    double x[N], loss[N];
    zs_powerlaw p;
    zs_error err;
    synthetic_points(0, 35.0, 0.076, 1e6, 1e10, N, 0, 1, x, loss);
    cr_assert_eq(zs_powerlaw_fit(x, loss, N, ZS_POWERLAW_PURE, 0.95, &p, &err), ZS_OK, "%s",
                 err.msg);
    assert_rel(p.A.value, 35.0, 1e-10, "A");
    assert_rel(p.alpha.value, 0.076, 1e-10, "alpha");
    cr_assert_eq(p.E.value, 0);
    cr_assert_lt(p.residual_rms, 1e-12);
    synthetic_points(0, 35.0, 0.076, 1e6, 1e10, N, 0.01, 2, x, loss);
    cr_assert_eq(zs_powerlaw_fit(x, loss, N, ZS_POWERLAW_PURE, 0.95, &p, &err), ZS_OK);
    assert_estimate(&p.alpha, 0.076, 4, "alpha");
    assert_estimate(&p.A, 35.0, 4, "A");
    assert_rel(p.alpha.value, 0.076, 0.1, "alpha within 10%");
}

Test(powerlaw, offset_exact_and_noisy_recovery) {
    enum { N = 30 };
    double x[N], loss[N];
    zs_powerlaw p;
    zs_error err;
    /* Compute-like x (1e17..1e21 FLOPs): the fit must not care about the scale of x. */
    synthetic_points(1.8, 2.0e4, 0.25, 1e17, 1e21, N, 0, 3, x, loss);
    cr_assert_eq(zs_powerlaw_fit(x, loss, N, ZS_POWERLAW_OFFSET, 0.95, &p, &err), ZS_OK, "%s",
                 err.msg);
    assert_rel(p.E.value, 1.8, 1e-6, "E");
    assert_rel(p.A.value, 2.0e4, 1e-5, "A");
    assert_rel(p.alpha.value, 0.25, 1e-6, "alpha");
    synthetic_points(1.8, 2.0e4, 0.25, 1e17, 1e21, N, 0.002, 4, x, loss);
    cr_assert_eq(zs_powerlaw_fit(x, loss, N, ZS_POWERLAW_OFFSET, 0.95, &p, &err), ZS_OK, "%s",
                 err.msg);
    assert_estimate(&p.E, 1.8, 4, "E");
    assert_estimate(&p.alpha, 0.25, 4, "alpha");
    assert_estimate(&p.A, 2.0e4, 4, "A");
    cr_assert_lt(p.residual_rms, 0.002 * 3, "rms %g", p.residual_rms);
}

/* Interval coverage: over 200 noisy data sets the 90% intervals of alpha should hold the
 * truth about 90% of the time; binomial sd is 2.1%, so [80%, 97%] is a 4-sd band. */
Test(powerlaw, offset_intervals_cover_the_truth) {
    enum { N = 25, TRIALS = 200 };
    double x[N], loss[N];
    int covered = 0;
    for (int t = 0; t < TRIALS; t++) {
        synthetic_points(2.0, 50.0, 0.5, 1e2, 1e5, N, 0.003, 100 + (uint64_t)t, x, loss);
        zs_powerlaw p;
        zs_error err;
        cr_assert_eq(zs_powerlaw_fit(x, loss, N, ZS_POWERLAW_OFFSET, 0.9, &p, &err), ZS_OK, "%s",
                     err.msg);
        covered += p.alpha.lo <= 0.5 && 0.5 <= p.alpha.hi;
    }
    cr_assert(covered >= 160 && covered <= 194, "alpha covered %d of %d times", covered, TRIALS);
}

Test(powerlaw, matches_scipy_curve_fit) {
    const char *py = zs_test_python("numpy scipy");
    enum { N = 24 };
    double x[N], loss[N];
    synthetic_points(3.1, 900.0, 0.42, 1e4, 1e8, N, 0.004, 9, x, loss);
    const char *path = zs_test_path("powerlaw.txt");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < N; i++) fprintf(f, "%.17g %.17g\n", x[i], loss[i]);
    fclose(f);
    zs_run r = zs_test_sh(
        "%s -c 'import numpy as np; from scipy.optimize import curve_fit; d = np.loadtxt(\"%s\"); "
        "m = lambda x, E, A, al: E + A * x ** -al; "
        "p, c = curve_fit(m, d[:,0], d[:,1], p0=[3, 1000, 0.4], maxfev=20000, xtol=1e-14, "
        "ftol=1e-14); s = np.sqrt(np.diag(c)); "
        "print(\"%%.17g %%.17g %%.17g %%.17g %%.17g\" %% (p[0], p[1], p[2], s[0], s[2]))'",
        py, path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    double E, A, alpha, E_se, alpha_se;
    cr_assert_eq(sscanf(r.out, "%lf %lf %lf %lf %lf", &E, &A, &alpha, &E_se, &alpha_se), 5);
    zs_powerlaw p;
    cr_assert_eq(zs_powerlaw_fit(x, loss, N, ZS_POWERLAW_OFFSET, 0.95, &p, NULL), ZS_OK);
    assert_rel(p.E.value, E, 1e-6, "E");
    assert_rel(p.A.value, A, 1e-5, "A");
    assert_rel(p.alpha.value, alpha, 1e-6, "alpha");
    assert_rel(p.E.se, E_se, 1e-4, "se(E)");
    assert_rel(p.alpha.se, alpha_se, 1e-4, "se(alpha)");
    zs_run_free(&r);
}

Test(powerlaw, errors_name_the_problem) {
    double x[5] = {1, 10, 100, 1000, 1e4}, loss[5] = {5, 4, 3, 2, 1};
    zs_powerlaw p;
    zs_error err;
    cr_assert_eq(zs_powerlaw_fit(x, loss, 3, ZS_POWERLAW_OFFSET, 0.95, &p, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "power law: 3 points, expected at least 4");
    cr_assert_eq(zs_powerlaw_fit(x, loss, 5, ZS_POWERLAW_PURE, 1.5, &p, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "power law: level 1.5, expected a number in (0, 1)");
    x[2] = -1;
    cr_assert_eq(zs_powerlaw_fit(x, loss, 5, ZS_POWERLAW_PURE, 0.95, &p, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "power law: x[2] = -1, expected a finite x > 0");
    x[2] = 100;
    loss[4] = 0;
    cr_assert_eq(zs_powerlaw_fit(x, loss, 5, ZS_POWERLAW_PURE, 0.95, &p, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "power law: loss[4] = 0, expected a finite loss > 0");
    /* Loss exactly linear in log x: the best alpha runs to 0, the edge of the range. */
    for (int i = 0; i < 5; i++) loss[i] = 5 - 0.1 * log(x[i]);
    cr_assert_eq(zs_powerlaw_fit(x, loss, 5, ZS_POWERLAW_OFFSET, 0.95, &p, &err), ZS_ERR_NUMERIC);
    cr_assert(strstr(err.msg, "edge of the search range"), "%s", err.msg);
}

/* ---- the frontier --------------------------------------------------------------------- */

static const zs_chinchilla epoch_law = {1.817, 482.01, 2085.43, 0.3478, 0.3659};

/* Brute force: L(N, C/6N) on a fine log grid of N over [1, C/6], then golden section on
 * log N around the best grid point. Returns N_opt. */
static double brute_force_n_opt(const zs_chinchilla *law, double compute_flops) {
    const int steps = 20000;
    double lo = 0, hi = log(compute_flops / 6), best = 0, best_loss = INFINITY;
    for (int i = 0; i <= steps; i++) {
        double ln_n = lo + (hi - lo) * i / steps;
        double l = zs_frontier_isoflop_loss(law, compute_flops, exp(ln_n));
        if (l < best_loss) best_loss = l, best = ln_n;
    }
    double step = (hi - lo) / steps, a = best - step, b = best + step;
    const double g = (sqrt(5.0) - 1) / 2;
    while (b - a > 1e-13 * fabs(best)) {
        double c = b - g * (b - a), d = a + g * (b - a);
        if (zs_frontier_isoflop_loss(law, compute_flops, exp(c)) <
            zs_frontier_isoflop_loss(law, compute_flops, exp(d)))
            b = d;
        else
            a = c;
    }
    return exp((a + b) / 2);
}

Test(frontier, matches_brute_force_minimisation) {
    const zs_chinchilla laws[3] = {
        zs_chinchilla_published(), epoch_law, {2.5, 80.0, 3000.0, 0.6, 0.2}};
    const double budgets[4] = {1e15, 1e19, 5.76e23, 1e26};
    for (int l = 0; l < 3; l++) {
        for (int c = 0; c < 4; c++) {
            zs_frontier_point p;
            zs_error err;
            cr_assert_eq(zs_frontier_point_at(&laws[l], budgets[c], &p, &err), ZS_OK, "%s",
                         err.msg);
            double n_opt = brute_force_n_opt(&laws[l], budgets[c]);
            /* L is flat at its minimum: golden section pins log N to ~1e-7 relative. */
            assert_rel(p.n_params, n_opt, 1e-6, "N_opt");
            assert_rel(p.n_tokens, budgets[c] / (6 * n_opt), 1e-6, "D_opt");
            assert_rel(p.loss_nats, zs_frontier_isoflop_loss(&laws[l], budgets[c], n_opt), 1e-12,
                       "loss at the optimum");
            assert_rel(6 * p.n_params * p.n_tokens, budgets[c], 1e-12, "6 N D = C");
            assert_rel(p.tokens_per_param, p.n_tokens / p.n_params, 1e-15, "D/N");
        }
    }
}

/* The published Chinchilla fit's tokens per parameter from the first-order condition
 * alpha A N^-alpha = beta B D^-beta with D = C / 6N, solved by bisection on log N. */
Test(frontier, chinchilla_tokens_per_parameter) {
    const zs_chinchilla law = zs_chinchilla_published();
    const double budget = 5.76e23; /* Chinchilla's own training budget */
    double lo = 0, hi = log(budget / 6);
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2, n = exp(mid), d = budget / (6 * n);
        double excess =
            law.alpha * law.A * pow(n, -law.alpha) - law.beta * law.B * pow(d, -law.beta);
        if (excess > 0)
            lo = mid; /* the parameter term still falls faster: make N larger */
        else
            hi = mid;
    }
    double n = exp((lo + hi) / 2), tokens_per_param = budget / (6 * n) / n;
    zs_frontier_point p;
    cr_assert_eq(zs_frontier_point_at(&law, budget, &p, NULL), ZS_OK);
    assert_rel(p.tokens_per_param, tokens_per_param, 1e-9, "tokens per parameter");
    zs_frontier_exponents fx;
    cr_assert_eq(zs_frontier_exponents_of(&law, &fx, NULL), ZS_OK);
    assert_rel(fx.a, 0.28 / 0.62, 1e-15, "a");
    assert_rel(fx.b, 0.34 / 0.62, 1e-15, "b");
    assert_rel(fx.G, pow(0.34 * 406.4 / (0.28 * 410.7), 1 / 0.62), 1e-13, "G");
}

Test(frontier, log_range_and_errors) {
    double out[5];
    zs_error err;
    cr_assert_eq(zs_frontier_log_range(1e18, 1e22, 5, out, &err), ZS_OK);
    for (int i = 0; i < 5; i++) assert_rel(out[i], pow(10, 18 + i), 1e-13, "budget");
    cr_assert_eq(out[4], 1e22);
    cr_assert_eq(zs_frontier_log_range(1e22, 1e18, 5, out, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "range 1e+22:1e+18, expected 0 < LO <= HI, both finite");
    cr_assert_eq(zs_frontier_log_range(1, 2, 0, out, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "range with 0 points, expected at least 1");
    zs_frontier_point p;
    zs_chinchilla bad = {1.7, 400, 400, 0, 0.3};
    cr_assert_eq(zs_frontier_point_at(&bad, 1e20, &p, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "frontier: law A=400 B=400 alpha=0 beta=0.3, expected A, B, alpha "
                              "and beta finite and > 0");
    cr_assert_eq(zs_frontier_point_at(&epoch_law, -1, &p, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "frontier: compute -1 FLOPs, expected finite and > 0");
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* With 5 valid laws and level 0.5 the quantiles sit exactly on the 2nd and 4th order
 * statistics (numpy positions 0.25 * 4 = 1 and 0.75 * 4 = 3). */
Test(frontier, percentile_intervals_over_laws) {
    zs_chinchilla laws[6];
    double n_opt[5];
    for (int i = 0; i < 5; i++) {
        laws[i] = epoch_law;
        laws[i].alpha += 0.01 * (i * 3 % 5);
        laws[i].B *= 1 + 0.05 * i;
        zs_frontier_point p;
        cr_assert_eq(zs_frontier_point_at(&laws[i], 1e21, &p, NULL), ZS_OK);
        n_opt[i] = p.n_params;
    }
    laws[5] = (zs_chinchilla){1.8, 400, 400, -0.1, 0.3}; /* no frontier: skipped */
    qsort(n_opt, 5, sizeof *n_opt, compare_doubles);
    zs_frontier_interval iv;
    zs_error err;
    cr_assert_eq(zs_frontier_interval_at(laws, 6, 1e21, 0.5, &iv, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(iv.used, 5);
    cr_assert_eq(iv.skipped, 1);
    cr_assert_eq(iv.n_params.lo, n_opt[1]);
    cr_assert_eq(iv.n_params.hi, n_opt[3]);
    cr_assert_eq(zs_frontier_interval_at(laws + 5, 1, 1e21, 0.95, &iv, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "none of 1 sampled laws has a frontier"), "%s", err.msg);
}

/* ---- regression on H, the adjusted law, prediction -------------------------------------- */

/* Per-dataset laws whose parameters are exactly linear in H (signs as [GZ] finds them:
 * all but E fall with H). */
static const double true_slope[ZS_LAW_N_PARAMS] = {1.5, -300, -900, -0.3, -0.5};
static const double true_intercept[ZS_LAW_N_PARAMS] = {0.5, 600, 1500, 0.55, 0.65};

static zs_chinchilla linear_law(double H) {
    zs_chinchilla law;
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
        zs_law_param_set(&law, p, true_slope[p] * H + true_intercept[p]);
    return law;
}

static const double datasets_H[6] = {0.11, 0.22, 0.35, 0.42, 0.51, 0.61};

Test(regress, recovers_linear_parameters) {
    zs_chinchilla laws[6];
    for (int d = 0; d < 6; d++) laws[d] = linear_law(datasets_H[d]);
    zs_regression reg;
    zs_error err;
    cr_assert_eq(zs_regress_fit(laws, datasets_H, 6, &reg, &err), ZS_OK, "%s", err.msg);
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        assert_rel(reg.param[p].slope, true_slope[p], 1e-10, zs_law_param_name(p));
        assert_rel(reg.param[p].intercept, true_intercept[p], 1e-10, zs_law_param_name(p));
        cr_assert_gt(reg.param[p].r2, 1 - 1e-12);
    }
    /* Noisy parameters: the truth within 4 standard errors. */
    zs_rng rng;
    zs_rng_seed(&rng, 21, 0);
    for (int d = 0; d < 6; d++)
        for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
            zs_law_param_set(&laws[d], p,
                             zs_law_param_get(&laws[d], p) * (1 + 0.02 * normal(&rng)));
    cr_assert_eq(zs_regress_fit(laws, datasets_H, 6, &reg, &err), ZS_OK, "%s", err.msg);
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        cr_assert_leq(fabs(reg.param[p].slope - true_slope[p]), 4 * reg.param[p].slope_se, "%s",
                      zs_law_param_name(p));
        cr_assert_leq(fabs(reg.param[p].intercept - true_intercept[p]),
                      4 * reg.param[p].intercept_se, "%s", zs_law_param_name(p));
    }
}

Test(regress, replicates_regress_each_bootstrap_sample) {
    enum { D = 4, R = 7 };
    zs_chinchilla samples[D * R], one[D];
    double H[D] = {0.1, 0.3, 0.45, 0.6};
    zs_rng rng;
    zs_rng_seed(&rng, 8, 0);
    for (int d = 0; d < D; d++)
        for (int r = 0; r < R; r++) {
            samples[d * R + r] = linear_law(H[d]);
            samples[d * R + r].alpha += 0.01 * normal(&rng);
        }
    zs_regress_lines lines[R];
    zs_error err;
    cr_assert_eq(zs_regress_replicates(samples, H, D, R, lines, &err), ZS_OK, "%s", err.msg);
    for (int r = 0; r < R; r++) {
        for (int d = 0; d < D; d++) one[d] = samples[d * R + r];
        zs_regression reg;
        cr_assert_eq(zs_regress_fit(one, H, D, &reg, NULL), ZS_OK);
        for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
            cr_assert_eq(lines[r].slope[p], reg.param[p].slope);
            cr_assert_eq(lines[r].intercept[p], reg.param[p].intercept);
        }
    }
}

Test(regress, adjusted_law_weights) {
    zs_chinchilla laws[6];
    for (int d = 0; d < 6; d++) laws[d] = linear_law(datasets_H[d]);
    zs_regression reg;
    cr_assert_eq(zs_regress_fit(laws, datasets_H, 6, &reg, NULL), ZS_OK);
    zs_regress_lines lines;
    zs_regress_lines_of(&reg, &lines);
    const zs_chinchilla ref = zs_chinchilla_published(), at = linear_law(0.3);
    zs_chinchilla out;
    zs_error err;
    for (int k = 0; k <= 4; k++) {
        double eps = k / 4.0;
        cr_assert_eq(zs_regress_adjusted(&ref, &lines, 0.3, eps, &out, &err), ZS_OK);
        for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
            assert_rel(zs_law_param_get(&out, p),
                       (1 - eps) * zs_law_param_get(&ref, p) + eps * zs_law_param_get(&at, p),
                       1e-12, zs_law_param_name(p));
    }
    cr_assert_eq(zs_regress_adjusted(&ref, &lines, 0.3, 1.5, &out, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "epsilon 1.5, expected a weight in [0, 1]");
    cr_assert_eq(zs_regress_adjusted(&ref, &lines, NAN, 0.5, &out, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "H = nan, expected a finite number");
}

Test(regress, errors_name_the_parameter) {
    zs_chinchilla laws[3] = {linear_law(0.2), linear_law(0.2), linear_law(0.2)};
    double H[3] = {0.2, 0.2, 0.2};
    zs_regression reg;
    zs_error err;
    cr_assert_eq(zs_regress_fit(laws, H, 3, &reg, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "regression of E on H: OLS: every x equals 0.2, expected at least "
                              "two distinct x");
    cr_assert_eq(zs_regress_fit(laws, H, 2, &reg, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "regression of E on H: OLS: 2 points, expected at least 3");
}

Test(predict, point_and_interval) {
    zs_chinchilla laws[6];
    for (int d = 0; d < 6; d++) laws[d] = linear_law(datasets_H[d]);
    zs_regression reg;
    cr_assert_eq(zs_regress_fit(laws, datasets_H, 6, &reg, NULL), ZS_OK);
    zs_regress_lines lines, replicates[50];
    zs_regress_lines_of(&reg, &lines);
    zs_rng rng;
    zs_rng_seed(&rng, 3, 0);
    for (int r = 0; r < 50; r++) {
        replicates[r] = lines;
        for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
            replicates[r].intercept[p] *= 1 + 0.01 * normal(&rng);
    }
    const zs_chinchilla ref = zs_chinchilla_published();
    zs_prediction pr;
    zs_error err;
    cr_assert_eq(zs_predict_at(&ref, &lines, NULL, 0, 0.4, 1, 1e21, 0.95, &pr, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(pr.has_interval, 0);
    zs_chinchilla at = linear_law(0.4);
    zs_frontier_point direct;
    cr_assert_eq(zs_frontier_point_at(&at, 1e21, &direct, NULL), ZS_OK);
    assert_rel(pr.point.n_params, direct.n_params, 1e-12, "N_opt");
    assert_rel(pr.point.loss_nats, direct.loss_nats, 1e-12, "loss");
    cr_assert_eq(zs_predict_at(&ref, &lines, replicates, 50, 0.4, 0.5, 1e21, 0.9, &pr, &err), ZS_OK,
                 "%s", err.msg);
    cr_assert_eq(pr.has_interval, 1);
    cr_assert_eq(pr.interval.used, 50);
    cr_assert(pr.interval.n_params.lo < pr.point.n_params &&
              pr.point.n_params < pr.interval.n_params.hi);
    cr_assert(pr.interval.loss_nats.lo < pr.point.loss_nats &&
              pr.point.loss_nats < pr.interval.loss_nats.hi);
}

/* ---- regression.json ------------------------------------------------------------------- */

/* sha256 of the empty string, standing in for a law.json's digest. */
#define DIGEST "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Six datasets with three bootstrap replicates each, regressed and written to path. */
static void build_regressfile(zs_regressfile *rf, size_t replicates) {
    zs_chinchilla laws[6], samples[6 * 3];
    char *names[6] = {"g0", "g1", NULL, "g3", "g4", "g5"};
    zs_rng rng;
    zs_rng_seed(&rng, 13, 0);
    for (int d = 0; d < 6; d++) {
        laws[d] = linear_law(datasets_H[d]);
        laws[d].beta *= 1 + 0.01 * normal(&rng);
        for (int r = 0; r < 3; r++) {
            samples[d * 3 + r] = laws[d];
            samples[d * 3 + r].alpha *= 1 + 0.02 * normal(&rng);
        }
    }
    zs_error err;
    cr_assert_eq(zs_regressfile_build(rf, "runs/law.json", DIGEST, names, datasets_H, laws, 6,
                                      replicates ? samples : NULL, replicates, 0.9, &err),
                 ZS_OK, "%s", err.msg);
}

Test(regressfile, round_trip_is_exact) {
    zs_regressfile rf, back;
    build_regressfile(&rf, 3);
    const char *path = zs_test_path("regression.json");
    zs_error err;
    cr_assert_eq(zs_regressfile_write(&rf, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_regressfile_read(&back, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_str_eq(back.input_path, "runs/law.json");
    cr_assert_str_eq(back.input_sha256, DIGEST);
    cr_assert_eq(back.n_datasets, 6);
    cr_assert_null(back.dataset_names[2]);
    cr_assert_str_eq(back.dataset_names[5], "g5");
    cr_assert_eq(back.n_replicates, 3);
    cr_assert_eq(back.level, 0.9);
    for (size_t d = 0; d < 6; d++) {
        cr_assert_eq(back.H[d], rf.H[d]);
        cr_assert_eq(memcmp(&back.laws[d], &rf.laws[d], sizeof rf.laws[d]), 0);
    }
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        cr_assert_eq(back.regression.param[p].slope, rf.regression.param[p].slope);
        cr_assert_eq(back.regression.param[p].intercept_p, rf.regression.param[p].intercept_p);
        cr_assert_eq(back.regression.param[p].r2, rf.regression.param[p].r2);
    }
    cr_assert_eq(memcmp(back.replicates, rf.replicates, 3 * sizeof *rf.replicates), 0);
    cr_assert_eq(memcmp(&back.reference, &rf.reference, sizeof rf.reference), 0);
    /* And the bytes are a fixed point: write(read(write(x))) == write(x). */
    char *a, *b;
    cr_assert_eq(zs_regressfile_format(&rf, &a, NULL), ZS_OK);
    cr_assert_eq(zs_regressfile_format(&back, &b, NULL), ZS_OK);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    zs_regressfile_free(&rf);
    zs_regressfile_free(&back);
}

/* Writes the regression file with `from` replaced by `to` and reads it back. */
static void expect_read_error(const char *from, const char *to, const char *message) {
    zs_regressfile rf;
    build_regressfile(&rf, 3);
    char *text;
    cr_assert_eq(zs_regressfile_format(&rf, &text, NULL), ZS_OK);
    zs_regressfile_free(&rf);
    char *at = strstr(text, from);
    cr_assert(at, "'%s' is not in the file", from);
    size_t head = (size_t)(at - text), tail = strlen(at + strlen(from));
    char *edited = malloc(head + strlen(to) + tail + 1);
    memcpy(edited, text, head);
    strcpy(edited + head, to);
    strcat(edited, at + strlen(from));
    const char *path = zs_test_path("bad.json");
    zs_test_write(path, edited, strlen(edited));
    free(text);
    free(edited);
    zs_error err;
    cr_assert_neq(zs_regressfile_read(&rf, path, &err), ZS_OK, "expected: %s", message);
    char expected[512];
    snprintf(expected, sizeof expected, "%s: %s", path, message);
    cr_assert_str_eq(err.msg, expected);
}

Test(regressfile, errors_name_the_field) {
    expect_read_error("zipscale-regression", "zipscale-law",
                      "format: expected \"zipscale-regression\" (a file written by zipscale "
                      "regress)");
    expect_read_error("\"format_version\": 1", "\"format_version\": 2",
                      "format_version: expected 1");
    expect_read_error("\"H\": 0.22", "\"H\": \"x\"", "datasets[1].H: expected a number");
    expect_read_error("\"dataset\": \"g3\"", "\"dataset\": 3",
                      "datasets[3].dataset: expected a string or null");
    expect_read_error("\"replicates\": 3", "\"replicates\": 4",
                      "bootstrap.replicates: expected the number of bootstrap.lines");
    expect_read_error(DIGEST, "e3b0", "input.sha256: expected 64 hex digits or null");
    expect_read_error("\"level\": 0.9", "\"level\": 1.5",
                      "bootstrap.level: expected a number in (0, 1)");
    expect_read_error("\"regressions\": {\n    \"E\": {\n      \"n\": 6,\n      \"slope\"",
                      "\"regressions\": {\n    \"E\": {\n      \"n\": 6,\n      \"slopes\"",
                      "regressions.E.slope: expected a number");
    expect_read_error("\"reference\": {\n    \"E\"", "\"reference\": {\n    \"e\"",
                      "reference.E: expected a number");
}

/* Found by fuzzing (issue 14; tests/fuzz/crashes/regressfile/). */
Test(regressfile, refuses_bad_laws_counts_and_p_values) {
    expect_read_error("\"law\": {\n        \"E\": ", "\"law\": {\n        \"E\": -1, \"e\": ",
                      "datasets[0].law.E: expected a number >= 0");
    expect_read_error(
        "\"A\": ", "\"A\": 0, \"a\": ", "datasets[0].law.A: expected a positive number");
    expect_read_error(
        "\"B\": ", "\"B\": -3, \"b\": ", "datasets[0].law.B: expected a positive number");
    expect_read_error("\"n\": 6", "\"n\": 7",
                      "regressions.E.n: expected an integer from 3 to the number of datasets");
    expect_read_error("\"slope_p\": ", "\"slope_p\": 1.5, \"x\": ",
                      "regressions.E.slope_p: expected a p-value in [0, 1]");
    expect_read_error("\"intercept_p\": ", "\"intercept_p\": -0.5, \"x\": ",
                      "regressions.E.intercept_p: expected a p-value in [0, 1]");
    expect_read_error("\"level\": 0.9", "\"level\": 5",
                      "bootstrap.level: expected a number in (0, 1)");
}

Test(regressfile, without_a_digest_writes_null_and_reads_back) {
    zs_chinchilla laws[3];
    for (int d = 0; d < 3; d++) laws[d] = linear_law(datasets_H[d]);
    zs_regressfile rf, back;
    zs_error err;
    cr_assert_eq(
        zs_regressfile_build(&rf, "law.json", NULL, NULL, datasets_H, laws, 3, NULL, 0, 0.95, &err),
        ZS_OK, "%s", err.msg);
    const char *path = zs_test_path("nodigest.json");
    cr_assert_eq(zs_regressfile_write(&rf, path, &err), ZS_OK, "%s", err.msg);
    char *text = zs_test_slurp(path, NULL);
    cr_assert(strstr(text, "\"sha256\": null"), "%s", text);
    free(text);
    cr_assert_eq(zs_regressfile_read(&back, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_str_eq(back.input_sha256, "");
    zs_regressfile_free(&back);
    zs_regressfile_free(&rf);
}

Test(regressfile, build_refuses_a_bootstrap_level_outside_zero_one) {
    zs_chinchilla laws[3], samples[3];
    for (int d = 0; d < 3; d++) samples[d] = laws[d] = linear_law(datasets_H[d]);
    zs_regressfile rf;
    zs_error err;
    cr_assert_eq(zs_regressfile_build(&rf, "law.json", DIGEST, NULL, datasets_H, laws, 3, samples,
                                      1, 5.0, &err),
                 ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "level");
    cr_assert_str_eq(err.msg, "regression: bootstrap level 5, expected a number in (0, 1)");
    cr_assert_null(rf.H);
}

Test(frontier, interval_level_names_the_field) {
    zs_chinchilla law = linear_law(0.3);
    zs_frontier_interval iv;
    zs_error err;
    cr_assert_eq(zs_frontier_interval_at(&law, 1, 1e21, 1.5, &iv, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "level");
    double x[5] = {1, 10, 100, 1000, 1e4}, loss[5] = {5, 4, 3, 2, 1};
    zs_powerlaw p;
    cr_assert_eq(zs_powerlaw_fit(x, loss, 5, ZS_POWERLAW_PURE, -1, &p, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "level");
}

Test(regressfile, malformed_json_and_missing_file) {
    const char *path = zs_test_path("broken.json");
    zs_test_write(path, "{\n  \"format\": }\n", 16);
    zs_regressfile rf;
    zs_error err;
    cr_assert_eq(zs_regressfile_read(&rf, path, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "broken.json:2:"), "%s", err.msg);
    cr_assert_eq(zs_regressfile_read(&rf, zs_test_path("absent.json"), &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, "absent.json: unable to open"), "%s", err.msg);
}

/* ---- the commands: frontier, regress, predict ------------------------------------------ */

#include <jansson.h>

#include "zipscale/fit.h"

enum { CLI_DATASETS = 4, CLI_REPLICATES = 40 };
static const double cli_H[CLI_DATASETS] = {0.15, 0.3, 0.45, 0.6};

/* law.json with one fit per dataset: laws linear in H, each with bootstrap samples that
 * scatter the law by a few percent (with_h 0: no H column, with_boot 0: no bootstrap). */
static const char *write_lawfile(const char *name, int with_h, int with_boot) {
    static char names[CLI_DATASETS][8];
    zs_lawfit fits[CLI_DATASETS];
    zs_rng rng;
    zs_rng_seed(&rng, 77, 0);
    for (int d = 0; d < CLI_DATASETS; d++) {
        snprintf(names[d], sizeof names[d], "g%d", d);
        fits[d] = (zs_lawfit){.dataset = names[d],
                              .h = with_h ? cli_H[d] : NAN,
                              .n_points = 20,
                              .law = linear_law(cli_H[d]),
                              .objective = 1e-4,
                              .residual_rms = 0.01,
                              .converged = 1};
        if (!with_boot) continue;
        fits[d].has_bootstrap = 1;
        zs_bootstrap *b = &fits[d].bootstrap;
        *b = (zs_bootstrap){.replicates = CLI_REPLICATES, .seed = 0, .level = 0.9};
        b->samples = calloc(CLI_REPLICATES, sizeof *b->samples);
        for (int r = 0; r < CLI_REPLICATES; r++) {
            b->samples[r] = fits[d].law;
            for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
                zs_law_param_set(&b->samples[r], p,
                                 zs_law_param_get(&fits[d].law, p) * (1 + 0.03 * normal(&rng)));
        }
        cr_assert_eq(zs_bootstrap_summarize(b, NULL), ZS_OK);
    }
    zs_lawfile lf = {.zipscale_version = "0.1.0",
                     .input_path = "runs.csv",
                     .delta = 1e-3,
                     .grid = "alpha=0:2:0.5,beta=0:2:0.5,e=-1:1:0.5,a=0:25:5,b=0:25:5",
                     .bootstrap_replicates = with_boot ? CLI_REPLICATES : 0,
                     .level = 0.9,
                     .n_fits = CLI_DATASETS,
                     .fits = fits};
    zs_sha256_hex("runs", 4, lf.input_sha256);
    const char *path = zs_test_path(name);
    zs_error err;
    cr_assert_eq(zs_lawfile_write(&lf, path, &err), ZS_OK, "%s", err.msg);
    for (int d = 0; d < CLI_DATASETS; d++) free(fits[d].bootstrap.samples);
    return path;
}

Test(cli_frontier, json_matches_the_library) {
    const char *law = write_lawfile("law.json", 1, 1);
    zs_run r = zs_test_cli("frontier %s --compute 1e20,3e21 --json", law);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    json_t *fits = json_object_get(doc, "fits");
    cr_assert_eq(json_array_size(fits), CLI_DATASETS);
    zs_lawfile lf;
    cr_assert_eq(zs_lawfile_read(&lf, law, NULL), ZS_OK);
    for (size_t d = 0; d < CLI_DATASETS; d++) {
        json_t *rows = json_object_get(json_array_get(fits, d), "frontier");
        cr_assert_eq(json_array_size(rows), 2);
        for (size_t i = 0; i < 2; i++) {
            json_t *row = json_array_get(rows, i);
            double c = json_num(row, "compute_flops");
            zs_frontier_point p;
            zs_frontier_interval iv;
            cr_assert_eq(zs_frontier_point_at(&lf.fits[d].law, c, &p, NULL), ZS_OK);
            cr_assert_eq(json_num(row, "N_opt"), p.n_params);
            cr_assert_eq(json_num(row, "D_opt"), p.n_tokens);
            cr_assert_eq(json_num(row, "loss"), p.loss_nats);
            cr_assert_eq(zs_frontier_interval_at(lf.fits[d].bootstrap.samples, CLI_REPLICATES, c,
                                                 0.9, &iv, NULL),
                         ZS_OK);
            json_t *n_opt = json_object_get(json_object_get(row, "interval"), "N_opt");
            cr_assert_eq(json_number_value(json_array_get(n_opt, 0)), iv.n_params.lo);
            cr_assert_eq(json_number_value(json_array_get(n_opt, 1)), iv.n_params.hi);
        }
    }
    zs_lawfile_free(&lf);
    json_decref(doc);
    /* -o writes the same document as --json prints. */
    const char *out = zs_test_path("frontier.json");
    zs_run w = zs_test_cli("frontier %s --compute 1e20,3e21 -o %s", law, out);
    cr_assert_eq(w.exit_code, 0, "%s", w.err);
    cr_assert(strstr(w.out, "tokens/param"), "the table goes to stdout: %s", w.out);
    char *written = zs_test_slurp(out, NULL);
    cr_assert_str_eq(written, r.out);
    free(written);
    zs_run_free(&r);
    zs_run_free(&w);
}

Test(cli_frontier, iso_flop_curves_bottom_out_at_n_opt) {
    const char *law = write_lawfile("law.json", 1, 0);
    zs_run r = zs_test_cli("frontier %s --compute-range 1e18:1e22:3 --iso-flop --iso-points 7 "
                           "--iso-span 0.5 --json",
                           law);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    json_t *fit = json_array_get(json_object_get(doc, "fits"), 0);
    cr_assert(json_is_null(
        json_object_get(json_array_get(json_object_get(fit, "frontier"), 0), "interval")));
    json_t *curves = json_object_get(fit, "iso_flop");
    cr_assert_eq(json_array_size(curves), 3);
    for (size_t c = 0; c < 3; c++) {
        json_t *pts = json_object_get(json_array_get(curves, c), "points");
        cr_assert_eq(json_array_size(pts), 7);
        double middle = json_num(json_array_get(pts, 3), "loss");
        for (size_t k = 0; k < 7; k++)
            cr_assert_leq(middle, json_num(json_array_get(pts, k), "loss"));
    }
    json_decref(doc);
    zs_run_free(&r);
    zs_run t = zs_test_cli("frontier %s --compute 1e21 --iso-flop", law);
    cr_assert_eq(t.exit_code, 0, "%s", t.err);
    cr_assert(strstr(t.out, "# fit 4/4: dataset g3, H 0.6000"), "%s", t.out);
    cr_assert(strstr(t.out, "# iso-FLOP curves"), "%s", t.out);
    zs_run_free(&t);
}

/* Each usage error: exit 2 and the message. */
static void expect_cli_error(int code, const char *message, const char *args) {
    zs_run r = zs_test_cli("%s", args);
    cr_assert_eq(r.exit_code, code, "%s: exit %d, stderr %s", args, r.exit_code, r.err);
    cr_assert(strstr(r.err, message), "%s: stderr '%s' lacks '%s'", args, r.err, message);
    zs_run_free(&r);
}

Test(cli_frontier, errors) {
    const char *law = write_lawfile("law.json", 1, 0);
    char line[512];
    snprintf(line, sizeof line, "frontier %s", law);
    expect_cli_error(2, "give the budgets with one of --compute C[,C...] and --compute-range",
                     line);
    snprintf(line, sizeof line, "frontier %s --compute 1e20 --compute-range 1:2:3", law);
    expect_cli_error(2, "give the budgets with one of", line);
    snprintf(line, sizeof line, "frontier %s --compute 1e20,abc", law);
    expect_cli_error(2, "--compute: 'abc' is not a positive number of FLOPs", line);
    snprintf(line, sizeof line, "frontier %s --compute 1e20,", law);
    expect_cli_error(2, "--compute: '1e20,' has an empty item", line);
    snprintf(line, sizeof line, "frontier %s --compute-range 1e20:1e18:4", law);
    expect_cli_error(2, "--compute-range: range 1e+20:1e+18, expected 0 < LO <= HI", line);
    snprintf(line, sizeof line, "frontier %s --compute-range 1e20:1e22", law);
    expect_cli_error(2, "--compute-range: '1e20:1e22', expected LO:HI:N", line);
    snprintf(line, sizeof line, "frontier %s --compute 1e20 --iso-points 0", law);
    expect_cli_error(2, "--iso-points: 0, expected 1..10000", line);
    snprintf(line, sizeof line, "frontier %s --compute 1e20", zs_test_path("absent.json"));
    expect_cli_error(1, "absent.json", line);
}

Test(cli_regress, table_json_and_file) {
    const char *law = write_lawfile("law.json", 1, 1);
    const char *reg = zs_test_path("regression.json");
    zs_run r = zs_test_cli("regress %s -o %s", law, reg);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "bootstrap: 40 replicates regressed"), "%s", r.out);
    cr_assert(strstr(r.out, "\nalpha "), "%s", r.out);
    zs_regressfile rf;
    zs_error err;
    cr_assert_eq(zs_regressfile_read(&rf, reg, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(rf.n_datasets, CLI_DATASETS);
    cr_assert_eq(rf.n_replicates, CLI_REPLICATES);
    cr_assert_eq(rf.level, 0.9);
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        assert_rel(rf.regression.param[p].slope, true_slope[p], 1e-10, zs_law_param_name(p));
        assert_rel(rf.regression.param[p].intercept, true_intercept[p], 1e-10,
                   zs_law_param_name(p));
    }
    zs_regressfile_free(&rf);
    zs_run j = zs_test_cli("regress %s --json", law);
    cr_assert_eq(j.exit_code, 0, "%s", j.err);
    char *written = zs_test_slurp(reg, NULL);
    cr_assert_str_eq(written, j.out);
    free(written);
    zs_run_free(&r);
    zs_run_free(&j);
}

Test(cli_regress, needs_three_datasets) {
    zs_lawfile lf;
    cr_assert_eq(zs_lawfile_read(&lf, write_lawfile("law.json", 1, 0), NULL), ZS_OK);
    lf.n_fits = 2;
    const char *two = zs_test_path("two.json");
    cr_assert_eq(zs_lawfile_write(&lf, two, NULL), ZS_OK);
    lf.n_fits = CLI_DATASETS;
    zs_lawfile_free(&lf);
    char line[512];
    snprintf(line, sizeof line, "regress %s", two);
    expect_cli_error(1, "two.json: 2 fits, expected at least 3 datasets (one fit each)", line);
}

Test(cli_regress, needs_h) {
    char line[512];
    snprintf(line, sizeof line, "regress %s", write_lawfile("law.json", 0, 0));
    expect_cli_error(1,
                     "law.json: fits[0] (dataset g0) has no H: a regression on H needs each "
                     "dataset's H",
                     line);
}

/* regression.json from the command, for predict. */
static const char *write_regression(int with_boot) {
    const char *law = write_lawfile("law.json", 1, with_boot);
    const char *reg = zs_test_path("regression.json");
    zs_run r = zs_test_cli("regress %s -o %s", law, reg);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    return reg;
}

Test(cli_predict, json_matches_the_library) {
    const char *reg = write_regression(1);
    zs_run r =
        zs_test_cli("predict --law %s --gzip 0.37 --compute 1e19,1e21 --epsilon 0.5 --json", reg);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    zs_regressfile rf;
    cr_assert_eq(zs_regressfile_read(&rf, reg, NULL), ZS_OK);
    zs_regress_lines lines;
    zs_regress_lines_of(&rf.regression, &lines);
    json_t *rows = json_object_get(doc, "predictions");
    cr_assert_eq(json_array_size(rows), 2);
    cr_assert_eq(json_num(doc, "level"), 0.9);
    for (size_t i = 0; i < 2; i++) {
        json_t *row = json_array_get(rows, i);
        zs_prediction pr;
        cr_assert_eq(zs_predict_at(&rf.reference, &lines, rf.replicates, rf.n_replicates, 0.37, 0.5,
                                   json_num(row, "compute_flops"), 0.9, &pr, NULL),
                     ZS_OK);
        cr_assert_eq(json_num(row, "N_opt"), pr.point.n_params);
        cr_assert_eq(json_num(row, "tokens_per_param"), pr.point.tokens_per_param);
        cr_assert_eq(json_num(row, "loss"), pr.point.loss_nats);
        json_t *loss = json_object_get(json_object_get(row, "interval"), "loss");
        cr_assert_eq(json_number_value(json_array_get(loss, 0)), pr.interval.loss_nats.lo);
        cr_assert_eq(json_number_value(json_array_get(loss, 1)), pr.interval.loss_nats.hi);
    }
    json_t *adjusted = json_object_get(doc, "adjusted_law");
    const zs_chinchilla ref = zs_chinchilla_published(), at = linear_law(0.37);
    assert_rel(json_num(adjusted, "alpha"), 0.5 * ref.alpha + 0.5 * at.alpha, 1e-12, "alpha");
    zs_regressfile_free(&rf);
    json_t *doc_wide = doc;
    zs_run t = zs_test_cli("predict --law %s --gzip 0.37 --compute-range 1e19:1e21:3", reg);
    cr_assert_eq(t.exit_code, 0, "%s", t.err);
    cr_assert(strstr(t.out, "90% percentile intervals over 40 bootstrap laws"), "%s", t.out);
    zs_run_free(&t);
    /* --level overrides the bootstrap's level: a 50% interval lies inside the 90% one. */
    zs_run half = zs_test_cli(
        "predict --law %s --gzip 0.37 --compute 1e21 --epsilon 0.5 --level 0.5 --json", reg);
    cr_assert_eq(half.exit_code, 0, "%s", half.err);
    json_t *hd = parse_json(half.out);
    cr_assert_eq(json_num(hd, "level"), 0.5);
    json_t *narrow = json_object_get(
        json_object_get(json_array_get(json_object_get(hd, "predictions"), 0), "interval"),
        "N_opt");
    json_t *wide = json_object_get(
        json_object_get(json_array_get(json_object_get(doc_wide, "predictions"), 1), "interval"),
        "N_opt");
    cr_assert_geq(json_number_value(json_array_get(narrow, 0)),
                  json_number_value(json_array_get(wide, 0)));
    cr_assert_leq(json_number_value(json_array_get(narrow, 1)),
                  json_number_value(json_array_get(wide, 1)));
    json_decref(hd);
    json_decref(doc_wide);
    zs_run_free(&half);
    zs_run_free(&r);
}

/* --data measures H exactly as `zipscale gzip` does. */
Test(cli_predict, data_file_h_matches_gzip) {
    const char *reg = write_regression(0);
    enum { N = 256 * 40 };
    static uint16_t ids[N];
    zs_rng rng;
    zs_rng_seed(&rng, 4, 0);
    for (int i = 0; i < N; i++) ids[i] = (uint16_t)zs_rng_below(&rng, 30 + (uint64_t)(i / 256));
    const char *data = zs_test_path("tokens.u16");
    zs_test_write(data, ids, sizeof ids);
    zs_run g = zs_test_cli("gzip %s --dtype uint16 --json", data);
    cr_assert_eq(g.exit_code, 0, "%s", g.err);
    json_t *gz = parse_json(g.out);
    double h = json_num(json_array_get(json_object_get(gz, "files"), 0), "H");
    zs_run r =
        zs_test_cli("predict --law %s --data %s --dtype uint16 --compute 1e20 --json", reg, data);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    cr_assert_eq(json_num(doc, "H"), h);
    /* The same bytes whatever the thread count. */
    zs_run one = zs_test_cli("predict --law %s --data %s --dtype uint16 --compute 1e20 --json "
                             "--threads 1",
                             reg, data);
    zs_run two = zs_test_cli("predict --law %s --data %s --dtype uint16 --compute 1e20 --json "
                             "--threads 2",
                             reg, data);
    cr_assert_eq(one.exit_code, 0, "%s", one.err);
    cr_assert_str_eq(one.out, r.out);
    cr_assert_str_eq(two.out, r.out);
    zs_run_free(&one);
    zs_run_free(&two);
    cr_assert(json_is_null(
        json_object_get(json_array_get(json_object_get(doc, "predictions"), 0), "interval")));
    json_decref(gz);
    json_decref(doc);
    zs_run_free(&g);
    zs_run_free(&r);
}

Test(cli_predict, errors) {
    const char *reg = write_regression(0);
    char line[512];
    expect_cli_error(2, "--law regression.json is required", "predict --gzip 0.3 --compute 1e20");
    snprintf(line, sizeof line, "predict --law %s --compute 1e20", reg);
    expect_cli_error(2, "give H with one of --gzip H and --data FILE", line);
    snprintf(line, sizeof line, "predict --law %s --gzip 0.3 --data x --compute 1e20", reg);
    expect_cli_error(2, "give H with one of --gzip H and --data FILE", line);
    snprintf(line, sizeof line, "predict --law %s --gzip 0.3 --compute 1e20 --epsilon 2", reg);
    expect_cli_error(2, "--epsilon: 2, expected a weight in [0, 1]", line);
    snprintf(line, sizeof line, "predict --law %s --gzip 0.3", reg);
    expect_cli_error(2, "give the budgets with one of", line);
    snprintf(line, sizeof line, "predict --law %s --gzip 0.3 --compute 1e20",
             write_lawfile("law.json", 1, 0));
    expect_cli_error(1, "format: expected \"zipscale-regression\"", line);
}

/* ---- the predict results file (zs_predictfile) ------------------------------------------ */

#define PREDICT_ROW                                                                                \
    "{\"compute_flops\":1e18,\"N_opt\":1,\"D_opt\":2,\"tokens_per_param\":2,\"loss\":3"

static void predictfile_rejects(const char *json, const char *expected) {
    const char *path = zs_test_path("bad_predict.json");
    cr_assert_eq(zs_test_write(path, json, strlen(json)), 0);
    zs_predictfile pf;
    zs_error err = {0};
    cr_assert_neq(zs_predictfile_read(&pf, path, &err), ZS_OK, "accepted %s", json);
    cr_assert(strstr(err.msg, expected), "%s: got \"%s\", expected \"%s\"", json, err.msg,
              expected);
    cr_assert_null(pf.predictions);
}

Test(predictfile, reader_names_the_bad_field) {
    predictfile_rejects("{\"command\":\"gzip\"}", "command: expected \"predict\"");
    predictfile_rejects("{\"command\":\"predict\",\"predictions\":[" PREDICT_ROW "}]}",
                        "H: expected a number");
    predictfile_rejects("{\"command\":\"predict\",\"H\":0.4,\"predictions\":[]}",
                        "predictions: expected a non-empty array");
    predictfile_rejects("{\"command\":\"predict\",\"H\":0.4,\"predictions\":[" PREDICT_ROW
                        "},{\"compute_flops\":1e19,\"N_opt\":1,\"D_opt\":2,"
                        "\"tokens_per_param\":2}]}",
                        "predictions[1].loss: expected a number");
    predictfile_rejects("{\"command\":\"predict\",\"H\":0.4,\"predictions\":[" PREDICT_ROW
                        ",\"interval\":{\"N_opt\":[1]}}]}",
                        "predictions[0].interval.N_opt: expected [lo, hi] numbers");
    predictfile_rejects("{\"command\":\"predict\",\"H\":0.4,\"adjusted_law\":{\"E\":1},"
                        "\"predictions\":[" PREDICT_ROW "}]}",
                        "adjusted_law.A: expected a number");
    predictfile_rejects("{\"command\":\"predict\",\"H\":0.4,\"bootstrap_replicates\":-2,"
                        "\"predictions\":[" PREDICT_ROW "}]}",
                        "bootstrap_replicates: expected a non-negative integer");
}

/* Found by fuzzing (issue 14; tests/fuzz/crashes/predictfile/). */
Test(predictfile, level_outside_zero_one_is_refused) {
    predictfile_rejects(
        "{\"command\":\"predict\",\"H\":0.4,\"level\":5,\"predictions\":[" PREDICT_ROW "}]}",
        "bad_predict.json: level: expected a number in (0, 1)");
    predictfile_rejects(
        "{\"command\":\"predict\",\"H\":0.4,\"level\":0,\"predictions\":[" PREDICT_ROW "}]}",
        "bad_predict.json: level: expected a number in (0, 1)");
}

/* A file without epsilon and level (both optional) reads as NaN, writes them as null, and
 * reads back (found by fuzzing: the writer used to fail with "out of memory"). */
Test(predictfile, absent_epsilon_and_level_round_trip) {
    const char *path = zs_test_path("predict.json");
    const char *json = "{\"command\":\"predict\",\"H\":0.5,\"predictions\":[" PREDICT_ROW "}]}";
    cr_assert_eq(zs_test_write(path, json, strlen(json)), 0);
    zs_predictfile pf;
    zs_error err = {0};
    cr_assert_eq(zs_predictfile_read(&pf, path, &err), ZS_OK, "%s", err.msg);
    cr_assert(isnan(pf.epsilon) && isnan(pf.level));
    char *text = NULL;
    cr_assert_eq(zs_predictfile_format(&pf, &text, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert_not_null(strstr(text, "\"epsilon\": null"), "%s", text);
    cr_assert_not_null(strstr(text, "\"level\": null"), "%s", text);
    zs_predictfile_free(&pf);
    cr_assert_eq(zs_test_write(path, text, strlen(text)), 0);
    free(text);
    cr_assert_eq(zs_predictfile_read(&pf, path, &err), ZS_OK, "%s", err.msg);
    cr_assert(isnan(pf.epsilon) && isnan(pf.level));
    cr_assert_eq(pf.H, 0.5);
    zs_predictfile_free(&pf);
}

Test(predictfile, written_file_reads_back) {
    zs_prediction rows[2] = {0};
    rows[0].point = (zs_frontier_point){1e18, 1e8, 2e9, 20, 2.5};
    rows[1].point = (zs_frontier_point){1e20, 1e9, 2e10, 20, 2.1};
    rows[1].has_interval = 1;
    rows[1].interval.loss_nats = (zs_bounds){2.0, 2.2};
    rows[1].interval.used = 9;
    rows[1].interval.skipped = 1;
    zs_predictfile pf = {.law_path = "reg.json",
                         .H = 0.4,
                         .epsilon = 1,
                         .level = 0.95,
                         .adjusted_law = {1.5, 400, 410, 0.34, 0.28},
                         .n_predictions = 2,
                         .predictions = rows,
                         .bootstrap_replicates = 10};
    const char *path = zs_test_path("predict.json");
    zs_error err = {0};
    cr_assert_eq(zs_predictfile_write(&pf, path, &err), ZS_OK, "%s", err.msg);
    zs_predictfile back;
    cr_assert_eq(zs_predictfile_read(&back, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_str_eq(back.law_path, "reg.json");
    cr_assert_null(back.data_path);
    cr_assert_eq(back.H, 0.4);
    cr_assert_eq(back.level, 0.95);
    cr_assert_eq(back.bootstrap_replicates, 10);
    cr_assert_eq(back.n_predictions, 2);
    cr_assert_eq(back.predictions[0].has_interval, 0);
    cr_assert_eq(back.predictions[1].has_interval, 1);
    cr_assert_eq(back.predictions[1].point.n_tokens, 2e10);
    cr_assert_eq(back.predictions[1].interval.loss_nats.hi, 2.2);
    cr_assert_eq(back.predictions[1].interval.used, 9);
    cr_assert_eq(zs_law_param_get(&back.adjusted_law, ZS_LAW_B), 410);
    zs_predictfile_free(&back);
}

/* ---- the error contract (core.h): frees accept NULL and zeroed structs; a failed call
 * leaves its outputs zeroed ------------------------------------------------------------ */

static int all_zero(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

Test(frontier_contract, frees_accept_null_and_zeroed) {
    zs_regressfile_free(NULL);
    zs_predictfile_free(NULL);
    zs_regressfile rf = {0};
    zs_predictfile pf = {0};
    zs_regressfile_free(&rf);
    zs_predictfile_free(&pf);
}

Test(frontier_contract, failures_leave_outputs_zeroed) {
    zs_error err;
    const double x[] = {1, 2, 3, 4}, y[] = {4, 3, 2, 1};
    zs_powerlaw pl;
    memset(&pl, 0xff, sizeof pl);
    cr_assert_eq(zs_powerlaw_fit(x, y, 1, ZS_POWERLAW_PURE, 0.95, &pl, &err), ZS_ERR_RANGE);
    cr_assert(all_zero(&pl, sizeof pl));
    zs_lawfile lf = {0};
    zs_regressfile rf;
    memset(&rf, 0xff, sizeof rf);
    cr_assert_eq(zs_regressfile_from_lawfile(&rf, &lf, "law.json", NULL, &err), ZS_ERR_RANGE);
    cr_assert(all_zero(&rf, sizeof rf));
    memset(&rf, 0xff, sizeof rf);
    cr_assert_eq(zs_regressfile_read(&rf, zs_test_path("missing.json"), &err), ZS_ERR_IO);
    cr_assert(all_zero(&rf, sizeof rf));
    zs_predictfile pf;
    memset(&pf, 0xff, sizeof pf);
    cr_assert_eq(zs_predictfile_read(&pf, zs_test_path("missing.json"), &err), ZS_ERR_IO, "%s",
                 err.msg);
    cr_assert(all_zero(&pf, sizeof pf));
    zs_chinchilla ref = zs_chinchilla_published();
    zs_regress_lines lines = {{0}, {0}};
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) lines.intercept[p] = zs_law_param_get(&ref, p);
    zs_prediction pred;
    memset(&pred, 0xff, sizeof pred);
    cr_assert_eq(zs_predict_at(&ref, &lines, NULL, 0, 0.5, 1, -1, 0.95, &pred, &err), ZS_ERR_RANGE);
    cr_assert(all_zero(&pred, sizeof pred));
    zs_chinchilla adjusted;
    memset(&adjusted, 0xff, sizeof adjusted);
    cr_assert_eq(zs_regress_adjusted(&ref, &lines, 0.5, 2, &adjusted, &err), ZS_ERR_RANGE);
    cr_assert(all_zero(&adjusted, sizeof adjusted));
    zs_regression reg;
    double H[] = {0.1, 0.1, 0.1};
    zs_chinchilla laws[3] = {ref, ref, ref};
    memset(&reg, 0xff, sizeof reg);
    cr_assert_eq(zs_regress_fit(laws, H, 3, &reg, &err), ZS_ERR_RANGE);
    cr_assert(all_zero(&reg, sizeof reg));
}
