/* Tests for the quantization model's theory (zipscale/quanta_theory.h, docs/quanta.md): the
 * Hurwitz zeta function against scipy, mpmath at 150 digits and closed forms; power sums
 * against direct summation and mpmath; L_n against direct summation and a Monte Carlo
 * simulation; the approximation's rate; the exponents; the simulated curves' slopes and
 * counts; every error; and `zipscale quanta theory`. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testjson.h"
#include "testutil.h"
#include "zipscale/frontier.h"
#include "zipscale/quanta_theory.h"

static double rel_err(double got, double want) {
    return fabs(got / want - 1);
}

/* ---- the references ---------------------------------------------------------------------
 * One script, written from docs/quanta.md's definitions: each line of the input file holds
 * "s q" (zeta) or "s first last" (power sums); it prints one value a line. */
static const char REFERENCE_PY[] =
    "import sys\n"
    "import mpmath\n"
    "from scipy.special import zeta\n"
    "mode, path = sys.argv[1], sys.argv[2]\n"
    "mpmath.mp.dps = 150\n"
    "for line in open(path):\n"
    "    f = line.split()\n"
    "    s = float(f[0])\n"
    "    if mode == 'scipy':\n"
    "        print(repr(float(zeta(s, float(f[1])))))\n"
    "    elif mode == 'mpmath':\n"
    "        print(mpmath.nstr(mpmath.zeta(s, mpmath.mpf(f[1])), 30))\n"
    "    elif mode == 'sum':\n"
    "        a, b = int(f[1]), int(f[2])\n"
    "        if s == 1:\n"
    "            v = mpmath.harmonic(b) - mpmath.harmonic(a - 1)\n"
    "        else:\n"
    "            v = mpmath.zeta(s, a) - mpmath.zeta(s, b + 1)\n"
    "        print(mpmath.nstr(v, 30))\n"
    "    else:\n"
    "        raise SystemExit('unknown mode ' + mode)\n";

/* Runs the reference in `mode` on `lines` (the input file's text); returns its output. */
static zs_run reference(const char *mode, const char *lines) {
    const char *py = zs_test_python("scipy mpmath");
    const char *script = zs_test_path("quanta_ref.py");
    const char *input = zs_test_path(mode);
    cr_assert_eq(zs_test_write(script, REFERENCE_PY, strlen(REFERENCE_PY)), 0);
    cr_assert_eq(zs_test_write(input, lines, strlen(lines)), 0);
    zs_run r = zs_test_sh("'%s' '%s' %s '%s'", py, script, mode, input);
    cr_assert_eq(r.exit_code, 0, "the %s reference failed: %s", mode, r.err);
    return r;
}

/* The zeta grid: s over (1.01, 10], q over [1, 1e9], across the switch from direct terms
 * to Euler-Maclaurin at q = 32. */
static const double GRID_S[] = {1.01, 1.0100001, 1.05, 1.1, 1.25, 1.4, 1.5, 1.81,
                                2,    2.5,       3,    4.5, 6,    8,   10};
static const double GRID_Q[] = {1,   1.5, 2,          3.7, 10,  31.5, 32,  32.5, 63.9,
                                100, 1e3, 1e4 + 0.25, 1e5, 1e6, 1e7,  1e8, 1e9};
enum {
    N_S = sizeof GRID_S / sizeof GRID_S[0],
    N_Q = sizeof GRID_Q / sizeof GRID_Q[0],
};

static char *grid_lines(void) {
    char *text = malloc(64 * N_S * N_Q + 1);
    size_t used = 0;
    for (int i = 0; i < N_S; i++)
        for (int j = 0; j < N_Q; j++)
            used += (size_t)sprintf(text + used, "%.17g %.17g\n", GRID_S[i], GRID_Q[j]);
    return text;
}

/* Compares zs_hurwitz_zeta over the grid with the reference in `mode`; returns the worst
 * relative error, failing at the first beyond tol. */
static double grid_against(const char *mode, double tol) {
    char *lines = grid_lines();
    zs_run r = reference(mode, lines);
    free(lines);
    char *p = r.out;
    double worst = 0;
    for (int i = 0; i < N_S; i++)
        for (int j = 0; j < N_Q; j++) {
            char *end;
            double want = strtod(p, &end);
            cr_assert(end != p, "%s printed too few values: %s", mode, r.out);
            p = end;
            double got = zs_hurwitz_zeta(GRID_S[i], GRID_Q[j]);
            double e = rel_err(got, want);
            cr_assert_leq(e, tol, "zeta(%.17g, %.17g) = %.17g, %s %.17g (rel %.2g)", GRID_S[i],
                          GRID_Q[j], got, mode, want, e);
            if (e > worst) worst = e;
        }
    zs_run_free(&r);
    return worst;
}

/* ---- Hurwitz zeta -------------------------------------------------------------------------- */

Test(quanta_zeta, matches_scipy) {
    grid_against("scipy", 1e-12);
}

/* mpmath at 150 digits (its zeta needs about s log10(q) + 20 digits to be exact in double):
 * the accuracy docs/quanta.md states, with a margin (measured: 3e-16 at worst). */
Test(quanta_zeta, matches_mpmath_to_1e_14) {
    grid_against("mpmath", 1e-14);
}

Test(quanta_zeta, closed_forms) {
    const double pi = M_PI;
    cr_assert_leq(rel_err(zs_hurwitz_zeta(2, 1), pi * pi / 6), 4e-16, "%.17g",
                  zs_hurwitz_zeta(2, 1));
    cr_assert_leq(rel_err(zs_hurwitz_zeta(4, 1), pi * pi * pi * pi / 90), 4e-16, "%.17g",
                  zs_hurwitz_zeta(4, 1));
    /* zeta(s, 1/2) = (2^s - 1) zeta(s); zeta(3/2, 1)... via the same relation at s = 2. */
    cr_assert_leq(rel_err(zs_hurwitz_zeta(2, 0.5), 3 * pi * pi / 6), 1e-15);
    cr_assert_leq(rel_err(zs_hurwitz_zeta(3, 0.5), 7 * zs_hurwitz_zeta(3, 1)), 1e-15);
    /* zeta(s, q) = q^-s + zeta(s, q + 1), across the direct/Euler-Maclaurin switch. */
    for (int i = 0; i < N_S; i++)
        for (int j = 0; j < N_Q; j++) {
            double s = GRID_S[i], q = GRID_Q[j];
            double lhs = zs_hurwitz_zeta(s, q), rhs = pow(q, -s) + zs_hurwitz_zeta(s, q + 1);
            cr_assert_leq(rel_err(lhs, rhs), 1e-15, "s %g q %g: %.17g vs %.17g", s, q, lhs, rhs);
        }
}

