/* Monogenic and polygenic tokens (zipscale/quanta_tokens.h): each held-out token's loss
 * across a family of models of increasing size, classified as [QM]'s notebook does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta_tokens.h"

static const char *const class_names[ZS_TOKEN_N_CLASSES] = {"other", "monogenic", "polygenic"};

const char *zs_token_class_name(zs_token_class c) {
    return (unsigned)c < ZS_TOKEN_N_CLASSES ? class_names[c] : "unknown";
}

void zs_token_class_opts_init(zs_token_class_opts *opts) {
    *opts = (zs_token_class_opts){
        .mono_high_nats = 2.0, .mono_low_nats = 0.3, .poly_max_slope = -0.3, .poly_min_r2 = 0.98};
}

zs_status zs_token_class_opts_check(const zs_token_class_opts *o, zs_error *err) {
    if (!(isfinite(o->mono_low_nats) && o->mono_low_nats >= 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "mono_low_nats",
                             "token classes: mono_low_nats = %g: expected a finite loss >= 0",
                             o->mono_low_nats);
    if (!(isfinite(o->mono_high_nats) && o->mono_high_nats > o->mono_low_nats))
        return zs_fail_field(err, ZS_ERR_USAGE, "mono_high_nats",
                             "token classes: mono_high_nats = %g: expected a finite loss above "
                             "mono_low_nats (%g)",
                             o->mono_high_nats, o->mono_low_nats);
    if (!(isfinite(o->poly_max_slope) && o->poly_max_slope < 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "poly_max_slope",
                             "token classes: poly_max_slope = %g: expected a finite slope < 0 "
                             "(nats per e-fold of N)",
                             o->poly_max_slope);
    if (!(o->poly_min_r2 >= 0 && o->poly_min_r2 < 1))
        return zs_fail_field(err, ZS_ERR_USAGE, "poly_min_r2",
                             "token classes: poly_min_r2 = %g: expected a number in [0, 1)",
                             o->poly_min_r2);
    return ZS_OK;
}

void zs_token_classes_free(zs_token_classes *c) {
    free(c->n_params);
    free(c->cls);
    free(c->mono_at);
    free(c->slope);
    free(c->r2);
    free(c->mono_count_at);
    free(c->class_mean_loss);
    memset(c, 0, sizeof *c);
}

static zs_status check_inputs(const double *n_params, const float *const *loss, size_t n_models,
                              size_t n_tokens, zs_error *err) {
    if (n_models < 2)
        return zs_fail(err, ZS_ERR_RANGE, "token classes: %zu model(s): expected at least 2",
                       n_models);
    if (n_tokens == 0) return zs_fail(err, ZS_ERR_RANGE, "token classes: no tokens");
    for (size_t j = 0; j < n_models; j++) {
        if (!(isfinite(n_params[j]) && n_params[j] > 0))
            return zs_fail(err, ZS_ERR_RANGE,
                           "token classes: model %zu: n_params = %g: expected a finite count > 0",
                           j, n_params[j]);
        if (j > 0 && !(n_params[j] > n_params[j - 1]))
            return zs_fail(err, ZS_ERR_RANGE,
                           "token classes: model %zu: n_params = %g: expected more than model "
                           "%zu's (%g): models in increasing size, no two of one size",
                           j, n_params[j], j - 1, n_params[j - 1]);
        for (size_t t = 0; t < n_tokens; t++)
            if (!(isfinite(loss[j][t]) && loss[j][t] >= 0))
                return zs_fail(err, ZS_ERR_RANGE,
                               "token classes: model %zu, token %zu: loss %g: expected a finite "
                               "loss >= 0 (nats)",
                               j, t, (double)loss[j][t]);
    }
    return ZS_OK;
}

/* The first j >= 1 with every loss before j above high and every loss from j on below
 * low; 0 when there is none. */
