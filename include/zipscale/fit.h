/* zipscale fit: turns a table of training runs into Chinchilla laws. A runs table (CSV)
 * is read, grouped by dataset, fitted in log space with Huber loss from a grid of starts
 * [EP], bootstrapped, and written as law.json (zipscale-law v1, docs/fitting.md), which
 * frontier, regress and predict read back. docs/science.md §7; docs/fitting.md. */
#ifndef ZIPSCALE_FIT_H
#define ZIPSCALE_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "zipscale/core.h"
#include "zipscale/law.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- runs tables -------------------------------------------------------------------
 * A CSV with a header line. Columns N (parameters), D (training tokens) and loss (nats)
 * are required; dataset, H, flops, seed, weight, steps and e_max are optional. Each name
 * can be changed (NULL keeps the default); a column named (non-NULL) must be in the
 * header, even an optional one. Fields are plain numbers (no quoting); a
 * dataset name is any text without a comma. e_max (an upper bound on the law's E in nats,
 * one per dataset) may also be empty or nan: no bound for that dataset. */
typedef struct {
    const char *n_params, *n_tokens, *loss, *dataset, *h, *flops, *seed, *weight;
    const char *steps;
    const char *e_max;
} zs_runs_columns;

/* The default names (what NULL stands for): N, D, loss, dataset, H, flops, seed, weight,
 * steps, e_max. The same pointers on every call, so a caller can tell a default it shows
 * from a name it was given, and pass NULL for the first. */
void zs_runs_columns_init(zs_runs_columns *cols);

typedef struct {
    size_t n_rows;         /* rows kept */
    double *n_params;      /* N, > 0 */
    double *n_tokens;      /* D, > 0 */
    double *loss_nats;     /* > 0 */
    double *flops;         /* the flops column, or 6 N D when it is absent */
    double *weight;        /* the weight column (> 0), or 1 */
    double *steps;         /* the steps column (> 0); NULL when the table has none */
    size_t *dataset_index; /* into dataset_names; all 0 without a dataset column */
    size_t n_datasets;     /* >= 1 when n_rows > 0 */
    char **dataset_names;  /* NULL entries when the table has no dataset column */
    double *dataset_h;     /* each dataset's H (NAN without an H column) */
    double *dataset_e_max; /* each dataset's bound on E (> 0), NAN when it has none */
    int has_dataset, has_h, has_flops, has_weight, has_seed, has_steps;
    int has_e_max;       /* the table has an e_max column (some datasets may still be unbounded) */
    size_t rows_read;    /* data lines read (kept + skipped) */
    size_t rows_skipped; /* bad rows skipped under skip_invalid */
    char sha256[65];     /* of the file's bytes */
} zs_runs;

/* Reads a runs CSV. A bad row fails with "FILE:LINE: reason", or is skipped and counted
 * when skip_invalid is set (a bad header always fails). `cols` may be NULL.
 * Errors: ZS_ERR_IO (cannot open or read path), ZS_ERR_FORMAT (a bad header or row, no
 * header, no valid row: the message names the line and column). On failure *runs is
 * zeroed. */
zs_status zs_runs_read(zs_runs *runs, const char *path, const zs_runs_columns *cols,
                       int skip_invalid, zs_error *err);
/* The same from a buffer; `name` stands for the file in messages.
 * Errors: ZS_ERR_FORMAT (as zs_runs_read). */
zs_status zs_runs_parse(zs_runs *runs, const char *text, size_t len, const char *name,
                        const zs_runs_columns *cols, int skip_invalid, zs_error *err);
void zs_runs_free(zs_runs *runs);
/* The rows of dataset d (0 <= d < n_datasets), in table order, into rows (room for
 * n_rows); returns how many. What fits one law per dataset groups by. */
size_t zs_runs_dataset_rows(const zs_runs *runs, size_t dataset, size_t *rows);
/* Dataset d's name, or "(all rows)" for a table without a dataset column. */
const char *zs_runs_dataset_label(const zs_runs *runs, size_t dataset);

/* ---- the Chinchilla fit --------------------------------------------------------------
 * Parameters p = (e, a, b, alpha, beta), indexed by ZS_LAW_E .. ZS_LAW_BETA, with E = e^e,
 * A = e^a, B = e^b;
 * log L^ = logsumexp(a - alpha log N, b - beta log D, e); the objective is the SUM over
 * points of weight * rho(log L^ - log L), rho = Huber_delta (scipy.special.huber) or r^2
 * (plain least squares). */
