/* QDG's eigensolver (zs_qdg_eigen_leading, zipscale/quanta_qdg.h): the iterative solver
 * against a matrix of known eigenpairs (a near-degenerate pair among the wanted, a small gap
 * at the cut) and against LAPACK's dsyevr on planted-partition affinities (eigenvalues,
 * the projector onto the eigenvectors, the residuals recomputed here); the same bytes at 1
 * and 2 threads; the embedding's k-means labels identical to the dsyevr path's; the
 * fallback; the names and errors; `quanta qdg --eigensolver` end to end. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/quanta_qdg.h"

void openblas_set_num_threads(int n);

/* A planted partition of Zipf-like group sizes: affinity p_in within, p_out between, plus
 * uniform noise of half-width `noise`, clipped at 0; diagonal 1. */
static double *planted(size_t n, size_t groups, double p_in, double p_out, double noise,
                       uint32_t *truth) {
    double total = 0.0;
    for (size_t c = 0; c < groups; c++) total += 1.0 / (double)(c + 1);
    size_t i = 0;
    for (size_t c = 0; c < groups; c++) {
        size_t len = c + 1 == groups ? n - i : (size_t)((double)n / (double)(c + 1) / total);
        for (size_t t = 0; t < len && i < n; t++) truth[i++] = (uint32_t)c;
    }
    double *a = malloc(n * n * sizeof *a);
    zs_rng rng;
    zs_rng_seed(&rng, 5, 0);
    for (size_t r = 0; r < n; r++) {
        a[r * n + r] = 1.0;
        for (size_t j = r + 1; j < n; j++) {
            double v =
                (truth[r] == truth[j] ? p_in : p_out) + noise * (2.0 * zs_rng_uniform(&rng) - 1.0);
            a[r * n + j] = a[j * n + r] = v > 0.0 ? v : 0.0;
        }
    }
    return a;
}

/* D^-1/2 (A - diag) D^-1/2, as the embedding builds it (no isolated nodes here). */
static double *normalised(const double *a, size_t n) {
    double *d = malloc(n * sizeof *d), *m = malloc(n * n * sizeof *m);
    for (size_t i = 0; i < n; i++) {
        d[i] = 0.0;
        for (size_t j = 0; j < n; j++)
            if (j != i) d[i] += a[i * n + j];
        d[i] = sqrt(d[i]);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) m[i * n + j] = i == j ? 0.0 : a[i * n + j] / (d[i] * d[j]);
    free(d);
    return m;
}

/* ||U Uᵀ - V Vᵀ||_F for (n, k) row-major orthonormal U and V, as sqrt(2) ||V - U Uᵀ V||_F. */
static double projector_gap(const double *u, const double *v, size_t n, size_t k) {
    double *utv = calloc(k * k, sizeof *utv);
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < k; p++)
            for (size_t q = 0; q < k; q++) utv[p * k + q] += u[i * k + p] * v[i * k + q];
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t q = 0; q < k; q++) {
            double r = v[i * k + q];
            for (size_t p = 0; p < k; p++) r -= u[i * k + p] * utv[p * k + q];
            ss += r * r;
        }
    free(utv);
    return sqrt(2.0 * ss);
}

/* The largest ||M v - λ v||₂ and the largest |vᵀv - 1| over the k pairs, by plain loops. */
static void check_pairs(const double *m, size_t n, const double *vecs, const double *vals, size_t k,
                        double tol) {
    for (size_t c = 0; c < k; c++) {
        double rr = 0.0, vv = 0.0;
        for (size_t i = 0; i < n; i++) {
            double mv = 0.0;
            for (size_t j = 0; j < n; j++) mv += m[i * n + j] * vecs[j * k + c];
            double r = mv - vals[c] * vecs[i * k + c];
            rr += r * r;
            vv += vecs[i * k + c] * vecs[i * k + c];
        }
        cr_assert_leq(sqrt(rr), tol, "pair %zu: residual %.3g above %.3g", c, sqrt(rr), tol);
        cr_assert_leq(fabs(vv - 1.0), 1e-12, "pair %zu: norm² %.17g", c, vv);
        if (c) cr_assert_geq(vals[c - 1], vals[c], "descending at %zu", c);
    }
}

