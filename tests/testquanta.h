/* A synthetic quanta result for the tests that store or show one (quanta.json, the quanta
 * figures, `quanta compare`, the report): 20 subtasks learned in order of frequency, the
 * params experiment at 7 points (a fitted alpha, 2 subtasks never learned, a loss not
 * measured), the steps experiment at 8 points (rho undefined: NAN), no data experiment.
 * Numbers with long binary expansions (thirds, logarithms) so a round trip that loses a
 * digit shows. */
#ifndef ZS_TESTQUANTA_H
#define ZS_TESTQUANTA_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta_experiment.h"

#define TQ_SUBTASKS 20

/* Fills axis a with n points from x0, ratio `ratio`; subtask s learned at point
 * floor(s / per_point) (never when that is past the last point). */
static inline void zs_test_quanta_axis(zs_quanta_axis_result *a, size_t n, double x0, double ratio,
                                       double per_point, double alpha_predicted) {
    memset(a, 0, sizeof *a);
    a->present = 1;
    a->n_points = n;
    a->n_subtasks = TQ_SUBTASKS;
    a->x = calloc(n, sizeof *a->x);
    a->loss_nats = calloc(n, sizeof *a->loss_nats);
    a->subtask_loss_nats = calloc(n * TQ_SUBTASKS, sizeof *a->subtask_loss_nats);
    a->learning_x = calloc(TQ_SUBTASKS, sizeof *a->learning_x);
    a->fraction_learned = calloc(n, sizeof *a->fraction_learned);
    double norm = 0;
    for (size_t s = 0; s < TQ_SUBTASKS; s++) norm += pow((double)s + 1, -1.4);
    for (size_t i = 0; i < n; i++) a->x[i] = x0 * pow(ratio, (double)i) / 3;
    for (size_t s = 0; s < TQ_SUBTASKS; s++) {
        size_t at = (size_t)floor((double)s / per_point);
        a->learning_x[s] = at < n ? a->x[at] : NAN;
        a->n_learned += at < n;
        for (size_t i = 0; i < n; i++) {
            double learned = 0.02 * (1 + cos((double)(s * 7 + i)) / 3);
            double chance = 0.95 + 0.01 * sin((double)(s + i));
            a->subtask_loss_nats[s * n + i] = M_LN2 * (i >= at ? learned : chance);
            a->loss_nats[i] += pow((double)s + 1, -1.4) / norm * a->subtask_loss_nats[s * n + i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t learned = 0; /* counted, then divided: a sum of 1/20 passes 1 */
        for (size_t s = 0; s < TQ_SUBTASKS; s++)
            learned += !isnan(a->learning_x[s]) && a->learning_x[s] <= a->x[i];
        a->fraction_learned[i] = (double)learned / TQ_SUBTASKS;
    }
    /* the pure power law by least squares of log L on log x over points 1 .. n - 2 */
    a->fit_first = 1;
    a->fit_count = n - 2;
    double mx = 0, my = 0, sxx = 0, sxy = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        mx += log(a->x[i]) / (double)(n - 2);
        my += log(a->loss_nats[i]) / (double)(n - 2);
    }
    for (size_t i = 1; i + 1 < n; i++) {
        sxx += (log(a->x[i]) - mx) * (log(a->x[i]) - mx);
        sxy += (log(a->x[i]) - mx) * (log(a->loss_nats[i]) - my);
    }
    a->alpha = -sxy / sxx;
    a->alpha_lo = a->alpha - 0.05 / 3;
    a->alpha_hi = a->alpha + 0.05 / 3;
    a->log_a = my + a->alpha * mx;
    a->alpha_predicted = alpha_predicted;
    a->rho = 0.9 + 0.1 / 3;
    a->rho_lo = 0.8 + 0.1 / 7;
    a->rho_hi = 1 - 1e-2 / 3;
}

static inline void zs_test_quanta_result(zs_quanta_result *r) {
    memset(r, 0, sizeof *r);
    r->n_tasks = 100;
    r->n_bits = 50;
    r->k = 3;
    r->zipf_exponent = 1.4;
    r->threshold_bits = 0.1;
    r->level = 0.95;
    /* params: subtask s learned at point s / 2.5: 0..17 by point 6, 18 and 19 never */
    zs_test_quanta_axis(&r->axes[ZS_QUANTA_AXIS_PARAMS], 7, 1000, M_SQRT2 * 2, 2.5, 0.4);
    r->axes[ZS_QUANTA_AXIS_PARAMS].subtask_loss_nats[3 * 7 + 2] = NAN; /* not measured */
    /* steps: every subtask learned; rho undefined */
    zs_test_quanta_axis(&r->axes[ZS_QUANTA_AXIS_STEPS], 8, 100, M_E, 2.5, 0.4 / 1.4);
    zs_quanta_axis_result *steps = &r->axes[ZS_QUANTA_AXIS_STEPS];
    steps->rho = steps->rho_lo = steps->rho_hi = NAN;
}

#endif
