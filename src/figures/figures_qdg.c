/* The QDG figures (zipscale/figures.h): the rank-frequency of cluster sizes with the fitted
 * power law, and the affinity matrix ordered by cluster as a heatmap, averaged down to at
 * most a given number of cells a side. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "figures/figures_internal.h"

static zs_status finish(zs_status s, zs_plot **out) {
    if (s) {
        zs_plot_free(*out);
        *out = NULL;
    }
    return s;
}

static zs_status draw_rank_frequency(zs_plot *fig, const zs_qdg_file_variant *v, double *x,
                                     double *y, zs_error *err) {
    size_t empty = 0;
    for (size_t r = 0; r < v->k; r++) {
        x[r] = (double)(r + 1);
        y[r] = v->sizes_ranked[r] ? (double)v->sizes_ranked[r] : NAN; /* a log axis */
        empty += v->sizes_ranked[r] == 0;
    }
    char label[160];
    if (empty)
        snprintf(label, sizeof label, "cluster sizes (%llu clusters, %zu empty, not shown)",
                 (unsigned long long)v->k, empty);
    else
        snprintf(label, sizeof label, "cluster sizes (%llu clusters)", (unsigned long long)v->k);
    zs_status s = zs_plot_add_scatter(fig, label, x, y, v->k, err);
    double b = zs_qdg_file_intercept(v);
    if (s || isnan(b)) return s;
    size_t hi = v->rank_hi < v->k ? v->rank_hi : v->k;
    double lx[2] = {(double)v->rank_lo, (double)hi};
    double ly[2] = {exp(b) * pow(lx[0], v->slope), exp(b) * pow(lx[1], v->slope)};
    snprintf(label, sizeof label, "fit: size ~ rank^%.3g over ranks %zu-%zu", v->slope, v->rank_lo,
             hi);
    zs_plot_next_dashed(fig);
    return zs_plot_add_line(fig, label, lx, ly, 2, err);
}

zs_status zs_figure_qdg_rank_frequency(const zs_qdg_file_variant *v, const zs_figure_size *size,
                                       zs_plot **out, zs_error *err) {
    *out = NULL;
    uint64_t total = 0;
    for (size_t r = 0; r < v->k; r++) total += v->sizes_ranked[r];
    if (v->k == 0 || total == 0)
        return zs_fail(err, ZS_ERR_RANGE, "figure: QDG variant '%s' has no cluster with a sample",
                       v->name ? v->name : "?");
    char title[200];
    snprintf(title, sizeof title, "QDG cluster sizes by rank (variant %s, k = %llu)",
             v->name ? v->name : "?", (unsigned long long)v->k);
    double *xy = zs_alloc(2 * v->k * sizeof *xy, "figure QDG rank-frequency", err);
    if (!xy) return ZS_ERR_NOMEM;
    zs_status s = zs_figure_create(size, title, "rank (1 = largest cluster)", "cluster size",
                                   ZS_PLOT_LOG10, ZS_PLOT_LOG10, out, err);
    if (!s) s = draw_rank_frequency(*out, v, xy, xy + v->k, err);
    free(xy);
    return finish(s, out);
}

zs_status zs_figure_qdg_affinity(const float *a, const uint32_t *labels, size_t n, size_t cells,
                                 const char *what, const zs_figure_size *size, zs_plot **out,
                                 zs_error *err) {
    *out = NULL;
    if (n == 0) return zs_fail(err, ZS_ERR_USAGE, "figure: an affinity matrix of no sample");
    if (cells < 1 || cells > ZS_FIGURE_QDG_CELLS_MAX)
        return zs_fail(err, ZS_ERR_USAGE, "figure: %zu cells a side: expected 1 to %d", cells,
                       ZS_FIGURE_QDG_CELLS_MAX);
    size_t m = n < cells ? n : cells;
    size_t *order = zs_alloc(n * sizeof *order, "figure QDG affinity", err);
    double *z = order ? zs_alloc(m * m * sizeof *z, "figure QDG affinity", err) : NULL;
    zs_status s = z ? zs_qdg_cluster_order(labels, n, order, err) : ZS_ERR_NOMEM;
    if (!s) zs_qdg_affinity_blocks(a, order, n, m, z);
    char title[200], xlabel[200];
    snprintf(title, sizeof title, "QDG affinity ordered by cluster%s%s%s", what ? " (" : "",
             what ? what : "", what ? ")" : "");
    if (m < n)
        snprintf(xlabel, sizeof xlabel,
                 "sample by cluster, largest first (%zu, in %zu x %zu block "
                 "means)",
                 n, m, m);
    else
        snprintf(xlabel, sizeof xlabel, "sample by cluster, largest first (%zu)", n);
    if (!s)
        s = zs_figure_create(size, title, xlabel, "sample by cluster, largest first",
                             ZS_PLOT_LINEAR, ZS_PLOT_LINEAR, out, err);
    if (!s) s = zs_plot_add_heatmap(*out, "affinity", z, m, m, 0, (double)n, 0, (double)n, err);
    free(order);
    free(z);
    return finish(s, out);
}
