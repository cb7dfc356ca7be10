/* Tests for the emergence analysis (module quanta): learning points on hand-made curves
 * (dips, NAN points, the last point, never), counts below the threshold, average ranks and
 * Spearman's rho against scipy.stats.spearmanr on data with ties and on the exact cases
 * +-1, the bootstrap interval (seeded, containing rho, narrowing with more subtasks, tied
 * replicates dropped), the edge cases with a reason, the curves' builders and the log
 * reader's errors, a real training run read back, and `zipscale quanta emergence`. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testjson.h"
#include "testutil.h"
#include "zipscale/quanta.h"
#include "zipscale/train.h"

#define LN2 0.69314718055994530942
/* The default threshold, 0.1 bits, in nats. */
#define T (0.1 * LN2)

static void expect_msg(const zs_error *err, const char *part) {
    cr_assert(strstr(err->msg, part), "message '%s' lacks '%s'", err->msg, part);
}

/* Curves of n_subtasks rows of n_points losses, x = 1, 2, ... */
static zs_quanta_curves make_curves(const double *rows, size_t n_subtasks, size_t n_points) {
    zs_quanta_curves c;
    zs_error err;
    cr_assert_eq(zs_quanta_curves_init(&c, n_subtasks, n_points, &err), ZS_OK, "%s", err.msg);
    for (size_t i = 0; i < n_points; i++) c.x[i] = (double)(i + 1);
    memcpy(c.loss_nats, rows, n_subtasks * n_points * sizeof *rows);
    return c;
}

/* ---- learning points and counts -------------------------------------------------------- */

enum { P = 6 };
static const double LO = 0.01, HI = 0.5;
#define N NAN

/* Each row's expected learning point (P: never), and why. */
static const double ROWS[][P] = {
    {HI, HI, LO, LO, LO, LO},   /* 0: falls at 2 and stays */
    {HI, LO, HI, HI, LO, LO},   /* 1: a dip at 1 comes back up: learned at 4 */
    {HI, HI, HI, LO, LO, HI},   /* 2: below at 3-4, above at the end: never */
    {HI, N, LO, N, LO, N},      /* 3: NAN points passed over: learned at 2 */
    {HI, LO, N, LO, LO, LO},    /* 4: a NAN inside the run below: learned at 1 */
    {HI, HI, HI, HI, HI, LO},   /* 5: only the last point: learned at 5 */
    {N, N, N, N, N, N},         /* 6: never measured: never */
    {HI, T, T, T, T, T},        /* 7: at the threshold is not below it: never */
    {LO, LO, LO, LO, LO, LO},   /* 8: below from the start: learned at 0 */
    {HI, HI, HI, HI, LO, N},    /* 9: below at the last measured point: learned at 4 */
    {LO, LO, LO, LO, LO, 0.07}, /* 10: above (0.07 > 0.0693) at the end: never */
    {HI, HI, HI, LO, N, 0.069}, /* 11: 0.069 < 0.0693 stays below: learned at 3 */
};
enum { S = sizeof ROWS / sizeof ROWS[0] };
static const size_t EXPECTED[S] = {2, 4, P, 2, 1, 5, P, P, 0, 4, P, 3};

Test(quanta_learning, falls_below_and_stays_there) {
    zs_quanta_curves c = make_curves(&ROWS[0][0], S, P);
    zs_quanta_learning out[S];
    zs_error err;
    cr_assert_eq(zs_quanta_curves_check(&c, &err), ZS_OK, "%s", err.msg);
    zs_quanta_learning_points(&c, T, out);
    for (size_t s = 0; s < S; s++) {
        cr_assert_eq(out[s].learned, EXPECTED[s] < P, "subtask %zu", s);
        cr_assert_eq(out[s].point, EXPECTED[s], "subtask %zu: point %zu, expected %zu", s,
                     out[s].point, EXPECTED[s]);
        if (EXPECTED[s] < P)
            cr_assert_eq(out[s].x, (double)(EXPECTED[s] + 1), "subtask %zu", s);
        else
            cr_assert(isnan(out[s].x), "subtask %zu", s);
    }
    zs_quanta_curves_free(&c);
}

