/* Synthetic runs tables for the fit tests: a log-spaced N x D sweep drawn from a known
 * Chinchilla law with log-normal noise, the same in every test file that needs one. */
#ifndef ZS_TESTFIT_H
#define ZS_TESTFIT_H

#include <math.h>

#include "zipscale/core.h"
#include "zipscale/law.h"
#include "testutil.h"

static const zs_chinchilla EPOCH = {1.817, 482.01, 2085.43, 0.3478, 0.3659}; /* [EP]'s fit */

static inline double zs_test_gaussian(zs_rng *rng) {
    double u1 = zs_rng_uniform(rng), u2 = zs_rng_uniform(rng);
    return sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
}

/* A sizes_n x sizes_d sweep (N 1e7..1e10, D 1e9..1e12, log-spaced) from law, with
 * log-normal noise of the given sd. Arrays hold sizes_n * sizes_d points. */
static inline void zs_test_law_sweep(const zs_chinchilla *law, int sizes_n, int sizes_d,
                                     double noise, uint64_t seed, double *n_params,
                                     double *n_tokens, double *loss) {
    zs_rng rng;
    zs_rng_seed(&rng, seed, 0);
    for (int i = 0; i < sizes_n; i++)
        for (int j = 0; j < sizes_d; j++) {
            int k = i * sizes_d + j;
            n_params[k] = 1e7 * pow(1e3, i / (sizes_n - 1.0));
            n_tokens[k] = 1e9 * pow(1e3, j / (sizes_d - 1.0));
            loss[k] = zs_chinchilla_loss(law, n_params[k], n_tokens[k]) *
                      exp(noise * zs_test_gaussian(&rng));
        }
}

/* A bootstrap replicate's law against the full-grid refit of the same resample: E to 1e-4
 * relative, alpha and beta to 1e-4, A and B to 1e-3 in log (docs/fitting.md "Refit
 * strategy"). */
#define ZS_TEST_EXPECT_SAME_OPTIMUM(s, g, r)                                                       \
    do {                                                                                           \
        cr_assert_lt(fabs((s)->E / (g)->E - 1), 1e-4, "replicate %zu E %g vs %g", (r), (s)->E,     \
                     (g)->E);                                                                      \
        cr_assert_lt(fabs((s)->alpha - (g)->alpha), 1e-4, "replicate %zu alpha", (r));             \
        cr_assert_lt(fabs((s)->beta - (g)->beta), 1e-4, "replicate %zu beta", (r));                \
        cr_assert_lt(fabs(log((s)->A / (g)->A)), 1e-3, "replicate %zu A", (r));                    \
        cr_assert_lt(fabs(log((s)->B / (g)->B)), 1e-3, "replicate %zu B", (r));                    \
    } while (0)

/* `zipscale fit CSV OPTS` with --threads 1 and --threads 2: both succeed with the same
 * stdout and the same law.json bytes; returns the law.json text (free() it). */
static inline char *zs_test_fit_same_for_threads(const char *csv, const char *opts,
                                                 const char *name) {
    char one[64], two[64];
    snprintf(one, sizeof one, "%s-1.json", name);
    snprintf(two, sizeof two, "%s-2.json", name);
    char path_one[1024], path_two[1024];
    snprintf(path_one, sizeof path_one, "%s", zs_test_path(one));
    snprintf(path_two, sizeof path_two, "%s", zs_test_path(two));
    zs_run r1 = zs_test_cli("fit %s %s --threads 1 -o %s", csv, opts, path_one);
    zs_run r2 = zs_test_cli("fit %s %s --threads 2 -o %s", csv, opts, path_two);
    cr_assert_eq(r1.exit_code, 0, "%s", r1.err);
    cr_assert_eq(r2.exit_code, 0, "%s", r2.err);
    cr_assert_str_eq(r1.out, r2.out);
    char *a = zs_test_slurp(path_one, NULL), *b = zs_test_slurp(path_two, NULL);
    cr_assert(a && b);
    cr_assert_str_eq(a, b);
    free(b);
    zs_run_free(&r1);
    zs_run_free(&r2);
    return a;
}

#endif
