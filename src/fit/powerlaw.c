/* One-variable power laws of loss against a scale x (N, D, steps or compute): the pure
 * law L = A x^-alpha by log-log OLS, and L = E + A x^-alpha by nonlinear least squares
 * (variable projection over alpha), each with standard errors and t intervals. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdlib.h>

#include "zipscale/frontier.h"

/* Grid steps of alpha over (0, ZS_POWERLAW_ALPHA_MAX] before the golden-section polish. */
#define ALPHA_GRID_STEPS 400
#define GOLDEN_TOLERANCE 1e-12

void zs_powerlaw_opts_init(zs_powerlaw_opts *opts) {
    *opts = (zs_powerlaw_opts){.fit_pure = 1, .fit_offset = 1, .level = 0.95};
}

const char *zs_powerlaw_form_name(zs_powerlaw_form form) {
    return form == ZS_POWERLAW_PURE ? "pure" : "offset";
}

double zs_powerlaw_loss(const zs_powerlaw *law, double x) {
    return law->E.value + law->A.value * pow(x, -law->alpha.value);
}

static zs_status check_input(const double *x, const double *loss, size_t n, size_t min_points,
                             double level, zs_error *err) {
    if (n < min_points)
        return zs_fail(err, ZS_ERR_RANGE, "power law: %zu points, expected at least %zu", n,
                       min_points);
    if (!(level > 0 && level < 1))
        return zs_fail_field(err, ZS_ERR_RANGE, "level",
                             "power law: level %g, expected a number in (0, 1)", level);
    for (size_t i = 0; i < n; i++) {
        if (!(isfinite(x[i]) && x[i] > 0))
            return zs_fail(err, ZS_ERR_RANGE, "power law: x[%zu] = %g, expected a finite x > 0", i,
                           x[i]);
        if (!(isfinite(loss[i]) && loss[i] > 0))
            return zs_fail(err, ZS_ERR_RANGE,
                           "power law: loss[%zu] = %g, expected a finite loss > 0", i, loss[i]);
    }
    return ZS_OK;
}

/* An estimate with a symmetric t interval. */
static zs_estimate symmetric(double value, double se, double t_quantile) {
    return (zs_estimate){value, se, value - t_quantile * se, value + t_quantile * se};
}

/* A positive estimate from its log and the log's standard error (delta method for se). */
static zs_estimate from_log(double log_value, double log_se, double t_quantile) {
    double value = exp(log_value);
    return (zs_estimate){value, value * log_se, exp(log_value - t_quantile * log_se),
                         exp(log_value + t_quantile * log_se)};
}

static double residual_rms(const zs_powerlaw *law, const double *x, const double *loss, size_t n) {
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
        double r = loss[i] - zs_powerlaw_loss(law, x[i]);
        sse += r * r;
    }
    return sqrt(sse / (double)n);
}

static zs_status fit_pure(const double *x, const double *loss, size_t n, double level,
                          zs_powerlaw *out, zs_error *err) {
    double *logs = zs_alloc(2 * n * sizeof *logs, "log-log points", err);
    if (!logs) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        logs[i] = log(x[i]);
        logs[n + i] = log(loss[i]);
    }
    zs_ols ols;
    zs_status s = zs_ols_fit(logs, logs + n, n, &ols, err);
    free(logs);
    if (s) return s;
    double tq = gsl_cdf_tdist_Qinv((1 - level) / 2, (double)(n - 2));
    out->E = (zs_estimate){0, 0, 0, 0};
    out->A = from_log(ols.intercept, ols.intercept_se, tq);
    out->alpha = symmetric(-ols.slope, ols.slope_se, tq);
    return ZS_OK;
}

/* The offset form's inner problem: for a fixed alpha, L = E + A' u with u = xs^-alpha is
 * linear in (E, A'). Returns the sum of squared residuals; u is scratch of n doubles. */
typedef struct {
    const double *xs, *loss; /* xs = x / x_ref */
    size_t n;
    double *u;
} projection;

static double projected_sse(const projection *p, double alpha, double *E, double *A_scaled) {
    for (size_t i = 0; i < p->n; i++) p->u[i] = pow(p->xs[i], -alpha);
    double c0, c1, cov00, cov01, cov11, sse;
    gsl_fit_linear(p->u, 1, p->loss, 1, p->n, &c0, &c1, &cov00, &cov01, &cov11, &sse);
    if (E) *E = c0;
    if (A_scaled) *A_scaled = c1;
    return sse;
}

/* Golden-section search for the minimum of projected_sse over [lo, hi]. */
static double golden_alpha(const projection *p, double lo, double hi) {
    const double inv_phi = (sqrt(5.0) - 1) / 2;
    double c = hi - inv_phi * (hi - lo), d = lo + inv_phi * (hi - lo);
    double fc = projected_sse(p, c, NULL, NULL), fd = projected_sse(p, d, NULL, NULL);
    while (hi - lo > GOLDEN_TOLERANCE * (1 + fabs(lo))) {
        if (fc < fd) {
            hi = d;
            d = c;
            fd = fc;
            c = hi - inv_phi * (hi - lo);
            fc = projected_sse(p, c, NULL, NULL);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + inv_phi * (hi - lo);
            fd = projected_sse(p, d, NULL, NULL);
        }
    }
    return (lo + hi) / 2;
}

