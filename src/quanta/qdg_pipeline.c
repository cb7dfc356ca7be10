/* quanta, the QDG pipeline shared by every model (qdg_internal.h): per variant, its columns
 * of the gradient matrix, centred or not, projected or not, row-normalised; the cosine (kept
 * for the next variant of the same columns), the affinity, the spectral embedding (once, for
 * the largest cluster count), k-means for k and the sweep, the scores against the truth. */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quanta/qdg_internal.h"

double zs_qdg_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

zs_status zs_qdg_opts_resolve(const zs_qdg_opts *in, zs_qdg_opts *out, zs_error *err) {
    zs_qdg_opts o = *in;
    if (o.n_variants == 0) {
        o.n_variants = 1;
        zs_qdg_variant_parse("signed", &o.variants[0], NULL);
    }
    for (size_t v = 0; v < o.n_variants && v < ZS_QDG_MAX_VARIANTS; v++)
        if (!(o.variants[v].power > 0.0) || !isfinite(o.variants[v].power))
            return zs_fail(err, ZS_ERR_USAGE, "QDG variant %s: power %g: expected > 0",
                           o.variants[v].name, o.variants[v].power);
    if (o.n < 2 || o.pool < 2)
        return zs_fail(err, ZS_ERR_USAGE, "QDG: n = %llu, pool = %llu: expected both at least 2",
                       (unsigned long long)o.n, (unsigned long long)o.pool);
    if (o.n_k_sweep > ZS_QDG_MAX_SWEEP || o.n_variants > ZS_QDG_MAX_VARIANTS || o.restarts < 1)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG: %zu sweep counts, %zu variants, %u restarts: expected at most %d, "
                       "at most %d, at least 1",
                       o.n_k_sweep, o.n_variants, o.restarts, ZS_QDG_MAX_SWEEP,
                       ZS_QDG_MAX_VARIANTS);
    *out = o;
    return ZS_OK;
}

zs_status zs_qdg_check_k(const zs_qdg_opts *o, uint32_t k, size_t n, zs_error *err) {
    if (k < 1 || k > n)
        return zs_fail(err, ZS_ERR_USAGE, "QDG: k = %u clusters of %zu samples: expected 1 .. %zu",
                       k, n, n);
    for (size_t i = 0; i < o->n_k_sweep; i++)
        if (o->k_sweep[i] < 1 || o->k_sweep[i] > n)
            return zs_fail(err, ZS_ERR_USAGE,
                           "QDG: sweep k = %u clusters of %zu samples: expected 1 .. %zu",
                           o->k_sweep[i], n, n);
    return ZS_OK;
}

void zs_qdg_variant_result_free(zs_qdg_variant_result *v) {
    free(v->labels);
    free(v->sizes);
    free(v->eigvals);
    v->labels = NULL;
    v->sizes = NULL;
    v->eigvals = NULL;
}

/* The embedding's first `cols` columns, row-normalised for ROWNORM. */
static void prefix(const double *emb, size_t n, size_t stride, size_t cols, zs_qdg_embed mode,
                   double *out) {
    for (size_t i = 0; i < n; i++) {
        double ss = 0.0;
        for (size_t c = 0; c < cols; c++) {
            out[i * cols + c] = emb[i * stride + c];
            ss += out[i * cols + c] * out[i * cols + c];
        }
        if (mode == ZS_QDG_EMBED_ROWNORM && ss > 0.0)
            for (size_t c = 0; c < cols; c++) out[i * cols + c] /= sqrt(ss);
    }
}

/* The last cosine matrix and what it was computed from: variants that differ only in the
 * affinity (signed, abs, powers) share it. */
typedef struct {
    double *c;
    zs_qdg_span *spans;
    size_t n_spans;
    int centre, valid;
} cosine_cache;

static int same_columns(const cosine_cache *cache, const zs_qdg_columns *cols, int centre) {
    return cache->valid && cache->centre == centre && cache->n_spans == cols->n_spans &&
           memcmp(cache->spans, cols->spans, cols->n_spans * sizeof *cols->spans) == 0;
}

/* The affinity as raw little-endian float32 (n, n), written to path.tmp then renamed. */
static zs_status write_affinity(const char *path, const double *c, size_t n, zs_error *err) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return zs_fail(err, ZS_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    float *row = malloc(n * sizeof *row);
    int ok = row != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        for (size_t j = 0; j < n; j++) row[j] = (float)c[i * n + j];
        ok = fwrite(row, sizeof *row, n, f) == n;
    }
    free(row);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return zs_fail(err, ZS_ERR_IO, "%s: cannot write the affinity matrix", path);
    }
    return ZS_OK;
}

