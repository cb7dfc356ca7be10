/* The quantization model's figures (zipscale/figures.h) from a quanta result: per-subtask
 * loss curves coloured by frequency rank, the emergence heatmap, the scaling curve with its
 * fitted and predicted slopes, learning points against rank, and fitted against predicted
 * exponents across the experiments. Losses are drawn in bits, as the threshold is given. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "figures/figures_internal.h"

#define BITS_LABEL "loss (bits)"
#define RANK_LABEL "subtask frequency rank (1 = most frequent)"
/* The per-subtask curves take viridis over [0, LIGHTEST]: its last tenth is too faint on white. */
#define LIGHTEST 0.85

/* What each axis's x is, in axis labels. */
static const char *const x_labels[ZS_QUANTA_N_AXES] = {"parameters N", "training examples D",
                                                       "steps S"};

static double bits(double nats) {
    return nats / M_LN2;
}

/* The axis's result, or ZS_ERR_RANGE when axis is not one or was not run. */
static zs_status axis_of(const zs_quanta_result *r, zs_quanta_axis axis,
                         const zs_quanta_axis_result **out, zs_error *err) {
    if ((unsigned)axis >= ZS_QUANTA_N_AXES)
        return zs_fail(err, ZS_ERR_RANGE, "figure: experiment axis %d; expected 0 to %d", (int)axis,
                       ZS_QUANTA_N_AXES - 1);
    *out = &r->axes[axis];
    if (!(*out)->present || (*out)->n_points == 0)
        return zs_fail(err, ZS_ERR_RANGE, "figure: the result has no %s experiment",
                       zs_quanta_axis_name(axis));
    return ZS_OK;
}

/* Frees *out on failure: the figures' common ending. */
static zs_status finish(zs_status s, zs_plot **out) {
    if (s) {
        zs_plot_free(*out);
        *out = NULL;
    }
    return s;
}

/* ---- (a) per-subtask loss curves ------------------------------------------------------- */

static zs_status draw_subtasks(zs_plot *fig, const zs_quanta_result *r,
                               const zs_quanta_axis_result *a, double *ys, zs_error *err) {
    zs_status s = ZS_OK;
    size_t n = a->n_subtasks, np = a->n_points;
    for (size_t t = 0; !s && t < n; t++) {
        char label[64], *name = NULL;
        if (t == 0) {
            snprintf(label, sizeof label, "subtask 1 (most frequent)");
            name = label;
        } else if (t == n - 1) {
            snprintf(label, sizeof label, "subtask %zu (least frequent)", n);
            name = label;
        }
        for (size_t i = 0; i < np; i++) ys[i] = bits(a->subtask_loss_nats[t * np + i]);
        s = zs_plot_next_colormap(fig, n > 1 ? LIGHTEST * (double)t / (double)(n - 1) : 0, err);
        if (!s) s = zs_plot_add_line(fig, name, a->x, ys, np, err);
    }
    char label[64];
    snprintf(label, sizeof label, "threshold %.3g bits", r->threshold_bits);
    double tx[2] = {a->x[0], a->x[np - 1]}, ty[2] = {r->threshold_bits, r->threshold_bits};
    zs_plot_next_dashed(fig);
    if (!s) s = zs_plot_add_line(fig, label, tx, ty, 2, err);
    return s;
}

zs_status zs_figure_quanta_subtask_losses(const zs_quanta_result *r, zs_quanta_axis axis,
                                          const zs_figure_size *size, zs_plot **out,
                                          zs_error *err) {
    *out = NULL;
    const zs_quanta_axis_result *a;
    zs_status s = axis_of(r, axis, &a, err);
    if (s) return s;
    char title[160];
    snprintf(title, sizeof title, "loss of each subtask against %s (%zu subtasks)", x_labels[axis],
             a->n_subtasks);
    double *ys = zs_alloc(a->n_points * sizeof *ys, "figure subtask losses", err);
    if (!ys) return ZS_ERR_NOMEM;
    s = zs_figure_create(size, title, x_labels[axis], BITS_LABEL, ZS_PLOT_LOG10, ZS_PLOT_LINEAR,
                         out, err);
    if (!s) s = draw_subtasks(*out, r, a, ys, err);
    free(ys);
    return finish(s, out);
}

/* ---- (b) emergence heatmap ------------------------------------------------------------- */

