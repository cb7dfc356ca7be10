/* zipscale fit, the downstream half: ordinary least squares with p-values, one-variable
 * power laws, the compute-optimal frontier of a Chinchilla law, the regression of a law's
 * parameters on gzip compressibility H, the gzip-adjusted law, and prediction. Consumes
 * the laws the Chinchilla fitter writes (law.json); docs/science.md §7, docs/fitting.md. */
#ifndef ZIPSCALE_FRONTIER_H
#define ZIPSCALE_FRONTIER_H

#include "zipscale/core.h"
#include "zipscale/law.h"
#include "zipscale/fit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ordinary least squares: y = slope * x + intercept ---------------------------------
 * Standard errors from s^2 = SSE / (n - 2); t = estimate / standard error; p is the
 * two-sided tail of Student's t with n - 2 degrees of freedom (GSL). With an exact fit
 * (SSE = 0) the standard errors are 0, t is +-inf (0 for a zero estimate) and p is 0
 * (1). Needs n >= 3 finite points and at least two distinct x. */
typedef struct {
    uint64_t n;
    double slope, intercept;
    double slope_se, intercept_se;
    double slope_t, intercept_t;
    double slope_p, intercept_p;
    double r2;          /* 1 - SSE / SST; 1 when y is constant and fitted exactly */
    double residual_sd; /* sqrt(SSE / (n - 2)) */
} zs_ols;

/* Errors: ZS_ERR_RANGE (fewer than 3 points, a non-finite x or y, every x equal). On
 * failure *out is zeroed. */
zs_status zs_ols_fit(const double *x, const double *y, size_t n, zs_ols *out, zs_error *err);

/* ---- one-variable power laws of loss against x (N, D, steps or compute) ---------------
 * PURE:   L = A * x^-alpha, by OLS of log L on log x (E is 0).
 * OFFSET: L = E + A * x^-alpha, nonlinear least squares in linear space by variable
 *         projection: for each alpha, E and A are a linear fit on x^-alpha; the sum of
 *         squares is minimised over alpha on a grid, then by golden section. Standard
 *         errors from the Jacobian, s^2 (J^T J)^-1 with s^2 = SSE / (n - 3).
 * Intervals are estimate +- t * se with Student's t at `level` (n - 2 or n - 3 degrees
 * of freedom); A's interval is taken on log A, so it is A * exp(+-t * se(log A)). */
typedef enum { ZS_POWERLAW_PURE, ZS_POWERLAW_OFFSET } zs_powerlaw_form;

/* An estimate with its standard error and the [lo, hi] interval at the fit's level. */
typedef struct {
    double value, se, lo, hi;
} zs_estimate;

typedef struct {
    zs_powerlaw_form form;
    uint64_t n;
    double level;
    zs_estimate E, A, alpha;
    double residual_rms; /* sqrt(mean (L - L_hat)^2), in loss units */
} zs_powerlaw;

/* Which forms a caller fits, at which level: what `zipscale powerlaw` starts from. */
typedef struct {
    int fit_pure, fit_offset; /* 1: fit this form (default: both) */
    double level;             /* of the t intervals, in (0, 1) (default 0.95) */
} zs_powerlaw_opts;

void zs_powerlaw_opts_init(zs_powerlaw_opts *opts);

/* The search range of alpha for the OFFSET form. */
#define ZS_POWERLAW_ALPHA_MAX 4.0

/* x > 0 and loss > 0, finite; n >= 3 (PURE) or n >= 4 (OFFSET); level in (0, 1).
 * Errors: ZS_ERR_RANGE (an input outside those ranges: the message names it),
 * ZS_ERR_NUMERIC (OFFSET: alpha at the edge of its search range, A <= 0, a singular
 * Jacobian). On failure *out is zeroed. */
zs_status zs_powerlaw_fit(const double *x, const double *loss, size_t n, zs_powerlaw_form form,
                          double level, zs_powerlaw *out, zs_error *err);
double zs_powerlaw_loss(const zs_powerlaw *law, double x);
const char *zs_powerlaw_form_name(zs_powerlaw_form form); /* "pure", "offset" */

/* ---- the compute-optimal frontier of L(N, D) = E + A/N^alpha + B/D^beta ----------------
 * With C = 6 N D: a = beta/(alpha+beta), b = alpha/(alpha+beta),
 * G = (alpha A / (beta B))^(1/(alpha+beta)), N_opt = G (C/6)^a, D_opt = (C/6)^b / G
 * [CH, docs/science.md §7]. Needs A, B, alpha, beta > 0 and finite. */
typedef struct {
    double a, b, G;
} zs_frontier_exponents;

/* Errors: ZS_ERR_RANGE (A, B, alpha or beta not finite and > 0). On failure *out is
 * zeroed. */
