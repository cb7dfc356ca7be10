/* The data-dependent law [GZ]: each Chinchilla parameter of per-dataset fits regressed
 * linearly on the datasets' gzip compressibility H, the same regression on every
 * bootstrap replicate, and the gzip-adjusted law (1 - eps) x_Chinchilla + eps x(H). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/frontier.h"

/* Regresses every parameter of laws[i * stride] on H[i]; y is scratch of n doubles. */
static zs_status regress_params(const zs_chinchilla *laws, size_t stride, const double *H, size_t n,
                                double *y, zs_regression *out, zs_error *err) {
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        for (size_t i = 0; i < n; i++) y[i] = zs_law_param_get(&laws[i * stride], p);
        zs_status s = zs_ols_fit(H, y, n, &out->param[p], err);
        if (s) {
            zs_error inner = *err;
            return zs_fail(err, s, "regression of %s on H: %s", zs_law_param_name(p), inner.msg);
        }
    }
    return ZS_OK;
}

zs_status zs_regress_fit(const zs_chinchilla *laws, const double *H, size_t n, zs_regression *out,
                         zs_error *err) {
    *out = (zs_regression){0};
    zs_error local;
    if (!err) err = &local;
    double *y = zs_alloc((n ? n : 1) * sizeof *y, "regression values", err);
    if (!y) return ZS_ERR_NOMEM;
    zs_status s = regress_params(laws, 1, H, n, y, out, err);
    free(y);
    if (s) *out = (zs_regression){0};
    return s;
}

void zs_regress_lines_of(const zs_regression *reg, zs_regress_lines *out) {
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        out->slope[p] = reg->param[p].slope;
        out->intercept[p] = reg->param[p].intercept;
    }
}

zs_status zs_regress_replicates(const zs_chinchilla *samples, const double *H, size_t n_datasets,
                                size_t n_replicates, zs_regress_lines *out, zs_error *err) {
    zs_error local;
    if (!err) err = &local;
    double *y = zs_alloc((n_datasets ? n_datasets : 1) * sizeof *y, "regression values", err);
    if (!y) return ZS_ERR_NOMEM;
    zs_status s = ZS_OK;
    for (size_t r = 0; !s && r < n_replicates; r++) {
        zs_regression reg;
        s = regress_params(samples + r, n_replicates, H, n_datasets, y, &reg, err);
        if (s) {
            zs_error inner = *err;
            s = zs_fail(err, s, "bootstrap replicate %zu: %s", r, inner.msg);
        } else {
            zs_regress_lines_of(&reg, &out[r]);
        }
    }
    free(y);
    if (s) memset(out, 0, n_replicates * sizeof *out);
    return s;
}

zs_chinchilla zs_regress_law_at(const zs_regress_lines *lines, double H) {
    zs_chinchilla law;
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
        zs_law_param_set(&law, p, lines->slope[p] * H + lines->intercept[p]);
    return law;
}

zs_status zs_regress_adjusted(const zs_chinchilla *reference, const zs_regress_lines *lines,
                              double H, double epsilon, zs_chinchilla *out, zs_error *err) {
    *out = (zs_chinchilla){0};
    if (!(epsilon >= 0 && epsilon <= 1))
        return zs_fail(err, ZS_ERR_RANGE, "epsilon %g, expected a weight in [0, 1]", epsilon);
    if (!isfinite(H)) return zs_fail(err, ZS_ERR_RANGE, "H = %g, expected a finite number", H);
    zs_chinchilla at_h = zs_regress_law_at(lines, H);
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
        zs_law_param_set(out, p,
                         (1 - epsilon) * zs_law_param_get(reference, p) +
                             epsilon * zs_law_param_get(&at_h, p));
    return ZS_OK;
}
