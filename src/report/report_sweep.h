/* A sweep's summary.json ("format": "zipscale-sweep-summary", version 1, written by
 * `zipscale sweep analyse`) as the report reads it: every field checked by
 * zs_report_sweep_read (report_sweep.c); null numbers read as NAN. */
#ifndef ZS_REPORT_SWEEP_H
#define ZS_REPORT_SWEEP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "zipscale/core.h"
#include "zipscale/law.h"

/* One dataset's law: an entry of "datasets". Intervals are [lo, hi]. */
typedef struct {
    char *dataset;
    double h, h_stdev;
    double entropy_nats; /* derivation entropy per token: the floor */
    size_t runs;
    zs_chinchilla law;
    double e_ci[2], alpha_ci[2], beta_ci[2];
    double a, a_ci[2];                               /* beta / (alpha + beta) */
    double tokens_per_param, tokens_per_param_ci[2]; /* at the reference budget */
    double residual_rms, holdout_rmse;
    int e_bound_active;
    int e_fixed; /* E was fixed at the floor, not fitted */
} zs_report_sweep_row;

/* A run that did not complete: an entry of "failures". */
typedef struct {
    char *id, *dataset, *model, *status, *message;
    uint64_t tokens, seed;
} zs_report_sweep_failure;

typedef struct {
    char *zipscale_version;
    int nonembed; /* "n": 1 for "nonembed", 0 for "all" */
    double reference_flops;
    size_t level_pct;
    double a_slope, a_slope_ci[2]; /* a regressed on H, and its bootstrap interval */
    size_t n_rows;
    zs_report_sweep_row *rows;
    size_t n_failures;
    zs_report_sweep_failure *failures;
} zs_report_sweep;

/* Reads doc, the parsed content of the file path (named in messages, e.g.
 * "PATH: datasets[2].H: expected a number or null"). On failure *sw holds nothing. */
zs_status zs_report_sweep_read(zs_report_sweep *sw, const char *path, json_t *doc, zs_error *err);
void zs_report_sweep_free(zs_report_sweep *sw);

#endif
