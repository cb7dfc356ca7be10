/* quanta, QDG: seeded k-means (zipscale/quanta_qdg.h): greedy k-means++ seeding as
 * scikit-learn's _kmeans_plusplus, Lloyd's iterations to a fixed point, the best of several
 * restarts. Each restart is sequential and draws from its own stream, so running restarts
 * in parallel changes nothing in the result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta_qdg.h"

void zs_qdg_kmeans_opts_init(zs_qdg_kmeans_opts *opts) {
    *opts = (zs_qdg_kmeans_opts){.restarts = 30, .max_iter = 300, .seed = 0, .threads = 0};
}

static double sqdist(const double *x, const double *y, size_t dim) {
    double s = 0.0;
    for (size_t j = 0; j < dim; j++) {
        double d = x[j] - y[j];
        s += d * d;
    }
    return s;
}

typedef struct {
    double *centers; /* (k, dim) */
    double *closest; /* (n) squared distance to the nearest centre */
    double *cand;    /* (trials, n) squared distances to candidate centres */
    double *cum;     /* (n) cumulative closest */
    size_t *count;   /* (k) */
    uint32_t *labels;
} workspace;

static void ws_free(workspace *w) {
    free(w->centers);
    free(w->closest);
    free(w->cand);
    free(w->cum);
    free(w->count);
    free(w->labels);
}

static int ws_alloc(workspace *w, size_t n, size_t dim, size_t k, size_t trials) {
    w->centers = malloc(k * dim * sizeof *w->centers);
    w->closest = malloc(n * sizeof *w->closest);
    w->cand = malloc(trials * n * sizeof *w->cand);
    w->cum = malloc(n * sizeof *w->cum);
    w->count = malloc(k * sizeof *w->count);
    w->labels = malloc(n * sizeof *w->labels);
    return w->centers && w->closest && w->cand && w->cum && w->count && w->labels;
}

/* The first index whose cumulative sum exceeds v (numpy's searchsorted, side left, on
 * cum >= v), clipped to n-1. */
static size_t search(const double *cum, size_t n, double v) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n ? lo : n - 1;
}

static void plusplus(const double *x, size_t n, size_t dim, size_t k, size_t trials, zs_rng *rng,
                     workspace *w) {
    size_t first = (size_t)zs_rng_below(rng, n);
    memcpy(w->centers, x + first * dim, dim * sizeof *x);
    double pot = 0.0;
    for (size_t i = 0; i < n; i++) {
        w->closest[i] = sqdist(x + i * dim, w->centers, dim);
        pot += w->closest[i];
    }
    for (size_t c = 1; c < k; c++) {
        double acc = 0.0;
        for (size_t i = 0; i < n; i++) w->cum[i] = acc += w->closest[i];
        size_t best_id = 0;
        double best_pot = INFINITY;
        for (size_t t = 0; t < trials; t++) {
            size_t id = search(w->cum, n, zs_rng_uniform(rng) * pot);
            double *d = w->cand + t * n, p = 0.0;
            for (size_t i = 0; i < n; i++) {
                double v = sqdist(x + i * dim, x + id * dim, dim);
                d[i] = v < w->closest[i] ? v : w->closest[i];
                p += d[i];
            }
            if (p < best_pot) {
                best_pot = p;
                best_id = t;
                memcpy(w->centers + c * dim, x + id * dim, dim * sizeof *x);
            }
        }
        memcpy(w->closest, w->cand + best_id * n, n * sizeof *w->closest);
        pot = best_pot;
    }
}

/* Assigns every point to its nearest centre (the lowest index on a tie); returns how many
 * labels changed, and the inertia in *inertia. */
static size_t assign(const double *x, size_t n, size_t dim, size_t k, workspace *w,
                     double *inertia) {
    size_t changed = 0;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        uint32_t best = 0;
        double bd = INFINITY;
        for (size_t c = 0; c < k; c++) {
            double d = sqdist(x + i * dim, w->centers + c * dim, dim);
            if (d < bd) {
                bd = d;
                best = (uint32_t)c;
            }
        }
        if (w->labels[i] != best) changed++;
        w->labels[i] = best;
        w->closest[i] = bd;
        total += bd;
    }
    *inertia = total;
    return changed;
}