Test(quanta_zeta, nan_outside_its_domain) {
    cr_assert(isnan(zs_hurwitz_zeta(1, 1)));
    cr_assert(isnan(zs_hurwitz_zeta(0.5, 1)));
    cr_assert(isnan(zs_hurwitz_zeta(2, 0)));
    cr_assert(isnan(zs_hurwitz_zeta(2, -1)));
    cr_assert(isnan(zs_hurwitz_zeta(NAN, 1)));
    cr_assert(isnan(zs_hurwitz_zeta(INFINITY, 1)));
    cr_assert(isnan(zs_hurwitz_zeta(2, INFINITY)));
    cr_assert(isnan(zs_power_sum(-0.5, 1, 10)));
    cr_assert(isnan(zs_power_sum(2, 0, 10)));
    cr_assert_eq(zs_power_sum(2, 5, 4), 0);
}

/* ---- power sums ---------------------------------------------------------------------------- */

static double direct_sum(double s, uint64_t first, uint64_t last) {
    long double sum = 0;
    for (uint64_t k = last; k >= first; k--) sum += powl((long double)k, -(long double)s);
    return (double)sum;
}

Test(quanta_power_sum, matches_direct_summation) {
    const double ss[] = {0, 0.5, 0.9, 1, 1.4, 2, 5, 12};
    const uint64_t ranges[][2] = {{1, 1},     {1, 10},     {1, 63},  {1, 64},
                                  {1, 65},    {3, 100},    {31, 33}, {40, 1000},
                                  {1, 12345}, {500, 1000}, {1, 1e5}, {99990, 100000}};
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++)
        for (size_t j = 0; j < sizeof ranges / sizeof ranges[0]; j++) {
            uint64_t a = ranges[j][0], b = ranges[j][1];
            double got = zs_power_sum(ss[i], a, b), want = direct_sum(ss[i], a, b);
            cr_assert_leq(rel_err(got, want), 1e-14, "s %g [%llu, %llu]: %.17g vs %.17g", ss[i],
                          (unsigned long long)a, (unsigned long long)b, got, want);
        }
}

/* Ranges too long to sum directly, s at and below 1 included, against mpmath. */
Test(quanta_power_sum, matches_mpmath_on_long_ranges) {
    static const struct {
        double s;
        uint64_t first, last;
    } cases[] = {
        {0, 1, 1000000000000},   {0.5, 1, 1000000000000}, {0.5, 1000000, 1000000000000},
        {1, 1, 1000000000000},   {1, 123456, 9876543210}, {0.99, 7, 10000000000},
        {1.4, 1, 1000000000000}, {1.4, 1000000, 1000100}, {2, 33, 1000000000000000},
        {3.5, 2, 50000000},      {10, 1, 1000000},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    char lines[N * 80] = "";
    size_t used = 0;
    for (int i = 0; i < N; i++)
        used +=
            (size_t)snprintf(lines + used, sizeof lines - used, "%.17g %llu %llu\n", cases[i].s,
                             (unsigned long long)cases[i].first, (unsigned long long)cases[i].last);
    zs_run r = reference("sum", lines);
    char *p = r.out;
    for (int i = 0; i < N; i++) {
        double want = strtod(p, &p);
        double got = zs_power_sum(cases[i].s, cases[i].first, cases[i].last);
        cr_assert_leq(rel_err(got, want), 1e-14, "s %g [%llu, %llu]: %.17g vs mpmath %.17g",
                      cases[i].s, (unsigned long long)cases[i].first,
                      (unsigned long long)cases[i].last, got, want);
    }
    zs_run_free(&r);
}

/* ---- the model ----------------------------------------------------------------------------- */

static zs_quanta_model model_of(double e, uint64_t q, double a, double b) {
    return (zs_quanta_model){
        .zipf_exponent = e, .n_quanta = q, .loss_learned_nats = a, .loss_unlearned_nats = b};
}

Test(quanta_model, defaults) {
    zs_quanta_model m;
    zs_quanta_model_init(&m);
    cr_assert_eq(m.zipf_exponent, 1.4);
    cr_assert_eq(m.n_quanta, 0);
    cr_assert_eq(m.loss_learned_nats, 0);
    cr_assert_eq(m.loss_unlearned_nats, log(2));
    zs_error err;
    cr_assert_eq(zs_quanta_model_check(&m, &err), ZS_OK, "%s", err.msg);
    zs_quanta_sim_opts o;
    zs_quanta_sim_opts_init(&o);
    cr_assert_eq(o.params_per_quantum, 1);
    cr_assert_eq(o.examples_to_learn, 1);
    cr_assert_eq(o.batch, 1);
    cr_assert_eq(o.gamma, 1);
}

/* Z and the frequencies: p_1 = 1/zeta(E) for Q = 0, the p_k of a finite Q sum to 1. */
Test(quanta_model, frequencies) {
    zs_error err;
    zs_quanta_model m = model_of(1.4, 0, 0, log(2));
    double z, p[5];
    cr_assert_eq(zs_quanta_normaliser(&m, &z, &err), ZS_OK);
    cr_assert_eq(z, zs_hurwitz_zeta(1.4, 1));
    cr_assert_eq(zs_quanta_frequencies(&m, 5, p, &err), ZS_OK);
    for (int k = 1; k <= 5; k++) cr_assert_eq(p[k - 1], pow(k, -1.4) / z);
    static double q[1000];
    m = model_of(0.7, 1000, 0, 1);
    cr_assert_eq(zs_quanta_frequencies(&m, 1000, q, &err), ZS_OK);
    long double total = 0;
    for (int k = 999; k >= 0; k--) total += q[k];
    cr_assert_leq(fabs((double)total - 1), 1e-15, "sum %.17Lg", total);
    m = model_of(0, 4, 0, 1);
    cr_assert_eq(zs_quanta_frequencies(&m, 4, p, &err), ZS_OK);
    for (int k = 0; k < 4; k++) cr_assert_eq(p[k], 0.25);
}

/* L_n against the direct sum a + (b - a) sum_{k>n} k^-E / sum_k k^-E (long double, smallest
 * terms first): relative 1e-13 with a = 0 (so L_n is the scaled tail itself, however small),
 * and 1e-15 on L_n with a = 0.05. */
Test(quanta_model, loss_after_matches_direct_summation) {
    const double es[] = {0, 0.5, 1, 1.4, 2.5};
    const uint64_t qs[] = {1, 7, 1000, 12345};
    zs_error err;
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++)
        for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
            const uint64_t q = qs[j];
            zs_quanta_model m = model_of(es[i], q, 0, log(2)), m5 = m;
            m5.loss_learned_nats = 0.05;
            long double z = 0;
            for (uint64_t k = q; k >= 1; k--) z += powl((long double)k, -(long double)es[i]);
            long double tail = 0; /* sum_{k > n}, grown as n falls */
            for (uint64_t n = q + 1; n-- > 0;) {
                double loss, loss5;
                cr_assert_eq(zs_quanta_loss_after(&m, n, &loss, &err), ZS_OK, "%s", err.msg);
                cr_assert_eq(zs_quanta_loss_after(&m5, n, &loss5, &err), ZS_OK, "%s", err.msg);
                double want = (double)(tail / z * (long double)log(2));
                double want5 = (double)(0.05L + tail / z * ((long double)log(2) - 0.05L));
                if (n == q) {
                    cr_assert_eq(loss, 0, "L_Q = a");
                    cr_assert_eq(loss5, 0.05, "L_Q = a");
                } else {
                    cr_assert_leq(rel_err(loss, want), 1e-13, "E %g Q %llu n %llu: %.17g vs %.17g",
                                  es[i], (unsigned long long)q, (unsigned long long)n, loss, want);
                    cr_assert_leq(rel_err(loss5, want5), 1e-15,
                                  "a 0.05, E %g Q %llu n %llu: %.17g vs %.17g", es[i],
                                  (unsigned long long)q, (unsigned long long)n, loss5, want5);
                }
                if (n >= 1) tail += powl((long double)n, -(long double)es[i]);
            }
            m = m5;
            double loss;
            cr_assert_eq(zs_quanta_loss_after(&m, 0, &loss, &err), ZS_OK);
            cr_assert_eq(loss, log(2), "L_0 = b");
            cr_assert_eq(zs_quanta_loss_after(&m, q + 5, &loss, &err), ZS_OK);
            cr_assert_eq(loss, 0.05, "L_n = a beyond Q");
        }
}