static zs_qdg_eigen_opts solver_opts(zs_qdg_eigensolver s) {
    zs_qdg_eigen_opts o;
    zs_qdg_eigen_opts_init(&o);
    o.solver = s;
    return o;
}

/* Solves a copy of m (dsyevr overwrites it). */
static void solve(const double *m, size_t n, size_t k, const zs_qdg_eigen_opts *o, double *vecs,
                  double *vals, zs_qdg_eigen_info *info) {
    double *copy = malloc(n * n * sizeof *copy);
    memcpy(copy, m, n * n * sizeof *copy);
    zs_error err = {0};
    cr_assert_eq(zs_qdg_eigen_leading(copy, n, k, 1.0, o, vecs, vals, info, &err), ZS_OK, "%s",
                 err.msg);
    free(copy);
}

Test(qdg_eigen, known_spectrum_with_a_near_degenerate_pair_and_a_small_gap) {
    /* M = Q diag(λ) Qᵀ, Q a product of three Householder reflectors: the eigenpairs are known
     * exactly. Wanted k = 8: λ_3 and λ_4 1e-9 apart (each vector ill-defined, their span
     * not), and λ_8 = 0.5 against λ_9 = 0.499 (a gap of 1e-3 at the cut); the rest spread
     * over [-0.95, 0.45]. By Davis-Kahan the projector error is at most about
     * sqrt(2k)·residual/gap, so the tolerance is 1e-12 here. */
    enum { N = 500, K = 8 };
    double lam[N];
    const double top[K + 1] = {1.0, 0.9, 0.8, 0.8 - 1e-9, 0.7, 0.65, 0.6, 0.5, 0.499};
    for (size_t i = 0; i < N; i++)
        lam[i] = i <= K ? top[i] : -0.95 + 1.4 * (double)(N - 1 - i) / (double)(N - K - 2);
    double *m = calloc((size_t)N * N, sizeof *m), *q = calloc((size_t)N * N, sizeof *q);
    for (size_t i = 0; i < N; i++) {
        m[i * N + i] = lam[i];
        q[i * N + i] = 1.0;
    }
    zs_rng rng;
    zs_rng_seed(&rng, 9, 0);
    double u[N], t[N];
    for (int h = 0; h < 3; h++) {
        double uu = 0.0;
        for (size_t i = 0; i < N; i++) {
            u[i] = zs_rng_uniform(&rng) - 0.5;
            uu += u[i] * u[i];
        }
        /* M <- H M H and Q <- H Q, H = I - 2 u uᵀ / uᵀu */
        for (int side = 0; side < 2; side++)
            for (size_t j = 0; j < N; j++) { /* rows: M <- H M (side 0), then columns */
                double d = 0.0;
                for (size_t i = 0; i < N; i++) d += u[i] * (side ? m[j * N + i] : m[i * N + j]);
                for (size_t i = 0; i < N; i++)
                    *(side ? &m[j * N + i] : &m[i * N + j]) -= 2.0 * d / uu * u[i];
            }
        for (size_t j = 0; j < N; j++) {
            double d = 0.0;
            for (size_t i = 0; i < N; i++) d += u[i] * q[i * N + j];
            for (size_t i = 0; i < N; i++) t[i] = q[i * N + j] - 2.0 * d / uu * u[i];
            for (size_t i = 0; i < N; i++) q[i * N + j] = t[i];
        }
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < i; j++)
            m[i * N + j] = m[j * N + i] = 0.5 * (m[i * N + j] + m[j * N + i]);
    double *exact = malloc((size_t)N * K * sizeof *exact); /* the first K columns of Q */
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < K; c++) exact[i * K + c] = q[i * N + c];
    zs_qdg_eigen_opts o = solver_opts(ZS_QDG_EIG_ITERATIVE);
    o.tol = 1e-12;
    double vecs[N * K], vals[K], dvecs[N * K], dvals[K];
    zs_qdg_eigen_info info;
    solve(m, N, K, &o, vecs, vals, &info);
    cr_assert_eq(info.used, ZS_QDG_EIG_ITERATIVE, "converged without the fallback");
    cr_assert_eq(info.fell_back, 0);
    cr_assert_leq(info.max_residual, 1e-12);
    check_pairs(m, N, vecs, vals, K, 1e-11);
    for (size_t c = 0; c < K; c++)
        cr_assert_leq(fabs(vals[c] - lam[c]), 1e-12, "λ_%zu %.17g vs %.17g", c, vals[c], lam[c]);
    double gap_exact = projector_gap(exact, vecs, N, K);
    cr_assert_lt(gap_exact, 1e-8, "projector against the exact eigenvectors: %.3g", gap_exact);
    /* and against dsyevr */
    zs_qdg_eigen_opts d = solver_opts(ZS_QDG_EIG_DSYEVR);
    solve(m, N, K, &d, dvecs, dvals, NULL);
    for (size_t c = 0; c < K; c++) cr_assert_leq(fabs(vals[c] - dvals[c]), 1e-12);
    cr_assert_lt(projector_gap(dvecs, vecs, N, K), 1e-8);
    free(exact);
    free(m);
    free(q);
}