zs_status zs_frontier_exponents_of(const zs_chinchilla *law, zs_frontier_exponents *out,
                                   zs_error *err);

typedef struct {
    double compute_flops, n_params, n_tokens;
    double tokens_per_param; /* D_opt / N_opt */
    double loss_nats;        /* L(N_opt, D_opt) */
} zs_frontier_point;

/* Errors: ZS_ERR_RANGE (compute not finite and > 0, or a law with no frontier, as
 * zs_frontier_exponents_of). On failure *out is zeroed. */
zs_status zs_frontier_point_at(const zs_chinchilla *law, double compute_flops,
                               zs_frontier_point *out, zs_error *err);
/* The iso-FLOP curve: L(N, C / (6N)). */
double zs_frontier_isoflop_loss(const zs_chinchilla *law, double compute_flops, double n_params);

/* ---- iso-FLOP curves: loss against N at a fixed budget C -------------------------------
 * `points` values of N log-spaced from N_opt(C) / 10^span_decades to
 * N_opt(C) * 10^span_decades (one point: N_opt itself), each with D = C / (6 N) and the
 * law's loss L(N, D). */
#define ZS_ISOFLOP_POINTS_MAX 10000
#define ZS_ISOFLOP_SPAN_MAX 10.0 /* decades */

typedef struct {
    size_t points;       /* per curve, 1..ZS_ISOFLOP_POINTS_MAX (default 9) */
    double span_decades; /* each side of N_opt, in (0, ZS_ISOFLOP_SPAN_MAX] (default 1) */
} zs_isoflop_opts;

void zs_isoflop_opts_init(zs_isoflop_opts *opts);
/* Errors: ZS_ERR_RANGE (points or span_decades out of range; err->field names it). */
zs_status zs_isoflop_opts_check(const zs_isoflop_opts *opts, zs_error *err);

typedef struct {
    double n_params, n_tokens; /* 6 N D = C */
    double loss_nats;          /* L(N, D) */
} zs_isoflop_point;

/* The curve at compute_flops into out (room for opts->points), smallest N first.
 * Errors: ZS_ERR_RANGE (opts out of range, as zs_isoflop_opts_check; compute not finite
 * and > 0; a law with no frontier, as zs_frontier_exponents_of). On failure out is left as
 * it was. */
zs_status zs_frontier_isoflop_points(const zs_chinchilla *law, double compute_flops,
                                     const zs_isoflop_opts *opts, zs_isoflop_point *out,
                                     zs_error *err);
/* count budgets log-spaced from lo to hi inclusive (count 1: just lo); 0 < lo <= hi.
 * Errors: ZS_ERR_RANGE (lo or hi not finite and > 0, lo > hi, count 0). */
zs_status zs_frontier_log_range(double lo, double hi, size_t count, double *out, zs_error *err);

typedef struct {
    double lo, hi;
} zs_bounds;

/* Percentile intervals (numpy's linear quantiles at (1-level)/2 and (1+level)/2) of the
 * frontier over a sample of laws (bootstrap replicates). Laws with no frontier (a
 * parameter <= 0) are left out and counted in `skipped`; at least one must remain. */
typedef struct {
    zs_bounds n_params, n_tokens, tokens_per_param, loss_nats;
    uint64_t used, skipped;
} zs_frontier_interval;

/* Errors: ZS_ERR_RANGE (level not in (0, 1), compute not finite and > 0, no law with a
 * frontier). On failure *out is zeroed. */
zs_status zs_frontier_interval_at(const zs_chinchilla *laws, size_t n_laws, double compute_flops,
                                  double level, zs_frontier_interval *out, zs_error *err);

/* ---- one fit's frontier over a list of budgets -------------------------------------------
 * What `zipscale frontier` prints for each fit of a law.json: the exponents, the frontier
 * point at each budget, its percentile intervals over the fit's bootstrap laws (at the
 * bootstrap's level) and, when asked, the iso-FLOP curve at each budget. */
typedef struct {
    zs_frontier_exponents exponents;
    size_t n_budgets;
    zs_frontier_point *points;       /* n_budgets */
    zs_frontier_interval *intervals; /* n_budgets; NULL when the fit has no bootstrap */
    size_t isoflop_points;           /* per budget; 0 without iso-FLOP curves */
    zs_isoflop_point *isoflop;       /* budget b's curve at isoflop[b * isoflop_points]; or NULL */
} zs_frontier_table;

/* isoflop may be NULL: no curves.
 * Errors: ZS_ERR_RANGE (a law with no frontier, a budget not finite and > 0, the
 * bootstrap's level not in (0, 1) or none of its laws with a frontier, isoflop out of
 * range: as zs_frontier_point_at, zs_frontier_interval_at, zs_frontier_isoflop_points).
 * On failure *table is zeroed. */