zs_status zs_figure_quanta_emergence(const zs_quanta_result *r, zs_quanta_axis axis,
                                     const zs_figure_size *size, zs_plot **out, zs_error *err) {
    *out = NULL;
    const zs_quanta_axis_result *a;
    zs_status s = axis_of(r, axis, &a, err);
    if (s) return s;
    size_t np = a->n_points, n = a->n_subtasks, finite = 0;
    double *z = zs_alloc((n * np > 0 ? n * np : 1) * sizeof *z, "figure emergence", err);
    if (!z) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < n * np; i++) {
        z[i] = bits(a->subtask_loss_nats[i]); /* row t (rank t + 1) at y = t + 1 */
        finite += isfinite(z[i]);
    }
    if (finite == 0)
        s = zs_fail(err, ZS_ERR_RANGE, "figure: no subtask loss measured in the %s experiment",
                    zs_quanta_axis_name(axis));
    char title[160], xlabel[160], lo[32], hi[32];
    zs_figure_si(a->x[0], lo, sizeof lo);
    zs_figure_si(a->x[np - 1], hi, sizeof hi);
    snprintf(title, sizeof title, "emergence: each subtask's loss along %s", x_labels[axis]);
    snprintf(xlabel, sizeof xlabel, "point along %s (1: %s, %zu: %s)", x_labels[axis], lo, np, hi);
    if (!s)
        s = zs_figure_create(size, title, xlabel, RANK_LABEL, ZS_PLOT_LINEAR, ZS_PLOT_LINEAR, out,
                             err);
    if (!s)
        s = zs_plot_add_heatmap(*out, BITS_LABEL, z, np, n, 0.5, (double)np + 0.5, 0.5,
                                (double)n + 0.5, err);
    free(z);
    return finish(s, out);
}

/* ---- (c) the scaling curve ------------------------------------------------------------- */

/* The fitted law over its points and the predicted slope through it (or, with no fit,
 * through the middle measured point over every point). */
static zs_status draw_laws(zs_plot *fig, const zs_quanta_result *r, zs_quanta_axis axis,
                           const double *ys, zs_error *err) {
    const zs_quanta_axis_result *a = &r->axes[axis];
    char label[160];
    zs_status s = ZS_OK;
    double x0 = a->x[0], x1 = a->x[a->n_points - 1], xm = NAN, ym = NAN;
    if (!isnan(a->alpha) && a->fit_count >= 2) {
        x0 = a->x[a->fit_first];
        x1 = a->x[a->fit_first + a->fit_count - 1];
        double lx[2] = {x0, x1}, ly[2];
        for (int i = 0; i < 2; i++) ly[i] = bits(exp(a->log_a) * pow(lx[i], -a->alpha));
        snprintf(label, sizeof label, "fit: alpha = %.3g [%.3g, %.3g] over points %zu-%zu",
                 a->alpha, a->alpha_lo, a->alpha_hi, a->fit_first + 1, a->fit_first + a->fit_count);
        s = zs_plot_add_line(fig, label, lx, ly, 2, err);
        xm = sqrt(x0 * x1);
        ym = bits(exp(a->log_a) * pow(xm, -a->alpha));
    } else {
        /* the measured point nearest the middle */
        for (size_t d = 0; isnan(ym) && d <= a->n_points; d++)
            for (int side = -1; isnan(ym) && side <= 1; side += 2) {
                size_t i = a->n_points / 2 + (side < 0 ? -d : d);
                if (i < a->n_points && ys[i] > 0 && isfinite(ys[i])) {
                    xm = a->x[i];
                    ym = ys[i];
                }
            }
    }
    if (s || isnan(a->alpha_predicted) || isnan(ym)) return s;
    double px[2] = {x0, x1}, py[2];
    for (int i = 0; i < 2; i++) py[i] = ym * pow(px[i] / xm, -a->alpha_predicted);
    snprintf(label, sizeof label, "predicted slope: alpha = %.3g (quantization model)",
             a->alpha_predicted);
    zs_plot_next_dashed(fig);
    return zs_plot_add_line(fig, label, px, py, 2, err);
}

zs_status zs_figure_quanta_scaling(const zs_quanta_result *r, zs_quanta_axis axis,
                                   const zs_figure_size *size, zs_plot **out, zs_error *err) {
    *out = NULL;
    const zs_quanta_axis_result *a;
    zs_status s = axis_of(r, axis, &a, err);
    if (s) return s;
    double *ys = zs_alloc(a->n_points * sizeof *ys, "figure scaling", err);
    if (!ys) return ZS_ERR_NOMEM;
    size_t positive = 0;
    for (size_t i = 0; i < a->n_points; i++) {
        ys[i] = a->loss_nats[i] > 0 ? bits(a->loss_nats[i]) : NAN; /* a log axis */
        positive += isfinite(ys[i]);
    }
    if (positive == 0)
        s = zs_fail(err, ZS_ERR_RANGE, "figure: no positive loss in the %s experiment",
                    zs_quanta_axis_name(axis));
    char title[160];
    snprintf(title, sizeof title, "scaling: test loss against %s", x_labels[axis]);
    if (!s)
        s = zs_figure_create(size, title, x_labels[axis], BITS_LABEL, ZS_PLOT_LOG10, ZS_PLOT_LOG10,
                             out, err);
    if (!s) s = zs_plot_add_scatter(*out, "test loss", a->x, ys, a->n_points, err);
    if (!s) s = draw_laws(*out, r, axis, ys, err);
    free(ys);
    return finish(s, out);
}