/* The iterative solver against dsyevr on a planted partition's normalised affinity. */
static void against_dsyevr(size_t n, size_t groups, size_t k, double p_in, double p_out,
                           double noise, double max_projector) {
    uint32_t *truth = malloc(n * sizeof *truth);
    double *a = planted(n, groups, p_in, p_out, noise, truth), *m = normalised(a, n);
    double *vecs = malloc(n * k * sizeof *vecs), *dvecs = malloc(n * k * sizeof *dvecs);
    double *vals = malloc(k * sizeof *vals), *dvals = malloc(k * sizeof *dvals);
    zs_qdg_eigen_opts o = solver_opts(ZS_QDG_EIG_ITERATIVE), d = solver_opts(ZS_QDG_EIG_DSYEVR);
    zs_qdg_eigen_info info;
    solve(m, n, k, &o, vecs, vals, &info);
    cr_assert_eq(info.used, ZS_QDG_EIG_ITERATIVE, "n %zu: converged without the fallback", n);
    cr_assert_leq(info.max_residual, 1e-10);
    check_pairs(m, n, vecs, vals, k, 1.1e-10);
    solve(m, n, k, &d, dvecs, dvals, NULL);
    for (size_t c = 0; c < k; c++)
        cr_assert_leq(fabs(vals[c] - dvals[c]), 1e-12, "λ_%zu %.17g vs dsyevr %.17g", c, vals[c],
                      dvals[c]);
    double gap = projector_gap(dvecs, vecs, n, k);
    cr_assert_lt(gap, max_projector, "projector difference %.3g", gap);
    free(truth);
    free(a);
    free(m);
    free(vecs);
    free(dvecs);
    free(vals);
    free(dvals);
}

Test(qdg_eigen, matches_dsyevr_on_planted_partitions) {
    /* well separated: the 12 leading eigenvalues stand clear of the noise */
    against_dsyevr(800, 12, 12, 0.6, 0.15, 0.1, 1e-8);
    /* more eigenvectors than groups: the last wanted ones lie in the noise's bulk, where the
     * gaps are ~1e-3, so the subspace is only as sharp as residual/gap */
    against_dsyevr(600, 8, 14, 0.5, 0.3, 0.2, 1e-6);
}

Test(qdg_eigen, same_bytes_at_1_and_2_threads_and_seed_dependent) {
    enum { N = 700, K = 10 };
    uint32_t truth[N];
    double *a = planted(N, K, 0.6, 0.2, 0.15, truth), *m = normalised(a, N);
    double v1[N * K], v2[N * K], v3[N * K], e1[K], e2[K], e3[K];
    zs_qdg_eigen_opts o = solver_opts(ZS_QDG_EIG_ITERATIVE);
    o.seed = 3;
    openblas_set_num_threads(1);
    omp_set_num_threads(1);
    solve(m, N, K, &o, v1, e1, NULL);
    openblas_set_num_threads(2);
    omp_set_num_threads(2);
    solve(m, N, K, &o, v2, e2, NULL);
    cr_assert_eq(memcmp(v1, v2, sizeof v1), 0, "eigenvectors differ between 1 and 2 threads");
    cr_assert_eq(memcmp(e1, e2, sizeof e1), 0, "eigenvalues differ between 1 and 2 threads");
    o.seed = 4;
    solve(m, N, K, &o, v3, e3, NULL);
    cr_assert_neq(memcmp(v1, v3, sizeof v1), 0, "another seed, another start, other bytes");
    cr_assert_lt(projector_gap(v1, v3, N, K), 1e-8, "but the same subspace");
    free(a);
    free(m);
}

