/* The compute-optimal frontier of a Chinchilla law under C = 6 N D: the exponents a, b
 * and G, N_opt(C), D_opt(C), the loss at the optimum, iso-FLOP curves, budget ranges and
 * percentile intervals over bootstrap laws [CH, docs/science.md §7]. One fit's frontier over
 * a list of budgets is frontier_table.c. */
#include <math.h>
#include <stdlib.h>

#include "zipscale/frontier.h"

static int positive(double v) {
    return isfinite(v) && v > 0;
}

zs_status zs_frontier_exponents_of(const zs_chinchilla *law, zs_frontier_exponents *out,
                                   zs_error *err) {
    *out = (zs_frontier_exponents){0};
    if (!positive(law->A) || !positive(law->B) || !positive(law->alpha) || !positive(law->beta))
        return zs_fail(err, ZS_ERR_RANGE,
                       "frontier: law A=%g B=%g alpha=%g beta=%g, expected A, B, alpha and beta "
                       "finite and > 0",
                       law->A, law->B, law->alpha, law->beta);
    double sum = law->alpha + law->beta;
    out->a = law->beta / sum;
    out->b = law->alpha / sum;
    /* G in logs: alpha A / (beta B) may overflow for extreme fits, its log does not. */
    out->G = exp((log(law->alpha) + log(law->A) - log(law->beta) - log(law->B)) / sum);
    return ZS_OK;
}

zs_status zs_frontier_point_at(const zs_chinchilla *law, double compute_flops,
                               zs_frontier_point *out, zs_error *err) {
    *out = (zs_frontier_point){0};
    if (!positive(compute_flops))
        return zs_fail(err, ZS_ERR_RANGE, "frontier: compute %g FLOPs, expected finite and > 0",
                       compute_flops);
    zs_frontier_exponents fx;
    zs_status s = zs_frontier_exponents_of(law, &fx, err);
    if (s) return s;
    double log_half = log(compute_flops / 6);
    out->compute_flops = compute_flops;
    out->n_params = fx.G * exp(fx.a * log_half);
    out->n_tokens = exp(fx.b * log_half) / fx.G;
    out->tokens_per_param = out->n_tokens / out->n_params;
    out->loss_nats = zs_chinchilla_loss(law, out->n_params, out->n_tokens);
    return ZS_OK;
}

double zs_frontier_isoflop_loss(const zs_chinchilla *law, double compute_flops, double n_params) {
    return zs_chinchilla_loss(law, n_params, compute_flops / (6 * n_params));
}

void zs_isoflop_opts_init(zs_isoflop_opts *opts) {
    *opts = (zs_isoflop_opts){.points = 9, .span_decades = 1};
}

zs_status zs_isoflop_opts_check(const zs_isoflop_opts *opts, zs_error *err) {
    if (opts->points < 1 || opts->points > ZS_ISOFLOP_POINTS_MAX)
        return zs_fail_field(err, ZS_ERR_RANGE, "points",
                             "iso-FLOP curve: %zu points, expected 1..%d", opts->points,
                             ZS_ISOFLOP_POINTS_MAX);
    if (!(opts->span_decades > 0 && opts->span_decades <= ZS_ISOFLOP_SPAN_MAX))
        return zs_fail_field(err, ZS_ERR_RANGE, "span_decades",
                             "iso-FLOP curve: span %g decades, expected a number in (0, %g]",
                             opts->span_decades, ZS_ISOFLOP_SPAN_MAX);
    return ZS_OK;
}

zs_status zs_frontier_isoflop_points(const zs_chinchilla *law, double compute_flops,
                                     const zs_isoflop_opts *opts, zs_isoflop_point *out,
                                     zs_error *err) {
    zs_status s = zs_isoflop_opts_check(opts, err);
    if (s) return s;
    zs_frontier_point opt;
    s = zs_frontier_point_at(law, compute_flops, &opt, err);
    if (s) return s;
    for (size_t i = 0; i < opts->points; i++) {
        double t = opts->points > 1 ? (double)i / (double)(opts->points - 1) : 0.5;
        double n = opt.n_params * pow(10, opts->span_decades * (2 * t - 1));
        out[i] = (zs_isoflop_point){n, compute_flops / (6 * n),
                                    zs_frontier_isoflop_loss(law, compute_flops, n)};
    }
    return ZS_OK;
}

zs_status zs_frontier_log_range(double lo, double hi, size_t count, double *out, zs_error *err) {
    if (!positive(lo) || !positive(hi) || lo > hi)
        return zs_fail(err, ZS_ERR_RANGE, "range %g:%g, expected 0 < LO <= HI, both finite", lo,
                       hi);
    if (count == 0) return zs_fail(err, ZS_ERR_RANGE, "range with 0 points, expected at least 1");
    if (count == 1) {
        out[0] = lo;
        return ZS_OK;
    }
    double log_lo = log(lo), log_step = (log(hi) - log_lo) / (double)(count - 1);
    for (size_t i = 0; i < count; i++) out[i] = exp(log_lo + log_step * (double)i);
    out[count - 1] = hi; /* the end the user typed, not exp(log(hi)) */
    return ZS_OK;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static zs_bounds percentile_interval(double *values, size_t n, double level) {
    qsort(values, n, sizeof *values, compare_doubles);
    return (zs_bounds){zs_quantile_sorted(values, n, (1 - level) / 2),
                       zs_quantile_sorted(values, n, (1 + level) / 2)};
}

zs_status zs_frontier_interval_at(const zs_chinchilla *laws, size_t n_laws, double compute_flops,
                                  double level, zs_frontier_interval *out, zs_error *err) {
    *out = (zs_frontier_interval){0};
    if (!(level > 0 && level < 1))
        return zs_fail_field(err, ZS_ERR_RANGE, "level",
                             "frontier interval: level %g, expected (0, 1)", level);
    if (!positive(compute_flops))
        return zs_fail(err, ZS_ERR_RANGE, "frontier: compute %g FLOPs, expected finite and > 0",
                       compute_flops);
    double *values = zs_alloc(4 * (n_laws ? n_laws : 1) * sizeof *values, "frontier samples", err);
    if (!values) return ZS_ERR_NOMEM;
    size_t used = 0;
    for (size_t i = 0; i < n_laws; i++) {
        zs_frontier_point p;
        if (zs_frontier_point_at(&laws[i], compute_flops, &p, NULL)) continue;
        values[used] = p.n_params;
        values[n_laws + used] = p.n_tokens;
        values[2 * n_laws + used] = p.tokens_per_param;
        values[3 * n_laws + used] = p.loss_nats;
        used++;
    }
    zs_status s = ZS_OK;
    if (used == 0) {
        s = zs_fail(err, ZS_ERR_RANGE,
                    "frontier interval: none of %zu sampled laws has a frontier (each needs A, "
                    "B, alpha, beta > 0)",
                    n_laws);
    } else {
        out->n_params = percentile_interval(values, used, level);
        out->n_tokens = percentile_interval(values + n_laws, used, level);
        out->tokens_per_param = percentile_interval(values + 2 * n_laws, used, level);
        out->loss_nats = percentile_interval(values + 3 * n_laws, used, level);
        out->used = used;
        out->skipped = n_laws - used;
    }
    free(values);
    return s;
}