/* Infinitely many quanta: L_n - a = (b - a) zeta(E, n + 1) / zeta(E), and it matches a large
 * finite Q where the rest of the tail is negligible. */
Test(quanta_model, loss_after_infinite_q) {
    zs_error err;
    zs_quanta_model inf = model_of(2.5, 0, 0, 1), fin = model_of(2.5, 100000000, 0, 1);
    for (uint64_t n = 1; n <= 1000; n *= 10) {
        double li, lf;
        cr_assert_eq(zs_quanta_loss_after(&inf, n, &li, &err), ZS_OK);
        cr_assert_eq(zs_quanta_loss_after(&fin, n, &lf, &err), ZS_OK);
        cr_assert_leq(rel_err(li, zs_hurwitz_zeta(2.5, (double)n + 1) / zs_hurwitz_zeta(2.5, 1)),
                      1e-15);
        /* the finite model lacks sum_{k > 1e8} k^-2.5 ~ 1e-12 / 1.5 of the mass */
        cr_assert_leq(fabs(li - lf), 1e-12, "n %llu: %.17g vs %.17g", (unsigned long long)n, li,
                      lf);
    }
}

/* The approximation overstates L_n - a by 1 + alpha/(2n) + O(n^-2) (Q = 0): the
 * Euler-Maclaurin expansion of the tail gives r - 1 = alpha/(2n) + (alpha^2/4 -
 * alpha E/12)/n^2 + ..., so |n (r - 1) - alpha/2| stays below 1/n for E <= 3. */
Test(quanta_model, approximation_ratio_tends_to_one_as_1_over_n) {
    const double es[] = {1.1, 1.4, 2, 3};
    zs_error err;
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++) {
        zs_quanta_model m = model_of(es[i], 0, 0, 0.7); /* a = 0: L_n - a without cancellation */
        const double alpha = es[i] - 1;
        double previous = INFINITY;
        for (uint64_t n = 10; n <= 10000000; n *= 10) {
            double exact, approx;
            cr_assert_eq(zs_quanta_loss_after(&m, n, &exact, &err), ZS_OK);
            cr_assert_eq(zs_quanta_loss_approx(&m, (double)n, &approx, &err), ZS_OK);
            double r = approx / exact;
            cr_assert_gt(r, 1, "E %g n %llu: the integral overstates the tail", es[i],
                         (unsigned long long)n);
            cr_assert_lt(r, previous, "E %g n %llu: ratio %.17g not falling", es[i],
                         (unsigned long long)n, r);
            previous = r;
            double scaled = (double)n * (r - 1);
            cr_assert_leq(fabs(scaled - alpha / 2), 1.0 / (double)n,
                          "E %g n %llu: n (r - 1) = %.10g, expected alpha/2 = %g", es[i],
                          (unsigned long long)n, scaled, alpha / 2);
        }
        /* the paper's closed form, exactly as written */
        double approx;
        cr_assert_eq(zs_quanta_loss_approx(&m, 1000, &approx, &err), ZS_OK);
        double paper = 0.7 / (alpha * zs_hurwitz_zeta(alpha + 1, 1)) * pow(1000, -alpha);
        cr_assert_leq(rel_err(approx, paper), 1e-14, "%.17g vs %.17g", approx, paper);
    }
}

/* Finite Q: the integral from n to Q, a at n >= Q. */
Test(quanta_model, approximation_finite_q) {
    zs_error err;
    zs_quanta_model m = model_of(1, 1000, 0, 1);
    double approx, z = zs_power_sum(1, 1, 1000);
    cr_assert_eq(zs_quanta_loss_approx(&m, 10, &approx, &err), ZS_OK);
    cr_assert_leq(rel_err(approx, log(100) / z), 1e-15);
    m.zipf_exponent = 2;
    z = zs_power_sum(2, 1, 1000);
    cr_assert_eq(zs_quanta_loss_approx(&m, 10, &approx, &err), ZS_OK);
    cr_assert_leq(rel_err(approx, (0.1 - 0.001) / z), 1e-14);
    cr_assert_eq(zs_quanta_loss_approx(&m, 1000, &approx, &err), ZS_OK);
    cr_assert_eq(approx, 0);
    cr_assert_eq(zs_quanta_loss_approx(&m, 0, &approx, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "n_learned");
}

/* Draw M = 1e6 examples from the Zipf distribution (core's alias table); an example's loss is
 * a when its quantum is among the n learned, else b. The mean must lie within 5 binomial
 * standard errors, (b - a) sqrt(T (1 - T) / M) with T the unlearned mass, of L_n. */
Test(quanta_model, monte_carlo_matches_loss_after) {
    enum { Q = 1000, M = 1000000 };
    const double a = 0.02, b = log(2);
    zs_quanta_model m = model_of(1.4, Q, a, b);
    static double p[Q];
    zs_error err;
    cr_assert_eq(zs_quanta_frequencies(&m, Q, p, &err), ZS_OK);
    zs_alias table;
    cr_assert_eq(zs_alias_init(&table, p, Q, &err), ZS_OK, "%s", err.msg);
    static uint32_t drawn[M];
    zs_rng rng;
    zs_rng_seed(&rng, 2023, zs_rng_tag("test.quanta.monte_carlo"));
    for (int i = 0; i < M; i++) drawn[i] = zs_alias_draw(&table, &rng) + 1; /* quantum k */
    zs_alias_free(&table);
    const uint64_t ns[] = {0, 1, 3, 10, 100, 500, 999, 1000};
    for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++) {
        double sum = 0;
        for (int i = 0; i < M; i++) sum += drawn[i] <= ns[j] ? a : b;
        double mean = sum / M, loss;
        cr_assert_eq(zs_quanta_loss_after(&m, ns[j], &loss, &err), ZS_OK);
        double t = (loss - a) / (b - a);
        double se = (b - a) * sqrt(t * (1 - t) / M);
        cr_assert_leq(fabs(mean - loss), 5 * se + 1e-9,
                      /* 1e-9: the rounding of the mean */ "n %llu: mean %.10g, L_n %.10g, se %.3g",
                      (unsigned long long)ns[j], mean, loss, se);
    }
}