typedef enum { ZS_FIT_HUBER, ZS_FIT_LSQ } zs_fit_loss;

/* The points of one fit in log space, with the distinct log N and log D values indexed
 * so the power terms are computed once per distinct value (sweeps reuse sizes). */
typedef struct {
    size_t n;
    double *log_loss, *weight;
    uint32_t *n_index, *d_index; /* into log_n_values, log_d_values */
    size_t n_log_n, n_log_d;
    double *log_n_values, *log_d_values;
    double *scratch; /* zs_fit_objective's work space: one call at a time on one data */
} zs_fit_data;

/* Builds the points from rows[0..n_rows) of the given arrays (weight may be NULL); every
 * N, D and loss must be > 0. Errors: ZS_ERR_RANGE (more than 2^32-1 points). */
zs_status zs_fit_data_init(zs_fit_data *data, const double *n_params, const double *n_tokens,
                           const double *loss_nats, const double *weight, const size_t *rows,
                           size_t n_rows, zs_error *err);
void zs_fit_data_free(zs_fit_data *data);

/* The objective at p; when grad is non-NULL, also its gradient (one pass). It cannot fail
 * (it works in data->scratch, allocated by zs_fit_data_init), so one data takes one call at
 * a time (the fitter's threads each use their own scratch). */
double zs_fit_objective(const zs_fit_data *data, zs_fit_loss loss, double delta,
                        const double p[ZS_LAW_N_PARAMS], double grad[ZS_LAW_N_PARAMS]);

/* A grid of starts: the product of five axes lo, lo+step, ..., <= hi (+1e-9 slack). */
typedef struct {
    double lo, hi, step;
} zs_fit_axis;
typedef struct {
    zs_fit_axis axis[ZS_LAW_N_PARAMS]; /* indexed by ZS_LAW_E .. ZS_LAW_BETA */
} zs_fit_grid;

/* [EP]'s grid: alpha, beta in 0:2:0.5, e in -1:1:0.5, a, b in 0:25:5 (4,500 starts). */
void zs_fit_grid_default(zs_fit_grid *grid);
/* The bootstrap's coarse grid: alpha, beta in {0.5, 1.5}, e in {-1, 0, 1}, a, b in {5, 20}
 * (48 starts). */
void zs_fit_grid_coarse(zs_fit_grid *grid);
/* Parses "alpha=0:2:0.5,beta=0:2:0.5,e=-1:1:0.5,a=0:25:5,b=0:25:5" (any subset of the
 * axes, in any order; the others keep their values in *grid).
 * Errors: ZS_ERR_USAGE (an unknown axis, not LO:HI:STEP, LO > HI, STEP <= 0, too many
 * points). On failure *grid is unchanged. */
zs_status zs_fit_grid_parse(const char *spec, zs_fit_grid *grid, zs_error *err);
/* Writes the spec form of a grid into buf. */
void zs_fit_grid_format(const zs_fit_grid *grid, char *buf, size_t size);
size_t zs_fit_grid_size(const zs_fit_grid *grid);
/* Start number `index` (axes vary fastest from beta to a: alpha, beta, e, a, b order as
 * the peer's itertools.product). */
void zs_fit_grid_point(const zs_fit_grid *grid, size_t index, double p[ZS_LAW_N_PARAMS]);

typedef struct {
    zs_fit_loss loss;
    double delta;     /* Huber delta (default 1e-3) */
    zs_fit_grid grid; /* default: zs_fit_grid_default */
    int threads;      /* 0 = all cores; results do not depend on it */
    int max_iterations;
    /* Upper bound on E (nats, > 0); INFINITY (the default) = none. The fit returns the best
     * fit with E <= e_max: when the unconstrained fit's E satisfies the bound it is returned
     * unchanged (bit for bit); otherwise the lowest objective among the unconstrained
     * starts' optima that satisfy it and the optima of a 4-parameter fit with E fixed at
     * e_max from every start (docs/fitting.md, "Bounding E"). */
    double e_max;
    /* 1 with a finite e_max: E is not fitted but fixed at e_max (the 4-parameter fit from
     * every start alone): for data whose irreducible loss is known (docs/fitting.md,
     * "Fixing E"). Default 0. */
    int e_fixed;
} zs_fit_opts;

