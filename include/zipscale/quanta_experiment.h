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
    int present; /* the experiment was run and analysed */
    size_t n_points, n_subtasks;
    double *x;                 /* n_points, increasing: N (parameters), D (training-set
                                  examples) or S (steps) */
    double *loss_nats;         /* n_points: the test loss at each point */
    double *subtask_loss_nats; /* n_subtasks * n_points, [s * n_points + i]; NAN = not
                                  measured. Subtask s is the (s+1)-th most frequent */
    double *learning_x;        /* n_subtasks: x of the learning point; NAN = never */
    double *fraction_learned;  /* n_points: the fraction of subtasks below the threshold */
    size_t n_learned;          /* subtasks learned by the last point */
    /* Spearman's rho between frequency rank (s + 1) and learning point over the learned
       subtasks, with its bootstrap percentile interval; NAN when undefined. */
    double rho, rho_lo, rho_hi;
    /* The pure power law L = A x^-alpha by least squares of log L on log x over the points
       fit_first .. fit_first + fit_count - 1 (from the first point with a subtask learned
       to the last with one not learned); alpha's t interval at the result's level. NAN
       when fewer than 3 points qualify. */
    size_t fit_first, fit_count;
    double alpha, alpha_lo, alpha_hi, log_a;
    double alpha_predicted; /* the quantization model's exponent for this axis */
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

/* Whether r holds together, as quanta.json requires (docs/quanta.md "quanta.json"): the task
 * (n_tasks, n_bits >= 1, k in 1..n_bits, n_tasks + n_bits < 2^32, zipf_exponent >= 0),
 * threshold_bits > 0, level in (0, 1), at least one axis present; for each present axis
 * n_points >= 1, n_subtasks in 1..n_tasks, every array there, x finite, > 0 and strictly
 * increasing, losses >= 0 or NAN, fractions in [0, 1] or NAN, learning points in
 * [x[0], x[n_points-1]] or NAN, n_learned <= n_subtasks, rho and its interval in [-1, 1] or
 * NAN, rho_lo <= rho_hi, fit_first + fit_count <= n_points, at least 3 fitted points when
 * alpha is not NAN, alpha_lo <= alpha_hi, and no infinity anywhere.
 * Errors: ZS_ERR_RANGE ("quanta result: axes.data.x[3]: expected a number > x[2] (x strictly
 * increasing)"; err->field is the field, "axes.data.x[3]"). */
zs_status zs_quanta_result_check(const zs_quanta_result *r, zs_error *err);

/* Writes r as quanta.json (format "zipscale-quanta", version 1) atomically to path: the task,
 * threshold_bits, level and every field of each present axis (absent axes are left out;
 * NAN is written as null, subtask losses as one array per subtask), numbers to 17
 * significant digits so that zs_quanta_result_read gives r back bit for bit.
 * Errors: ZS_ERR_RANGE (r fails zs_quanta_result_check; nothing is written), ZS_ERR_IO
 * (cannot write or rename into path). */
zs_status zs_quanta_result_write(const zs_quanta_result *r, const char *path, zs_error *err);

/* Reads quanta.json into *r (free it with zs_quanta_result_free): every field checked for
 * its type, every array's length against n_points or n_subtasks, then the whole result as
 * zs_quanta_result_check does. A message names the file and the field, e.g.
 * "q.json: axes.steps.loss_nats: expected an array of n_points (7) numbers or nulls".
 * Errors: ZS_ERR_IO (cannot open or read path), ZS_ERR_FORMAT (not JSON, another format or
 * version, a field missing, of the wrong type or out of its range). On failure *r is
 * zeroed. */
zs_status zs_quanta_result_read(zs_quanta_result *r, const char *path, zs_error *err);

#ifdef __cplusplus
}
#endif

#endif
