/* The iso-FLOP figure (zipscale/figures.h): a law's loss along each budget's iso-FLOP
 * curve against N, its compute-optimal frontier through the minima, and where
 * Chinchilla's published law would put N at the same budgets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "figures/figures_internal.h"

#define ISOFLOP_POINTS 81
#define ISOFLOP_SPAN 30.0 /* each curve covers N_opt / SPAN .. N_opt * SPAN */
#define FRONTIER_POINTS 64

/* The frontier and Chinchilla's allocation are added first, so they take the palette's
 * strongest colours (blue, orange) whatever the number of budgets. */
static zs_status draw(zs_plot *fig, const zs_chinchilla *law, const double *budgets, size_t n,
                      double *xs, double *ys, zs_error *err) {
    zs_status s = ZS_OK;
    double c_lo = INFINITY, c_hi = -INFINITY;
    for (size_t b = 0; b < n; b++) {
        c_lo = fmin(c_lo, budgets[b]);
        c_hi = fmax(c_hi, budgets[b]);
    }
    /* the frontier: a line over the budgets' range (series 0), its points at each budget */
    for (size_t i = 0; !s && i < FRONTIER_POINTS; i++) {
        double c = c_lo * pow(c_hi / c_lo, (double)i / (FRONTIER_POINTS - 1));
        zs_frontier_point opt;
        s = zs_frontier_point_at(law, c, &opt, err);
        xs[i] = opt.n_params;
        ys[i] = opt.loss_nats;
    }
    if (!s) s = zs_plot_add_line(fig, "compute-optimal frontier", xs, ys, FRONTIER_POINTS, err);
    for (size_t b = 0; !s && b < n; b++) {
        zs_frontier_point opt;
        s = zs_frontier_point_at(law, budgets[b], &opt, err);
        xs[b] = opt.n_params;
        ys[b] = opt.loss_nats;
    }
    if (!s) s = zs_plot_reuse_style(fig, 0, err);
    if (!s) s = zs_plot_add_scatter(fig, NULL, xs, ys, n, err);
    zs_chinchilla published = zs_chinchilla_published();
    for (size_t b = 0; !s && b < n; b++) {
        zs_frontier_point opt;
        s = zs_frontier_point_at(&published, budgets[b], &opt, err);
        xs[b] = opt.n_params;
        ys[b] = zs_frontier_isoflop_loss(law, budgets[b], opt.n_params);
    }
    if (!s) s = zs_plot_add_scatter(fig, "Chinchilla's N_opt(C)", xs, ys, n, err);
    const zs_isoflop_opts iso = {ISOFLOP_POINTS, log10(ISOFLOP_SPAN)};
    zs_isoflop_point curve[ISOFLOP_POINTS];
    for (size_t b = 0; !s && b < n; b++) {
        s = zs_frontier_isoflop_points(law, budgets[b], &iso, curve, err);
        for (size_t i = 0; !s && i < ISOFLOP_POINTS; i++) {
            xs[i] = curve[i].n_params;
            ys[i] = curve[i].loss_nats;
        }
        char label[64];
        snprintf(label, sizeof label, "C = %.3g FLOPs", budgets[b]);
        if (!s) s = zs_plot_add_line(fig, label, xs, ys, ISOFLOP_POINTS, err);
    }
    return s;
}

zs_status zs_figure_frontier(const zs_chinchilla *law, const double *budgets_flops,
                             size_t n_budgets, const zs_figure_size *size, zs_plot **out,
                             zs_error *err) {
    *out = NULL;
    if (n_budgets == 0) return zs_fail(err, ZS_ERR_RANGE, "figure: no compute budgets");
    for (size_t b = 0; b < n_budgets; b++)
        if (!(budgets_flops[b] > 0 && isfinite(budgets_flops[b])))
            return zs_fail(err, ZS_ERR_RANGE,
                           "figure: compute budget %zu is %g; expected a positive number of FLOPs",
                           b + 1, budgets_flops[b]);
    size_t cap = n_budgets > ISOFLOP_POINTS ? n_budgets : ISOFLOP_POINTS;
    double *xs = zs_alloc(cap * sizeof *xs, "figure curves", err);
    double *ys = zs_alloc(cap * sizeof *ys, "figure curves", err);
    zs_status s = xs && ys ? ZS_OK : ZS_ERR_NOMEM;
    if (!s)
        s = zs_figure_create(size, "iso-FLOP curves and the compute-optimal frontier",
                             "parameters N", ZS_FIGURE_LOSS_LABEL, ZS_PLOT_LOG10, ZS_PLOT_LINEAR,
                             out, err);
    if (!s) s = draw(*out, law, budgets_flops, n_budgets, xs, ys, err);
    if (s) {
        zs_plot_free(*out);
        *out = NULL;
    }
    free(xs);
    free(ys);
    return s;
}