Test(quanta_learning, counts_below_the_threshold_at_each_point) {
    zs_quanta_curves c = make_curves(&ROWS[0][0], S, P);
    size_t measured[P], below[P];
    zs_quanta_below_counts(&c, T, measured, below);
    for (size_t i = 0; i < P; i++) {
        size_t m = 0, b = 0; /* counted directly from the table */
        for (size_t s = 0; s < S; s++) {
            m += !isnan(ROWS[s][i]);
            b += ROWS[s][i] == LO || ROWS[s][i] == 0.069;
        }
        cr_assert_eq(measured[i], m, "point %zu", i);
        cr_assert_eq(below[i], b, "point %zu: %zu below, expected %zu", i, below[i], b);
    }
    /* by hand, for two columns: point 0 has LO in rows 8, 10; point 5 has LO in rows 0, 1,
     * 4, 5, 8 and 0.069 in row 11, and 3 NANs (rows 3, 6, 9) */
    cr_assert_eq(below[0], 2);
    cr_assert_eq(below[5], 6);
    cr_assert_eq(measured[5], S - 3);

    zs_quanta_emergence_opts o;
    zs_quanta_emergence_opts_init(&o);
    o.bootstrap = 0;
    zs_quanta_emergence e;
    zs_error err;
    cr_assert_eq(zs_quanta_emergence_analyse(&c, &o, &e, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(e.threshold_nats, 0.1 * M_LN2);
    size_t learned = 0;
    for (size_t s = 0; s < S; s++) learned += EXPECTED[s] < P;
    cr_assert_eq(e.n_learned, learned);
    for (size_t i = 0; i < P; i++) {
        cr_assert_eq(e.n_below[i], below[i]);
        cr_assert_eq(e.fraction_below[i], (double)below[i] / (double)measured[i]);
        size_t by = 0;
        for (size_t s = 0; s < S; s++) by += EXPECTED[s] <= i;
        cr_assert_eq(e.n_learned_by[i], by, "point %zu", i);
    }
    cr_assert_eq(e.n_learned_by[P - 1], learned);
    zs_quanta_emergence_free(&e);
    zs_quanta_curves_free(&c);
}

Test(quanta_learning, a_point_nobody_measured_has_no_fraction) {
    const double rows[] = {HI, N, LO, LO, N, LO};
    zs_quanta_curves c = make_curves(rows, 2, 3);
    zs_quanta_emergence_opts o;
    zs_quanta_emergence_opts_init(&o);
    zs_quanta_emergence e;
    zs_error err;
    cr_assert_eq(zs_quanta_emergence_analyse(&c, &o, &e, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(e.n_measured[0], 2);
    cr_assert_eq(e.n_below[0], 1);
    cr_assert_eq(e.fraction_below[0], 0.5);
    cr_assert_eq(e.n_measured[1], 0);
    cr_assert_eq(e.n_below[1], 0);
    cr_assert(isnan(e.fraction_below[1]));
    cr_assert_eq(e.fraction_below[2], 1.0);
    cr_assert_eq(e.learning[0].point, 2);
    cr_assert_eq(e.learning[1].point, 0);
    cr_assert_eq(e.n_learned_by[1], 1);
    zs_quanta_emergence_free(&e);
    zs_quanta_curves_free(&c);
}

/* ---- ranks and Spearman's rho ---------------------------------------------------------- */

Test(quanta_spearman, average_ranks_for_ties) {
    const double v[] = {10, 20, 20, 5, 20, -1};
    double r[6];
    zs_error err;
    cr_assert_eq(zs_quanta_ranks(v, 6, r, &err), ZS_OK);
    const double want[] = {3, 5, 5, 2, 5, 1}; /* the 20s share ranks 4, 5, 6 */
    for (int i = 0; i < 6; i++) cr_assert_eq(r[i], want[i], "rank %d: %g", i, r[i]);
}

Test(quanta_spearman, exact_cases) {
    enum { K = 9 };
    double a[K], up[K], down[K], tied[K];
    for (int i = 0; i < K; i++) {
        a[i] = i;
        up[i] = exp(i);   /* any increasing function: rho = 1 */
        down[i] = -i * i; /* any decreasing one: rho = -1 */
        tied[i] = i / 3;  /* ties on one side only: rho < 1 */
    }
    double rho;
    zs_error err;
    cr_assert_eq(zs_quanta_spearman(a, up, K, &rho, &err), ZS_OK);
    cr_assert_eq(rho, 1.0, "%.17g", rho);
    cr_assert_eq(zs_quanta_spearman(a, down, K, &rho, &err), ZS_OK);
    cr_assert_eq(rho, -1.0, "%.17g", rho);
    cr_assert_eq(zs_quanta_spearman(tied, tied, K, &rho, &err), ZS_OK);
    cr_assert_eq(rho, 1.0, "%.17g", rho); /* the same ties on both sides */
    /* ties on one side: ranks of a are 1..9, of tied 2,2,2,5,5,5,8,8,8; Pearson by hand:
     * sum da db = (-4-3-2)(-3) + 0 + (2+3+4)(3) = 54, over sqrt(60 * 54) */
    cr_assert_eq(zs_quanta_spearman(a, tied, K, &rho, &err), ZS_OK);
    double want = 54.0 / sqrt(60.0 * 54.0);
    cr_assert_lt(fabs(rho - want), 1e-15, "%.17g vs %.17g", rho, want);
    /* undefined: a constant side, or fewer than 2 pairs */
    double flat[K] = {0};
    cr_assert_eq(zs_quanta_spearman(a, flat, K, &rho, &err), ZS_OK);
    cr_assert(isnan(rho));
    cr_assert_eq(zs_quanta_spearman(a, up, 1, &rho, &err), ZS_OK);
    cr_assert(isnan(rho));
    cr_assert_eq(zs_quanta_spearman(a, up, 2, &rho, &err), ZS_OK);
    cr_assert_eq(rho, 1.0);
    up[4] = INFINITY;
    cr_assert_eq(zs_quanta_spearman(a, up, K, &rho, &err), ZS_ERR_RANGE);
    expect_msg(&err, "spearman: pair 4 = (4, inf): expected finite values");
}

/* scipy.stats.spearmanr on each line "a0 a1 ...|b0 b1 ...", one rho per line (repr). */
static const char SPEARMAN_PY[] =
    "import sys\n"
    "from scipy.stats import spearmanr\n"
    "for line in open(sys.argv[1]):\n"
    "    a, b = (list(map(float, half.split())) for half in line.split('|'))\n"
    "    print(repr(float(spearmanr(a, b).correlation)))\n";

Test(quanta_spearman, agrees_with_scipy_on_data_with_ties) {
    const char *py = zs_test_python("numpy scipy");
    enum { CASES = 8 };
    const size_t sizes[CASES] = {3, 5, 8, 17, 30, 50, 120, 400};
    const uint64_t levels[CASES] = {2, 3, 4, 5, 3, 10, 6, 30}; /* few values: many ties */
    const char *data = zs_test_path("spearman.txt");
    const char *script = zs_test_path("spearman.py");
    cr_assert_eq(zs_test_write(script, SPEARMAN_PY, strlen(SPEARMAN_PY)), 0);
    FILE *f = fopen(data, "w");
    double ours[CASES];
    zs_rng rng;
    zs_rng_seed(&rng, 7, 0);
    for (int c = 0; c < CASES; c++) {
        size_t n = sizes[c];
        double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        for (size_t i = 0; i < n; i++) {
            a[i] = (double)zs_rng_below(&rng, levels[c]);
            /* b leans on a, with noise, so rho is away from 0 on most cases */
            b[i] = floor(a[i] * 0.5 + 2.0 * zs_rng_uniform(&rng) * (double)(c % 3));
        }
        if (c == 0) { /* keep the smallest case defined */
            a[0] = 0, a[1] = 1, a[2] = 1;
            b[0] = 1, b[1] = 0, b[2] = 3;
        }
        for (size_t i = 0; i < n; i++) fprintf(f, "%s%.17g", i ? " " : "", a[i]);
        fputc('|', f);
        for (size_t i = 0; i < n; i++) fprintf(f, "%s%.17g", i ? " " : "", b[i]);
        fputc('\n', f);
        zs_error err;
        cr_assert_eq(zs_quanta_spearman(a, b, n, &ours[c], &err), ZS_OK);
        cr_assert(isfinite(ours[c]), "case %d undefined", c);
        free(a);
        free(b);
    }
    fclose(f);
    zs_run r = zs_test_sh("'%s' '%s' '%s'", py, script, data);
    cr_assert_eq(r.exit_code, 0, "the scipy reference failed: %s", r.err);
    const char *p = r.out;
    for (int c = 0; c < CASES; c++) {
        char *end;
        double want = strtod(p, &end);
        cr_assert_neq(end, p, "reference said: %s", r.out);
        p = end;
        cr_assert_lt(fabs(ours[c] - want), 1e-12, "case %d (n %zu): %.17g vs scipy %.17g", c,
                     sizes[c], ours[c], want);
    }
    zs_run_free(&r);
}

/* ---- the bootstrap interval ------------------------------------------------------------- */

/* n subtasks whose learning point is their rank plus noise, bucketed into 10 evaluation
 * points (so many share a point). */
static void noisy_order(size_t n, uint64_t seed, double *rank, double *point) {
    zs_rng rng;
    zs_rng_seed(&rng, seed, 1);
    for (size_t i = 0; i < n; i++) {
        rank[i] = (double)(i + 1);
        double u = (double)i / (double)n + 0.6 * zs_rng_uniform(&rng);
        point[i] = floor(u * 10);
    }
}

Test(quanta_bootstrap, seeded_contains_rho_and_narrows_with_more_subtasks) {
    enum { SMALL = 20, LARGE = 400 };
    double rank[LARGE], point[LARGE];
    zs_quanta_rank_corr a, b, c, big;
    zs_error err;
    noisy_order(SMALL, 3, rank, point);
    cr_assert_eq(zs_quanta_spearman_bootstrap(rank, point, SMALL, 1000, 0.95, 11, &a, &err), ZS_OK,
                 "%s", err.msg);
    cr_assert_eq(zs_quanta_spearman_bootstrap(rank, point, SMALL, 1000, 0.95, 11, &b, &err), ZS_OK);
    cr_assert_eq(zs_quanta_spearman_bootstrap(rank, point, SMALL, 1000, 0.95, 12, &c, &err), ZS_OK);
    cr_assert_null(a.reason);
    cr_assert_null(a.interval_reason);
    cr_assert_eq(a.n, SMALL);
    cr_assert_eq(a.replicates, 1000);
    cr_assert_eq(a.replicates_used + a.replicates_dropped, 1000);
    /* the same seed: the same interval, bit for bit; another seed: another one */
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    cr_assert(a.lo != c.lo || a.hi != c.hi);
    cr_assert_eq(a.rho, c.rho);
    double direct;
    cr_assert_eq(zs_quanta_spearman(rank, point, SMALL, &direct, &err), ZS_OK);
    cr_assert_eq(a.rho, direct);
    cr_assert(a.lo <= a.rho && a.rho <= a.hi, "rho %g outside [%g, %g]", a.rho, a.lo, a.hi);
    cr_assert(a.lo < a.hi);
    /* a narrower level gives a narrower interval, inside the wider one */
    zs_quanta_rank_corr narrow;
    cr_assert_eq(zs_quanta_spearman_bootstrap(rank, point, SMALL, 1000, 0.5, 11, &narrow, &err),
                 ZS_OK);
    cr_assert(a.lo <= narrow.lo && narrow.hi <= a.hi);

    noisy_order(LARGE, 3, rank, point);
    cr_assert_eq(zs_quanta_spearman_bootstrap(rank, point, LARGE, 1000, 0.95, 11, &big, &err),
                 ZS_OK);
    cr_assert(big.lo <= big.rho && big.rho <= big.hi);
    cr_assert_gt(big.rho, 0.5);
    /* the interval's width goes roughly as 1/sqrt(n): 20x the subtasks, well under half */
    cr_assert_lt(big.hi - big.lo, 0.5 * (a.hi - a.lo), "width %g (n %d) vs %g (n %d)",
                 big.hi - big.lo, LARGE, a.hi - a.lo, SMALL);
}

Test(quanta_bootstrap, tied_replicates_are_dropped_and_counted) {
    /* 3 pairs: a resample drawing one pair thrice (3 of 27) or ties on the points is
     * undefined; every other is exactly rho = 1, as b follows a */
    const double a[] = {1, 2, 3}, b[] = {0, 4, 9};
    zs_quanta_rank_corr r;
    zs_error err;
    cr_assert_eq(zs_quanta_spearman_bootstrap(a, b, 3, 2000, 0.95, 5, &r, &err), ZS_OK);
    cr_assert_eq(r.rho, 1.0);
    cr_assert_eq(r.replicates_used + r.replicates_dropped, 2000);
    /* P(undefined) = P(one pair thrice) = 3/27 = 1/9 of 2000 = 222: a wide margin */
    cr_assert(r.replicates_dropped > 150 && r.replicates_dropped < 300, "%zu dropped",
              r.replicates_dropped);
    cr_assert_eq(r.lo, 1.0);
    cr_assert_eq(r.hi, 1.0);
    /* one replicate only, and a seed that happens to draw a tie: no interval, with why */
    size_t tied_seeds = 0;
    for (uint64_t seed = 0; seed < 60; seed++) {
        cr_assert_eq(zs_quanta_spearman_bootstrap(a, b, 3, 1, 0.95, seed, &r, &err), ZS_OK);
        if (r.replicates_dropped == 1) {
            tied_seeds++;
            cr_assert(isnan(r.lo) && isnan(r.hi));
            cr_assert_str_eq(r.interval_reason,
                             "every bootstrap replicate resampled tied values (rho undefined)");
            cr_assert_eq(r.rho, 1.0);
        } else {
            cr_assert_eq(r.lo, 1.0);
        }
    }
    cr_assert_gt(tied_seeds, 0);
}

Test(quanta_bootstrap, edge_cases_have_a_reason_not_a_crash) {
    const double a[] = {1, 2, 3, 4}, same[] = {2, 2, 2, 2};
    zs_quanta_rank_corr r;
    zs_error err;
    cr_assert_eq(zs_quanta_spearman_bootstrap(a, a, 2, 100, 0.95, 0, &r, &err), ZS_OK);
    cr_assert(isnan(r.rho) && isnan(r.lo) && isnan(r.hi));
    cr_assert_str_eq(r.reason, "fewer than 3 pairs");
    cr_assert_str_eq(r.interval_reason, "rho is undefined");
    cr_assert_eq(r.replicates_used, 0);
    cr_assert_eq(zs_quanta_spearman_bootstrap(a, a, 0, 100, 0.95, 0, &r, &err), ZS_OK);
    cr_assert(isnan(r.rho));
    cr_assert_eq(zs_quanta_spearman_bootstrap(a, same, 4, 100, 0.95, 0, &r, &err), ZS_OK);
    cr_assert(isnan(r.rho));
    cr_assert_str_eq(r.reason, "every value of one side is the same (all tied)");
    cr_assert_eq(zs_quanta_spearman_bootstrap(a, a, 4, 0, 0.95, 0, &r, &err), ZS_OK);
    cr_assert_eq(r.rho, 1.0);
    cr_assert(isnan(r.lo));
    cr_assert_str_eq(r.interval_reason, "no bootstrap (0 replicates)");
    /* bad arguments: the field named */
    cr_assert_eq(zs_quanta_spearman_bootstrap(a, a, 4, 10, 1.0, 0, &r, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "level");
    expect_msg(&err, "level: 1: expected a number in (0, 1)");
    cr_assert_eq(
        zs_quanta_spearman_bootstrap(a, a, 4, ZS_QUANTA_BOOTSTRAP_MAX + 1, 0.9, 0, &r, &err),
        ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "bootstrap");
    const zs_quanta_rank_corr zero = {0};
    cr_assert_eq(memcmp(&r, &zero, sizeof r), 0);
}

/* ---- the analysis's edge cases and options ---------------------------------------------- */

static zs_quanta_emergence analyse_rows(const double *rows, size_t n_subtasks, size_t n_points) {
    zs_quanta_curves c = make_curves(rows, n_subtasks, n_points);
    zs_quanta_emergence_opts o;
    zs_quanta_emergence_opts_init(&o);
    zs_quanta_emergence e;
    zs_error err;
    cr_assert_eq(zs_quanta_emergence_analyse(&c, &o, &e, &err), ZS_OK, "%s", err.msg);
    zs_quanta_curves_free(&c);
    return e;
}

Test(quanta_emergence, rho_is_undefined_with_a_reason) {
    /* two learned of four */
    const double few[] = {HI, LO, LO, HI, HI, LO, HI, HI, HI, HI, HI, HI};
    zs_quanta_emergence e = analyse_rows(few, 4, 3);
    cr_assert_eq(e.n_learned, 2);
    cr_assert(isnan(e.rank_corr.rho));
    cr_assert_str_eq(e.rank_corr.reason, "fewer than 3 subtasks learned");
    zs_quanta_emergence_free(&e);
    /* three learned, all at the same point */
    const double same[] = {HI, LO, LO, HI, LO, LO, HI, LO, LO, HI, HI, HI};
    e = analyse_rows(same, 4, 3);
    cr_assert_eq(e.n_learned, 3);
    cr_assert(isnan(e.rank_corr.rho));
    cr_assert_str_eq(e.rank_corr.reason, "every learned subtask has the same learning point");
    zs_quanta_emergence_free(&e);
    /* none learned */
    const double none[] = {HI, HI, HI, HI};
    e = analyse_rows(none, 2, 2);
    cr_assert_eq(e.n_learned, 0);
    cr_assert_str_eq(e.rank_corr.reason, "fewer than 3 subtasks learned");
    zs_quanta_emergence_free(&e);
    /* learned in frequency order (rho 1), and against it (rho -1) */
    const double in_order[] = {LO, LO, LO, HI, LO, LO, HI, HI, LO};
    e = analyse_rows(in_order, 3, 3);
    cr_assert_eq(e.rank_corr.rho, 1.0);
    cr_assert_eq(e.rank_corr.lo, 1.0);
    zs_quanta_emergence_free(&e);
    const double reversed[] = {HI, HI, LO, HI, LO, LO, LO, LO, LO};
    e = analyse_rows(reversed, 3, 3);
    cr_assert_eq(e.rank_corr.rho, -1.0);
    zs_quanta_emergence_free(&e);
}

Test(quanta_emergence, options_and_curves_are_checked) {
    zs_quanta_emergence_opts o;
    zs_quanta_emergence_opts_init(&o);
    cr_assert_eq(o.threshold_bits, 0.1);
    cr_assert_eq(o.bootstrap, 1000);
    cr_assert_eq(o.level, 0.95);
    zs_error err;
    const double rows[] = {HI, LO};
    zs_quanta_curves c = make_curves(rows, 1, 2);
    zs_quanta_emergence e;
    o.threshold_bits = 0;
    cr_assert_eq(zs_quanta_emergence_analyse(&c, &o, &e, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "threshold_bits");
    expect_msg(&err, "threshold_bits: 0: expected a finite loss > 0 (bits)");
    o.threshold_bits = NAN;
    cr_assert_eq(zs_quanta_emergence_opts_check(&o, &err), ZS_ERR_RANGE);
    zs_quanta_emergence_opts_init(&o);
    o.level = 0;
    cr_assert_eq(zs_quanta_emergence_opts_check(&o, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "level");
    zs_quanta_emergence_opts_init(&o);
    o.bootstrap = ZS_QUANTA_BOOTSTRAP_MAX + 1;
    cr_assert_eq(zs_quanta_emergence_opts_check(&o, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "bootstrap");
    zs_quanta_emergence_opts_init(&o);
    /* curves: x must increase, losses be >= 0 or NAN */
    c.x[1] = 1;
    cr_assert_eq(zs_quanta_emergence_analyse(&c, &o, &e, &err), ZS_ERR_RANGE);
    expect_msg(&err, "x[1] = 1 is not above x[0] = 1");
    c.x[1] = 2;
    c.loss_nats[0] = -0.5;
    cr_assert_eq(zs_quanta_emergence_analyse(&c, &o, &e, &err), ZS_ERR_RANGE);
    expect_msg(&err, "loss[0][0] = -0.5: expected a finite loss >= 0");
    const zs_quanta_emergence zero = {0};
    cr_assert_eq(memcmp(&e, &zero, sizeof e), 0);
    zs_quanta_curves_free(&c);
    zs_quanta_curves_free(&c); /* a freed struct is zeroed: freeing again is a no-op */
    cr_assert_eq(zs_quanta_curves_init(&c, 0, 3, &err), ZS_ERR_RANGE);
    expect_msg(&err, "0 subtasks x 3 points");
}

/* ---- curves from runs at several scales ------------------------------------------------- */

Test(quanta_curves, from_runs_orders_by_scale) {
    const double r0[] = {0.01, 0.6, NAN}, r1[] = {0.02, 0.03, 0.5}, r2[] = {0.5, 0.6, 0.7};
    const double *losses[] = {r0, r1, r2};
    const double x[] = {1000, 4000, 250}; /* given out of order */
    zs_quanta_curves c;
    zs_error err;
    cr_assert_eq(zs_quanta_curves_from_runs(&c, "width", x, losses, 3, 3, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_str_eq(c.x_name, "width");
    cr_assert_str_eq(c.sha256, "");
    cr_assert_eq(c.n_points, 3);
    cr_assert_eq(c.x[0], 250);
    cr_assert_eq(c.x[1], 1000);
    cr_assert_eq(c.x[2], 4000);
    /* subtask 0 at the three scales: r2, r0, r1 */
    cr_assert_eq(c.loss_nats[0], 0.5);
    cr_assert_eq(c.loss_nats[1], 0.01);
    cr_assert_eq(c.loss_nats[2], 0.02);
    cr_assert(isnan(c.loss_nats[2 * 3 + 1]));
    zs_quanta_learning l[3];
    zs_quanta_learning_points(&c, T, l);
    cr_assert_eq(l[0].x, 1000);
    cr_assert_eq(l[1].x, 4000);
    cr_assert(!l[2].learned);
    zs_quanta_curves_free(&c);

    const double twice[] = {1000, 250, 1000};
    cr_assert_eq(zs_quanta_curves_from_runs(&c, NULL, twice, losses, 3, 3, &err), ZS_ERR_RANGE);
    expect_msg(&err, "x[0] = x[2] = 1000: expected one run per scale");
    cr_assert_null(c.x);
    const double bad[] = {0.1, -2, 0.1};
    const double *with_bad[] = {r0, bad, r2};
    cr_assert_eq(zs_quanta_curves_from_runs(&c, NULL, x, with_bad, 3, 3, &err), ZS_ERR_RANGE);
    expect_msg(&err, "run 1 (x = 4000), subtask 1: loss -2");
    const double inf_x[] = {1, INFINITY, 3};
    cr_assert_eq(zs_quanta_curves_from_runs(&c, NULL, inf_x, losses, 3, 3, &err), ZS_ERR_RANGE);
    expect_msg(&err, "x[1] = inf: expected a finite scale");
    cr_assert_eq(zs_quanta_curves_from_runs(&c, NULL, x, losses, 0, 3, &err), ZS_ERR_RANGE);
}

/* ---- the log reader --------------------------------------------------------------------- */

static const char *write_log(const char *name, const char *text) {
    const char *path = zs_test_path(name);
    cr_assert_eq(zs_test_write(path, text, strlen(text)), 0);
    return path;
}

#define TRAIN_LINE(step) "{\"step\":" #step ",\"train_loss\":0.7}\n"

Test(quanta_log, reads_evaluation_lines) {
    const char *path = write_log(
        "ok.jsonl",
        TRAIN_LINE(5) "{\"step\":10,\"val_loss\":0.5,"
                      "\"subtask_loss\":[0.6,0.01,null]}\n"
                      "\n" TRAIN_LINE(15) "{\"step\":20,\"subtask_loss\":[0.02,0.0,0.7]}");
    zs_quanta_curves c;
    zs_error err;
    cr_assert_eq(zs_quanta_curves_read_log(&c, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(c.n_subtasks, 3);
    cr_assert_eq(c.n_points, 2);
    cr_assert_eq(c.x[0], 10);
    cr_assert_eq(c.x[1], 20);
    cr_assert_str_eq(c.x_name, "step");
    const double want[] = {0.6, 0.02, 0.01, 0.0, NAN, 0.7};
    for (int k = 0; k < 6; k++)
        cr_assert(want[k] == c.loss_nats[k] || (isnan(want[k]) && isnan(c.loss_nats[k])), "%d", k);
    cr_assert_eq(strlen(c.sha256), 64);
    zs_quanta_curves_free(&c);
}

static void log_fails(const char *name, const char *text, const char *message) {
    const char *path = write_log(name, text);
    zs_quanta_curves c;
    zs_error err;
    cr_assert_eq(zs_quanta_curves_read_log(&c, path, &err), ZS_ERR_FORMAT, "accepted: %s", text);
    char want[2048];
    snprintf(want, sizeof want, "%s%s", path, message);
    cr_assert(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
    cr_assert_null(c.x);
    cr_assert_null(c.loss_nats);
}

#define EVAL(step, losses) "{\"step\":" #step ",\"subtask_loss\":" losses "}\n"

Test(quanta_log, errors_name_the_file_and_line) {
    log_fails("badjson.jsonl", EVAL(1, "[0.1]") "{\"step\": 2,,}\n",
              ":2:12: bad JSON: string or '}' expected near ','");
    log_fails("notobject.jsonl", EVAL(1, "[0.1]") "\n[1, 2]\n", ":3: expected a JSON object");
    log_fails("lengths.jsonl",
              TRAIN_LINE(1) EVAL(2, "[0.1,0.2]") EVAL(3, "[0.1,0.2]") EVAL(4, "[0.1]"),
              ":4: subtask_loss has 1 entries, but the first evaluation (line 2) has 2");
    log_fails("none.jsonl", TRAIN_LINE(1) TRAIN_LINE(2), ": no evaluation line");
    log_fails("empty.jsonl", "", ": no evaluation line");
    log_fails("negative.jsonl", EVAL(1, "[0.1,0.2]") EVAL(2, "[0.1,-0.2]"),
              ":2: subtask_loss[1]: expected a loss >= 0 (nats) or null");
    log_fails("string.jsonl", EVAL(1, "[\"x\"]"),
              ":1: subtask_loss[0]: expected a loss >= 0 (nats) or null");
    log_fails("emptyarray.jsonl", EVAL(1, "[]"), ":1: subtask_loss: expected a non-empty array");
    log_fails("notarray.jsonl", EVAL(1, "{}"), ":1: subtask_loss: expected a non-empty array");
    log_fails("nostep.jsonl", "{\"subtask_loss\":[0.1]}\n", ":1: step: expected");
    log_fails("fracstep.jsonl", EVAL(1.5, "[0.1]"), ":1: step: expected");
    log_fails("backwards.jsonl", EVAL(10, "[0.1]") EVAL(10, "[0.1]"),
              ":2: step 10: expected a step after the previous evaluation's (10)");
    zs_quanta_curves c;
    zs_error err;
    cr_assert_eq(zs_quanta_curves_read_log(&c, zs_test_path("missing.jsonl"), &err), ZS_ERR_IO);
    expect_msg(&err, "missing.jsonl");
}

/* ---- a real run ------------------------------------------------------------------------- */

/* A tiny parity run (tens of steps) into DIR/run; returns its log's path. */
static const char *tiny_run(void) {
    zs_train_opts o;
    zs_train_opts_init(&o);
    o.model.kind = ZS_MODEL_MLP;
    o.model.mlp = (zs_mlp_config){0, 0, 32, 1};
    o.parity = (zs_parity_spec){5, 12, 3, 1.4, 3};
    o.steps = 40;
    o.batch = 64;
    o.eval_every = 10;
    o.log_every = 5;
    o.test_size = 200;
    o.eval_per_subtask = 30;
    static char out[1024];
    snprintf(out, sizeof out, "%s/run", zs_test_tmpdir());
    o.out_dir = out;
    zs_train_result r;
    zs_error err = {0};
    cr_assert_eq(zs_train_run(&o, &r, &err), ZS_OK, "%s", err.msg);
    static char log[1100];
    snprintf(log, sizeof log, "%s/log.jsonl", out);
    return log;
}

Test(quanta_log, reads_a_real_training_run) {
    const char *log = tiny_run();
    zs_quanta_curves c;
    zs_error err;
    cr_assert_eq(zs_quanta_curves_read_log(&c, log, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(c.n_subtasks, 5);
    cr_assert_eq(c.n_points, 4);
    for (size_t i = 0; i < 4; i++) cr_assert_eq(c.x[i], 10.0 * (double)(i + 1));
    /* the last evaluation's losses are metrics.json's subtask table, to the last bit */
    char metrics[1100];
    snprintf(metrics, sizeof metrics, "%s/run/metrics.json", zs_test_tmpdir());
    json_error_t jerr;
    json_t *m = json_load_file(metrics, 0, &jerr);
    cr_assert(m, "%s", jerr.text);
    json_t *table = json_object_get(m, "subtasks");
    cr_assert_eq(json_array_size(table), 5);
    for (size_t s = 0; s < 5; s++) {
        double want = json_num(json_array_get(table, s), "loss");
        cr_assert_eq(c.loss_nats[s * 4 + 3], want, "subtask %zu: %.17g vs %.17g", s,
                     c.loss_nats[s * 4 + 3], want);
        for (size_t i = 0; i < 4; i++)
            cr_assert(isfinite(c.loss_nats[s * 4 + i]) && c.loss_nats[s * 4 + i] > 0);
    }
    json_decref(m);
    zs_quanta_emergence_opts o;
    zs_quanta_emergence_opts_init(&o);
    o.threshold_bits = 2; /* generous: some subtasks of a 40-step run get below it */
    zs_quanta_emergence e;
    cr_assert_eq(zs_quanta_emergence_analyse(&c, &o, &e, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(e.n_subtasks, 5);
    size_t learned = 0;
    for (size_t s = 0; s < 5; s++) learned += e.learning[s].learned;
    cr_assert_eq(e.n_learned, learned);
    zs_quanta_emergence_free(&e);
    zs_quanta_curves_free(&c);

    /* and the command on it */
    zs_run r = zs_test_cli("quanta emergence '%s' --bootstrap 50", log);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, ": 5 subtasks, 4 evaluations (step 10 .. 40)"), "%s", r.out);
    zs_run_free(&r);
}

/* ---- the command ------------------------------------------------------------------------ */

/* Six subtasks over four evaluations: 0, 1, 2 learned in order at steps 100, 200, 300,
 * 3 learned at 300 too, 4 dips and comes back, 5 is never measured at step 200. */
static const char CLI_LOG[] =
    "{\"step\":50,\"train_loss\":0.7}\n" EVAL(100, "[0.01,0.5,0.6,0.6,0.01,0.7]")
        EVAL(200, "[0.01,0.02,0.6,0.6,0.6,null]") EVAL(300, "[0.0,0.01,0.03,0.03,0.6,0.7]")
            EVAL(400, "[0.0,0.01,0.02,0.01,0.6,0.7]");

Test(quanta_cli, table_json_and_file) {
    const char *log = write_log("cli.jsonl", CLI_LOG);
    zs_run r = zs_test_cli("quanta emergence '%s'", log);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, ": 6 subtasks, 4 evaluations (step 100 .. 400); threshold 0.1 bits "
                            "(0.0693147 nats)"),
              "%s", r.out);
    cr_assert(strstr(r.out, "learned: 4 of 6 subtasks"), "%s", r.out);
    /* ranks 1..4 against points 0, 1, 2, 2: rho = 0.9486832980505138 (ties averaged) */
    cr_assert(strstr(r.out, "spearman rho (frequency rank vs learning point): 0.9487 [95% "
                            "interval "),
              "%s", r.out);
    cr_assert(strstr(r.out, "         200         5       2     0.400           2\n"), "%s", r.out);
    cr_assert(strstr(r.out, "       1     2              200\n"), "%s", r.out);
    cr_assert(strstr(r.out, "       4     5            never\n"), "%s", r.out);
    zs_run_free(&r);

    r = zs_test_cli("quanta emergence '%s' --json --seed 3", log);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "format")),
                     "zipscale-quanta-emergence");
    cr_assert_eq(json_num(doc, "format_version"), 1);
    cr_assert_eq(json_num(doc, "threshold_nats"), 0.1 * M_LN2);
    cr_assert(json_is_null(json_object_get(doc, "loss_nats")));
    json_t *corr = json_object_get(doc, "rank_correlation");
    cr_assert_lt(fabs(json_num(corr, "rho") - 0.9486832980505138), 1e-15);
    cr_assert_eq(json_num(corr, "n_learned"), 4);
    json_t *interval = json_object_get(corr, "interval");
    cr_assert_eq(json_num(interval, "seed"), 3);
    cr_assert_eq(json_num(interval, "replicates"), 1000);
    json_t *sub = json_object_get(doc, "subtasks");
    cr_assert_eq(json_num(json_array_get(sub, 3), "point"), 2);
    cr_assert_eq(json_num(json_array_get(sub, 3), "x"), 300);
    cr_assert(json_is_null(json_object_get(json_array_get(sub, 4), "point")));
    json_t *points = json_object_get(doc, "points");
    cr_assert_eq(json_array_size(points), 4);
    cr_assert_eq(json_num(json_array_get(points, 1), "n_measured"), 5);
    cr_assert_eq(json_num(json_array_get(points, 3), "n_learned_by"), 4);
    json_decref(doc);

    /* -o writes the same bytes --json prints; the same seed gives the same bytes */
    zs_run again =
        zs_test_cli("quanta emergence '%s' --seed 3 -o '%s'", log, zs_test_path("em.json"));
    cr_assert_eq(again.exit_code, 0, "%s", again.err);
    size_t len;
    char *file = zs_test_slurp(zs_test_path("em.json"), &len);
    cr_assert_str_eq(file, r.out);
    free(file);
    zs_run_free(&again);
    zs_run_free(&r);

    /* --matrix: the losses, null where not measured */
    r = zs_test_cli("quanta emergence '%s' --json --matrix --bootstrap 0", log);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    doc = parse_json(r.out);
    json_t *matrix = json_object_get(doc, "loss_nats");
    cr_assert_eq(json_array_size(matrix), 6);
    cr_assert_eq(json_array_size(json_array_get(matrix, 5)), 4);
    cr_assert(json_is_null(json_array_get(json_array_get(matrix, 5), 1)));
    cr_assert_eq(json_number_value(json_array_get(json_array_get(matrix, 1), 1)), 0.02);
    interval = json_object_get(json_object_get(doc, "rank_correlation"), "interval");
    cr_assert(json_is_null(json_object_get(interval, "lo")));
    cr_assert_str_eq(json_string_value(json_object_get(interval, "reason")),
                     "no bootstrap (0 replicates)");
    json_decref(doc);
    zs_run_free(&r);
}

static void cli_fails(int code, const char *message, const char *fmt, const char *arg) {
    zs_run r = zs_test_cli(fmt, arg);
    cr_assert_eq(r.exit_code, code, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, message), "stderr '%s' lacks '%s'", r.err, message);
    cr_assert_str_eq(r.out, "");
    zs_run_free(&r);
}

Test(quanta_cli, errors_and_exit_codes) {
    const char *log = write_log("cli_err.jsonl", CLI_LOG);
    cli_fails(2, "zipscale quanta emergence: --threshold-bits: threshold_bits: 0: expected",
              "quanta emergence '%s' --threshold-bits 0", log);
    cli_fails(2, "zipscale quanta emergence: --level: level: 1.5: expected a number in (0, 1)",
              "quanta emergence '%s' --level 1.5", log);
    cli_fails(2, "zipscale quanta emergence: --bootstrap: bootstrap: 2000000 replicates",
              "quanta emergence '%s' --bootstrap 2M", log);
    cli_fails(2, "--bogus", "quanta emergence '%s' --bogus", log);
    cli_fails(2, "zipscale quanta emergence:", "quanta emergence%s", "");
    cli_fails(1, "zipscale: ", "quanta emergence '%s'", zs_test_path("absent.jsonl"));
    const char *bad = write_log("cli_bad.jsonl", EVAL(1, "[0.1]") "not json\n");
    cli_fails(1, "cli_bad.jsonl:2:3: bad JSON: ", "quanta emergence '%s'", bad);
    const char *none = write_log("cli_none.jsonl", TRAIN_LINE(1));
    cli_fails(1, "cli_none.jsonl: no evaluation line", "quanta emergence '%s'", none);
    /* a failure writes no -o file */
    zs_run r = zs_test_cli("quanta emergence '%s' -o '%s'", none, zs_test_path("never.json"));
    cr_assert_eq(r.exit_code, 1);
    cr_assert_null(zs_test_slurp(zs_test_path("never.json"), NULL));
    zs_run_free(&r);
    r = zs_test_cli("quanta emergence --help");
    cr_assert_eq(r.exit_code, 0);
    cr_assert(strstr(r.out, "--threshold-bits T"), "%s", r.out);
    cr_assert(strstr(r.out, "(default: 0.1)"), "%s", r.out);
    cr_assert(strstr(r.out, "(default: 1000)"), "%s", r.out);
    zs_run_free(&r);
}