zs_status zs_frontier_table_init(zs_frontier_table *table, const zs_lawfit *fit,
                                 const double *budgets, size_t n_budgets,
                                 const zs_isoflop_opts *isoflop, zs_error *err);
void zs_frontier_table_free(zs_frontier_table *table);

/* ---- the data-dependent law [GZ] --------------------------------------------------------
 * Each parameter x of per-dataset laws regressed linearly on the datasets' H:
 * x(H) = m_x H + n_x, and the gzip-adjusted law (1 - epsilon) x_reference + epsilon x(H). */

typedef struct {
    zs_ols param[ZS_LAW_N_PARAMS]; /* indexed by ZS_LAW_E.. */
} zs_regression;

/* The regression lines alone (slope m, intercept n per parameter): what a bootstrap
 * replicate of the regression keeps. */
typedef struct {
    double slope[ZS_LAW_N_PARAMS], intercept[ZS_LAW_N_PARAMS];
} zs_regress_lines;

/* n >= 3 datasets with at least two distinct H.
 * Errors: ZS_ERR_RANGE (as zs_ols_fit; the message names the parameter). On failure *out
 * is zeroed. */
zs_status zs_regress_fit(const zs_chinchilla *laws, const double *H, size_t n, zs_regression *out,
                         zs_error *err);
void zs_regress_lines_of(const zs_regression *reg, zs_regress_lines *out);
/* Replicate r regresses samples[d * n_replicates + r] (dataset d's r-th bootstrap law) on
 * H; out holds n_replicates lines.
 * Errors: ZS_ERR_RANGE (as zs_regress_fit; the message names the replicate). On failure
 * out[0..n_replicates) is zeroed. */
zs_status zs_regress_replicates(const zs_chinchilla *samples, const double *H, size_t n_datasets,
                                size_t n_replicates, zs_regress_lines *out, zs_error *err);
/* The law x(H) the lines give, and the gzip-adjusted law; epsilon in [0, 1]. */
zs_chinchilla zs_regress_law_at(const zs_regress_lines *lines, double H);
/* Errors: ZS_ERR_RANGE (epsilon not in [0, 1], H not finite). On failure *out is zeroed. */
zs_status zs_regress_adjusted(const zs_chinchilla *reference, const zs_regress_lines *lines,
                              double H, double epsilon, zs_chinchilla *out, zs_error *err);

/* ---- regression.json (zipscale-regression, format_version 1; docs/fitting.md) ----------
 * What `zipscale regress` writes and `zipscale predict` reads: the per-dataset laws and
 * their H, the regression of each parameter on H, the reference law for the adjusted
 * law, and, when every dataset carried bootstrap samples, one regression per replicate. */
typedef struct {
    char *input_path; /* the law.json it came from */
    char input_sha256[65];
    size_t n_datasets;
    char **dataset_names; /* entries NULL for an unnamed dataset */
    double *H;
    zs_chinchilla *laws;
    zs_regression regression;
    zs_chinchilla reference; /* zs_chinchilla_published() unless changed */
    size_t n_replicates;     /* 0: no bootstrap */
    double level;            /* of the bootstrap intervals */
    zs_regress_lines *replicates;
} zs_regressfile;

/* Regresses laws[d] on H[d] and, when n_replicates > 0, each replicate r of
 * samples[d * n_replicates + r]; copies names (may be NULL) and the input's provenance
 * (input_sha256 may be NULL: written as null).
 * Errors: ZS_ERR_RANGE (level not in (0, 1) when n_replicates > 0, field "level"; as
 * zs_regress_fit, zs_regress_replicates). On failure *rf is zeroed. */
zs_status zs_regressfile_build(zs_regressfile *rf, const char *input_path, const char *input_sha256,
                               char *const *names, const double *H, const zs_chinchilla *laws,
                               size_t n_datasets, const zs_chinchilla *samples, size_t n_replicates,
                               double level, zs_error *err);
/* The regression of a law.json's fits on their H: at least 3 fits, each with an H; the
 * bootstrap replicates are regressed when every fit has them (as many as all have). `path`
 * names the law.json in messages and provenance; sha256 (its digest) may be NULL.
 * Errors: ZS_ERR_RANGE (fewer than 3 fits; as zs_regressfile_build), ZS_ERR_FORMAT (a fit
 * without H). On failure *rf is zeroed. */
zs_status zs_regressfile_from_lawfile(zs_regressfile *rf, const zs_lawfile *lf, const char *path,
                                      const char *sha256, zs_error *err);
