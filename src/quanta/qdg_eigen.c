/* quanta, QDG: the leading eigenpairs of a dense symmetric matrix (zipscale/quanta_qdg.h), the
 * spectral embedding's eigensolver: LAPACKE dsyevr for an index range, or Chebyshev-filtered
 * subspace iteration with Rayleigh-Ritz (Zhou, Saad, Tiago and Chelikowsky 2006, J. Comput.
 * Phys. 219) whose block products are OpenBLAS dgemm, falling back to dsyevr when it does
 * not converge. Guide: docs/quanta.md ("The iterative eigensolver"). */
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta_qdg.h"

/* OpenBLAS's Fortran-interface GEMM, called by that name on purpose: GSL's reference CBLAS
 * (libgslcblas, linked for the fit module) also defines cblas_dgemm, and the linker binds
 * the cblas_ name to its naive loops (see qdg_cosine.c). */
void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
            const double *alpha, const double *a, const int *lda, const double *b, const int *ldb,
            const double *beta, double *c, const int *ldc);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int n);

/* Rows of M per task of the big products: fixed, so the bytes do not depend on the thread
 * count (OpenBLAS's own threaded dgemm splits the work by the thread count, and its results
 * differ in the last bits between 1 and 2 threads: measured). */
#define PRODUCT_ROWS 256

/* The filter's largest amplification in the first round, from random columns (the wanted
 * directions then differ by at most this factor before the QR, far from losing the smaller
 * ones to rounding), and in later rounds, from Ritz vectors (each column mostly its own
 * eigenvector, so the factor matters less). */
#define FIRST_AMPLIFICATION 1e8
#define MAX_AMPLIFICATION 1e13
/* Lanczos steps for the lower end of the spectrum (spectrum_floor) */
#define LANCZOS_STEPS 24

static const char *const solver_names[] = {"auto", "dsyevr", "iterative"};

const char *zs_qdg_eigensolver_name(zs_qdg_eigensolver s) {
    return (unsigned)s <= ZS_QDG_EIG_ITERATIVE ? solver_names[s] : "?";
}

zs_status zs_qdg_eigensolver_parse(const char *name, zs_qdg_eigensolver *s, zs_error *err) {
    for (int i = 0; i <= ZS_QDG_EIG_ITERATIVE; i++)
        if (strcmp(name, solver_names[i]) == 0) {
            *s = (zs_qdg_eigensolver)i;
            return ZS_OK;
        }
    return zs_fail(err, ZS_ERR_USAGE, "eigensolver '%s': expected auto, dsyevr or iterative", name);
}

void zs_qdg_eigen_opts_init(zs_qdg_eigen_opts *opts) {
    *opts = (zs_qdg_eigen_opts){.solver = ZS_QDG_EIG_AUTO,
                                .auto_min_n = 2000,
                                .tol = 1e-10,
                                .max_products = 0,
                                .degree = 16,
                                .guard = 0,
                                .seed = 0};
}

/* dsyevr for the top n_vec of n; m destroyed. vecs (n, n_vec) row-major, descending. */
static zs_status leading_dsyevr(double *m, size_t n, size_t n_vec, double *vecs, double *vals,
                                zs_error *err) {
    double *w = zs_alloc(n * sizeof *w, "eigensolver", err);
    double *z = w ? zs_alloc(n * n_vec * sizeof *z, "eigensolver", err) : NULL;
    lapack_int *support = z ? zs_alloc(2 * n_vec * sizeof *support, "eigensolver", err) : NULL;
    zs_status st = support ? ZS_OK : ZS_ERR_NOMEM;
    lapack_int found = 0;
    lapack_int info = 0;
    if (!st)
        info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)n, m, (lapack_int)n, 0.0,
                              0.0, (lapack_int)(n - n_vec + 1), (lapack_int)n, 0.0, &found, w, z,
                              (lapack_int)n_vec, support);
    if (!st && (info != 0 || (size_t)found != n_vec))
        st = zs_fail(err, ZS_ERR_INTERNAL,
                     "eigensolver: LAPACKE_dsyevr on %zu rows returned info %d with %d of %zu "
                     "eigenvectors",
                     n, (int)info, (int)found, n_vec);
    /* z's columns ascend in eigenvalue: column c of vecs is z's column n_vec-1-c */
    for (size_t c = 0; !st && c < n_vec; c++) {
        vals[c] = w[n_vec - 1 - c];
        for (size_t i = 0; i < n; i++) vecs[i * n_vec + c] = z[i * n_vec + n_vec - 1 - c];
    }
    free(w);
    free(z);
    free(support);
    return st;
}