/* Centres = means of their points. An empty cluster takes the point farthest from its own
 * centre (the lowest index on a tie) that no earlier empty cluster took. */
static void update(const double *x, size_t n, size_t dim, size_t k, workspace *w) {
    memset(w->centers, 0, k * dim * sizeof *w->centers);
    memset(w->count, 0, k * sizeof *w->count);
    for (size_t i = 0; i < n; i++) {
        double *c = w->centers + (size_t)w->labels[i] * dim;
        for (size_t j = 0; j < dim; j++) c[j] += x[i * dim + j];
        w->count[w->labels[i]]++;
    }
    for (size_t c = 0; c < k; c++) {
        if (w->count[c] == 0) {
            size_t far = 0;
            for (size_t i = 1; i < n; i++)
                if (w->closest[i] > w->closest[far]) far = i;
            memcpy(w->centers + c * dim, x + far * dim, dim * sizeof *x);
            w->closest[far] = -1.0; /* not taken twice */
            continue;
        }
        for (size_t j = 0; j < dim; j++) w->centers[c * dim + j] /= (double)w->count[c];
    }
}

zs_status zs_qdg_kmeans(const double *x, size_t n, size_t dim, size_t k,
                        const zs_qdg_kmeans_opts *opts, uint32_t *labels, double *inertia,
                        zs_error *err) {
    if (k < 1 || k > n)
        return zs_fail(err, ZS_ERR_USAGE, "k-means: %zu clusters of %zu points: expected 1 .. %zu",
                       k, n, n);
    if (opts->restarts < 1 || opts->max_iter < 1)
        return zs_fail(err, ZS_ERR_USAGE,
                       "k-means: restarts = %u, max_iter = %u: expected both at least 1",
                       opts->restarts, opts->max_iter);
    size_t trials = 2 + (size_t)floor(log((double)k));
    uint32_t R = opts->restarts;
    double *best_inertia = zs_alloc(R * sizeof *best_inertia, "k-means", err);
    uint32_t *all =
        best_inertia ? zs_alloc((size_t)R * n * sizeof *all, "k-means labels", err) : NULL;
    if (!all) {
        free(best_inertia);
        return ZS_ERR_NOMEM;
    }
    int failed = 0;
    uint64_t tag = zs_rng_tag("qdg.kmeans");
#pragma omp parallel for schedule(dynamic, 1) num_threads(zs_threads_resolve(opts->threads))       \
    reduction(|                                                                                    \
              : failed)
    for (uint32_t r = 0; r < R; r++) {
        workspace w = {0};
        if (!ws_alloc(&w, n, dim, k, trials)) {
            failed = 1;
            ws_free(&w);
            continue;
        }
        zs_rng rng;
        zs_rng_seed(&rng, opts->seed, zs_rng_mix(tag, r));
        plusplus(x, n, dim, k, trials, &rng, &w);
        for (size_t i = 0; i < n; i++) w.labels[i] = UINT32_MAX;
        double in = 0.0;
        for (uint32_t it = 0; it < opts->max_iter; it++) {
            size_t changed = assign(x, n, dim, k, &w, &in);
            if (changed == 0 || it + 1 == opts->max_iter) break;
            update(x, n, dim, k, &w);
        }
        best_inertia[r] = in;
        memcpy(all + (size_t)r * n, w.labels, n * sizeof *labels);
        ws_free(&w);
    }
    if (failed) {
        free(best_inertia);
        free(all);
        return zs_fail(err, ZS_ERR_NOMEM, "k-means: out of memory for a restart's workspace");
    }
    uint32_t best = 0;
    for (uint32_t r = 1; r < R; r++)
        if (best_inertia[r] < best_inertia[best]) best = r;
    memcpy(labels, all + (size_t)best * n, n * sizeof *labels);
    if (inertia) *inertia = best_inertia[best];
    free(best_inertia);
    free(all);
    return ZS_OK;
}