/* ---- exponents ----------------------------------------------------------------------------- */

Test(quanta_exponents, zipf_1_4) {
    zs_quanta_exponents x;
    zs_error err;
    cr_assert_eq(zs_quanta_exponents_predict(1.4, 1, &x, &err), ZS_OK);
    cr_assert_leq(fabs(x.alpha - 0.4), 1e-15);
    cr_assert_leq(fabs(x.alpha_n - 0.4), 1e-15);
    cr_assert_leq(fabs(x.alpha_d - 0.4 / 1.4), 1e-15);
    cr_assert_leq(fabs(x.alpha_s - 0.4 / 1.4), 1e-15);
    cr_assert_eq(zs_quanta_exponents_predict(1.4, 0.81, &x, &err), ZS_OK);
    cr_assert_leq(fabs(x.alpha_s - 0.4 / (0.81 * 1.4)), 1e-15, "%.17g", x.alpha_s);
    cr_assert_leq(fabs(x.alpha_d - 0.4 / 1.4), 1e-15);
}

Test(quanta_exponents, errors_name_the_field) {
    zs_quanta_exponents x = {1, 1, 1, 1};
    zs_error err;
    const double bad_e[] = {1, 0.5, -2, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_e / sizeof bad_e[0]; i++) {
        cr_assert_eq(zs_quanta_exponents_predict(bad_e[i], 1, &x, &err), ZS_ERR_USAGE);
        cr_assert_str_eq(err.field, "zipf_exponent");
        cr_assert(strstr(err.msg, "expected a finite number > 1"), "%s", err.msg);
        cr_assert_eq(x.alpha, 0, "zeroed on failure");
    }
    const double bad_g[] = {0, -1, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_g / sizeof bad_g[0]; i++) {
        cr_assert_eq(zs_quanta_exponents_predict(1.4, bad_g[i], &x, &err), ZS_ERR_USAGE);
        cr_assert_str_eq(err.field, "gamma");
    }
}

/* ---- simulated curves ---------------------------------------------------------------------- */

enum { SLOPE_POINTS = 61 };

/* The OLS slope of log(L - a) on log x over SLOPE_POINTS log-spaced x in [1e3, 1e6]. */
static double curve_slope(const zs_quanta_model *m, zs_quanta_axis scale,
                          const zs_quanta_sim_opts *o) {
    double x[SLOPE_POINTS], loss[SLOPE_POINTS], lx[SLOPE_POINTS], ly[SLOPE_POINTS];
    for (int i = 0; i < SLOPE_POINTS; i++) x[i] = pow(10, 3 + 3.0 * i / (SLOPE_POINTS - 1));
    zs_error err;
    cr_assert_eq(zs_quanta_simulate(m, scale, o, x, SLOPE_POINTS, loss, NULL, &err), ZS_OK, "%s",
                 err.msg);
    for (int i = 0; i < SLOPE_POINTS; i++) {
        lx[i] = log(x[i]);
        ly[i] = log(loss[i] - m->loss_learned_nats);
    }
    zs_ols ols;
    cr_assert_eq(zs_ols_fit(lx, ly, SLOPE_POINTS, &ols, &err), ZS_OK, "%s", err.msg);
    return ols.slope;
}

Test(quanta_simulate, slopes_are_the_predicted_exponents) {
    zs_quanta_model m = model_of(1.4, 0, 0.01, log(2));
    zs_quanta_sim_opts o;
    zs_quanta_sim_opts_init(&o);
    zs_quanta_exponents x;
    zs_error err;
    cr_assert_eq(zs_quanta_exponents_predict(1.4, 1, &x, &err), ZS_OK);
    double n = curve_slope(&m, ZS_QUANTA_AXIS_PARAMS, &o);
    cr_assert_leq(fabs(n + x.alpha_n), 0.01, "params: slope %.5f, expected -%g", n, x.alpha_n);
    double d = curve_slope(&m, ZS_QUANTA_AXIS_DATA, &o);
    cr_assert_leq(fabs(d + x.alpha_d), 0.01, "data: slope %.5f, expected -%g", d, x.alpha_d);
    o.batch = 20;
    double s = curve_slope(&m, ZS_QUANTA_AXIS_STEPS, &o);
    cr_assert_leq(fabs(s + x.alpha_d), 0.01, "steps: slope %.5f, expected -%g", s, x.alpha_d);
    /* gamma = 0.81, as the paper measured: alpha_S = alpha / (gamma (alpha + 1)) */
    o.gamma = 0.81;
    cr_assert_eq(zs_quanta_exponents_predict(1.4, 0.81, &x, &err), ZS_OK);
    s = curve_slope(&m, ZS_QUANTA_AXIS_STEPS, &o);
    cr_assert_leq(fabs(s + x.alpha_s), 0.01, "steps, gamma 0.81: slope %.5f, expected -%g", s,
                  x.alpha_s);
    /* another exponent, and params_per_quantum / tau only shift the curves */
    m.zipf_exponent = 2.2;
    o = (zs_quanta_sim_opts){
        .params_per_quantum = 0.5, .examples_to_learn = 0.2, .batch = 1, .gamma = 1};
    cr_assert_eq(zs_quanta_exponents_predict(2.2, 1, &x, &err), ZS_OK);
    n = curve_slope(&m, ZS_QUANTA_AXIS_PARAMS, &o);
    cr_assert_leq(fabs(n + x.alpha_n), 0.01, "E 2.2 params: slope %.5f, expected -%g", n,
                  x.alpha_n);
    d = curve_slope(&m, ZS_QUANTA_AXIS_DATA, &o);
    cr_assert_leq(fabs(d + x.alpha_d), 0.01, "E 2.2 data: slope %.5f, expected -%g", d, x.alpha_d);
}

/* The counts against their definitions by brute force: n(N) = min(Q, floor(N / c)),
 * n(D) = #{k : D p_k >= tau}; steps at batch B are data at D = S B. */
