/* zipscale quanta, the measured half: which subtasks ("quanta") of multitask sparse parity a
 * model learns, at which scale (step, width, parameters, data), and whether in the order of
 * their frequency, as the quantization model predicts [QM] Michaud et al. 2023 "The
 * Quantization Model of Neural Scaling". Curves of per-subtask loss, learning points,
 * Spearman's rank correlation with a bootstrap interval, and the emergence JSON file.
 * Guide: docs/quanta.md ("Emergence"). */
#ifndef ZIPSCALE_QUANTA_H
#define ZIPSCALE_QUANTA_H

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- curves: each subtask's loss at each point of a scale -------------------------------
 * A subtask-by-point matrix. Subtask s is the s-th most frequent (id 0 the most frequent:
 * its frequency rank is s + 1). x is the scale, strictly increasing: the step of each
 * evaluation of one run, or the parameter count, width or dataset size of the runs of a
 * sweep. loss_nats[s * n_points + i] is subtask s's mean loss at x[i], in nats; NAN means
 * "not measured". */
typedef struct {
    size_t n_subtasks, n_points;
    double *x;              /* n_points, finite and strictly increasing */
    double *loss_nats;      /* n_subtasks * n_points; finite and >= 0, or NAN */
    double *test_loss_nats; /* n_points: the whole test set's loss at each point (a log's
                               "val_loss"); NAN when not known */
    char x_name[32];        /* what x is: "step" (a training log), or the caller's name */
    char sha256[65];        /* of the log's bytes (zs_quanta_curves_read_log); "" otherwise */
} zs_quanta_curves;

/* Allocates an n_subtasks x n_points matrix: x all 0, every loss NAN, x_name "x".
 * Errors: ZS_ERR_RANGE (n_subtasks or n_points is 0). On failure *c is zeroed. */
zs_status zs_quanta_curves_init(zs_quanta_curves *c, size_t n_subtasks, size_t n_points,
                                zs_error *err);
void zs_quanta_curves_free(zs_quanta_curves *c);
/* Errors: ZS_ERR_RANGE (no subtasks or points, an x not finite or not above the one
 * before it, a loss negative or infinite: the message names x[i] or loss[s][i]). */
zs_status zs_quanta_curves_check(const zs_quanta_curves *c, zs_error *err);

/* Reads a training log (log.jsonl of `zipscale train --model mlp --task parity`): every
 * line that has "subtask_loss" (an evaluation) is one point, with x its "step" (x_name
 * "step"); other lines are skipped. Each such line needs "step", an integer >= 0 above the
 * previous evaluation's, and "subtask_loss", a non-empty array of numbers >= 0 or null
 * (null: not measured), every evaluation's of the same length. Blank lines are skipped.
 * Errors: ZS_ERR_IO (cannot read path), ZS_ERR_FORMAT (a line that is not a JSON object
 * ("PATH:LINE:COLUMN: bad JSON: ..."), a wrong step or subtask_loss, arrays of different
 * lengths ("PATH:LINE: ..."), or no evaluation line at all ("PATH: ...")). On failure *c
 * is zeroed. */
zs_status zs_quanta_curves_read_log(zs_quanta_curves *c, const char *path, zs_error *err);

/* The curves of a family of runs at several scales: run j has scale x[j] and final
 * per-subtask losses final_loss_nats[j][0..n_subtasks) (NAN: not measured). The points are
 * put in increasing order of x; x_name (may be NULL: "x"; kept to 31 bytes) says what
 * x is. Average runs
 * that share a scale (seeds) before calling.
 * Errors: ZS_ERR_RANGE (n_runs or n_subtasks is 0, an x not finite or given twice, a loss
 * negative or infinite: the message names x[j] or the run and subtask). On failure *c is
 * zeroed. */
zs_status zs_quanta_curves_from_runs(zs_quanta_curves *c, const char *x_name, const double *x,
                                     const double *const *final_loss_nats, size_t n_runs,
                                     size_t n_subtasks, zs_error *err);

/* ---- learning points -------------------------------------------------------------------
 * Subtask s is learned at point i when its loss is below the threshold at i (measured and
 * loss < threshold) and at every later measured point: it falls below and stays there. A
 * dip below that comes back above is not learning; points not measured (NAN) are passed
 * over. The learning point is the first such i; a subtask with none is never learned. */
typedef struct {
    int learned;  /* 1: learned at `point`; 0: never */
    size_t point; /* the index into x when learned; n_points otherwise */
    double x;     /* x[point]; NAN when never learned */
} zs_quanta_learning;

/* Fills out[0..n_subtasks). c must pass zs_quanta_curves_check; threshold_nats > 0. */
void zs_quanta_learning_points(const zs_quanta_curves *c, double threshold_nats,
                               zs_quanta_learning *out);
/* For each point i: n_measured[i] subtasks measured there, n_below[i] of them with a loss
 * below the threshold there (whether or not they stay below). Arrays of n_points. */
void zs_quanta_below_counts(const zs_quanta_curves *c, double threshold_nats, size_t *n_measured,
                            size_t *n_below);

/* ---- Spearman's rank correlation, with a bootstrap interval ----------------------------
 * rho is Pearson's correlation of the two samples' ranks, ties given the average of the
 * ranks they span (scipy.stats.spearmanr). It is undefined (NAN) when either sample is
 * constant or has fewer than 2 values. */

/* Average ranks, 1-based: ranks[i] is values[i]'s rank among values[0..n).
 * Errors: only ZS_ERR_NOMEM. */
