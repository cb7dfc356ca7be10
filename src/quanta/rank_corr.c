/* Spearman's rank correlation (zipscale/quanta.h): average ranks for ties, rho as Pearson's
 * correlation of the ranks (as scipy.stats.spearmanr), and a percentile bootstrap interval
 * over resampled pairs, one seeded RNG stream per replicate. */
#include <math.h>
#include <stdlib.h>

#include "zipscale/quanta.h"

typedef struct {
    double value;
    size_t index;
} ranked;

static int by_value(const void *a, const void *b) {
    double x = ((const ranked *)a)->value, y = ((const ranked *)b)->value;
    return (x > y) - (x < y);
}

/* Average ranks into ranks[], with scratch of n entries. */
static void rank_into(const double *values, size_t n, double *ranks, ranked *scratch) {
    for (size_t i = 0; i < n; i++) scratch[i] = (ranked){values[i], i};
    qsort(scratch, n, sizeof *scratch, by_value);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && scratch[j + 1].value == scratch[i].value) j++;
        double rank = 0.5 * (double)(i + j) + 1; /* the mean of ranks i+1 .. j+1 */
        for (size_t k = i; k <= j; k++) ranks[scratch[k].index] = rank;
        i = j + 1;
    }
}

zs_status zs_quanta_ranks(const double *values, size_t n, double *ranks, zs_error *err) {
    if (n == 0) return ZS_OK;
    ranked *scratch = zs_alloc(n * sizeof *scratch, "ranks", err);
    if (!scratch) return ZS_ERR_NOMEM;
    rank_into(values, n, ranks, scratch);
    free(scratch);
    return ZS_OK;
}

/* Pearson's correlation of two rank vectors (whose mean is (n + 1) / 2); NAN when either
 * is constant. */
static double rank_pearson(const double *ra, const double *rb, size_t n) {
    if (n < 2) return NAN;
    double mean = 0.5 * (double)(n + 1), sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        double da = ra[i] - mean, db = rb[i] - mean;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if (saa == 0 || sbb == 0) return NAN;
    double rho = sab / sqrt(saa * sbb);
    return rho > 1 ? 1 : rho < -1 ? -1 : rho;
}

/* Scratch for rho of n pairs: ranks of each side and the sort buffer. */
typedef struct {
    double *ra, *rb;
    ranked *sort;
} spearman_scratch;

static zs_status scratch_init(spearman_scratch *w, size_t n, zs_error *err) {
    w->ra = zs_alloc(2 * n * sizeof *w->ra, "spearman ranks", err);
    w->rb = w->ra ? w->ra + n : NULL;
    w->sort = w->ra ? zs_alloc(n * sizeof *w->sort, "spearman ranks", err) : NULL;
    if (!w->sort) {
        free(w->ra);
        return ZS_ERR_NOMEM;
    }
    return ZS_OK;
}

static void scratch_free(spearman_scratch *w) {
    free(w->ra);
    free(w->sort);
}

static double spearman_with(const double *a, const double *b, size_t n, spearman_scratch *w) {
    if (n < 2) return NAN;
    rank_into(a, n, w->ra, w->sort);
    rank_into(b, n, w->rb, w->sort);
    return rank_pearson(w->ra, w->rb, n);
}

static zs_status check_finite(const double *a, const double *b, size_t n, zs_error *err) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]) || !isfinite(b[i]))
            return zs_fail(err, ZS_ERR_RANGE,
                           "spearman: pair %zu = (%g, %g): expected finite values", i, a[i], b[i]);
    return ZS_OK;
}

zs_status zs_quanta_spearman(const double *a, const double *b, size_t n, double *rho,
                             zs_error *err) {
    *rho = NAN;
    zs_status s = check_finite(a, b, n, err);
    if (s || n < 2) return s;
    spearman_scratch w;
    if ((s = scratch_init(&w, n, err))) return s;
    *rho = spearman_with(a, b, n, &w);
    scratch_free(&w);
    return ZS_OK;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The replicates of the interval, into out (rho already defined). */
static zs_status bootstrap(const double *a, const double *b, size_t n, zs_quanta_rank_corr *out,
                           zs_error *err) {
    spearman_scratch w;
    zs_status s = scratch_init(&w, n, err);
    if (s) return s;
    double *pairs = zs_alloc(2 * n * sizeof *pairs, "bootstrap resample", err);
    double *rhos = pairs ? zs_alloc(out->replicates * sizeof *rhos, "bootstrap rhos", err) : NULL;
    if (!rhos) {
        scratch_free(&w);
        free(pairs);
        return ZS_ERR_NOMEM;
    }
    uint64_t tag = zs_rng_tag("quanta.bootstrap");
    for (size_t r = 0; r < out->replicates; r++) {
        zs_rng rng;
        zs_rng_seed(&rng, out->seed, zs_rng_mix(tag, r));
        for (size_t i = 0; i < n; i++) {
            size_t k = (size_t)zs_rng_below(&rng, n);
            pairs[i] = a[k];
            pairs[n + i] = b[k];
        }
        double rho = spearman_with(pairs, pairs + n, n, &w);
        if (isnan(rho))
            out->replicates_dropped++;
        else
            rhos[out->replicates_used++] = rho;
    }
    if (out->replicates_used == 0) {
        out->interval_reason = "every bootstrap replicate resampled tied values (rho undefined)";
    } else {
        qsort(rhos, out->replicates_used, sizeof *rhos, compare_doubles);
        out->lo = zs_quantile_sorted(rhos, out->replicates_used, (1 - out->level) / 2);
        out->hi = zs_quantile_sorted(rhos, out->replicates_used, (1 + out->level) / 2);
    }
    scratch_free(&w);
    free(pairs);
    free(rhos);
    return ZS_OK;
}

zs_status zs_quanta_spearman_bootstrap(const double *a, const double *b, size_t n,
                                       size_t replicates, double level, uint64_t seed,
                                       zs_quanta_rank_corr *out, zs_error *err) {
    *out = (zs_quanta_rank_corr){0};
    if (replicates > ZS_QUANTA_BOOTSTRAP_MAX)
        return zs_fail_field(err, ZS_ERR_RANGE, "bootstrap",
                             "bootstrap: %zu replicates: expected 0..%d", replicates,
                             ZS_QUANTA_BOOTSTRAP_MAX);
    if (!(level > 0 && level < 1))
        return zs_fail_field(err, ZS_ERR_RANGE, "level", "level: %g: expected a number in (0, 1)",
                             level);
    zs_status s = check_finite(a, b, n, err);
    if (s) return s;
    zs_quanta_rank_corr r = {.n = n,
                             .rho = NAN,
                             .level = level,
                             .seed = seed,
                             .replicates = replicates,
                             .lo = NAN,
                             .hi = NAN};
    if (n < ZS_QUANTA_RANK_CORR_MIN_PAIRS) {
        r.reason = "fewer than 3 pairs";
    } else if ((s = zs_quanta_spearman(a, b, n, &r.rho, err))) {
        return s;
    } else if (isnan(r.rho)) {
        r.reason = "every value of one side is the same (all tied)";
    }
    if (r.reason)
        r.interval_reason = "rho is undefined";
    else if (replicates == 0)
        r.interval_reason = "no bootstrap (0 replicates)";
    else if ((s = bootstrap(a, b, n, &r, err)))
        return s;
    *out = r;
    return ZS_OK;
}