Test(quanta_simulate, counts_match_their_definitions) {
    enum { NX = 40 };
    zs_quanta_model m = model_of(1.4, 0, 0, log(2));
    zs_quanta_sim_opts o = {
        .params_per_quantum = 3, .examples_to_learn = 2.5, .batch = 7, .gamma = 1};
    double x[NX], xb[NX], loss[NX], loss_b[NX];
    uint64_t n[NX], nb[NX];
    for (int i = 0; i < NX; i++) {
        x[i] = floor(pow(10, 0.15 * i)) + 0.5 * (i % 3); /* 1 .. 5e5 */
        xb[i] = x[i] * 7;
    }
    zs_error err;
    double z = zs_hurwitz_zeta(1.4, 1);
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_PARAMS, &o, x, NX, loss, n, &err), ZS_OK);
    for (int i = 0; i < NX; i++) {
        cr_assert_eq(n[i], (uint64_t)floor(x[i] / 3), "N %g", x[i]);
        double want;
        cr_assert_eq(zs_quanta_loss_after(&m, n[i], &want, &err), ZS_OK);
        cr_assert_eq(loss[i], want);
    }
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_DATA, &o, x, NX, loss, n, &err), ZS_OK);
    for (int i = 0; i < NX; i++) {
        uint64_t count = 0;
        for (uint64_t k = 1; k < 10000000 && x[i] * (pow((double)k, -1.4) / z) >= 2.5; k++) count++;
        cr_assert_eq(n[i], count, "D %g: %llu learned, expected %llu", x[i],
                     (unsigned long long)n[i], (unsigned long long)count);
    }
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_DATA, &o, xb, NX, loss_b, nb, &err), ZS_OK);
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_STEPS, &o, x, NX, loss, n, &err), ZS_OK);
    for (int i = 0; i < NX; i++) {
        cr_assert_eq(n[i], nb[i], "S %g at batch 7 against D %g", x[i], xb[i]);
        cr_assert_eq(loss[i], loss_b[i]);
    }
    /* a finite Q caps the count; x = 0 learns nothing */
    m = model_of(1.4, 50, 0, log(2));
    const double big[2] = {0, 1e12};
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_PARAMS, &o, big, 2, loss, n, &err), ZS_OK);
    cr_assert_eq(n[0], 0);
    cr_assert_eq(loss[0], log(2));
    cr_assert_eq(n[1], 50);
    cr_assert_eq(loss[1], 0);
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_DATA, &o, big, 2, loss, n, &err), ZS_OK);
    cr_assert_eq(n[0], 0);
    cr_assert_eq(n[1], 50);
}

/* The probability-vector form on the Zipf frequencies, shuffled, gives the Zipf model's
 * counts exactly and its losses to 1e-13. */
Test(quanta_simulate, probability_vector_matches_the_zipf_model) {
    enum { Q = 5000, NX = 30 };
    zs_quanta_model m = model_of(1.7, Q, 0.1, 0.9);
    static double p[Q];
    zs_error err;
    cr_assert_eq(zs_quanta_frequencies(&m, Q, p, &err), ZS_OK);
    zs_rng rng;
    zs_rng_seed(&rng, 5, 0);
    for (int k = 0; k < Q; k++) p[k] *= 3; /* weights need not sum to 1 */
    for (uint64_t i = Q - 1; i > 0; i--) { /* Fisher-Yates */
        uint64_t j = zs_rng_below(&rng, i + 1);
        double t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    double x[NX];
    for (int i = 0; i < NX; i++) x[i] = pow(10, 0.23 * i) * 1.37;
    zs_quanta_sim_opts o;
    zs_quanta_sim_opts_init(&o);
    o.batch = 4;
    const zs_quanta_axis scales[] = {ZS_QUANTA_AXIS_PARAMS, ZS_QUANTA_AXIS_DATA,
                                     ZS_QUANTA_AXIS_STEPS};
    for (int s = 0; s < 3; s++) {
        double lm[NX], lp[NX];
        uint64_t nm[NX], np[NX];
        cr_assert_eq(zs_quanta_simulate(&m, scales[s], &o, x, NX, lm, nm, &err), ZS_OK);
        cr_assert_eq(zs_quanta_simulate_probs(p, Q, 0.1, 0.9, scales[s], &o, x, NX, lp, np, &err),
                     ZS_OK, "%s", err.msg);
        for (int i = 0; i < NX; i++) {
            cr_assert_eq(nm[i], np[i], "%s x %g", zs_quanta_axis_name(scales[s]), x[i]);
            if (nm[i] < Q)
                cr_assert_leq(rel_err(lp[i] - 0.1, lm[i] - 0.1), 1e-13, "%s x %g: %.17g vs %.17g",
                              zs_quanta_axis_name(scales[s]), x[i], lp[i], lm[i]);
            else
                cr_assert_eq(lp[i], lm[i]);
        }
    }
}

/* ---- errors --------------------------------------------------------------------------------- */

static void expect_model_error(zs_quanta_model m, const char *field, const char *text) {
    zs_error err;
    cr_assert_eq(zs_quanta_model_check(&m, &err), ZS_ERR_USAGE, "accepted a bad model (%s)", field);
    cr_assert_str_eq(err.field, field);
    cr_assert(strstr(err.msg, text), "message '%s' lacks '%s'", err.msg, text);
    cr_assert_null(strstr(err.msg, "--"), "a flag in a library message: %s", err.msg);
    double v = 1;
    cr_assert_eq(zs_quanta_loss_after(&m, 3, &v, &err), ZS_ERR_USAGE);
    cr_assert_eq(v, 0);
    cr_assert_str_eq(err.field, field);
    zs_quanta_theory t;
    cr_assert_eq(zs_quanta_theory_init(&t, &m, 1, &err), ZS_ERR_USAGE);
    cr_assert_null(t.rows);
    double x = 10, loss;
    zs_quanta_sim_opts o;
    zs_quanta_sim_opts_init(&o);
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_DATA, &o, &x, 1, &loss, NULL, &err),
                 ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, field);
}

Test(quanta_errors, model_fields) {
    expect_model_error(model_of(1, 0, 0, 1), "zipf_exponent,n_quanta",
                       "zipf_exponent = 1 with infinitely many quanta (n_quanta 0): expected "
                       "zipf_exponent > 1");
    expect_model_error(model_of(0.5, 0, 0, 1), "zipf_exponent,n_quanta",
                       "expected zipf_exponent > 1");
    expect_model_error(model_of(-0.1, 10, 0, 1), "zipf_exponent",
                       "zipf_exponent = -0.1: expected a finite number >= 0");
    expect_model_error(model_of(NAN, 10, 0, 1), "zipf_exponent", "expected a finite number >= 0");
    expect_model_error(model_of(INFINITY, 0, 0, 1), "zipf_exponent", "expected a finite number");
    expect_model_error(model_of(1.4, 0, -0.1, 1), "loss_learned_nats",
                       "loss_learned_nats = -0.1: expected a finite loss >= 0");
    expect_model_error(model_of(1.4, 0, NAN, 1), "loss_learned_nats", "expected a finite loss");
    expect_model_error(model_of(1.4, 0, 0, INFINITY), "loss_unlearned_nats",
                       "loss_unlearned_nats = inf: expected a finite loss");
    expect_model_error(model_of(1.4, 0, 1, 0.5), "loss_learned_nats,loss_unlearned_nats",
                       "expected learned < unlearned (learning a quantum lowers the loss)");
    expect_model_error(model_of(1.4, 0, 0.5, 0.5), "loss_learned_nats,loss_unlearned_nats",
                       "expected learned < unlearned");
    /* the edges that are allowed */
    zs_error err;
    zs_quanta_model ok = model_of(0, 1, 0, 1e-9);
    cr_assert_eq(zs_quanta_model_check(&ok, &err), ZS_OK, "%s", err.msg);
    ok = model_of(1.0000001, 0, 0, 1);
    cr_assert_eq(zs_quanta_model_check(&ok, &err), ZS_OK, "%s", err.msg);
}

