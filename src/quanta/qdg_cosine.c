/* quanta, QDG: from per-sample gradients to the affinity matrix (zipscale/quanta_qdg.h):
 * column centring, row normalisation, the cosine matrix by blocked single-precision SYRK
 * summed in double, and the two affinities. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "zipscale/quanta_qdg.h"

/* OpenBLAS's Fortran-interface SYRK, called by that name on purpose: GSL's reference CBLAS
 * (libgslcblas, linked for the fit module) also defines cblas_ssyrk, and the linker binds
 * the cblas_ name to it first: naive loops, measured 10x slower. */
void ssyrk_(const char *uplo, const char *trans, const int *n, const int *k, const float *alpha,
            const float *a, const int *lda, const float *beta, float *c, const int *ldc);

#define COSINE_BLOCK_COLS 2048
/* Entries of a unit row below this are set to 0: their products would be subnormal floats,
 * which made the SYRK ~50x slower on real gradients, and together they move a cosine by at
 * most d·1e-12. */
#define QDG_TINY 1e-12f

zs_status zs_qdg_center_columns(float *g, size_t n, size_t d, zs_error *err) {
    if (n == 0) return ZS_OK;
    double *mean = zs_calloc(d, sizeof *mean, "QDG column means", err);
    if (!mean) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) mean[j] += g[i * d + j];
    for (size_t j = 0; j < d; j++) mean[j] /= (double)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) g[i * d + j] = (float)(g[i * d + j] - mean[j]);
    free(mean);
    return ZS_OK;
}

size_t zs_qdg_normalize_rows(float *g, size_t n, size_t d) {
    size_t zero = 0;
#pragma omp parallel for schedule(static) reduction(+ : zero)
    for (size_t i = 0; i < n; i++) {
        float *row = g + i * d;
        double ss = 0.0;
        for (size_t j = 0; j < d; j++) ss += (double)row[j] * row[j];
        if (ss == 0.0) {
            zero++;
            continue;
        }
        double inv = 1.0 / sqrt(ss);
        for (size_t j = 0; j < d; j++) {
            float v = (float)(row[j] * inv);
            row[j] = fabsf(v) < QDG_TINY ? 0.0f : v;
        }
    }
    return zero;
}

zs_status zs_qdg_cosine(const float *g, size_t n, size_t d, double *c, zs_error *err) {
    if (n > INT_MAX || d > INT_MAX)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG cosine: %zu samples of %zu dimensions: expected each below 2^31", n, d);
    float *part = zs_alloc(n * n * sizeof *part, "QDG cosine block", err);
    if (!part) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < n * n; i++) c[i] = 0.0;
    for (size_t j0 = 0; j0 < d; j0 += COSINE_BLOCK_COLS) {
        size_t b = d - j0 < COSINE_BLOCK_COLS ? d - j0 : COSINE_BLOCK_COLS;
        /* upper triangle (row-major) of part = G[:, j0:j0+b] · G[:, j0:j0+b]ᵀ: in column-major
         * terms the lower triangle of Aᵀ·A with A = that block seen as (b, n), lda d */
        const int nn = (int)n, bb = (int)b, ld = (int)d;
        const float one = 1.0f, zero = 0.0f;
        ssyrk_("L", "T", &nn, &bb, &one, g + j0, &ld, &zero, part, &nn);
#pragma omp parallel for schedule(dynamic, 16)
        for (size_t i = 0; i < n; i++)
            for (size_t j = i; j < n; j++) c[i * n + j] += part[i * n + j];
    }
    free(part);
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++) {
            double v = c[i * n + j];
            v = v > 1.0 ? 1.0 : v < -1.0 ? -1.0 : v;
            c[i * n + j] = v;
            c[j * n + i] = v;
        }
    return ZS_OK;
}

void zs_qdg_affinity_apply(double *c, size_t n, zs_qdg_affinity kind) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n * n; i++)
        c[i] = kind == ZS_QDG_ABS_COS ? fabs(c[i]) : 1.0 - acos(c[i]) / M_PI;
}

const char *zs_qdg_affinity_name(zs_qdg_affinity kind) {
    return kind == ZS_QDG_ABS_COS ? "abs" : "angular";
}

zs_status zs_qdg_project(const float *g, size_t n, size_t d, size_t m, uint64_t seed, float *out,
                         zs_error *err) {
    if (m == 0 || d == 0)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG projection: %zu to %zu dimensions: expected both at least 1", d, m);
    /* R's nonzeros, row by row: for input dimension j, the output columns and signs */
    double s = sqrt((double)d);
    double p_nonzero = 1.0 / s;
    float scale = (float)sqrt(s / (double)m);
    size_t *start = zs_alloc((d + 1) * sizeof *start, "QDG projection", err);
    if (!start) return ZS_ERR_NOMEM;
    /* expected nonzeros d·m/s; reserve generously and grow if needed */
    size_t cap = (size_t)((double)d * (double)m * p_nonzero * 1.2) + 64, used = 0;
    uint32_t *col = zs_alloc(cap * sizeof *col, "QDG projection", err);
    float *val = col ? zs_alloc(cap * sizeof *val, "QDG projection", err) : NULL;
    if (!val) {
        free(start);
        free(col);
        return ZS_ERR_NOMEM;
    }
    uint64_t tag = zs_rng_tag("qdg.project");
    for (size_t j = 0; j < d; j++) {
        start[j] = used;
        zs_rng rng;
        zs_rng_seed(&rng, seed, zs_rng_mix(tag, j));
        for (size_t k = 0; k < m; k++) {
            double u = zs_rng_uniform(&rng);
            if (u >= p_nonzero) continue;
            if (used == cap) {
                size_t ncap = cap * 2;
                uint32_t *ncol = realloc(col, ncap * sizeof *col);
                if (ncol) col = ncol;
                float *nval = ncol ? realloc(val, ncap * sizeof *val) : NULL;
                if (!nval) {
                    free(start);
                    free(col);
                    free(val);
                    return zs_fail(err, ZS_ERR_NOMEM, "QDG projection: out of memory");
                }
                val = nval;
                cap = ncap;
            }
            col[used] = (uint32_t)k;
            val[used] = u < 0.5 * p_nonzero ? scale : -scale;
            used++;
        }
    }
    start[d] = used;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float *o = out + i * m;
        for (size_t k = 0; k < m; k++) o[k] = 0.0f;
        const float *row = g + i * d;
        for (size_t j = 0; j < d; j++) {
            float x = row[j];
            if (x == 0.0f) continue;
            for (size_t e = start[j]; e < start[j + 1]; e++) o[col[e]] += x * val[e];
        }
    }
    free(start);
    free(col);
    free(val);
    return ZS_OK;
}