/* The cosine matrix of the variant's columns of g: from the cache, or computed (and cached). */
static zs_status variant_cosine(const float *g, size_t n, size_t row, const zs_qdg_opts *o,
                                const zs_qdg_columns *cols, int centre, cosine_cache *cache,
                                double *c, size_t *dim_out, zs_error *err) {
    size_t d = 0;
    for (size_t i = 0; i < cols->n_spans; i++) d += cols->spans[i].numel;
    size_t dim = o->projection ? o->projection : d;
    *dim_out = dim;
    if (same_columns(cache, cols, centre)) {
        memcpy(c, cache->c, n * n * sizeof *c);
        return ZS_OK;
    }
    if (d == 0) return zs_fail(err, ZS_ERR_USAGE, "QDG: a variant with no gradient columns");
    float *x = zs_alloc(n * d * sizeof *x, "QDG variant gradients", err);
    if (!x) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        float *out = x + i * d;
        for (size_t j = 0; j < cols->n_spans; j++) {
            memcpy(out, g + i * row + cols->spans[j].offset, cols->spans[j].numel * sizeof *x);
            out += cols->spans[j].numel;
        }
    }
    zs_status s = centre ? zs_qdg_center_columns(x, n, d, err) : ZS_OK;
    if (!s && o->projection) {
        float *p = zs_alloc(n * dim * sizeof *p, "QDG projected gradients", err);
        s = p ? zs_qdg_project(x, n, d, dim, o->seed, p, err) : ZS_ERR_NOMEM;
        free(x);
        x = p;
    }
    if (!s) {
        zs_qdg_normalize_rows(x, n, dim);
        s = zs_qdg_cosine(x, n, dim, c, err);
    }
    free(x);
    if (!s && !cache->c) {
        cache->c = zs_alloc(n * n * sizeof *cache->c, "QDG cosine cache", err);
        if (!cache->c) s = ZS_ERR_NOMEM;
    }
    zs_qdg_span *spans =
        s ? NULL : zs_alloc((cols->n_spans ? cols->n_spans : 1) * sizeof *spans, "QDG", err);
    if (!s && !spans) s = ZS_ERR_NOMEM;
    if (!s) {
        memcpy(cache->c, c, n * n * sizeof *c);
        memcpy(spans, cols->spans, cols->n_spans * sizeof *spans);
        free(cache->spans);
        cache->spans = spans;
        cache->n_spans = cols->n_spans;
        cache->centre = centre;
        cache->valid = 1;
    }
    return s;
}

