/* The emergence analysis (zipscale/quanta.h): each subtask's learning point (below the
 * threshold and staying there), the subtasks below the threshold at each point, and the
 * rank correlation of learning point with frequency rank over the learned subtasks. */
#include <math.h>
#include <stdlib.h>

#include "zipscale/quanta.h"

void zs_quanta_emergence_opts_init(zs_quanta_emergence_opts *opts) {
    *opts = (zs_quanta_emergence_opts){
        .threshold_bits = 0.1, .bootstrap = 1000, .level = 0.95, .seed = 0};
}

zs_status zs_quanta_emergence_opts_check(const zs_quanta_emergence_opts *opts, zs_error *err) {
    if (!(isfinite(opts->threshold_bits) && opts->threshold_bits > 0))
        return zs_fail_field(err, ZS_ERR_RANGE, "threshold_bits",
                             "threshold_bits: %g: expected a finite loss > 0 (bits)",
                             opts->threshold_bits);
    if (opts->bootstrap > ZS_QUANTA_BOOTSTRAP_MAX)
        return zs_fail_field(err, ZS_ERR_RANGE, "bootstrap",
                             "bootstrap: %zu replicates: expected 0..%d", opts->bootstrap,
                             ZS_QUANTA_BOOTSTRAP_MAX);
    if (!(opts->level > 0 && opts->level < 1))
        return zs_fail_field(err, ZS_ERR_RANGE, "level", "level: %g: expected a number in (0, 1)",
                             opts->level);
    return ZS_OK;
}

void zs_quanta_learning_points(const zs_quanta_curves *c, double threshold_nats,
                               zs_quanta_learning *out) {
    size_t n = c->n_points;
    for (size_t s = 0; s < c->n_subtasks; s++) {
        const double *loss = c->loss_nats + s * n;
        /* Walk back from the last point: `first` is the earliest measured point from which
         * every measured loss is below the threshold. */
        size_t first = n;
        for (size_t i = n; i-- > 0;) {
            if (isnan(loss[i])) continue;
            if (!(loss[i] < threshold_nats)) break;
            first = i;
        }
        out[s] = first < n ? (zs_quanta_learning){1, first, c->x[first]}
                           : (zs_quanta_learning){0, n, NAN};
    }
}

void zs_quanta_below_counts(const zs_quanta_curves *c, double threshold_nats, size_t *n_measured,
                            size_t *n_below) {
    for (size_t i = 0; i < c->n_points; i++) {
        n_measured[i] = n_below[i] = 0;
        for (size_t s = 0; s < c->n_subtasks; s++) {
            double l = c->loss_nats[s * c->n_points + i];
            n_measured[i] += !isnan(l);
            n_below[i] += l < threshold_nats;
        }
    }
}

void zs_quanta_emergence_free(zs_quanta_emergence *e) {
    if (!e) return;
    free(e->learning);
    free(e->n_measured);
    free(e->n_below);
    free(e->fraction_below);
    free(e->n_learned_by);
    *e = (zs_quanta_emergence){0};
}

static zs_status allocate(zs_quanta_emergence *e, size_t n_subtasks, size_t n_points,
                          zs_error *err) {
    e->learning = zs_alloc(n_subtasks * sizeof *e->learning, "learning points", err);
    e->n_measured = zs_alloc(n_points * sizeof *e->n_measured, "emergence counts", err);
    e->n_below = zs_alloc(n_points * sizeof *e->n_below, "emergence counts", err);
    e->fraction_below = zs_alloc(n_points * sizeof *e->fraction_below, "emergence counts", err);
    e->n_learned_by = zs_calloc(n_points, sizeof *e->n_learned_by, "emergence counts", err);
    if (e->learning && e->n_measured && e->n_below && e->fraction_below && e->n_learned_by)
        return ZS_OK;
    zs_quanta_emergence_free(e);
    return ZS_ERR_NOMEM;
}

/* rho of frequency rank (s + 1) against learning point over the learned subtasks, with the
 * reasons said in the analysis' own terms. */
static zs_status rank_correlation(zs_quanta_emergence *e, const zs_quanta_emergence_opts *opts,
                                  zs_error *err) {
    double *pairs = zs_alloc((2 * e->n_learned + 1) * sizeof *pairs, "rank pairs", err);
    if (!pairs) return ZS_ERR_NOMEM;
    double *rank = pairs, *point = pairs + e->n_learned;
    size_t k = 0;
    for (size_t s = 0; s < e->n_subtasks; s++)
        if (e->learning[s].learned) {
            rank[k] = (double)(s + 1);
            point[k++] = (double)e->learning[s].point;
        }
    zs_status st = zs_quanta_spearman_bootstrap(rank, point, k, opts->bootstrap, opts->level,
                                                opts->seed, &e->rank_corr, err);
    free(pairs);
    zs_quanta_rank_corr *r = &e->rank_corr;
    if (!st && r->reason)
        r->reason = k < ZS_QUANTA_RANK_CORR_MIN_PAIRS
                        ? "fewer than 3 subtasks learned"
                        : "every learned subtask has the same learning point";
    return st;
}

zs_status zs_quanta_emergence_analyse(const zs_quanta_curves *c,
                                      const zs_quanta_emergence_opts *opts,
                                      zs_quanta_emergence *out, zs_error *err) {
    *out = (zs_quanta_emergence){0};
    zs_status s = zs_quanta_curves_check(c, err);
    if (!s) s = zs_quanta_emergence_opts_check(opts, err);
    if (s) return s;
    zs_quanta_emergence e = {.n_subtasks = c->n_subtasks,
                             .n_points = c->n_points,
                             .threshold_bits = opts->threshold_bits,
                             .threshold_nats = opts->threshold_bits * M_LN2};
    if ((s = allocate(&e, c->n_subtasks, c->n_points, err))) return s;
    zs_quanta_learning_points(c, e.threshold_nats, e.learning);
    zs_quanta_below_counts(c, e.threshold_nats, e.n_measured, e.n_below);
    for (size_t i = 0; i < e.n_points; i++)
        e.fraction_below[i] =
            e.n_measured[i] ? (double)e.n_below[i] / (double)e.n_measured[i] : NAN;
    for (size_t t = 0; t < e.n_subtasks; t++) {
        if (!e.learning[t].learned) continue;
        e.n_learned++;
        for (size_t i = e.learning[t].point; i < e.n_points; i++) e.n_learned_by[i]++;
    }
    if ((s = rank_correlation(&e, opts, err))) {
        zs_quanta_emergence_free(&e);
        return s;
    }
    *out = e;
    return ZS_OK;
}