void zs_fit_opts_init(zs_fit_opts *opts);

typedef struct {
    zs_chinchilla law;
    double p[ZS_LAW_N_PARAMS];
    double objective;
    double residual_rms; /* of log L^ - log L, unweighted */
    size_t n_points;
    int converged;      /* the winning start met the gradient or decrease test */
    size_t start_index; /* which start won (lowest index on ties) */
    int iterations;     /* the winning start's L-BFGS iterations */
    int e_bound_active; /* the optimum lies on E = e_max (from the fixed-E fit; start_index
                           then numbers that fit's starts) */
} zs_fit_result;

/* L-BFGS (memory 10, weak-Wolfe line search) from every start of opts->grid (plus
 * `extra` starts, numbered after the grid's; may be NULL), best objective kept; parallel
 * over starts. With a finite opts->e_max, the best fit with E <= e_max (see zs_fit_opts);
 * an e_max that is not a positive number (or +INFINITY) is ZS_ERR_USAGE.
 * Errors: ZS_ERR_RANGE (no points), ZS_ERR_USAGE (bad e_max, no starts), ZS_ERR_NUMERIC (no
 * start reached a finite objective). On failure *result is zeroed. */
zs_status zs_fit_chinchilla(const zs_fit_data *data, const zs_fit_opts *opts,
                            const double (*extra)[ZS_LAW_N_PARAMS], size_t n_extra,
                            zs_fit_result *result, zs_error *err);
/* Fills law, residual_rms and n_points from p. */
void zs_fit_result_finish(const zs_fit_data *data, zs_fit_result *result);

/* ---- bootstrap -------------------------------------------------------------------------
 * Replicate r resamples the points with replacement from stream (seed, r) and refits
 * from the full fit's optimum plus the coarse grid (docs/fitting.md shows it lands on
 * the full grid's optimum). Parallel over replicates; identical for any thread count. */
typedef struct {
    double se, lo, hi; /* standard error; percentile interval at `level` */
} zs_interval;

/* The level of bootstrap percentile intervals unless one is chosen (zs_fit_table_opts,
 * zs_predict_opts). */
#define ZS_BOOTSTRAP_LEVEL 0.95

enum {
    /* ZS_LAW_E .. ZS_LAW_BETA (law.h), then: */
    ZS_BOOT_a = ZS_LAW_N_PARAMS, /* beta / (alpha + beta): N_opt's exponent */
    ZS_BOOT_b,                   /* alpha / (alpha + beta): D_opt's exponent */
    ZS_BOOT_NSTATS
};
extern const char *const zs_boot_stat_names[ZS_BOOT_NSTATS]; /* "E", ..., "a", "b" */

typedef struct {
    size_t replicates; /* laws kept in samples */
    size_t degenerate; /* refits left out: a parameter overflowed (A or B infinite) */
    uint64_t seed;
    double level;
    zs_chinchilla *samples; /* one law per replicate */
    zs_interval stats[ZS_BOOT_NSTATS];
} zs_bootstrap;

/* How many times replicate r draws each of the n points (n draws with replacement from
 * stream (seed, r)): counts[0..n). */
void zs_fit_bootstrap_counts(size_t n, uint64_t seed, size_t replicate, uint32_t *counts);
/* refit_grid NULL = zs_fit_grid_coarse. Every refit respects opts->e_max as the full fit
 * does. Errors: ZS_ERR_RANGE (no points or replicates, level not in (0, 1)), ZS_ERR_USAGE
 * (a refit refused opts: bad e_max), ZS_ERR_NUMERIC (a refit found no finite objective,
 * or every replicate's law overflowed). On failure *boot is zeroed. */
zs_status zs_fit_bootstrap(const zs_fit_data *data, const zs_fit_opts *opts,
                           const zs_fit_result *full, const zs_fit_grid *refit_grid,
                           size_t replicates, uint64_t seed, double level, zs_bootstrap *boot,
                           zs_error *err);
/* Recomputes stats from samples (used by the reader too).
 * Errors: ZS_ERR_RANGE (no replicates, level not in (0, 1)); *boot is then unchanged. */
