/* quanta, QDG: the CPQR label assignment of a spectral embedding (zs_qdg_cluster_qr; Damle,
 * Minden and Ying 2019, scikit-learn's assign_labels='cluster_qr'): a column-pivoted QR of
 * the embedding's transpose picks k representative rows, the polar factor of their k x k
 * block rotates the embedding, and each row takes the column of its largest |entry|. No
 * seed, no restarts: the same embedding always gives the same labels. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta_qdg.h"

/* The first k pivots of a column-pivoted QR of xᵀ (k, n): at each step the row of x with
 * the largest norm after removing its components along the rows picked before (the lowest
 * index on a tie), as LAPACK's dgeqp3 picks columns. Modified Gram-Schmidt with the norms
 * recomputed, in double, sequential. r (n, k) is scratch. */
static void pivot_rows(const double *x, size_t n, size_t k, double *r, double *norm2,
                       unsigned char *taken, size_t *piv) {
    memcpy(r, x, n * k * sizeof *r);
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t c = 0; c < k; c++) s += r[i * k + c] * r[i * k + c];
        norm2[i] = s;
        taken[i] = 0;
    }
    for (size_t j = 0; j < k; j++) {
        size_t p = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && (p == SIZE_MAX || norm2[i] > norm2[p])) p = i;
        piv[j] = p;
        taken[p] = 1;
        double len = sqrt(norm2[p]);
        if (!(len > 0.0)) continue; /* rank deficient: nothing left to remove */
        const double *q = r + p * k;
        for (size_t i = 0; i < n; i++) {
            if (taken[i]) continue;
            double *ri = r + i * k, dot = 0.0, s = 0.0;
            for (size_t c = 0; c < k; c++) dot += ri[c] * q[c];
            dot /= norm2[p];
            for (size_t c = 0; c < k; c++) {
                ri[c] -= dot * q[c];
                s += ri[c] * ri[c];
            }
            norm2[i] = s;
        }
    }
}

zs_status zs_qdg_cluster_qr(const double *x, size_t n, size_t k, uint32_t *labels, zs_error *err) {
    if (k < 1 || k > n || k > 65535)
        return zs_fail(err, ZS_ERR_USAGE,
                       "cluster_qr: %zu clusters of %zu samples: expected 1 .. min(n, 65535)", k,
                       n);
    double *r = malloc(n * k * sizeof *r), *norm2 = malloc(n * sizeof *norm2);
    double *b = malloc(k * k * sizeof *b), *u = malloc(k * k * sizeof *u);
    double *vt = malloc(k * k * sizeof *vt), *rot = malloc(k * k * sizeof *rot);
    double *sv = malloc(k * sizeof *sv), *superb = malloc(k * sizeof *superb);
    unsigned char *taken = malloc(n);
    size_t *piv = malloc(k * sizeof *piv);
    zs_status s = ZS_OK;
    if (!r || !norm2 || !b || !u || !vt || !rot || !sv || !superb || !taken || !piv)
        s = zs_fail(err, ZS_ERR_NOMEM, "cluster_qr: out of memory for %zu x %zu", n, k);
    if (!s) {
        pivot_rows(x, n, k, r, norm2, taken, piv);
        /* B = x[piv, :]ᵀ (k, k) row-major: B[a][j] = x[piv[j]][a] */
        for (size_t a = 0; a < k; a++)
            for (size_t j = 0; j < k; j++) b[a * k + j] = x[piv[j] * k + a];
        lapack_int info =
            LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', (lapack_int)k, (lapack_int)k, b,
                           (lapack_int)k, sv, u, (lapack_int)k, vt, (lapack_int)k, superb);
        if (info != 0)
            s = zs_fail(err, ZS_ERR_INTERNAL,
                        "cluster_qr: LAPACKE_dgesvd on the %zu x %zu pivot block returned "
                        "info %d",
                        k, k, (int)info);
    }
    if (!s) {
        /* the polar factor U·Vᵀ: the rotation closest to B */
        for (size_t a = 0; a < k; a++)
            for (size_t j = 0; j < k; j++) {
                double t = 0.0;
                for (size_t m = 0; m < k; m++) t += u[a * k + m] * vt[m * k + j];
                rot[a * k + j] = t;
            }
        for (size_t i = 0; i < n; i++) {
            const double *xi = x + i * k;
            double best = -1.0;
            uint32_t arg = 0;
            for (size_t j = 0; j < k; j++) {
                double t = 0.0;
                for (size_t a = 0; a < k; a++) t += xi[a] * rot[a * k + j];
                if (fabs(t) > best) {
                    best = fabs(t);
                    arg = (uint32_t)j;
                }
            }
            labels[i] = arg;
        }
    }
    free(r);
    free(norm2);
    free(b);
    free(u);
    free(vt);
    free(rot);
    free(sv);
    free(superb);
    free(taken);
    free(piv);
    return s;
}