static uint32_t mono_index(const float *const *loss, size_t n_models, size_t t,
                           const zs_token_class_opts *o) {
    size_t j = 0;
    while (j < n_models && loss[j][t] > o->mono_high_nats) j++;
    if (j == 0 || j == n_models) return 0;
    for (size_t i = j; i < n_models; i++)
        if (!(loss[i][t] < o->mono_low_nats)) return 0;
    return (uint32_t)j;
}

/* The least-squares line of y on x (two passes, in double). */
static void line_fit(const double *x, const double *y, size_t n, double *slope, double *r2) {
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= (double)n, my /= (double)n;
    double sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx, sxy += dx * dy, syy += dy * dy;
    }
    *slope = sxy / sxx;
    *r2 = syy > 0 ? sxy * sxy / (sxx * syy) : NAN;
}

zs_status zs_token_classes_compute(zs_token_classes *out, const double *n_params,
                                   const float *const *loss, size_t n_models, size_t n_tokens,
                                   const zs_token_class_opts *opts, zs_error *err) {
    memset(out, 0, sizeof *out);
    zs_status s = zs_token_class_opts_check(opts, err);
    if (!s) s = check_inputs(n_params, loss, n_models, n_tokens, err);
    if (s) return s;
    zs_token_classes c = {.n_models = n_models, .n_tokens = n_tokens};
    c.n_params = zs_alloc(n_models * sizeof *c.n_params, "token classes", err);
    c.cls = zs_alloc(n_tokens * sizeof *c.cls, "token classes", err);
    c.mono_at = zs_alloc(n_tokens * sizeof *c.mono_at, "token classes", err);
    c.slope = zs_alloc(n_tokens * sizeof *c.slope, "token classes", err);
    c.r2 = zs_alloc(n_tokens * sizeof *c.r2, "token classes", err);
    c.mono_count_at = calloc(n_models, sizeof *c.mono_count_at);
    c.class_mean_loss = calloc(ZS_TOKEN_N_CLASSES * n_models, sizeof *c.class_mean_loss);
    double *lnn = malloc(n_models * sizeof *lnn), *y = malloc(n_models * sizeof *y);
    if (!c.n_params || !c.cls || !c.mono_at || !c.slope || !c.r2 || !c.mono_count_at ||
        !c.class_mean_loss || !lnn || !y) {
        free(lnn);
        free(y);
        zs_token_classes_free(&c);
        return zs_fail(err, ZS_ERR_NOMEM, "token classes: out of memory (%zu tokens)", n_tokens);
    }
    for (size_t j = 0; j < n_models; j++) c.n_params[j] = n_params[j], lnn[j] = log(n_params[j]);
    for (size_t t = 0; t < n_tokens; t++) {
        for (size_t j = 0; j < n_models; j++) y[j] = loss[j][t];
        line_fit(lnn, y, n_models, &c.slope[t], &c.r2[t]);
        uint32_t j = mono_index(loss, n_models, t, opts);
        zs_token_class k = ZS_TOKEN_OTHER;
        if (j > 0)
            k = ZS_TOKEN_MONOGENIC, c.mono_count_at[j]++;
        else if (n_models >= 3 && c.slope[t] < opts->poly_max_slope && c.r2[t] > opts->poly_min_r2)
            k = ZS_TOKEN_POLYGENIC;
        c.cls[t] = (uint8_t)k;
        c.mono_at[t] = j;
        c.count[k]++;
        for (size_t m = 0; m < n_models; m++) c.class_mean_loss[k * n_models + m] += y[m];
    }
    for (size_t k = 0; k < ZS_TOKEN_N_CLASSES; k++)
        for (size_t m = 0; m < n_models; m++)
            c.class_mean_loss[k * n_models + m] =
                c.count[k] ? c.class_mean_loss[k * n_models + m] / (double)c.count[k] : NAN;
    free(lnn);
    free(y);
    *out = c;
    return ZS_OK;
}
