/* Ordinary least squares of y on x with the textbook statistics: standard errors, t,
 * two-sided p-values from Student's t (GSL), R^2. The regression on H, the one-variable
 * power laws and every table of slopes rest on it. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <math.h>

#include "zipscale/frontier.h"

/* t and its two-sided p on dof degrees of freedom; an exact fit (se = 0) gives t = +-inf. */
static void t_test(double estimate, double se, double dof, double *t, double *p) {
    if (se > 0) {
        *t = estimate / se;
        *p = 2 * gsl_cdf_tdist_Q(fabs(*t), dof);
    } else {
        *t = estimate == 0 ? 0 : copysign(INFINITY, estimate);
        *p = estimate == 0 ? 1 : 0;
    }
}

static zs_status check_points(const double *x, const double *y, size_t n, zs_error *err) {
    if (n < 3) return zs_fail(err, ZS_ERR_RANGE, "OLS: %zu points, expected at least 3", n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return zs_fail(err, ZS_ERR_RANGE, "OLS: x[%zu] = %g, expected a finite number", i,
                           x[i]);
        if (!isfinite(y[i]))
            return zs_fail(err, ZS_ERR_RANGE, "OLS: y[%zu] = %g, expected a finite number", i,
                           y[i]);
    }
    for (size_t i = 1; i < n; i++)
        if (x[i] != x[0]) return ZS_OK;
    return zs_fail(err, ZS_ERR_RANGE, "OLS: every x equals %g, expected at least two distinct x",
                   x[0]);
}

zs_status zs_ols_fit(const double *x, const double *y, size_t n, zs_ols *out, zs_error *err) {
    *out = (zs_ols){0};
    zs_status s = check_points(x, y, n, err);
    if (s) return s;
    double intercept, slope, cov00, cov01, cov11, sse;
    gsl_fit_linear(x, 1, y, 1, n, &intercept, &slope, &cov00, &cov01, &cov11, &sse);
    double mean_y = 0;
    for (size_t i = 0; i < n; i++) mean_y += y[i];
    mean_y /= (double)n;
    double sst = 0;
    for (size_t i = 0; i < n; i++) sst += (y[i] - mean_y) * (y[i] - mean_y);
    double dof = (double)(n - 2);
    out->n = n;
    out->slope = slope;
    out->intercept = intercept;
    out->slope_se = sqrt(cov11);
    out->intercept_se = sqrt(cov00);
    t_test(slope, out->slope_se, dof, &out->slope_t, &out->slope_p);
    t_test(intercept, out->intercept_se, dof, &out->intercept_t, &out->intercept_p);
    out->r2 = sst > 0 ? 1 - sse / sst : 1;
    out->residual_sd = sqrt(sse / dof);
    return ZS_OK;
}
