/* zipscale quanta experiments: the quantization model's three scaling experiments on
 * multitask sparse parity [QM] (loss against parameters, data and steps) as one result —
 * each axis's points, losses, per-subtask losses, fitted exponent and emergence — and its
 * file, quanta.json. The sweep runs and analyses them (zipscale/sweep.h); the figures and
 * the report draw them. docs/quanta.md. */
#ifndef ZIPSCALE_QUANTA_EXPERIMENT_H
#define ZIPSCALE_QUANTA_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The scale an experiment varies: parameters N (widths, online data), training-set size D
 * (a fixed set, early stopping, the minimum test loss) or optimiser steps S (one run). */
typedef enum {
    ZS_QUANTA_AXIS_PARAMS = 0,
    ZS_QUANTA_AXIS_DATA = 1,
    ZS_QUANTA_AXIS_STEPS = 2,
    ZS_QUANTA_N_AXES = 3
} zs_quanta_axis;

const char *zs_quanta_axis_name(zs_quanta_axis axis); /* "params", "data", "steps" */
/* Errors: ZS_ERR_USAGE (text is not an axis's name). */
zs_status zs_quanta_axis_parse(const char *text, zs_quanta_axis *out, zs_error *err);

/* One experiment's analysis: the points along its axis, the loss and each subtask's loss at
 * each, when each subtask was learned, and the power law fitted to the loss.
 *
 * The loss at a point: params, the run's final evaluation; data, the run's evaluation of
 * least test loss (early stopping's minimum); steps, each evaluation of the one run. Runs
 * of several seeds at one scale are averaged. A subtask is learned at the first point from
 * which its loss stays below threshold_bits (docs/quanta.md "Emergence"). */
typedef struct {
    int present;                /* the experiment was run and analysed */
    size_t n_points, n_subtasks;
    double *x;                  /* n_points, increasing: N (parameters), D (training-set
                                   examples) or S (steps) */
    double *loss_nats;          /* n_points: the test loss at each point */
    double *subtask_loss_nats;  /* n_subtasks * n_points, [s * n_points + i]; NAN = not
                                   measured. Subtask s is the (s+1)-th most frequent */
    double *learning_x;         /* n_subtasks: x of the learning point; NAN = never */
    double *fraction_learned;   /* n_points: the fraction of subtasks below the threshold */
    size_t n_learned;           /* subtasks learned by the last point */
    /* Spearman's rho between frequency rank (s + 1) and learning point over the learned
       subtasks, with its bootstrap percentile interval; NAN when undefined. */
    double rho, rho_lo, rho_hi;
    /* The pure power law L = A x^-alpha by least squares of log L on log x over the points
       fit_first .. fit_first + fit_count - 1 (from the first point with a subtask learned
       to the last with one not learned); alpha's t interval at the result's level. NAN
       when fewer than 3 points qualify. */
    size_t fit_first, fit_count;
    double alpha, alpha_lo, alpha_hi, log_a;
    double alpha_predicted;     /* the quantization model's exponent for this axis */
} zs_quanta_axis_result;

/* The three experiments of one sparse-parity task. */
typedef struct {
    uint64_t n_tasks, n_bits, k;
    double zipf_exponent;  /* p_s proportional to (s+1)^-zipf_exponent; the paper's alpha + 1 */
    double threshold_bits; /* a subtask is learned below this loss (default 0.1 bits) */
    double level;          /* of every interval (default 0.95) */
    zs_quanta_axis_result axes[ZS_QUANTA_N_AXES];
} zs_quanta_result;

void zs_quanta_result_free(zs_quanta_result *r); /* NULL-safe; leaves *r zeroed */

#ifdef __cplusplus
}
#endif

#endif