/* The iterative solver's workspace: three (n, p) blocks stored column-major (vector j at
 * x + j·n), the (p, p) Rayleigh quotient and its eigenvalues. */
typedef struct {
    int n, p;
    int threads;     /* for the big products: tasks of PRODUCT_ROWS rows, each a 1-thread dgemm */
    uint64_t budget; /* products before giving up */
    double *blk[3];
    double *h, *theta, *tau;
} subspace;

static void gemm(const char *ta, int m, int n, int k, const double *a, int lda, const double *b,
                 int ldb, double *c, int ldc) {
    const double one = 1.0, zero = 0.0;
    dgemm_(ta, "N", &m, &n, &k, &one, a, &lda, b, &ldb, &zero, c, &ldc);
}

/* y (n, cols) = M x, column-major blocks: row tasks of PRODUCT_ROWS, each a one-thread dgemm
 * (OpenBLAS runs on one thread inside the solver), in parallel. */
static void product(const subspace *s, const double *m, const double *x, int cols, double *y) {
    int n = s->n, tasks = (n + PRODUCT_ROWS - 1) / PRODUCT_ROWS;
#pragma omp parallel for schedule(dynamic) num_threads(s->threads)
    for (int t = 0; t < tasks; t++) {
        int r0 = t * PRODUCT_ROWS, rows = n - r0 < PRODUCT_ROWS ? n - r0 : PRODUCT_ROWS;
        gemm("N", rows, cols, n, m + r0, n, x, n, y + r0, n); /* M symmetric: rows r0.. */
    }
}

/* Orthonormalises the columns of x in place (Householder QR, then Q). */
static zs_status orthonormalise(subspace *s, double *x, zs_error *err) {
    lapack_int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, s->n, s->p, x, s->n, s->tau);
    if (info == 0) info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, s->n, s->p, s->p, x, s->n, s->tau);
    return info
               ? zs_fail(err, ZS_ERR_INTERNAL, "eigensolver: LAPACK QR returned info %d", (int)info)
               : ZS_OK;
}

/* The free block: neither x nor mx. */
static double *free_block(const subspace *s, const double *x, const double *mx) {
    for (int b = 0; b < 3; b++)
        if (s->blk[b] != x && s->blk[b] != mx) return s->blk[b];
    return NULL;
}

/* Rayleigh-Ritz on the orthonormal block *x: w = M x, H = xᵀ w, H = S Θ Sᵀ; then *x = x S and
 * *mx = w S (Ritz vectors and M times them), theta descending. Uses the third block. */
static zs_status rayleigh_ritz(subspace *s, const double *m, double **x, double **mx,
                               zs_error *err) {
    int n = s->n, p = s->p;
    double *w = *mx, *y = free_block(s, *x, *mx);
    product(s, m, *x, p, w);
    gemm("T", p, p, n, *x, n, w, n, s->h, p);
    for (int i = 0; i < p; i++)
        for (int j = 0; j < i; j++) {
            double avg = 0.5 * (s->h[i * p + j] + s->h[j * p + i]);
            s->h[i * p + j] = s->h[j * p + i] = avg;
        }
    double *asc = s->tau; /* p doubles, free until the next QR */
    lapack_int info = LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', p, s->h, p, asc);
    if (info)
        return zs_fail(err, ZS_ERR_INTERNAL,
                       "eigensolver: LAPACKE_dsyev on the %d x %d "
                       "Rayleigh quotient returned info %d",
                       p, p, (int)info);
    /* descending: reverse the columns of S */
    for (int j = 0; j < p / 2; j++)
        for (int i = 0; i < p; i++) {
            double t = s->h[j * p + i];
            s->h[j * p + i] = s->h[(p - 1 - j) * p + i];
            s->h[(p - 1 - j) * p + i] = t;
        }
    for (int j = 0; j < p; j++) s->theta[j] = asc[p - 1 - j];
    gemm("N", n, p, p, *x, n, s->h, p, y, n); /* y = x S */
    gemm("N", n, p, p, w, n, s->h, p, *x, n); /* old x's storage takes w S */
    *mx = *x;
    *x = y;
    return ZS_OK;
}