Test(quanta_errors, frequencies_beyond_q) {
    zs_quanta_model m = model_of(1.4, 10, 0, 1);
    double p[11] = {0};
    zs_error err;
    cr_assert_eq(zs_quanta_frequencies(&m, 11, p, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "n");
    cr_assert(strstr(err.msg, "n = 11: expected at most n_quanta = 10"), "%s", err.msg);
    cr_assert_eq(p[0], 0, "untouched on failure");
}

static void expect_opts_error(zs_quanta_sim_opts o, const char *field) {
    zs_quanta_model m = model_of(1.4, 0, 0, 1);
    double x = 5, loss = -1, w = 1;
    zs_error err;
    cr_assert_eq(zs_quanta_sim_opts_check(&o, &err), ZS_ERR_USAGE, "%s accepted", field);
    cr_assert_str_eq(err.field, field);
    cr_assert(strstr(err.msg, field), "%s", err.msg);
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_STEPS, &o, &x, 1, &loss, NULL, &err),
                 ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, field);
    cr_assert_eq(
        zs_quanta_simulate_probs(&w, 1, 0, 1, ZS_QUANTA_AXIS_STEPS, &o, &x, 1, &loss, NULL, &err),
        ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, field);
    cr_assert_eq(loss, -1, "untouched on failure");
}

Test(quanta_errors, simulation_options_and_inputs) {
    zs_quanta_sim_opts base;
    zs_quanta_sim_opts_init(&base);
    zs_quanta_sim_opts o = base;
    o.params_per_quantum = 0;
    expect_opts_error(o, "params_per_quantum");
    o = base;
    o.params_per_quantum = INFINITY;
    expect_opts_error(o, "params_per_quantum");
    o = base;
    o.examples_to_learn = -1;
    expect_opts_error(o, "examples_to_learn");
    o = base;
    o.batch = 0;
    expect_opts_error(o, "batch");
    o = base;
    o.gamma = 0;
    expect_opts_error(o, "gamma");
    o = base;
    o.gamma = NAN;
    expect_opts_error(o, "gamma");

    zs_quanta_model m = model_of(1.4, 0, 0, 1);
    zs_error err;
    double x[3] = {1, -2, 3}, loss[3];
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_DATA, &base, x, 3, loss, NULL, &err),
                 ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "x");
    cr_assert(strstr(err.msg, "x[1] = -2: expected a finite number >= 0"), "%s", err.msg);
    x[1] = NAN;
    cr_assert_eq(zs_quanta_simulate(&m, ZS_QUANTA_AXIS_PARAMS, &base, x, 3, loss, NULL, &err),
                 ZS_ERR_RANGE);
    cr_assert_eq(zs_quanta_simulate(&m, (zs_quanta_axis)7, &base, x, 0, loss, NULL, &err),
                 ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "scale");

    double w[3] = {0.5, -0.1, 0.6}, one = 1;
    cr_assert_eq(
        zs_quanta_simulate_probs(w, 3, 0, 1, ZS_QUANTA_AXIS_DATA, &base, &one, 1, loss, NULL, &err),
        ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "probs");
    cr_assert(strstr(err.msg, "probs[1] = -0.1: expected a finite weight >= 0"), "%s", err.msg);
    w[1] = 0;
    w[0] = w[2] = 0;
    cr_assert_eq(
        zs_quanta_simulate_probs(w, 3, 0, 1, ZS_QUANTA_AXIS_DATA, &base, &one, 1, loss, NULL, &err),
        ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "expected a finite positive sum"), "%s", err.msg);
    cr_assert_eq(
        zs_quanta_simulate_probs(w, 0, 0, 1, ZS_QUANTA_AXIS_DATA, &base, &one, 1, loss, NULL, &err),
        ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "n_quanta");
    w[0] = 1;
    cr_assert_eq(
        zs_quanta_simulate_probs(w, 3, 2, 1, ZS_QUANTA_AXIS_DATA, &base, &one, 1, loss, NULL, &err),
        ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "loss_learned_nats,loss_unlearned_nats");
}

/* ---- the summary ---------------------------------------------------------------------------- */

