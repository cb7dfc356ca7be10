/* Per-subtask loss curves (zipscale/quanta.h): the subtask-by-point matrix, its checks,
 * and its construction from the final per-subtask losses of runs at several scales (what
 * a sweep hands over). The training-log reader is subtask_log.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta.h"

zs_status zs_quanta_curves_init(zs_quanta_curves *c, size_t n_subtasks, size_t n_points,
                                zs_error *err) {
    *c = (zs_quanta_curves){0};
    if (n_subtasks == 0 || n_points == 0)
        return zs_fail(err, ZS_ERR_RANGE,
                       "quanta curves: %zu subtasks x %zu points: expected at least 1 of each",
                       n_subtasks, n_points);
    if (n_subtasks > SIZE_MAX / sizeof(double) / n_points)
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory (%zu x %zu quanta curves)", n_subtasks,
                       n_points);
    c->x = zs_calloc(n_points, sizeof *c->x, "quanta curves x", err);
    c->loss_nats = zs_alloc(n_subtasks * n_points * sizeof *c->loss_nats, "quanta curves", err);
    c->test_loss_nats = zs_alloc(n_points * sizeof *c->test_loss_nats, "quanta test losses", err);
    if (!c->x || !c->loss_nats || !c->test_loss_nats) {
        zs_quanta_curves_free(c);
        return ZS_ERR_NOMEM;
    }
    for (size_t k = 0; k < n_subtasks * n_points; k++) c->loss_nats[k] = NAN;
    for (size_t i = 0; i < n_points; i++) c->test_loss_nats[i] = NAN;
    c->n_subtasks = n_subtasks;
    c->n_points = n_points;
    snprintf(c->x_name, sizeof c->x_name, "x");
    return ZS_OK;
}

void zs_quanta_curves_free(zs_quanta_curves *c) {
    if (!c) return;
    free(c->x);
    free(c->loss_nats);
    free(c->test_loss_nats);
    *c = (zs_quanta_curves){0};
}

zs_status zs_quanta_curves_check(const zs_quanta_curves *c, zs_error *err) {
    if (c->n_subtasks == 0 || c->n_points == 0 || !c->x || !c->loss_nats)
        return zs_fail(err, ZS_ERR_RANGE,
                       "quanta curves: %zu subtasks x %zu points: expected at least 1 of each",
                       c->n_subtasks, c->n_points);
    for (size_t i = 0; i < c->n_points; i++) {
        if (!isfinite(c->x[i]))
            return zs_fail(err, ZS_ERR_RANGE, "quanta curves: x[%zu] = %g: expected a finite scale",
                           i, c->x[i]);
        if (i > 0 && !(c->x[i] > c->x[i - 1]))
            return zs_fail(err, ZS_ERR_RANGE,
                           "quanta curves: x[%zu] = %.17g is not above x[%zu] = %.17g: expected "
                           "a strictly increasing scale",
                           i, c->x[i], i - 1, c->x[i - 1]);
    }
    for (size_t s = 0; s < c->n_subtasks; s++)
        for (size_t i = 0; i < c->n_points; i++) {
            double l = c->loss_nats[s * c->n_points + i];
            if (!isnan(l) && !(isfinite(l) && l >= 0))
                return zs_fail(err, ZS_ERR_RANGE,
                               "quanta curves: loss[%zu][%zu] = %g: expected a finite loss >= 0 "
                               "(or NAN: not measured)",
                               s, i, l);
        }
    return ZS_OK;
}

/* Orders run indices by x (insertion sort: a sweep has tens of scales, not millions, and
 * its ties are refused below). */
static void order_by_x(const double *x, size_t *order, size_t n) {
    for (size_t j = 0; j < n; j++) order[j] = j;
    for (size_t j = 1; j < n; j++) {
        size_t v = order[j], k = j;
        for (; k > 0 && x[order[k - 1]] > x[v]; k--) order[k] = order[k - 1];
        order[k] = v;
    }
}

zs_status zs_quanta_curves_from_runs(zs_quanta_curves *c, const char *x_name, const double *x,
                                     const double *const *final_loss_nats, size_t n_runs,
                                     size_t n_subtasks, zs_error *err) {
    *c = (zs_quanta_curves){0};
    if (n_runs == 0 || n_subtasks == 0)
        return zs_fail(err, ZS_ERR_RANGE,
                       "quanta curves from runs: %zu runs x %zu subtasks: expected at least 1 "
                       "of each",
                       n_runs, n_subtasks);
    for (size_t j = 0; j < n_runs; j++) {
        if (!isfinite(x[j]))
            return zs_fail(err, ZS_ERR_RANGE,
                           "quanta curves from runs: x[%zu] = %g: expected a finite scale", j,
                           x[j]);
        for (size_t s = 0; s < n_subtasks; s++) {
            double l = final_loss_nats[j][s];
            if (!isnan(l) && !(isfinite(l) && l >= 0))
                return zs_fail(err, ZS_ERR_RANGE,
                               "quanta curves from runs: run %zu (x = %.17g), subtask %zu: loss "
                               "%g: expected a finite loss >= 0 (or NAN: not measured)",
                               j, x[j], s, l);
        }
    }
    size_t *order = zs_alloc(n_runs * sizeof *order, "quanta run order", err);
    if (!order) return ZS_ERR_NOMEM;
    order_by_x(x, order, n_runs);
    zs_status s = ZS_OK;
    for (size_t i = 1; !s && i < n_runs; i++)
        if (x[order[i]] == x[order[i - 1]])
            s = zs_fail(err, ZS_ERR_RANGE,
                        "quanta curves from runs: x[%zu] = x[%zu] = %.17g: expected one run per "
                        "scale (average seeds first)",
                        order[i - 1], order[i], x[order[i]]);
    if (!s) s = zs_quanta_curves_init(c, n_subtasks, n_runs, err);
    for (size_t i = 0; !s && i < n_runs; i++) {
        c->x[i] = x[order[i]];
        for (size_t t = 0; t < n_subtasks; t++)
            c->loss_nats[t * n_runs + i] = final_loss_nats[order[i]][t];
    }
    if (!s && x_name) snprintf(c->x_name, sizeof c->x_name, "%s", x_name);
    free(order);
    return s;
}