Test(qdg_eigen, clustering_identical_to_the_dsyevr_path) {
    enum { N = 900, G = 9 };
    uint32_t truth[N], lab_d[N], lab_i[N];
    double *a = planted(N, G, 0.55, 0.2, 0.2, truth);
    double emb_d[N * G], emb_i[N * G], ev_d[G], ev_i[G];
    zs_qdg_eigen_opts o = solver_opts(ZS_QDG_EIG_ITERATIVE), d = solver_opts(ZS_QDG_EIG_DSYEVR);
    zs_qdg_eigen_info info;
    cr_assert_eq(
        zs_qdg_spectral_embedding_eig(a, N, G, ZS_QDG_EMBED_SKLEARN, &d, emb_d, ev_d, NULL, NULL),
        ZS_OK);
    cr_assert_eq(
        zs_qdg_spectral_embedding_eig(a, N, G, ZS_QDG_EMBED_SKLEARN, &o, emb_i, ev_i, &info, NULL),
        ZS_OK);
    cr_assert_eq(info.used, ZS_QDG_EIG_ITERATIVE);
    zs_qdg_kmeans_opts ko;
    zs_qdg_kmeans_opts_init(&ko);
    ko.seed = 2;
    cr_assert_eq(zs_qdg_kmeans(emb_d, N, G, G, &ko, lab_d, NULL, NULL), ZS_OK);
    cr_assert_eq(zs_qdg_kmeans(emb_i, N, G, G, &ko, lab_i, NULL, NULL), ZS_OK);
    cr_assert_eq(memcmp(lab_d, lab_i, sizeof lab_d), 0, "labels differ from the dsyevr path's");
    cr_assert_eq(zs_qdg_ari(lab_i, truth, N), 1.0, "the planted partition recovered exactly");
    for (size_t c = 0; c < G; c++) cr_assert_leq(fabs(ev_d[c] - ev_i[c]), 1e-12);
    free(a);
}

Test(qdg_eigen, fallback_and_auto) {
    enum { N = 400, K = 6 };
    uint32_t truth[N];
    double *a = planted(N, K, 0.5, 0.3, 0.2, truth), *m = normalised(a, N);
    double vd[N * K], vf[N * K], ed[K], ef[K];
    zs_qdg_eigen_opts d = solver_opts(ZS_QDG_EIG_DSYEVR);
    zs_qdg_eigen_info info;
    solve(m, N, K, &d, vd, ed, &info);
    cr_assert_eq(info.used, ZS_QDG_EIG_DSYEVR);
    cr_assert_eq(info.products, 0);
    /* a budget too small to converge in: dsyevr's answer, byte for byte */
    zs_qdg_eigen_opts o = solver_opts(ZS_QDG_EIG_ITERATIVE);
    o.max_products = 4;
    solve(m, N, K, &o, vf, ef, &info);
    cr_assert_eq(info.fell_back, 1);
    cr_assert_eq(info.used, ZS_QDG_EIG_DSYEVR);
    cr_assert_leq(info.products, 4);
    cr_assert_gt(info.max_residual, 1e-10, "it had not converged");
    cr_assert_eq(memcmp(vd, vf, sizeof vd), 0);
    cr_assert_eq(memcmp(ed, ef, sizeof ed), 0);
    /* auto: dsyevr below auto_min_n rows, iterative from there */
    zs_qdg_eigen_opts au = solver_opts(ZS_QDG_EIG_AUTO);
    cr_assert_eq(au.auto_min_n, 2000);
    solve(m, N, K, &au, vf, ef, &info);
    cr_assert_eq(info.used, ZS_QDG_EIG_DSYEVR);
    cr_assert_eq(info.fell_back, 0);
    cr_assert_eq(info.products, 0);
    au.auto_min_n = N;
    solve(m, N, K, &au, vf, ef, &info);
    cr_assert_eq(info.fell_back, 1, "auto's budget, n / 40 = 10 products, is too small here");
    au.max_products = 200;
    solve(m, N, K, &au, vf, ef, &info);
    cr_assert_eq(info.used, ZS_QDG_EIG_ITERATIVE);
    cr_assert_gt(info.products, 0);
    free(a);
    free(m);
}