Test(quanta_theory, rows) {
    zs_quanta_theory t;
    zs_error err;
    zs_quanta_model m = model_of(1.4, 0, 0, log(2));
    cr_assert_eq(zs_quanta_theory_init(&t, &m, 1, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(t.n_rows, 21);
    cr_assert_eq(t.rows[0].n, 1);
    cr_assert_eq(t.rows[20].n, ZS_QUANTA_THEORY_MAX_N);
    cr_assert(t.has_exponents);
    cr_assert_eq(t.normaliser, zs_hurwitz_zeta(1.4, 1));
    for (size_t i = 0; i < t.n_rows; i++) {
        double exact, approx;
        zs_quanta_loss_after(&m, t.rows[i].n, &exact, &err);
        zs_quanta_loss_approx(&m, (double)t.rows[i].n, &approx, &err);
        cr_assert_eq(t.rows[i].loss_nats, exact);
        cr_assert_eq(t.rows[i].loss_approx_nats, approx);
    }
    zs_quanta_theory_free(&t);
    cr_assert_null(t.rows);
    zs_quanta_theory_free(&t);
    zs_quanta_theory_free(NULL);

    m = model_of(0.8, 1000, 0, 1); /* 1..512, then Q; no exponents */
    cr_assert_eq(zs_quanta_theory_init(&t, &m, 1, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(t.n_rows, 11);
    cr_assert_eq(t.rows[9].n, 512);
    cr_assert_eq(t.rows[10].n, 1000);
    cr_assert_eq(t.rows[10].loss_nats, 0);
    cr_assert_eq(t.rows[10].loss_approx_nats, 0);
    cr_assert(!t.has_exponents);
    cr_assert_eq(t.exponents.alpha, 0);
    zs_quanta_theory_free(&t);

    m = model_of(2, 1024, 0, 1); /* Q a power of two: not repeated */
    cr_assert_eq(zs_quanta_theory_init(&t, &m, 0.81, &err), ZS_OK);
    cr_assert_eq(t.n_rows, 11);
    cr_assert_eq(t.rows[10].n, 1024);
    cr_assert_leq(fabs(t.exponents.alpha_s - 1 / (0.81 * 2)), 1e-15);
    zs_quanta_theory_free(&t);

    cr_assert_eq(zs_quanta_theory_init(&t, &m, -1, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "gamma");
    cr_assert_null(t.rows);
}

/* ---- the command ------------------------------------------------------------------------------
 */

Test(quanta_cli, table) {
    zs_run r = zs_test_cli("quanta theory --zipf-exponent 1.4");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "infinitely many quanta"), "%s", r.out);
    cr_assert(strstr(r.out, "alpha    0.4\n"), "%s", r.out);
    cr_assert(strstr(r.out, "alpha_N  0.4\n"), "%s", r.out);
    cr_assert(strstr(r.out, "alpha_D  0.285714285714286\n"), "%s", r.out);
    cr_assert(strstr(r.out, "alpha_S  0.285714285714286\n"), "%s", r.out);
    cr_assert(strstr(r.out, "Z        3.10554727797758"), "%s", r.out);
    cr_assert(strstr(r.out, "   1048576 "), "%s", r.out);
    zs_run_free(&r);
    r = zs_test_cli("quanta theory --zipf-exponent 0.8 --n-quanta 100 --gamma 0.81");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "100 quanta"), "%s", r.out);
    cr_assert(strstr(r.out, "alpha    -  (zipf_exponent <= 1"), "%s", r.out);
    cr_assert(strstr(r.out, "\n       100                      0                      0\n"), "%s",
              r.out);
    zs_run_free(&r);
}

Test(quanta_cli, json_and_output_file) {
    zs_run r = zs_test_cli("quanta theory --zipf-exponent 1.4 --loss-learned 0.1 "
                           "--loss-unlearned 0.7 --gamma 0.81 --json");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "format")), "zipscale-quanta-theory");
    cr_assert_eq(json_integer_value(json_object_get(doc, "format_version")), 1);
    json_t *model = json_object_get(doc, "model");
    cr_assert_eq(json_num(model, "zipf_exponent"), 1.4);
    cr_assert(json_is_null(json_object_get(model, "n_quanta")));
    cr_assert_eq(json_num(model, "loss_learned_nats"), 0.1);
    cr_assert_eq(json_num(model, "loss_unlearned_nats"), 0.7);
    cr_assert_eq(json_num(doc, "gamma"), 0.81);
    cr_assert_eq(json_num(doc, "normaliser"), zs_hurwitz_zeta(1.4, 1));
    json_t *x = json_object_get(doc, "exponents");
    zs_quanta_exponents want;
    zs_error err;
    zs_quanta_exponents_predict(1.4, 0.81, &want, &err);
    cr_assert_eq(json_num(x, "alpha"), want.alpha);
    cr_assert_eq(json_num(x, "alpha_N"), want.alpha_n);
    cr_assert_eq(json_num(x, "alpha_D"), want.alpha_d);
    cr_assert_eq(json_num(x, "alpha_S"), want.alpha_s);
    json_t *losses = json_object_get(doc, "losses");
    cr_assert_eq(json_array_size(losses), 21);
    zs_quanta_model m = model_of(1.4, 0, 0.1, 0.7);
    for (size_t i = 0; i < 21; i++) {
        json_t *row = json_array_get(losses, i);
        cr_assert_eq(json_integer_value(json_object_get(row, "n")), (json_int_t)1 << i);
        double exact, approx;
        zs_quanta_loss_after(&m, (uint64_t)1 << i, &exact, &err);
        zs_quanta_loss_approx(&m, (double)((uint64_t)1 << i), &approx, &err);
        cr_assert_eq(json_num(row, "loss_nats"), exact, "row %zu: read back exactly", i);
        cr_assert_eq(json_num(row, "loss_approx_nats"), approx);
    }
    json_decref(doc);

    const char *path = zs_test_path("theory.json");
    zs_run w = zs_test_cli("quanta theory --zipf-exponent 1.4 --loss-learned 0.1 "
                           "--loss-unlearned 0.7 --gamma 0.81 -o '%s'",
                           path);
    cr_assert_eq(w.exit_code, 0, "%s", w.err);
    cr_assert(strstr(w.out, "alpha_N"), "the table still goes to stdout: %s", w.out);
    char *file = zs_test_slurp(path, NULL);
    cr_assert_str_eq(file, r.out, "-o writes what --json prints");
    free(file);
    zs_run_free(&w);
    zs_run_free(&r);

    r = zs_test_cli("quanta theory --zipf-exponent 0.5 --n-quanta 3 --json");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    doc = parse_json(r.out);
    cr_assert(json_is_null(json_object_get(doc, "exponents")));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(doc, "model"), "n_quanta")), 3);
    cr_assert_eq(json_array_size(json_object_get(doc, "losses")), 3); /* 1, 2, 3 */
    json_decref(doc);
    zs_run_free(&r);
}

static void expect_cli_error(const char *args, const char *text) {
    zs_run r = zs_test_cli("quanta theory %s", args);
    cr_assert_eq(r.exit_code, 2, "%s: exit %d, stderr %s", args, r.exit_code, r.err);
    cr_assert(strstr(r.err, text), "%s: stderr '%s' lacks '%s'", args, r.err, text);
    cr_assert_str_eq(r.out, "", "nothing on stdout");
    zs_run_free(&r);
}

Test(quanta_cli, errors_name_the_flag) {
    expect_cli_error("", "zipscale quanta theory: --zipf-exponent E is required");
    expect_cli_error("--zipf-exponent 1",
                     "zipscale quanta theory: --zipf-exponent/--n-quanta: quanta model: "
                     "zipf_exponent = 1 with infinitely many quanta");
    expect_cli_error("--zipf-exponent -1 --n-quanta 5",
                     "zipscale quanta theory: --zipf-exponent: quanta model: zipf_exponent = -1");
    expect_cli_error("--zipf-exponent 1.4 --loss-learned -0.5",
                     "zipscale quanta theory: --loss-learned: quanta model: loss_learned_nats");
    expect_cli_error("--zipf-exponent 1.4 --loss-learned 1 --loss-unlearned 0.5",
                     "zipscale quanta theory: --loss-learned/--loss-unlearned: quanta model: "
                     "loss_learned_nats = 1, loss_unlearned_nats = 0.5: expected learned < "
                     "unlearned");
    expect_cli_error("--zipf-exponent 1.4 --gamma 0", "zipscale quanta theory: --gamma: quanta "
                                                      "theory: gamma = 0: expected a finite "
                                                      "number > 0");
    expect_cli_error("--zipf-exponent nan", "--zipf-exponent");
    expect_cli_error("--zipf-exponent 1.4 --n-quanta -3", "--n-quanta");
    expect_cli_error("--zipf-exponent 1.4 stray", "zipscale quanta theory");
}