zs_status zs_bootstrap_summarize(zs_bootstrap *boot, zs_error *err);
void zs_bootstrap_free(zs_bootstrap *boot);

/* ---- law.json (zipscale-law, format_version 1) ------------------------------------ */
typedef struct {
    double n_params, n_tokens, loss_nats, predicted_nats;
} zs_holdout_point;

typedef struct {
    size_t k;
    double rmse, max_abs_error; /* of predicted - observed loss, nats */
    zs_holdout_point *points;
} zs_holdout;

typedef struct {
    char *dataset; /* NULL when the table has no dataset column */
    double h;      /* NAN when unknown */
    size_t n_points;
    zs_chinchilla law;
    double objective, residual_rms;
    int converged;
    int has_bootstrap;
    zs_bootstrap bootstrap;
    int has_holdout;
    zs_holdout holdout;
    double e_max;       /* the bound on E the fit used; NAN when none (a value not > 0, as in
                           a zeroed struct, is written as none too); optional in law.json */
    int e_bound_active; /* E sits at e_max (zs_fit_result.e_bound_active) */
    int e_fixed;        /* E was fixed at e_max, not fitted (optional in law.json) */
} zs_lawfit;

typedef struct {
    char *zipscale_version;
    char *input_path;
    char input_sha256[65];
    size_t rows_read, rows_skipped;
    /* options */
    zs_fit_loss loss;
    double delta;
    char *grid; /* spec form */
    size_t bootstrap_replicates;
    uint64_t seed;
    double level;
    size_t holdout_largest;
    size_t n_fits;
    zs_lawfit *fits;
} zs_lawfile;

/* ---- fitting a whole runs table ----------------------------------------------------------
 * One fit per dataset (rows grouped by the dataset column, in order of first appearance).
 * With holdout_largest K, each dataset's K largest runs by compute (the flops column, else
 * 6 N D) are left out of its fit and predicted: the fit reported is the one on the rest. */
typedef struct {
    zs_fit_opts fit;
    size_t bootstrap_replicates; /* 0 = no bootstrap */
    uint64_t seed;
    double level; /* of the percentile intervals (default ZS_BOOTSTRAP_LEVEL) */
    size_t holdout_largest;
    /* 1: a dataset with an e_max in the runs table is fitted with E <= that bound (and
     * fit.e_max, when finite, still applies: the smaller wins); a table without the
     * e_max column is then an error. Default 0. */
    int bound_e;
    /* 1 (with bound_e): such a dataset's E is fixed at its e_max instead (zs_fit_opts.e_fixed). */
    int fix_e;
} zs_fit_table_opts;

void zs_fit_table_opts_init(zs_fit_table_opts *opts);
/* Fills *law (free with zs_lawfile_free); input_path is recorded as given.
 * Errors: ZS_ERR_USAGE (a bad option: delta, level, e_max, seed, an empty grid; bound_e
 * without an e_max column), ZS_ERR_RANGE (a dataset with too few runs or sizes to fit, or
 * holding out all), ZS_ERR_NUMERIC (a fit or bootstrap that found no finite objective);
 * the message names the dataset. On failure *law is zeroed. */
zs_status zs_fit_table(const zs_runs *runs, const char *input_path, const zs_fit_table_opts *opts,
                       zs_lawfile *law, zs_error *err);

/* Reads and validates law.json: every field of the schema, with "FILE: fits[2].law.E:
 * expected a positive number" style messages.
 * Errors: ZS_ERR_IO (cannot open or read path), ZS_ERR_FORMAT (not JSON, or not a law.json:
 * the message names the field). On failure *law is zeroed. */
zs_status zs_lawfile_read(zs_lawfile *law, const char *path, zs_error *err);
/* The JSON text (2-space indent, reals to 17 digits, trailing newline); free() it.
 * Errors: only ZS_ERR_NOMEM (*text is then NULL). */
zs_status zs_lawfile_format(const zs_lawfile *law, char **text, zs_error *err);
/* Writes the JSON text atomically. Errors: ZS_ERR_IO (cannot write or rename into path). */
zs_status zs_lawfile_write(const zs_lawfile *law, const char *path, zs_error *err);
void zs_lawfile_free(zs_lawfile *law);

#ifdef __cplusplus
}
#endif
#endif