zs_status zs_quanta_ranks(const double *values, size_t n, double *ranks, zs_error *err);
/* *rho: Spearman's rho of (a[i], b[i]), or NAN when undefined.
 * Errors: ZS_ERR_RANGE (a value not finite). */
zs_status zs_quanta_spearman(const double *a, const double *b, size_t n, double *rho,
                             zs_error *err);

/* A rank correlation needs at least this many pairs (the emergence analysis: learned
 * subtasks); with fewer, rho is NAN with a reason. */
#define ZS_QUANTA_RANK_CORR_MIN_PAIRS 3
#define ZS_QUANTA_BOOTSTRAP_MAX 1000000

typedef struct {
    size_t n;           /* pairs */
    double rho;         /* NAN when undefined; then reason says why */
    const char *reason; /* NULL, or a static text: why rho is NAN */
    /* The percentile interval: resample the n pairs with replacement `replicates` times
     * (replicate r from the RNG stream (seed, mix(tag "quanta.bootstrap", r))), take rho
     * of each; replicates whose rho is undefined (a resample of tied values) are dropped
     * and counted; lo and hi are the (1 - level)/2 and (1 + level)/2 quantiles (numpy's
     * linear interpolation) of the rest. */
    double level;
    uint64_t seed;
    size_t replicates;         /* asked for */
    size_t replicates_used;    /* with rho defined */
    size_t replicates_dropped; /* with rho undefined */
    double lo, hi;             /* NAN when there is no interval; then interval_reason says why */
    const char *interval_reason;
} zs_quanta_rank_corr;

/* rho of (a[i], b[i]) over n pairs, undefined with fewer than
 * ZS_QUANTA_RANK_CORR_MIN_PAIRS, and its bootstrap interval (replicates 0: none).
 * Errors: ZS_ERR_RANGE (a value not finite; replicates above ZS_QUANTA_BOOTSTRAP_MAX or
 * level outside (0, 1): err->field "bootstrap" or "level"). On failure *out is zeroed. */
zs_status zs_quanta_spearman_bootstrap(const double *a, const double *b, size_t n,
                                       size_t replicates, double level, uint64_t seed,
                                       zs_quanta_rank_corr *out, zs_error *err);

/* ---- the emergence analysis --------------------------------------------------------------
 * Learning points of every subtask at a threshold, how many subtasks are below it at each
 * point, and Spearman's rho between frequency rank (s + 1) and learning point (its index:
 * x is increasing, so the ranks are the same) over the learned subtasks. rho > 0: rarer
 * subtasks are learned later, the quantization model's order. */
typedef struct {
    double threshold_bits; /* a subtask is below when its loss < threshold_bits * ln 2 nats,
                              > 0 (default 0.1 bits) */
    size_t bootstrap;      /* replicates of the interval on rho, 0..ZS_QUANTA_BOOTSTRAP_MAX
                              (default 1000; 0: no interval) */
    double level;          /* of the interval, in (0, 1) (default 0.95) */
    uint64_t seed;         /* of the bootstrap (default 0) */
} zs_quanta_emergence_opts;

void zs_quanta_emergence_opts_init(zs_quanta_emergence_opts *opts);
/* Errors: ZS_ERR_RANGE (a field out of range: err->field names it). */
zs_status zs_quanta_emergence_opts_check(const zs_quanta_emergence_opts *opts, zs_error *err);

typedef struct {
    size_t n_subtasks, n_points;
    double threshold_bits, threshold_nats;
    zs_quanta_learning *learning; /* n_subtasks */
    size_t n_learned;
    size_t *n_measured;            /* n_points: subtasks measured at x[i] */
    size_t *n_below;               /* n_points: of them, below the threshold at x[i] */
    double *fraction_below;        /* n_points: n_below / n_measured (NAN when none is measured) */
    size_t *n_learned_by;          /* n_points: subtasks whose learning point is <= i */
    zs_quanta_rank_corr rank_corr; /* frequency rank against learning point */
} zs_quanta_emergence;

/* Errors: ZS_ERR_RANGE (curves or options out of range, as zs_quanta_curves_check and
 * zs_quanta_emergence_opts_check). On failure *out is zeroed. */
zs_status zs_quanta_emergence_analyse(const zs_quanta_curves *c,
                                      const zs_quanta_emergence_opts *opts,
                                      zs_quanta_emergence *out, zs_error *err);
void zs_quanta_emergence_free(zs_quanta_emergence *e);

/* ---- the emergence file ("format": "zipscale-quanta-emergence", version 1) -------------
 * The analysis of curves c, with input_path (may be NULL) and the curves' sha256 as
 * provenance, and with the loss matrix when with_matrix is set (it can be large); every
 * field is in docs/quanta.md. One writer; the command prints the text or writes it. */
#define ZS_QUANTA_EMERGENCE_FORMAT "zipscale-quanta-emergence"
#define ZS_QUANTA_EMERGENCE_VERSION 1

/* The JSON text (2-space indent, reals to 17 digits, trailing newline); free() it.
 * Errors: only ZS_ERR_NOMEM (*text is then NULL). */
zs_status zs_quanta_emergence_format(const zs_quanta_emergence *e, const zs_quanta_curves *c,
                                     const char *input_path, int with_matrix, char **text,
                                     size_t *len, zs_error *err);
/* Writes zs_quanta_emergence_format's text atomically to path.
 * Errors: ZS_ERR_IO (cannot write or rename into path). */
zs_status zs_quanta_emergence_write(const zs_quanta_emergence *e, const zs_quanta_curves *c,
                                    const char *input_path, int with_matrix, const char *path,
                                    zs_error *err);

#ifdef __cplusplus
}
#endif

#endif