Test(qdg_eigen, names_and_errors) {
    zs_qdg_eigensolver s;
    zs_error err = {0};
    const char *names[] = {"auto", "dsyevr", "iterative"};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(zs_qdg_eigensolver_parse(names[i], &s, &err), ZS_OK);
        cr_assert_eq((int)s, i);
        cr_assert_str_eq(zs_qdg_eigensolver_name(s), names[i]);
    }
    cr_assert_eq(zs_qdg_eigensolver_parse("arpack", &s, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "'arpack'") && strstr(err.msg, "auto, dsyevr or iterative"), "%s",
              err.msg);
    double m[4] = {0.0, 0.5, 0.5, 0.0}, v[4], e[2];
    cr_assert_eq(zs_qdg_eigen_leading(m, 2, 3, 1.0, NULL, v, e, NULL, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "3 eigenvectors of a 2 x 2 matrix"), "%s", err.msg);
    cr_assert_eq(zs_qdg_eigen_leading(m, 2, 1, 0.0, NULL, v, e, NULL, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "norm bound 0"), "%s", err.msg);
    cr_assert_eq(zs_qdg_eigen_leading(m, 2, 1, 1.0, NULL, v, e, NULL, &err), ZS_OK);
    cr_assert_float_eq(e[0], 0.5, 1e-15);
}

/* `quanta qdg --eigensolver`: a small parity MLP trained here, the same labels from dsyevr
 * and the iterative solver, the JSON saying which ran, and the usage error. */
Test(qdg_eigen, cli_option) {
    const char *run = zs_test_path("run");
    zs_run r = zs_test_cli("train --model mlp --task parity --tasks 3 --bits 10 --k 2 "
                           "--zipf-exponent 0.5 --width 48 --steps 600 --batch 128 --lr 3e-3 "
                           "--eval-every 600 --test-size 1000 --eval-per-subtask 200 -o '%s'",
                           run);
    cr_assert_eq(r.exit_code, 0, "train: %s", r.err);
    zs_run_free(&r);
    const char *solvers[] = {"dsyevr", "iterative"};
    char *labels[2];
    for (int s = 0; s < 2; s++) {
        char out[1100];
        snprintf(out, sizeof out, "%s/qdg_%s", zs_test_tmpdir(), solvers[s]);
        r = zs_test_cli("quanta qdg '%s' -n 300 --pool 3000 --max-loss 0.3 --restarts 5 "
                        "--variants abs --seed 4 --eigensolver %s -o '%s'",
                        run, solvers[s], out);
        cr_assert_eq(r.exit_code, 0, "qdg --eigensolver %s: %s", solvers[s], r.err);
        zs_run_free(&r);
        char path[1200];
        snprintf(path, sizeof path, "%s/qdg.json", out);
        json_error_t jerr;
        json_t *doc = json_load_file(path, 0, &jerr);
        cr_assert(doc, "%s", jerr.text);
        cr_assert_str_eq(
            json_string_value(json_object_get(json_object_get(doc, "options"), "eigensolver")),
            solvers[s]);
        json_t *eig =
            json_object_get(json_array_get(json_object_get(doc, "variants"), 0), "eigensolver");
        cr_assert_str_eq(json_string_value(json_object_get(eig, "used")), solvers[s]);
        cr_assert_eq(json_is_true(json_object_get(eig, "fell_back")), 0);
        json_decref(doc);
        snprintf(path, sizeof path, "%s/labels_abs.npy", out);
        size_t len;
        labels[s] = zs_test_slurp(path, &len);
        cr_assert(labels[s] && len > 300);
    }
    cr_assert_eq(memcmp(labels[0], labels[1], 128 + 300 * 4), 0, "labels differ");
    free(labels[0]);
    free(labels[1]);
    r = zs_test_cli("quanta qdg '%s' -n 300 --eigensolver arpack", run);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "--eigensolver") && strstr(r.err, "'arpack'"), "%s", r.err);
    zs_run_free(&r);
}
