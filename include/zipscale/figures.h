/* zipscale figures: the fitting results as ready-made figures (zipscale/plot.h objects),
 * built here once so the `plot` subcommands and the HTML report draw the same thing: loss
 * against N or D from a runs table (with the fitted law), iso-FLOP curves and the
 * compute-optimal frontier, law parameters against H, training curves from JSONL logs, and
 * the quantization model's experiments (per-subtask losses, emergence, scaling, learning
 * points, fitted against predicted exponents). */
#ifndef ZIPSCALE_FIGURES_H
#define ZIPSCALE_FIGURES_H

#include <stddef.h>

#include "zipscale/core.h"
#include "zipscale/fit.h"
#include "zipscale/frontier.h"
#include "zipscale/plot.h"
#include "zipscale/quanta_experiment.h"
#include "zipscale/quanta_qdg_file.h"
#include "zipscale/quanta_tokens.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every figure is allocated at width_pt x height_pt; free it with zs_plot_free. A size
 * outside [100, 20000] pt is ZS_ERR_RANGE (zs_plot_create), and on failure *out is NULL. */
typedef struct {
    double width_pt, height_pt;
} zs_figure_size;

/* The default size, 640 x 440 points (what a NULL size means). */
void zs_figure_size_init(zs_figure_size *size);

/* ---- loss against model or data size ---------------------------------------------------
 * Dataset `dataset` of the runs: with ZS_FIGURE_BY_N, loss against N (log x, log y), one
 * colour per distinct D (points, legend "D = 100k"); with ZS_FIGURE_BY_D the roles swap.
 * When `law` is non-NULL, each colour also gets the law's curve (same colour, no legend
 * entry) over the table's range. */
typedef enum { ZS_FIGURE_BY_N, ZS_FIGURE_BY_D } zs_figure_by;

/* Errors: ZS_ERR_RANGE (dataset out of range, a bad size). */
zs_status zs_figure_loss_vs_size(const zs_runs *runs, size_t dataset, const zs_chinchilla *law,
                                 zs_figure_by by, const zs_figure_size *size, zs_plot **out,
                                 zs_error *err);

/* ---- iso-FLOP curves and the frontier --------------------------------------------------
 * For each budget C, the law's iso-FLOP loss L(N, C / 6N) against N (log x) over
 * N_opt(C) / 30 .. 30 N_opt(C); the law's compute-optimal frontier through their minima
 * (a line over the budgets' range, points at each budget); and Chinchilla's published
 * allocation N_opt(C) [CH] marked on the same curves: the loss this law gives when N is
 * chosen Chinchilla's way. Budgets > 0, at least one.
 * How many budgets, log-spaced over a range, unless the caller chooses (`zipscale plot
 * frontier --budgets`; the report draws the default), and at most how many for a readable
 * legend: */
#define ZS_FIGURE_FRONTIER_BUDGETS 5
#define ZS_FIGURE_FRONTIER_BUDGETS_MAX 12
/* Errors: ZS_ERR_RANGE (no budget, a budget not finite and > 0, a law with no frontier, a
 * bad size). */
zs_status zs_figure_frontier(const zs_chinchilla *law, const double *budgets_flops,
                             size_t n_budgets, const zs_figure_size *size, zs_plot **out,
                             zs_error *err);

/* ---- law parameters against H ----------------------------------------------------------
 * Parameter `param` (ZS_LAW_E .. ZS_LAW_BETA) of each dataset's law against its H
 * (points), the regression line x(H) = m H + n, and a band: with bootstrap replicates the
 * percentile band of the replicate lines at rf->level, else the OLS 95% confidence band
 * of the mean, t(n-2) s sqrt(1/n + (H - mean H)^2 / Sxx).
 * Errors: ZS_ERR_RANGE (param out of range, fewer than 3 datasets, a bad size). */
zs_status zs_figure_params_vs_h(const zs_regressfile *rf, int param, const zs_figure_size *size,
                                zs_plot **out, zs_error *err);

/* ---- training logs ---------------------------------------------------------------------
 * The trainer's log: one JSON object per line with numbers step, tokens, lr, train_loss,
 * val_loss (absent, or null, on steps without evaluation), grad_norm, tok_per_s. Blank
 * lines are skipped; other keys are ignored. val_loss is NAN where absent. */
typedef struct {
    size_t n;
    double *step, *tokens, *lr, *train_loss, *val_loss, *grad_norm, *tok_per_s;
    size_t n_val; /* records with a val_loss */
} zs_trainlog;

/* Fails with "FILE:LINE: reason" (bad JSON, not an object, a missing key, a value that is
 * not a finite number, a negative value) or "FILE: no records".
 * Errors: ZS_ERR_IO (cannot open or read path), ZS_ERR_FORMAT (as above). On failure *log
 * is zeroed. */
zs_status zs_trainlog_read(zs_trainlog *log, const char *path, zs_error *err);
void zs_trainlog_free(zs_trainlog *log);

/* Train loss (a line) and val loss (points, same colour) against tokens (log x) for each
 * log, one colour per log, in the legend as "NAME train" and "NAME val". Steps with
 * tokens = 0 cannot sit on a log axis and are left out; a log without val_loss gets only
 * its train line; a log with no step beyond 0 tokens is an error.
 * Errors: ZS_ERR_RANGE (no logs, a log with no step beyond 0 tokens, a bad size). */
zs_status zs_figure_training_curves(const zs_trainlog *logs, const char *const *names,
                                    size_t n_logs, const zs_figure_size *size, zs_plot **out,
                                    zs_error *err);