/* T_degree((M - c)/e) x for the interval [a, b] = [c - e, c + e], by the three-term
 * recurrence; the result replaces *x, the two other blocks are scratch (mx is lost). */
static void chebyshev_filter(subspace *s, const double *m, int degree, double a, double b,
                             double **x, double **mx) {
    size_t len = (size_t)s->n * (size_t)s->p;
    double e = 0.5 * (b - a), c = 0.5 * (b + a);
    double *prev = *x, *cur = *mx, *next = free_block(s, *x, *mx);
    product(s, m, prev, s->p, cur);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < len; i++) cur[i] = (cur[i] - c * prev[i]) / e;
    for (int d = 2; d <= degree; d++) {
        product(s, m, cur, s->p, next);
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < len; i++) next[i] = 2.0 * (next[i] - c * cur[i]) / e - prev[i];
        double *t = prev;
        prev = cur;
        cur = next;
        next = t;
    }
    *x = cur;
    *mx = prev;
}

/* The largest residual ||M v_j - θ_j v_j||₂ over the first k Ritz pairs. */
static double max_residual(const subspace *s, const double *x, const double *mx, int k) {
    double worst = 0.0;
#pragma omp parallel for schedule(static) reduction(max : worst)
    for (int j = 0; j < k; j++) {
        const double *v = x + (size_t)j * s->n, *mv = mx + (size_t)j * s->n;
        double ss = 0.0;
        for (int i = 0; i < s->n; i++) {
            double r = mv[i] - s->theta[j] * v[i];
            ss += r * r;
        }
        if (sqrt(ss) > worst) worst = sqrt(ss);
    }
    return worst;
}

/* A lower bound on M's spectrum for the filter's interval, sharper than -norm_bound: k steps
 * of Lanczos (full reorthogonalisation) from a seeded start, the least Ritz value less the
 * last residual norm (the safeguard of Zhou and Li 2011, Linear Algebra Appl. 435), never
 * below -norm_bound; -norm_bound when Lanczos breaks down (an invariant subspace need not hold
 * the least eigenvalue). The damped interval then fits the bulk of the spectrum rather than
 * [-1, cut]: on a noisy affinity ~20x fewer products. */
static zs_status spectrum_floor(const subspace *s, const double *m, double bound, uint64_t seed,
                                double *floor_out, zs_error *err) {
    int n = s->n;
    int k = n < LANCZOS_STEPS ? n : LANCZOS_STEPS;
    double *v = zs_alloc((size_t)(k + 1) * (size_t)n * sizeof *v, "eigensolver Lanczos", err);
    double *alpha = v ? zs_alloc((size_t)k * sizeof *alpha, "eigensolver Lanczos", err) : NULL;
    double *beta = alpha ? zs_alloc((size_t)k * sizeof *beta, "eigensolver Lanczos", err) : NULL;
    if (!beta) {
        free(v);
        free(alpha);
        return ZS_ERR_NOMEM;
    }
    zs_rng rng;
    zs_rng_seed(&rng, seed, zs_rng_tag("qdg.eigen.lanczos"));
    double ss = 0.0;
    for (int i = 0; i < n; i++) {
        v[i] = zs_rng_uniform(&rng) - 0.5;
        ss += v[i] * v[i];
    }
    for (int i = 0; i < n; i++) v[i] /= sqrt(ss);
    int steps = 0, broke = 0;
    for (int j = 0; j < k; j++) {
        double *vj = v + (size_t)j * n, *w = v + (size_t)(j + 1) * n;
        product(s, m, vj, 1, w);
        double a = 0.0;
        for (int i = 0; i < n; i++) a += w[i] * vj[i];
        alpha[j] = a;
        for (int r = 0; r < 2; r++) /* twice is enough (Kahan, Parlett) */
            for (int q = 0; q <= j; q++) {
                const double *vq = v + (size_t)q * n;
                double d = 0.0;
                for (int i = 0; i < n; i++) d += w[i] * vq[i];
                for (int i = 0; i < n; i++) w[i] -= d * vq[i];
            }
        double b = 0.0;
        for (int i = 0; i < n; i++) b += w[i] * w[i];
        beta[j] = sqrt(b);
        steps = j + 1;
        if (beta[j] <= 1e-10 * bound) {
            broke = 1;
            break;
        }
        for (int i = 0; i < n; i++) w[i] /= beta[j];
    }
    double last = beta[steps - 1];
    lapack_int info = LAPACKE_dstev(LAPACK_COL_MAJOR, 'N', steps, alpha, beta, NULL, 1);
    *floor_out = -bound;
    if (!info && !broke && alpha[0] - last > -bound) *floor_out = alpha[0] - last;
    free(v);
    free(alpha);
    free(beta);
    return info ? zs_fail(err, ZS_ERR_INTERNAL, "eigensolver: LAPACKE_dstev returned info %d",
                          (int)info)
                : ZS_OK;
}

