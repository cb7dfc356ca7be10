/* Bootstrap of the Chinchilla fit [EP]: each replicate resamples the points with
 * replacement (as integer weights), refits from the full fit's optimum plus a coarse grid,
 * and the replicates' laws give standard errors and percentile intervals. Replicate r
 * draws from stream (seed, r) alone, so the result is the same for any thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/fit.h"

const char *const zs_boot_stat_names[ZS_BOOT_NSTATS] = {"E", "A", "B", "alpha", "beta", "a", "b"};

/* The replicate's points: the original points drawn at least once, each weighted by its
 * draw count (times its own weight). Shares the distinct log N / log D tables. */
void zs_fit_bootstrap_counts(size_t n, uint64_t seed, size_t replicate, uint32_t *counts) {
    zs_rng rng;
    zs_rng_seed(&rng, seed, zs_rng_mix(zs_rng_tag("fit.bootstrap"), replicate));
    memset(counts, 0, n * sizeof *counts);
    for (size_t i = 0; i < n; i++) counts[zs_rng_below(&rng, n)]++;
}

static void resample(const zs_fit_data *data, uint64_t seed, size_t replicate, uint32_t *counts,
                     zs_fit_data *out) {
    zs_fit_bootstrap_counts(data->n, seed, replicate, counts);
    size_t kept = 0;
    for (size_t i = 0; i < data->n; i++) {
        if (!counts[i]) continue;
        out->log_loss[kept] = data->log_loss[i];
        out->n_index[kept] = data->n_index[i];
        out->d_index[kept] = data->d_index[i];
        out->weight[kept] = counts[i] * (data->weight ? data->weight[i] : 1.0);
        kept++;
    }
    out->n = kept;
}

