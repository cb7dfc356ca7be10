/* quanta, QDG: the spectral embedding of an affinity matrix (zipscale/quanta_qdg.h): the
 * normalised adjacency D^-1/2 (A - diag) D^-1/2 as scipy's laplacian builds it, its leading
 * eigenvectors (qdg_eigen.c: dsyevr or the iterative solver), scaled as scikit-learn's
 * spectral_embedding or row-normalised; and spectral clustering = embedding + k-means. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta_qdg.h"

const char *zs_qdg_embed_name(zs_qdg_embed mode) {
    return mode == ZS_QDG_EMBED_ROWNORM ? "rownorm" : mode == ZS_QDG_EMBED_RAW ? "raw" : "sklearn";
}

zs_status zs_qdg_embed_parse(const char *name, zs_qdg_embed *mode, zs_error *err) {
    for (int m = 0; m <= ZS_QDG_EMBED_RAW; m++)
        if (strcmp(name, zs_qdg_embed_name((zs_qdg_embed)m)) == 0) {
            *mode = (zs_qdg_embed)m;
            return ZS_OK;
        }
    return zs_fail(err, ZS_ERR_USAGE, "spectral embedding '%s': expected sklearn, rownorm or raw",
                   name);
}

zs_status zs_qdg_spectral_embedding(const double *a, size_t n, size_t n_vec, zs_qdg_embed mode,
                                    double *emb, double *eigvals, zs_error *err) {
    return zs_qdg_spectral_embedding_eig(a, n, n_vec, mode, NULL, emb, eigvals, NULL, err);
}

zs_status zs_qdg_spectral_embedding_eig(const double *a, size_t n, size_t n_vec, zs_qdg_embed mode,
                                        const zs_qdg_eigen_opts *eig, double *emb, double *eigvals,
                                        zs_qdg_eigen_info *info, zs_error *err) {
    if (n_vec < 1 || n_vec > n)
        return zs_fail(err, ZS_ERR_USAGE,
                       "spectral embedding: %zu eigenvectors of %zu samples: expected 1 .. %zu",
                       n_vec, n, n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (!(a[i * n + j] >= 0.0) || !isfinite(a[i * n + j]))
                return zs_fail(err, ZS_ERR_RANGE,
                               "spectral embedding: affinity[%zu][%zu] = %g: expected finite and "
                               ">= 0",
                               i, j, a[i * n + j]);
    double *dd = zs_alloc(n * sizeof *dd, "spectral embedding", err);
    double *m = dd ? zs_alloc(n * n * sizeof *m, "spectral embedding matrix", err) : NULL;
    double *w = m ? zs_alloc(n * sizeof *w, "spectral embedding", err) : NULL;
    double *z = w ? zs_alloc(n * n_vec * sizeof *z, "spectral embedding", err) : NULL;
    zs_status st = ZS_OK;
    if (!z) {
        st = ZS_ERR_NOMEM;
        goto done;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < n; j++)
            if (j != i) s += a[i * n + j];
        dd[i] = s > 0.0 ? sqrt(s) : -1.0; /* -1 marks an isolated node (degree 1 below) */
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double di = dd[i] > 0.0 ? dd[i] : 1.0;
        for (size_t j = 0; j < n; j++) {
            double dj = dd[j] > 0.0 ? dd[j] : 1.0;
            m[i * n + j] = j == i ? (dd[i] > 0.0 ? 0.0 : 1.0) : a[i * n + j] / (di * dj);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (dd[i] < 0.0) dd[i] = 1.0;
    /* M's spectrum lies in [-1, 1]: it is similar to D^-1 (A - diag), a stochastic matrix
     * (an isolated node's row is the identity's) */
    st = zs_qdg_eigen_leading(m, n, n_vec, 1.0, eig, z, w, info, err);
    if (st) goto done;
    for (size_t c = 0; c < n_vec; c++) {
        if (eigvals) eigvals[c] = w[c];
        for (size_t i = 0; i < n; i++) {
            double v = z[i * n_vec + c];
            emb[i * n_vec + c] = mode == ZS_QDG_EMBED_SKLEARN ? v / dd[i] : v;
        }
    }
    /* the sign: each column's largest-magnitude entry (the first on a tie) positive */
    for (size_t c = 0; c < n_vec; c++) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (fabs(emb[i * n_vec + c]) > fabs(emb[best * n_vec + c])) best = i;
        if (emb[best * n_vec + c] < 0.0)
            for (size_t i = 0; i < n; i++) emb[i * n_vec + c] = -emb[i * n_vec + c];
    }
    if (mode == ZS_QDG_EMBED_ROWNORM)
        for (size_t i = 0; i < n; i++) {
            double ss = 0.0;
            for (size_t c = 0; c < n_vec; c++) ss += emb[i * n_vec + c] * emb[i * n_vec + c];
            if (ss > 0.0)
                for (size_t c = 0; c < n_vec; c++) emb[i * n_vec + c] /= sqrt(ss);
        }
done:
    free(dd);
    free(m);
    free(w);
    free(z);
    return st;
}

zs_status zs_qdg_spectral_cluster(const double *a, size_t n, size_t k, size_t n_vec,
                                  zs_qdg_embed mode, const zs_qdg_kmeans_opts *opts,
                                  uint32_t *labels, zs_error *err) {
    if (k < 1 || k > n)
        return zs_fail(err, ZS_ERR_USAGE,
                       "spectral clustering: %zu clusters of %zu samples: expected 1 .. %zu", k, n,
                       n);
    if (n_vec < k) n_vec = k;
    if (n_vec > n) n_vec = n;
    double *emb = zs_alloc(n * n_vec * sizeof *emb, "spectral clustering", err);
    if (!emb) return ZS_ERR_NOMEM;
    zs_status st = zs_qdg_spectral_embedding(a, n, n_vec, mode, emb, NULL, err);
    if (st == ZS_OK) st = zs_qdg_kmeans(emb, n, n_vec, k, opts, labels, NULL, err);
    free(emb);
    return st;
}