/* The filter degree for this round: at most opts' degree, and low enough that the largest
 * Ritz value (x_top on the filter's scale) is amplified by at most MAX_AMPLIFICATION. */
static int round_degree(int max_degree, double x_top, double amplification) {
    if (x_top <= 1.0) return max_degree;
    int d = (int)floor(acosh(amplification) / acosh(x_top));
    return d < 2 ? 2 : d > max_degree ? max_degree : d;
}

/* Runs the rounds from a seeded start block; 1 when the k wanted pairs converged (written to
 * vecs and vals), 0 when not or on an error (*st). */
static int iterate(subspace *s, const double *m, int k, double bound, const zs_qdg_eigen_opts *o,
                   double *vecs, double *vals, zs_qdg_eigen_info *info, zs_status *st,
                   zs_error *err) {
    int n = s->n, p = s->p;
    double *x = s->blk[0], *mx = s->blk[1];
#pragma omp parallel for schedule(static)
    for (int j = 0; j < p; j++) {
        zs_rng rng;
        zs_rng_seed(&rng, o->seed, (uint64_t)j);
        for (int i = 0; i < n; i++) x[(size_t)j * n + i] = zs_rng_uniform(&rng) - 0.5;
    }
    double floor_est = -bound;
    *st = spectrum_floor(s, m, bound, o->seed, &floor_est, err);
    if (!*st) *st = orthonormalise(s, x, err);
    if (!*st) *st = rayleigh_ritz(s, m, &x, &mx, err);
    info->products = 1;
    int converged = 0;
    if (!*st) {
        info->max_residual = max_residual(s, x, mx, k);
        converged = info->max_residual <= o->tol * bound;
    }
    uint64_t budget = s->budget, prev_products = info->products;
    double prev_residual = info->max_residual;
    for (uint32_t round = 1; !*st && !converged; round++) {
        double a = floor_est, b = s->theta[p - 1];
        if (b < a + 1e-3 * bound) b = a + 1e-3 * bound; /* keeps the interval from collapsing */
        if (b >= s->theta[0]) break;                    /* no separation left to filter on */
        int degree = round_degree((int)o->degree, (s->theta[0] - 0.5 * (a + b)) / (0.5 * (b - a)),
                                  round == 1 ? FIRST_AMPLIFICATION : MAX_AMPLIFICATION);
        if (info->products + (uint64_t)degree + 1 > budget) break;
        chebyshev_filter(s, m, degree, a, b, &x, &mx);
        *st = orthonormalise(s, x, err);
        if (!*st) *st = rayleigh_ritz(s, m, &x, &mx, err);
        info->rounds = round;
        info->products += (uint64_t)degree + 1;
        if (*st) break;
        info->max_residual = max_residual(s, x, mx, k);
        if (info->max_residual <= o->tol * bound) {
            converged = 1;
            break;
        }
        /* from the third round: give up early when the last round's rate of convergence
         * (log residual per product) would not reach tol within the budget */
        double rate =
            log(prev_residual / info->max_residual) / (double)(info->products - prev_products);
        if (round >= 3 &&
            (!(rate > 0.0) ||
             (double)info->products + log(info->max_residual / (o->tol * bound)) / rate >
                 (double)budget))
            break;
        prev_residual = info->max_residual;
        prev_products = info->products;
    }
    if (*st || !converged) return 0;
    for (int j = 0; j < k; j++) {
        vals[j] = s->theta[j];
        for (int i = 0; i < n; i++) vecs[(size_t)i * k + j] = x[(size_t)j * n + i];
    }
    return 1;
}