static zs_status run_variant(const float *g, size_t n, size_t row, const zs_qdg_opts *o,
                             const uint32_t *truth, const zs_qdg_columns *cols, cosine_cache *cache,
                             const char *affinity_path, zs_qdg_variant_result *vr, zs_error *err) {
    vr->layer_lo = cols->layer_lo;
    vr->layer_hi = cols->layer_hi;
    uint32_t k = vr->k;
    size_t n_vec = k > o->n_vec ? k : o->n_vec;
    for (size_t i = 0; i < o->n_k_sweep; i++)
        if (o->k_sweep[i] > n_vec) n_vec = o->k_sweep[i];
    if (n_vec > n) n_vec = n;
    double t0 = zs_qdg_now_s();
    double *emb = NULL, *sub = NULL;
    double *c = zs_alloc(n * n * sizeof *c, "QDG affinity", err);
    zs_status s = c ? ZS_OK : ZS_ERR_NOMEM;
    if (!s) s = variant_cosine(g, n, row, o, cols, vr->variant.centre, cache, c, &vr->dim, err);
    if (!s) {
        zs_qdg_affinity_apply(c, n, vr->variant.affinity);
        if (vr->variant.power != 1.0)
#pragma omp parallel for schedule(static)
            for (size_t i = 0; i < n * n; i++) c[i] = pow(c[i], vr->variant.power);
        if (affinity_path) s = write_affinity(affinity_path, c, n, err);
    }
    if (!s) {
        vr->seconds_affinity = zs_qdg_now_s() - t0;
        t0 = zs_qdg_now_s();
        emb = zs_alloc(n * n_vec * sizeof *emb, "QDG embedding", err);
        vr->eigvals = emb ? zs_alloc(n_vec * sizeof *vr->eigvals, "QDG eigenvalues", err) : NULL;
        s = vr->eigvals ? ZS_OK : ZS_ERR_NOMEM;
        zs_qdg_embed mode = o->embed == ZS_QDG_EMBED_ROWNORM ? ZS_QDG_EMBED_RAW : o->embed;
        zs_qdg_eigen_opts eo;
        zs_qdg_eigen_opts_init(&eo);
        eo.solver = o->eigensolver;
        eo.seed = o->seed;
        if (!s)
            s = zs_qdg_spectral_embedding_eig(c, n, n_vec, mode, &eo, emb, vr->eigvals, &vr->eigen,
                                              err);
        vr->n_eig = s ? 0 : n_vec;
        vr->seconds_embedding = zs_qdg_now_s() - t0;
    }
    free(c);
    t0 = zs_qdg_now_s();
    if (!s) {
        sub = zs_alloc(n * n_vec * sizeof *sub, "QDG embedding columns", err);
        vr->labels = sub ? zs_alloc(n * sizeof *vr->labels, "QDG labels", err) : NULL;
        vr->sizes = vr->labels ? zs_alloc(k * sizeof *vr->sizes, "QDG sizes", err) : NULL;
        if (!vr->sizes) s = ZS_ERR_NOMEM;
    }
    zs_qdg_kmeans_opts ko;
    zs_qdg_kmeans_opts_init(&ko);
    ko.restarts = o->restarts;
    ko.seed = o->seed;
    ko.threads = o->threads;
    for (size_t j = 0; !s && j <= o->n_k_sweep; j++) {
        uint32_t kk = j == 0 ? k : o->k_sweep[j - 1];
        int qr = vr->variant.assign == ZS_QDG_ASSIGN_QR;
        /* CPQR makes one cluster per column: exactly k of them */
        size_t ncols = kk > o->n_vec || qr ? kk : o->n_vec;
        if (ncols > n_vec) ncols = n_vec;
        prefix(emb, n, n_vec, ncols, o->embed, sub);
        uint32_t *lab = vr->labels;
        uint32_t *tmp = NULL;
        if (j > 0) {
            tmp = zs_alloc(n * sizeof *tmp, "QDG sweep labels", err);
            if (!tmp) {
                s = ZS_ERR_NOMEM;
                break;
            }
            lab = tmp;
        }
        if (qr) {
            /* sequential LAPACK, so the labels do not depend on the thread count */
            int bt = openblas_get_num_threads();
            openblas_set_num_threads(1);
            s = zs_qdg_cluster_qr(sub, n, ncols, lab, err);
            openblas_set_num_threads(bt);
        } else {
            s = zs_qdg_kmeans(sub, n, ncols, kk, &ko, lab, NULL, err);
        }
        double ari = truth && !s ? zs_qdg_ari(lab, truth, n) : NAN;
        double nmi = truth && !s ? zs_qdg_nmi(lab, truth, n) : NAN;
        if (j == 0) {
            vr->ari = ari;
            vr->nmi = nmi;
        } else {
            vr->sweep_ari[j - 1] = ari;
            vr->sweep_nmi[j - 1] = nmi;
        }
        free(tmp);
    }
    if (!s) {
        zs_qdg_cluster_sizes(vr->labels, n, k, vr->sizes);
        size_t rlo = o->rank_lo ? o->rank_lo : 1, rhi = o->rank_hi ? o->rank_hi : k;
        vr->slope = zs_qdg_rank_slope(vr->sizes, k, rlo, rhi);
    }
    vr->seconds_kmeans = zs_qdg_now_s() - t0;
    free(emb);
    free(sub);
    return s;
}

zs_status zs_qdg_cluster_variants(const float *g, size_t n, size_t row, const zs_qdg_opts *o,
                                  uint32_t k, const uint32_t *truth, zs_qdg_columns_fn columns,
                                  const void *ctx, zs_qdg_variant_result *variants, size_t *n_done,
                                  zs_error *err) {
    /* OpenBLAS (the SYRK, dsyevr) on `threads` threads, as the rest of the run, restored
     * after */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(zs_threads_resolve(o->threads));
    cosine_cache cache = {0};
    zs_status s = ZS_OK;
    *n_done = 0;
    for (size_t v = 0; !s && v < o->n_variants; v++) {
        zs_qdg_variant_result *vr = &variants[v];
        vr->variant = o->variants[v];
        vr->k = k;
        *n_done = v + 1;
        zs_qdg_columns cols = {0};
        s = columns(ctx, &vr->variant, &cols, err);
        if (!s)
            s = run_variant(g, n, row, o, truth, &cols, &cache, v == 0 ? o->affinity_path : NULL,
                            vr, err);
        free(cols.spans);
    }
    free(cache.c);
    free(cache.spans);
    openblas_set_num_threads(blas_threads);
    return s;
}
