/* The law-parameters-against-H figure (zipscale/figures.h): each dataset's fitted E, A, B,
 * alpha or beta against its gzip compressibility H, the regression line and its band
 * (bootstrap percentiles or the OLS confidence band); and the regression of a law.json. */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures/figures_internal.h"

#define LINE_POINTS 48
#define OLS_BAND_LEVEL 0.95

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* lo/hi at each xs[i]: the replicate lines' percentiles at rf->level. */
static zs_status bootstrap_band(const zs_regressfile *rf, int param, const double *xs, double *lo,
                                double *hi, zs_error *err) {
    double *v = zs_alloc(rf->n_replicates * sizeof *v, "figure band", err);
    if (!v) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < LINE_POINTS; i++) {
        for (size_t r = 0; r < rf->n_replicates; r++)
            v[r] = rf->replicates[r].slope[param] * xs[i] + rf->replicates[r].intercept[param];
        qsort(v, rf->n_replicates, sizeof *v, cmp_double);
        lo[i] = zs_quantile_sorted(v, rf->n_replicates, (1 - rf->level) / 2);
        hi[i] = zs_quantile_sorted(v, rf->n_replicates, (1 + rf->level) / 2);
    }
    free(v);
    return ZS_OK;
}

/* lo/hi at each xs[i]: the fitted line +- t s sqrt(1/n + (x - mean)^2 / Sxx). */
static void ols_band(const zs_regressfile *rf, const zs_ols *f, const double *xs, double *lo,
                     double *hi) {
    size_t n = rf->n_datasets;
    double mean = 0, sxx = 0;
    for (size_t d = 0; d < n; d++) mean += rf->H[d] / (double)n;
    for (size_t d = 0; d < n; d++) sxx += (rf->H[d] - mean) * (rf->H[d] - mean);
    double t = gsl_cdf_tdist_Pinv((1 + OLS_BAND_LEVEL) / 2, (double)n - 2);
    for (size_t i = 0; i < LINE_POINTS; i++) {
        double y = f->slope * xs[i] + f->intercept;
        double half =
            t * f->residual_sd * sqrt(1.0 / (double)n + (xs[i] - mean) * (xs[i] - mean) / sxx);
        lo[i] = y - half;
        hi[i] = y + half;
    }
}

static zs_status draw(zs_plot *fig, const zs_regressfile *rf, int param, double *buf,
                      zs_error *err) {
    size_t n = rf->n_datasets;
    double *xs = buf, *ys = buf + LINE_POINTS, *lo = ys + LINE_POINTS, *hi = lo + LINE_POINTS;
    double *values = hi + LINE_POINTS;
    const zs_ols *f = &rf->regression.param[param];
    double h_lo = INFINITY, h_hi = -INFINITY;
    for (size_t d = 0; d < n; d++) {
        h_lo = fmin(h_lo, rf->H[d]);
        h_hi = fmax(h_hi, rf->H[d]);
        values[d] = zs_law_param_get(&rf->laws[d], param);
    }
    for (size_t i = 0; i < LINE_POINTS; i++) {
        xs[i] = h_lo + (h_hi - h_lo) * (double)i / (LINE_POINTS - 1);
        ys[i] = f->slope * xs[i] + f->intercept;
    }
    char label[96];
    zs_status s = ZS_OK;
    if (rf->n_replicates) {
        s = bootstrap_band(rf, param, xs, lo, hi, err);
        snprintf(label, sizeof label, "%g%% bootstrap band (%zu replicates)", 100 * rf->level,
                 rf->n_replicates);
    } else {
        ols_band(rf, f, xs, lo, hi);
        snprintf(label, sizeof label, "%g%% confidence band (OLS)", 100 * OLS_BAND_LEVEL);
    }
    if (!s) s = zs_plot_add_band(fig, label, xs, lo, hi, LINE_POINTS, err);
    snprintf(label, sizeof label, "%s(H) = %.4g H %c %.4g (R^2 = %.3f)", zs_law_param_name(param),
             f->slope, f->intercept < 0 ? '-' : '+', fabs(f->intercept), f->r2);
    if (!s) s = zs_plot_reuse_style(fig, 0, err);
    if (!s) s = zs_plot_add_line(fig, label, xs, ys, LINE_POINTS, err);
    if (!s) s = zs_plot_add_scatter(fig, "per-dataset fits", rf->H, values, n, err);
    return s;
}

zs_status zs_figure_params_vs_h(const zs_regressfile *rf, int param, const zs_figure_size *size,
                                zs_plot **out, zs_error *err) {
    *out = NULL;
    if (param < 0 || param >= ZS_LAW_N_PARAMS)
        return zs_fail(err, ZS_ERR_RANGE, "figure: law parameter %d; expected 0 to %d", param,
                       ZS_LAW_N_PARAMS - 1);
    if (rf->n_datasets < 3)
        return zs_fail(err, ZS_ERR_RANGE, "figure: %zu datasets; a regression on H needs 3",
                       rf->n_datasets);
    const char *name = zs_law_param_name(param);
    char title[128], ylabel[128];
    snprintf(title, sizeof title, "%s against H: per-dataset fits and the regression", name);
    if (param == ZS_LAW_E)
        snprintf(ylabel, sizeof ylabel, "E, the irreducible loss (nats)");
    else
        snprintf(ylabel, sizeof ylabel, "%s in L = E + A/N^alpha + B/D^beta", name);
    double *buf = zs_alloc((4 * LINE_POINTS + rf->n_datasets) * sizeof *buf, "figure", err);
    zs_status s = buf ? ZS_OK : ZS_ERR_NOMEM;
    if (!s)
        s = zs_figure_create(size, title, "gzip compressibility H (compressed / raw bytes)", ylabel,
                             ZS_PLOT_LINEAR, ZS_PLOT_LINEAR, out, err);
    if (!s) s = draw(*out, rf, param, buf, err);
    if (s) {
        zs_plot_free(*out);
        *out = NULL;
    }
    free(buf);
    return s;
}