static zs_status leading_iterative(const double *m, size_t n, size_t n_vec, double bound,
                                   const zs_qdg_eigen_opts *o, uint64_t budget, double *vecs,
                                   double *vals, zs_qdg_eigen_info *info, int *converged,
                                   zs_error *err) {
    size_t guard = o->guard ? o->guard : (n_vec / 2 > 10 ? n_vec / 2 : 10);
    size_t p = n_vec + guard > n ? n : n_vec + guard;
    /* OpenBLAS on one thread throughout (the small products, QR, dsyev: the same bytes at any
     * thread count); the big products run its former thread count of row tasks */
    int blas_threads = openblas_get_num_threads();
    subspace s = {
        .n = (int)n, .p = (int)p, .threads = blas_threads > 0 ? blas_threads : 1, .budget = budget};
    openblas_set_num_threads(1);
    info->block = p;
    zs_status st = ZS_OK;
    for (int b = 0; b < 3 && !st; b++)
        if (!(s.blk[b] = zs_alloc(n * p * sizeof(double), "eigensolver block", err)))
            st = ZS_ERR_NOMEM;
    if (!st && !(s.h = zs_alloc(p * p * sizeof *s.h, "eigensolver", err))) st = ZS_ERR_NOMEM;
    if (!st && !(s.theta = zs_alloc(p * sizeof *s.theta, "eigensolver", err))) st = ZS_ERR_NOMEM;
    if (!st && !(s.tau = zs_alloc(p * sizeof *s.tau, "eigensolver", err))) st = ZS_ERR_NOMEM;
    if (!st) *converged = iterate(&s, m, (int)n_vec, bound, o, vecs, vals, info, &st, err);
    for (int b = 0; b < 3; b++) free(s.blk[b]);
    free(s.h);
    free(s.theta);
    free(s.tau);
    openblas_set_num_threads(blas_threads);
    return st;
}

zs_status zs_qdg_eigen_leading(double *m, size_t n, size_t n_vec, double norm_bound,
                               const zs_qdg_eigen_opts *opts, double *vecs, double *vals,
                               zs_qdg_eigen_info *info, zs_error *err) {
    zs_qdg_eigen_opts defaults;
    zs_qdg_eigen_opts_init(&defaults);
    const zs_qdg_eigen_opts *o = opts ? opts : &defaults;
    zs_qdg_eigen_info local;
    if (!info) info = &local;
    *info = (zs_qdg_eigen_info){.used = ZS_QDG_EIG_DSYEVR};
    if (n_vec < 1 || n_vec > n)
        return zs_fail(err, ZS_ERR_USAGE,
                       "eigensolver: %zu eigenvectors of a %zu x %zu matrix: expected 1 .. %zu",
                       n_vec, n, n, n);
    if (n >= (size_t)INT_MAX)
        return zs_fail(err, ZS_ERR_USAGE, "eigensolver: %zu rows: expected fewer than 2^31", n);
    if (!(norm_bound > 0.0) || !isfinite(norm_bound))
        return zs_fail(err, ZS_ERR_USAGE, "eigensolver: norm bound %g: expected finite and > 0",
                       norm_bound);
    if ((unsigned)o->solver > ZS_QDG_EIG_ITERATIVE)
        return zs_fail(err, ZS_ERR_USAGE,
                       "eigensolver: solver %d: expected auto, dsyevr or "
                       "iterative",
                       (int)o->solver);
    int iterative =
        o->solver == ZS_QDG_EIG_ITERATIVE || (o->solver == ZS_QDG_EIG_AUTO && n >= o->auto_min_n);
    if (iterative) {
        /* n / 40 products cost about what dsyevr does (measured at n = 2000 .. 5000, one
         * thread); `iterative` asked for by name gets at least 200 */
        uint64_t budget = o->max_products ? o->max_products : (uint64_t)n / 40;
        if (!o->max_products && o->solver == ZS_QDG_EIG_ITERATIVE && budget < 200) budget = 200;
        int converged = 0;
        zs_status st = leading_iterative(m, n, n_vec, norm_bound, o, budget, vecs, vals, info,
                                         &converged, err);
        if (st || converged) {
            if (!st) info->used = ZS_QDG_EIG_ITERATIVE;
            return st;
        }
        info->fell_back = 1;
    }
    return leading_dsyevr(m, n, n_vec, vecs, vals, err);
}