/* The JSON text (2-space indent, reals to 17 digits, trailing newline); free() it.
 * Errors: only ZS_ERR_NOMEM (*text is then NULL). */
zs_status zs_regressfile_format(const zs_regressfile *rf, char **text, zs_error *err);
/* Writes the JSON text atomically. Errors: ZS_ERR_IO (cannot write or rename into path). */
zs_status zs_regressfile_write(const zs_regressfile *rf, const char *path, zs_error *err);
/* Reads and checks every field: "FILE: regressions.alpha.slope: expected a number". Laws
 * need E >= 0 and A, B positive; each regression's n is at most the number of datasets,
 * its p-values in [0, 1]; the bootstrap level in (0, 1); input.sha256 may be null (read as
 * an empty input_sha256).
 * Errors: ZS_ERR_IO (cannot open or read path), ZS_ERR_FORMAT (not JSON, or not a
 * regression.json: the message names the field). On failure *rf is zeroed. */
zs_status zs_regressfile_read(zs_regressfile *rf, const char *path, zs_error *err);
void zs_regressfile_free(zs_regressfile *rf);

/* ---- prediction: the frontier of the adjusted law at H ---------------------------------- */
typedef struct {
    double H, epsilon, level;
    zs_chinchilla law;       /* the adjusted law at H */
    zs_frontier_point point; /* its frontier at the budget */
    int has_interval;        /* 1 when replicates were given */
    zs_frontier_interval interval;
} zs_prediction;

/* How `zipscale predict` evaluates the data-dependent law. */
typedef struct {
    double epsilon; /* the regression's weight in the adjusted law, [0, 1] (default 1) */
    /* Of the intervals, in (0, 1); 0 (the default): the regression's bootstrap level, or
     * ZS_BOOTSTRAP_LEVEL when it has no replicates (zs_predict_level). */
    double level;
} zs_predict_opts;

void zs_predict_opts_init(zs_predict_opts *opts);
/* The interval level opts give for rf: opts->level when set, else as above. */
double zs_predict_level(const zs_predict_opts *opts, const zs_regressfile *rf);

/* replicates may be NULL (n_replicates 0): no interval.
 * Errors: ZS_ERR_RANGE (epsilon not in [0, 1], H or compute not finite, the adjusted law
 * or every replicate's without a frontier, level not in (0, 1)). On failure *out is
 * zeroed. */
zs_status zs_predict_at(const zs_chinchilla *reference, const zs_regress_lines *lines,
                        const zs_regress_lines *replicates, size_t n_replicates, double H,
                        double epsilon, double compute_flops, double level, zs_prediction *out,
                        zs_error *err);

/* ---- the predict results file ------------------------------------------------------------
 * What `zipscale predict --json` writes and `zipscale report` reads ("command": "predict";
 * docs/fitting.md). One writer (zs_predictfile_format/write) and one reader
 * (zs_predictfile_read); the fit module owns the format. */
typedef struct {
    char *law_path; /* regression.json, as given */
    char law_sha256[65];
    double H;
    char *data_path; /* NULL: H was given; else the token file H was measured on */
    char data_sha256[65];
    uint64_t sequences, seed; /* of the measure, with data_path */
    double epsilon, level;
    zs_chinchilla adjusted_law;
    size_t n_predictions;
    zs_prediction *predictions; /* point, has_interval and interval per budget */
    size_t bootstrap_replicates;
} zs_predictfile;

/* The JSON text (2-space indent, reals to 17 digits, trailing newline); free() it.
 * Errors: only ZS_ERR_NOMEM (*text is then NULL). */
zs_status zs_predictfile_format(const zs_predictfile *pf, char **text, size_t *len, zs_error *err);
/* Writes the JSON text atomically to path (the command prints zs_predictfile_format's
 * text itself). Errors: ZS_ERR_IO (cannot write or rename into path). */
zs_status zs_predictfile_write(const zs_predictfile *pf, const char *path, zs_error *err);
/* Reads and checks a predict results file: "FILE: predictions[1].loss: expected a number".
 * Required: "H" and a non-empty "predictions" array of rows with numbers compute_flops,
 * N_opt, D_opt, tokens_per_param and loss, and an "interval" that is null or complete.
 * Optional (checked when present): law, H_source, epsilon and level (NAN when absent),
 * adjusted_law, bootstrap_replicates.
 * Errors: ZS_ERR_IO (cannot open or read path), ZS_ERR_FORMAT (not JSON, or a field
 * missing or wrong: the message names it). On failure *pf is zeroed. */
zs_status zs_predictfile_read(zs_predictfile *pf, const char *path, zs_error *err);
void zs_predictfile_free(zs_predictfile *pf);

#ifdef __cplusplus
}
#endif
#endif