static double stat_of(const zs_chinchilla *law, int stat) {
    switch (stat) {
    case ZS_LAW_E:
        return law->E;
    case ZS_LAW_A:
        return law->A;
    case ZS_LAW_B:
        return law->B;
    case ZS_LAW_ALPHA:
        return law->alpha;
    case ZS_LAW_BETA:
        return law->beta;
    case ZS_BOOT_a:
        return law->beta / (law->alpha + law->beta);
    default:
        return law->alpha / (law->alpha + law->beta);
    }
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

zs_status zs_bootstrap_summarize(zs_bootstrap *boot, zs_error *err) {
    size_t n = boot->replicates;
    if (n == 0) return zs_fail(err, ZS_ERR_RANGE, "bootstrap of 0 replicates");
    if (!(boot->level > 0 && boot->level < 1))
        return zs_fail(err, ZS_ERR_RANGE, "bootstrap level %g: expected in (0, 1)", boot->level);
    double *values = zs_alloc(n * sizeof *values, "bootstrap statistics", err);
    if (!values) return ZS_ERR_NOMEM;
    for (int k = 0; k < ZS_BOOT_NSTATS; k++) {
        double sum = 0, squares = 0;
        for (size_t r = 0; r < n; r++) values[r] = stat_of(&boot->samples[r], k);
        qsort(values, n, sizeof *values, compare_doubles);
        for (size_t r = 0; r < n; r++) sum += values[r];
        double mean = sum / (double)n;
        for (size_t r = 0; r < n; r++) squares += (values[r] - mean) * (values[r] - mean);
        boot->stats[k].se = n > 1 ? sqrt(squares / (double)(n - 1)) : NAN;
        boot->stats[k].lo = zs_quantile_sorted(values, n, (1 - boot->level) / 2);
        boot->stats[k].hi = zs_quantile_sorted(values, n, (1 + boot->level) / 2);
    }
    free(values);
    return ZS_OK;
}

/* A refit on few points can run off to a law that no longer has numbers: e below about
 * -745 makes E = 0 (kept: the law without an irreducible term), a or b above about 709
 * makes A or B infinite (left out, and counted in boot->degenerate). */
static zs_status drop_degenerate(zs_bootstrap *boot, zs_error *err) {
    size_t kept = 0;
    for (size_t r = 0; r < boot->replicates; r++) {
        const zs_chinchilla *l = &boot->samples[r];
        if (isfinite(l->E) && isfinite(l->A) && isfinite(l->B) && isfinite(l->alpha) &&
            isfinite(l->beta) && l->A > 0 && l->B > 0)
            boot->samples[kept++] = *l;
    }
    boot->degenerate = boot->replicates - kept;
    boot->replicates = kept;
    if (kept == 0)
        return zs_fail(err, ZS_ERR_NUMERIC,
                       "bootstrap: every one of %zu replicates refitted to a law with an infinite "
                       "parameter; too few points to bootstrap",
                       boot->degenerate);
    return ZS_OK;
}

/* Per-thread buffers for one replicate's points. */
typedef struct {
    zs_fit_data data;
    uint32_t *counts;
} replicate_buffers;

static void buffers_free(replicate_buffers *b) {
    free(b->data.log_loss);
    free(b->data.weight);
    free(b->data.n_index);
    free(b->data.d_index);
    free(b->counts);
}

static int buffers_alloc(replicate_buffers *b, const zs_fit_data *data) {
    size_t n = data->n;
    b->data = *data;
    b->data.scratch = NULL; /* the fitter brings its own; data's is not shared by threads */
    b->data.log_loss = malloc(n * sizeof(double));
    b->data.weight = malloc(n * sizeof(double));
    b->data.n_index = malloc(n * sizeof(uint32_t));
    b->data.d_index = malloc(n * sizeof(uint32_t));
    b->counts = malloc(n * sizeof(uint32_t));
    return b->data.log_loss && b->data.weight && b->data.n_index && b->data.d_index && b->counts;
}

zs_status zs_fit_bootstrap(const zs_fit_data *data, const zs_fit_opts *opts,
                           const zs_fit_result *full, const zs_fit_grid *refit_grid,
                           size_t replicates, uint64_t seed, double level, zs_bootstrap *boot,
                           zs_error *err) {
    memset(boot, 0, sizeof *boot);
    if (data->n == 0) return zs_fail(err, ZS_ERR_RANGE, "bootstrap of 0 points");
    if (replicates == 0) return zs_fail(err, ZS_ERR_RANGE, "bootstrap of 0 replicates");
    boot->replicates = replicates;
    boot->seed = seed;
    boot->level = level;
    boot->samples = zs_calloc(replicates, sizeof *boot->samples, "bootstrap samples", err);
    zs_status *status = zs_calloc(replicates, sizeof *status, "bootstrap status", err);
    if (!boot->samples || !status) {
        free(status);
        zs_bootstrap_free(boot);
        return ZS_ERR_NOMEM;
    }
    zs_fit_opts refit = *opts;
    refit.threads = 1;
    if (refit_grid)
        refit.grid = *refit_grid;
    else
        zs_fit_grid_coarse(&refit.grid);
    const double(*warm)[ZS_LAW_N_PARAMS] = &full->p;
    int nomem = 0;
#pragma omp parallel num_threads(zs_threads_resolve(opts->threads))
    {
        replicate_buffers buf = {0};
        int ok = buffers_alloc(&buf, data);
        if (!ok) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t r = 0; r < replicates; r++) {
            if (!ok) continue;
            resample(data, seed, r, buf.counts, &buf.data);
            zs_fit_result fit;
            status[r] = zs_fit_chinchilla(&buf.data, &refit, warm, 1, &fit, NULL);
            boot->samples[r] = fit.law;
        }
        buffers_free(&buf);
    }
    zs_status s = ZS_OK;
    if (nomem) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory for bootstrap replicates");
    for (size_t r = 0; !s && r < replicates; r++)
        if (status[r])
            s = zs_fail(err, status[r], "bootstrap replicate %zu: %s", r,
                        status[r] == ZS_ERR_NUMERIC ? "no start reached a finite objective"
                                                    : "the refit failed");
    free(status);
    if (!s) s = drop_degenerate(boot, err);
    if (!s) s = zs_bootstrap_summarize(boot, err);
    if (s) zs_bootstrap_free(boot);
    return s;
}

void zs_bootstrap_free(zs_bootstrap *boot) {
    if (!boot) return;
    free(boot->samples);
    memset(boot, 0, sizeof *boot);
}
