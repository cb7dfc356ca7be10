/* The training-curves figure (zipscale/figures.h): train loss as a line and val loss as
 * points against tokens (log x), one colour per training log. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "figures/figures_internal.h"

/* The points of ys with tokens > 0 (a log axis) and a value, into bx/by; returns how many. */
static size_t keep(const zs_trainlog *log, const double *ys, double *bx, double *by) {
    size_t k = 0;
    for (size_t i = 0; i < log->n; i++)
        if (log->tokens[i] > 0 && !isnan(ys[i])) {
            bx[k] = log->tokens[i];
            by[k++] = ys[i];
        }
    return k;
}

static zs_status draw(zs_plot *fig, const zs_trainlog *logs, const char *const *names, size_t n,
                      double *bx, double *by, zs_error *err) {
    zs_status s = ZS_OK;
    size_t series = 0;
    for (size_t i = 0; !s && i < n; i++) {
        char label[256];
        size_t k = keep(&logs[i], logs[i].train_loss, bx, by);
        if (k == 0)
            return zs_fail(err, ZS_ERR_RANGE, "figure: log %s has no step with tokens > 0",
                           names[i]);
        snprintf(label, sizeof label, "%s train", names[i]);
        s = zs_plot_add_line(fig, label, bx, by, k, err);
        size_t train_series = series++;
        k = keep(&logs[i], logs[i].val_loss, bx, by);
        if (s || k == 0) continue;
        snprintf(label, sizeof label, "%s val", names[i]);
        s = zs_plot_reuse_style(fig, train_series, err);
        if (!s) s = zs_plot_add_scatter(fig, label, bx, by, k, err);
        series++;
    }
    return s;
}

zs_status zs_figure_training_curves(const zs_trainlog *logs, const char *const *names,
                                    size_t n_logs, const zs_figure_size *size, zs_plot **out,
                                    zs_error *err) {
    *out = NULL;
    if (n_logs == 0) return zs_fail(err, ZS_ERR_RANGE, "figure: no training logs");
    size_t cap = 1;
    for (size_t i = 0; i < n_logs; i++)
        if (logs[i].n > cap) cap = logs[i].n;
    double *bx = zs_alloc(cap * sizeof *bx, "figure curves", err);
    double *by = zs_alloc(cap * sizeof *by, "figure curves", err);
    zs_status s = bx && by ? ZS_OK : ZS_ERR_NOMEM;
    if (!s)
        s = zs_figure_create(size, "training curves: train loss (lines) and val loss (points)",
                             "tokens D", ZS_FIGURE_LOSS_LABEL, ZS_PLOT_LOG10, ZS_PLOT_LINEAR, out,
                             err);
    if (!s) s = draw(*out, logs, names, n_logs, bx, by, err);
    if (s) {
        zs_plot_free(*out);
        *out = NULL;
    }
    free(bx);
    free(by);
    return s;
}