Test(quanta_cli, help_shows_library_defaults) {
    zs_run r = zs_test_cli("help quanta theory");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "(required)"), "%s", r.out);
    cr_assert(strstr(r.out, "(default: 0.6931471805599453)"), "%s", r.out);
    cr_assert(strstr(r.out, "infinitely many (default: 0)"), "%s", r.out);
    zs_run_free(&r);
    r = zs_test_cli("quanta");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "quanta theory"), "the group lists it: %s", r.err);
    zs_run_free(&r);
}

/* ---- `zipscale quanta simulate` ---------------------------------------------------------------
 * The command's CSV against the model's definitions summed directly here. */

/* The rows of the CSV (x,loss_nats,n_learned) the command wrote; returns the count. */
static size_t read_sim_csv(const char *path, double *x, double *loss, double *learned, size_t max) {
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "x,loss_nats,n_learned\n");
    size_t n = 0;
    while (n < max && fscanf(f, "%lf,%lf,%lf\n", &x[n], &loss[n], &learned[n]) == 3) n++;
    fclose(f);
    return n;
}

Test(quanta_simulate_cli, data_axis_matches_direct_sums) {
    const char *path = zs_test_path("sim.csv");
    zs_run r = zs_test_cli("quanta simulate --axis data --zipf-exponent 1.2 --n-quanta 50 "
                           "--examples-to-learn 3 --loss-learned 0.05 --from 10 --to 1e4 "
                           "--points 7 -o '%s'",
                           path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "axis data, zipf_exponent 1.2, 50 quanta"), "%s", r.out);
    double x[16], loss[16], learned[16], p[50], z = 0;
    cr_assert_eq(read_sim_csv(path, x, loss, learned, 16), 7);
    for (int k = 0; k < 50; k++) z += p[k] = pow(k + 1, -1.2);
    for (int i = 0; i < 7; i++) {
        cr_assert_float_eq(x[i], 10 * pow(1000, i / 6.0), 1e-9 * x[i], "x[%d]", i);
        int n = 0;
        double unlearned = 0;
        for (int k = 0; k < 50; k++) {
            if (x[i] * (p[k] / z) >= 3)
                n++;
            else
                unlearned += p[k] / z;
        }
        cr_assert_eq(learned[i], n, "x %g: %g learned, want %d", x[i], learned[i], n);
        double want = 0.05 + (M_LN2 - 0.05) * unlearned;
        cr_assert_float_eq(loss[i], want, 1e-13, "x %g: loss %.17g, want %.17g", x[i], loss[i],
                           want);
    }
    zs_run_free(&r);
}

Test(quanta_simulate_cli, probability_file_and_fitted_slope) {
    const char *probs = zs_test_path("weights.txt");
    const char *text = "# three quanta, out of order\n1\n\n4  # the most frequent\n2\n";
    cr_assert_eq(zs_test_write(probs, text, strlen(text)), 0);
    zs_run r =
        zs_test_cli("quanta simulate --axis params --probs '%s' --from 1 --to 4 --points 3", probs);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "3 quanta from"), "%s", r.out);
    char want[256];
    snprintf(want, sizeof want, "%22.10g %22.15g %12d\n", 1.0, M_LN2 * 3 / 7, 1);
    cr_assert(strstr(r.out, want), "x 1 learns the weight-4 quantum: %s", r.out);
    snprintf(want, sizeof want, "%22.10g %22.15g %12d\n", 2.0, M_LN2 * 1 / 7, 2);
    cr_assert(strstr(r.out, want), "x 2 learns 4 and 2: %s", r.out);
    snprintf(want, sizeof want, "%22.10g %22.15g %12d\n", 4.0, 0.0, 3);
    cr_assert(strstr(r.out, want), "%s", r.out);
    zs_run_free(&r);

    /* An exponent of 0 given explicitly is the uniform law, not the default 1.4. */
    r = zs_test_cli("quanta simulate --axis params --zipf-exponent 0 --n-quanta 4 --from 1 "
                    "--to 4 --points 4");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    snprintf(want, sizeof want, "%22.10g %22.15g %12d\n", 1.0, M_LN2 * 3 / 4, 1);
    cr_assert(strstr(r.out, want), "uniform over 4 quanta: %s", r.out);
    zs_run_free(&r);

    /* Infinitely many quanta: L on N is the pure power law N^-(E-1). */
    r = zs_test_cli("quanta simulate --axis params --zipf-exponent 1.4");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "# fitted slope of L - A: -0.4000 over 31 points (x 1000 to 1e+06); "
                            "predicted -0.4000\n"),
              "%s", r.out);
    cr_assert(strstr(r.out, "                 10000 "), "decades land on round x: %s", r.out);
    zs_run_free(&r);
}

static void expect_simulate_error(int code, const char *args, const char *text) {
    const char *path = zs_test_path("never.csv");
    zs_run r = zs_test_cli("quanta simulate %s -o '%s'", args, path);
    cr_assert_eq(r.exit_code, code, "%s: exit %d, stderr %s", args, r.exit_code, r.err);
    cr_assert(strstr(r.err, text), "%s: stderr '%s' lacks '%s'", args, r.err, text);
    cr_assert_str_eq(r.out, "", "nothing on stdout");
    cr_assert_null(fopen(path, "r"), "%s: nothing written", args);
    zs_run_free(&r);
}

Test(quanta_simulate_cli, errors) {
    expect_simulate_error(2, "--zipf-exponent 1.4", "--axis AXIS is required");
    expect_simulate_error(2, "--axis size", "--axis: 'size': expected params, data or steps");
    expect_simulate_error(2, "--axis data --from 10 --to 10", "--to: 10: expected more than");
    expect_simulate_error(2, "--axis data --from 0", "--from: 0: expected x > 0");
    expect_simulate_error(2, "--axis data --points 1", "--points: 1: expected 2 to 1000000");
    expect_simulate_error(2, "--axis steps --gamma 0", "--gamma");
    const char *probs = zs_test_path("bad.txt");
    cr_assert_eq(zs_test_write(probs, "1\n0.5\n-2\n", 9), 0);
    char args[512];
    snprintf(args, sizeof args, "--axis data --probs '%s'", probs);
    expect_simulate_error(1, args, "bad.txt:3: '-2': expected a finite weight >= 0");
    snprintf(args, sizeof args, "--axis data --probs '%s' --zipf-exponent 2", probs);
    expect_simulate_error(2, args, "give --zipf-exponent E or --probs FILE, not both");
    expect_simulate_error(1, "--axis data --probs /nonexistent/w.txt",
                          "/nonexistent/w.txt: cannot open");
}