/* ---- (d) learning points against rank ---------------------------------------------------- */

zs_status zs_figure_quanta_learning_points(const zs_quanta_result *r, zs_quanta_axis axis,
                                           const zs_figure_size *size, zs_plot **out,
                                           zs_error *err) {
    *out = NULL;
    const zs_quanta_axis_result *a;
    zs_status s = axis_of(r, axis, &a, err);
    if (s) return s;
    size_t n = a->n_subtasks, learned = 0;
    double *ranks = zs_alloc(n * sizeof *ranks, "figure learning points", err);
    if (!ranks) return ZS_ERR_NOMEM;
    for (size_t t = 0; t < n; t++) {
        ranks[t] = (double)(t + 1);
        learned += !isnan(a->learning_x[t]);
    }
    if (learned == 0)
        s = zs_fail(err, ZS_ERR_RANGE, "figure: no subtask is learned in the %s experiment",
                    zs_quanta_axis_name(axis));
    char title[200], ylabel[96], label[128];
    if (isnan(a->rho))
        snprintf(title, sizeof title, "learning point against rank (Spearman rho undefined)");
    else
        snprintf(title, sizeof title,
                 "learning point against rank: Spearman rho = %.3g [%.3g, %.3g]", a->rho, a->rho_lo,
                 a->rho_hi);
    snprintf(ylabel, sizeof ylabel, "learning point: %s", x_labels[axis]);
    snprintf(label, sizeof label, "learned: %zu of %zu (%zu never learned, not shown)", learned, n,
             n - learned);
    if (!s)
        s = zs_figure_create(size, title, RANK_LABEL, ylabel, ZS_PLOT_LOG10, ZS_PLOT_LOG10, out,
                             err);
    if (!s) s = zs_plot_add_scatter(*out, label, ranks, a->learning_x, n, err);
    free(ranks);
    return finish(s, out);
}

/* ---- (e) fitted against predicted exponents ---------------------------------------------- */

#define COMPARE_OFFSET 0.1 /* fitted left of the axis's slot, predicted right */

static zs_status draw_compare(zs_plot *fig, const zs_quanta_result *r, size_t *drawn,
                              zs_error *err) {
    zs_status s = ZS_OK;
    double px[ZS_QUANTA_N_AXES], py[ZS_QUANTA_N_AXES];
    size_t n_pred = 0;
    for (int k = 0; !s && k < ZS_QUANTA_N_AXES; k++) {
        const zs_quanta_axis_result *a = &r->axes[k];
        if (!a->present) continue;
        if (!isnan(a->alpha_predicted)) {
            px[n_pred] = k + 1 + COMPARE_OFFSET;
            py[n_pred++] = a->alpha_predicted;
        }
        if (isnan(a->alpha)) continue;
        /* an interval not known draws as the point alone */
        double x = k + 1 - COMPARE_OFFSET, y = a->alpha;
        double lo = isnan(a->alpha_lo) ? y : a->alpha_lo, hi = isnan(a->alpha_hi) ? y : a->alpha_hi;
        char label[128];
        snprintf(label, sizeof label, "%s: fitted %.3g [%.3g, %.3g]",
                 zs_quanta_axis_name((zs_quanta_axis)k), a->alpha, a->alpha_lo, a->alpha_hi);
        s = zs_plot_add_errorbars(fig, label, &x, &y, &lo, &hi, 1, err);
        ++*drawn;
    }
    if (!s && n_pred)
        s = zs_plot_add_scatter(fig, "predicted (quantization model)", px, py, n_pred, err);
    *drawn += n_pred;
    return s;
}

zs_status zs_figure_quanta_compare(const zs_quanta_result *r, const zs_figure_size *size,
                                   zs_plot **out, zs_error *err) {
    *out = NULL;
    char title[128];
    snprintf(title, sizeof title, "fitted exponents (%.3g%% t intervals) and the predicted ones",
             100 * r->level);
    zs_status s = zs_figure_create(size, title, "experiment: 1 params N, 2 data D, 3 steps S",
                                   "exponent alpha of L = A x^-alpha", ZS_PLOT_LINEAR,
                                   ZS_PLOT_LINEAR, out, err);
    size_t drawn = 0;
    if (!s) s = draw_compare(*out, r, &drawn, err);
    if (!s && drawn == 0)
        s = zs_fail(err, ZS_ERR_RANGE,
                    "figure: no experiment with a fitted or a predicted exponent to compare");
    return finish(s, out);
}
