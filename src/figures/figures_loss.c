/* The loss-against-size figure (zipscale/figures.h): a runs table's losses against N, one
 * colour per D (or against D, one per N), with the fitted law's curves over them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "figures/figures_internal.h"

#define LAW_CURVE_POINTS 64

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The distinct values of v[rows[i]], sorted, into out; returns how many. */
static size_t distinct(const double *v, const size_t *rows, size_t n, double *out) {
    for (size_t i = 0; i < n; i++) out[i] = v[rows[i]];
    qsort(out, n, sizeof *out, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[i] != out[k - 1]) out[k++] = out[i];
    return k;
}

/* The points of one curve (rows whose other size equals `level`), sorted by x. */
typedef struct {
    double x, y;
} xy;

static int cmp_xy(const void *a, const void *b) {
    return cmp_double(&((const xy *)a)->x, &((const xy *)b)->x);
}

static zs_status draw(zs_plot *fig, const zs_runs *runs, const size_t *rows, size_t n_rows,
                      const zs_chinchilla *law, zs_figure_by by, double *levels, xy *pts,
                      double *xs, double *ys, zs_error *err) {
    const double *xv = by == ZS_FIGURE_BY_N ? runs->n_params : runs->n_tokens;
    const double *gv = by == ZS_FIGURE_BY_N ? runs->n_tokens : runs->n_params;
    const char *gname = by == ZS_FIGURE_BY_N ? "D" : "N";
    size_t n_levels = distinct(gv, rows, n_rows, levels);
    double x_lo = INFINITY, x_hi = -INFINITY;
    for (size_t i = 0; i < n_rows; i++) {
        x_lo = fmin(x_lo, xv[rows[i]]);
        x_hi = fmax(x_hi, xv[rows[i]]);
    }
    size_t n_series = 0;
    zs_status s = ZS_OK;
    for (size_t g = 0; !s && g < n_levels; g++) {
        size_t k = 0;
        for (size_t i = 0; i < n_rows; i++)
            if (gv[rows[i]] == levels[g]) pts[k++] = (xy){xv[rows[i]], runs->loss_nats[rows[i]]};
        qsort(pts, k, sizeof *pts, cmp_xy);
        for (size_t i = 0; i < k; i++) {
            xs[i] = pts[i].x;
            ys[i] = pts[i].y;
        }
        char num[32], label[48];
        zs_figure_si(levels[g], num, sizeof num);
        snprintf(label, sizeof label, "%s = %s", gname, num);
        s = zs_plot_add_scatter(fig, label, xs, ys, k, err);
        size_t points_series = n_series++;
        if (s || !law) continue;
        for (size_t i = 0; i < LAW_CURVE_POINTS; i++) {
            double t = (double)i / (LAW_CURVE_POINTS - 1);
            xs[i] = x_lo * pow(x_hi / x_lo, t);
            ys[i] = by == ZS_FIGURE_BY_N ? zs_chinchilla_loss(law, xs[i], levels[g])
                                         : zs_chinchilla_loss(law, levels[g], xs[i]);
        }
        s = zs_plot_reuse_style(fig, points_series, err);
        if (!s) s = zs_plot_add_line(fig, NULL, xs, ys, LAW_CURVE_POINTS, err);
        n_series++;
    }
    return s;
}

zs_status zs_figure_loss_vs_size(const zs_runs *runs, size_t dataset, const zs_chinchilla *law,
                                 zs_figure_by by, const zs_figure_size *size, zs_plot **out,
                                 zs_error *err) {
    *out = NULL;
    if (dataset >= runs->n_datasets)
        return zs_fail(err, ZS_ERR_RANGE, "figure: dataset %zu of a table with %zu", dataset,
                       runs->n_datasets);
    size_t cap = runs->n_rows > LAW_CURVE_POINTS ? runs->n_rows : LAW_CURVE_POINTS;
    size_t *rows = zs_alloc(cap * sizeof *rows, "figure rows", err);
    double *levels = zs_alloc(cap * sizeof *levels, "figure rows", err);
    xy *pts = zs_alloc(cap * sizeof *pts, "figure rows", err);
    double *xs = zs_alloc(cap * sizeof *xs, "figure rows", err);
    double *ys = zs_alloc(cap * sizeof *ys, "figure rows", err);
    zs_status s = rows && levels && pts && xs && ys ? ZS_OK : ZS_ERR_NOMEM;
    size_t n_rows = s ? 0 : zs_runs_dataset_rows(runs, dataset, rows);
    char title[256];
    const char *what = by == ZS_FIGURE_BY_N ? "N, one colour per D" : "D, one colour per N";
    snprintf(title, sizeof title, "loss against %s%s (%s)", what,
             law ? ", with the fitted law" : "", zs_runs_dataset_label(runs, dataset));
    if (!s)
        s = zs_figure_create(size, title, by == ZS_FIGURE_BY_N ? "parameters N" : "tokens D",
                             ZS_FIGURE_LOSS_LABEL, ZS_PLOT_LOG10, ZS_PLOT_LINEAR, out, err);
    if (!s) s = draw(*out, runs, rows, n_rows, law, by, levels, pts, xs, ys, err);
    if (s) {
        zs_plot_free(*out);
        *out = NULL;
    }
    free(rows);
    free(levels);
    free(pts);
    free(xs);
    free(ys);
    return s;
}