/* Inverts a symmetric positive definite 3x3 matrix by cofactors; 0 if it is singular. */
static int invert3(const double m[3][3], double inv[3][3]) {
    double c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    double c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2];
    double c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0];
    double det = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02;
    if (!(det > 0) || !isfinite(det)) return 0;
    inv[0][0] = c00 / det;
    inv[0][1] = inv[1][0] = c01 / det;
    inv[0][2] = inv[2][0] = c02 / det;
    inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
    inv[1][2] = inv[2][1] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det;
    inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
    return 1;
}

/* Covariance of (E, log A', alpha) = s^2 (J^T J)^-1 at the optimum; J's rows are
 * (1, A' u, -A' u log xs). */
static int offset_covariance(const projection *p, double A_scaled, double alpha, double sse,
                             double cov[3][3]) {
    double jtj[3][3] = {{0}};
    for (size_t i = 0; i < p->n; i++) {
        double u = pow(p->xs[i], -alpha);
        double row[3] = {1, A_scaled * u, -A_scaled * u * log(p->xs[i])};
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) jtj[r][c] += row[r] * row[c];
    }
    double inv[3][3];
    if (!invert3(jtj, inv)) return 0;
    double s2 = sse / (double)(p->n - 3);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) cov[r][c] = s2 * inv[r][c];
    return 1;
}

static zs_status fit_offset(const double *x, const double *loss, size_t n, double level,
                            zs_powerlaw *out, zs_error *err) {
    double *scratch = zs_alloc(2 * n * sizeof *scratch, "power-law scratch", err);
    if (!scratch) return ZS_ERR_NOMEM;
    /* x is rescaled by its geometric mean so u = xs^-alpha stays near 1 and J^T J is
     * well conditioned whatever the unit of x (1e20 FLOPs or 1e3 steps). */
    double log_ref = 0;
    for (size_t i = 0; i < n; i++) log_ref += log(x[i]);
    log_ref /= (double)n;
    for (size_t i = 0; i < n; i++) scratch[i] = exp(log(x[i]) - log_ref);
    projection p = {scratch, loss, n, scratch + n};

    const double step = ZS_POWERLAW_ALPHA_MAX / ALPHA_GRID_STEPS;
    int best = 1;
    double best_sse = INFINITY;
    for (int k = 1; k <= ALPHA_GRID_STEPS; k++) {
        double sse = projected_sse(&p, k * step, NULL, NULL);
        if (sse < best_sse) {
            best_sse = sse;
            best = k;
        }
    }
    zs_status s = ZS_OK;
    if (best == 1 || best == ALPHA_GRID_STEPS) {
        s = zs_fail(err, ZS_ERR_NUMERIC,
                    "power law E + A x^-alpha: the least-squares alpha lies at the edge of the "
                    "search range (%g), expected an interior minimum in (%g, %g); the points "
                    "may not bend towards an offset (try the pure form)",
                    best * step, step, ZS_POWERLAW_ALPHA_MAX - step);
    }
    double alpha = 0, E = 0, A_scaled = 0, sse = 0, cov[3][3];
    if (!s) {
        alpha = golden_alpha(&p, (best - 1) * step, (best + 1) * step);
        sse = projected_sse(&p, alpha, &E, &A_scaled);
        if (!(A_scaled > 0))
            s = zs_fail(err, ZS_ERR_NUMERIC,
                        "power law E + A x^-alpha: the best fit has A = %g, expected A > 0 "
                        "(loss does not fall with x)",
                        A_scaled);
    }
    if (!s && !offset_covariance(&p, A_scaled, alpha, sse, cov))
        s = zs_fail(err, ZS_ERR_NUMERIC,
                    "power law E + A x^-alpha: singular Jacobian at alpha = %g, the parameters "
                    "are not identifiable from these points",
                    alpha);
    free(scratch);
    if (s) return s;
    /* log A = log A' + alpha log x_ref; its variance follows from the covariance. */
    double var_log_A = cov[1][1] + log_ref * log_ref * cov[2][2] + 2 * log_ref * cov[1][2];
    double tq = gsl_cdf_tdist_Qinv((1 - level) / 2, (double)(n - 3));
    out->E = symmetric(E, sqrt(cov[0][0]), tq);
    out->A = from_log(log(A_scaled) + alpha * log_ref, sqrt(fmax(var_log_A, 0)), tq);
    out->alpha = symmetric(alpha, sqrt(cov[2][2]), tq);
    return ZS_OK;
}

zs_status zs_powerlaw_fit(const double *x, const double *loss, size_t n, zs_powerlaw_form form,
                          double level, zs_powerlaw *out, zs_error *err) {
    *out = (zs_powerlaw){.form = form, .n = n, .level = level};
    zs_status s = check_input(x, loss, n, form == ZS_POWERLAW_PURE ? 3 : 4, level, err);
    if (s) *out = (zs_powerlaw){0};
    if (s) return s;
    s = form == ZS_POWERLAW_PURE ? fit_pure(x, loss, n, level, out, err)
                                 : fit_offset(x, loss, n, level, out, err);
    if (s) *out = (zs_powerlaw){0};
    if (s) return s;
    out->residual_rms = residual_rms(out, x, loss, n);
    return ZS_OK;
}