/* ---- gzip ratios per dataset -------------------------------------------------------------
 * The gzip paper's first figure: group i is dataset names[i] with its counts[i] per-sequence
 * gzip ratios values[i], drawn as a box (ZS_PLOT_BOX: the median line is the dataset's H)
 * or a violin, on the y axis ZS_FIGURE_GZIP_LABEL. title may be NULL; xlabel NULL means
 * "dataset". */
#define ZS_FIGURE_GZIP_LABEL "gzip compressibility H (compressed / raw bytes)"

/* Errors: ZS_ERR_USAGE (no groups, a group without a name), ZS_ERR_RANGE (a group with no
 * finite value, a bad size). */
zs_status zs_figure_gzip_ratios(const char *const *names, const double *const *values,
                                const size_t *counts, size_t n, const char *title,
                                const char *xlabel, zs_plot_dist_style style,
                                const zs_figure_size *size, zs_plot **out, zs_error *err);

/* ---- monogenic and polygenic tokens [QM] (docs/quanta.md) ---------------------------------
 * Each class's mean loss (nats) against the models' parameter count (log x), one line per
 * class that has tokens, its count and share in the legend.
 * Errors: ZS_ERR_RANGE (no model or no token, a bad size). */
zs_status zs_figure_token_classes(const zs_token_classes *c, const zs_figure_size *size,
                                  zs_plot **out, zs_error *err);

/* ---- quanta discovery from gradients (QDG) [QM] (docs/quanta.md "QDG figures and report") --
 * Rank-frequency: each cluster's size against its rank (1 = largest; log-log; empty
 * clusters cannot sit on the log axis and are left out, as the legend says) and, when the
 * variant has a slope, the fitted power law size = e^b rank^slope over its rank window
 * (zs_qdg_file_intercept), its slope in the legend.
 * Errors: ZS_ERR_RANGE (no cluster with a sample, a bad size). */
zs_status zs_figure_qdg_rank_frequency(const zs_qdg_file_variant *v, const zs_figure_size *size,
                                       zs_plot **out, zs_error *err);

/* The most cells a side of the affinity heatmap may have, and what `zipscale plot qdg` and
 * the report draw unless told: an SVG holds one element per cell. */
#define ZS_FIGURE_QDG_CELLS_MAX 1000
#define ZS_FIGURE_QDG_CELLS 200
/* The affinity matrix a (n, n) row-major, samples ordered by cluster (zs_qdg_cluster_order:
 * clusters largest first) on both axes (position 0 at the origin), as a heatmap of m x m
 * cells, m = min(n, cells): cell (i, j) is the mean of a over the ordered positions
 * [floor(i n / m), floor((i + 1) n / m)) x [floor(j n / m), ...), so the picture is the
 * same for the same inputs. `what` (may be NULL) goes into the title (the variant's name).
 * Errors: ZS_ERR_USAGE (n is 0, cells not 1 .. ZS_FIGURE_QDG_CELLS_MAX), ZS_ERR_NOMEM,
 * ZS_ERR_RANGE (a bad size). */
zs_status zs_figure_qdg_affinity(const float *a, const uint32_t *labels, size_t n, size_t cells,
                                 const char *what, const zs_figure_size *size, zs_plot **out,
                                 zs_error *err);

/* ---- the quantization model's experiments [QM] (docs/quanta.md "Figures") ------------------
 * Each draws one experiment (axis) of a quanta result, losses in bits (nats / ln 2).
 * Subtask losses: one line per subtask against x (log x, linear loss), coloured by frequency
 * rank with viridis (rank 1 darkest; the first and last ranks in the legend), and the
 * threshold threshold_bits as a dashed line. Emergence: a heatmap of each subtask's loss, rank
 * (1 at the bottom) against the point's number along the axis (1 .. n_points; the x label
 * gives the first and last x). Scaling: the loss at each point (log-log; a loss of 0 cannot
 * sit on the log axis and is left out), the fitted L = A x^-alpha as a line over its fit
 * range (none when alpha is NAN), and the predicted slope alpha_predicted as a dashed line
 * through the fitted law at the geometric middle of the fit range (without a fit, through
 * the measured point nearest the middle, over every point). Learning points: each learned
 * subtask's learning point against its rank (log-log); subtasks never learned are left out,
 * as the legend says.
 * Errors: ZS_ERR_RANGE (axis not an axis or not present in r, no subtask loss measured, no
 * positive loss, no subtask learned, a bad size). */
zs_status zs_figure_quanta_subtask_losses(const zs_quanta_result *r, zs_quanta_axis axis,
                                          const zs_figure_size *size, zs_plot **out, zs_error *err);
/* Errors: as zs_figure_quanta_subtask_losses. */
zs_status zs_figure_quanta_emergence(const zs_quanta_result *r, zs_quanta_axis axis,
                                     const zs_figure_size *size, zs_plot **out, zs_error *err);
/* Errors: as zs_figure_quanta_subtask_losses. */
zs_status zs_figure_quanta_scaling(const zs_quanta_result *r, zs_quanta_axis axis,
                                   const zs_figure_size *size, zs_plot **out, zs_error *err);
/* Errors: as zs_figure_quanta_subtask_losses. */
zs_status zs_figure_quanta_learning_points(const zs_quanta_result *r, zs_quanta_axis axis,
                                           const zs_figure_size *size, zs_plot **out,
                                           zs_error *err);
/* For each present experiment, the fitted alpha with its interval as an error bar at x = 1
 * (params), 2 (data) or 3 (steps), just left, and the predicted alpha as a point just right
 * (`zipscale quanta compare -o`). Errors: ZS_ERR_RANGE (no experiment has a fitted or a
 * predicted alpha, a bad size). */
zs_status zs_figure_quanta_compare(const zs_quanta_result *r, const zs_figure_size *size,
                                   zs_plot **out, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
