/* QDG's library (zipscale/quanta_qdg.h): the blocked cosine matrix against plain double
 * loops; the spectral embedding against scikit-learn's spectral_embedding; spectral
 * clustering against scikit-learn's SpectralClustering(affinity='precomputed') on the same
 * affinity; a planted partition recovered exactly; k-means against scikit-learn's KMeans
 * inertia and its determinism across thread counts; the CPQR labels (cluster_qr) against
 * scikit-learn's cluster_qr, and a planted partition with one dominant group recovered by
 * them; ARI and NMI against sklearn.metrics;
 * the random projection's error; the rank-frequency slope on exact power-law sizes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/quanta_qdg.h"

static const char *const sk_script =
    "import sys\n"
    "import numpy as np\n"
    "mode, d = sys.argv[1], sys.argv[2]\n"
    "args = [int(a) for a in sys.argv[3:]]\n"
    "if mode == 'embed':\n"
    "    from sklearn.manifold import spectral_embedding\n"
    "    n, m = args\n"
    "    A = np.fromfile(d + '/a.f64').reshape(n, n)\n"
    "    e = spectral_embedding(A, n_components=m, norm_laplacian=True, drop_first=False,\n"
    "                           random_state=0, eigen_tol=0.0)\n"
    "    np.ascontiguousarray(e).tofile(d + '/sk.f64')\n"
    "elif mode == 'cluster':\n"
    "    from sklearn.cluster import SpectralClustering\n"
    "    n, k = args\n"
    "    A = np.fromfile(d + '/a.f64').reshape(n, n)\n"
    "    lab = SpectralClustering(n_clusters=k, affinity='precomputed', random_state=0,\n"
    "                             n_init=30).fit_predict(A)\n"
    "    lab.astype(np.uint32).tofile(d + '/sk.u32')\n"
    "elif mode == 'scores':\n"
    "    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score\n"
    "    n, reps = args\n"
    "    L = np.fromfile(d + '/labels.u32', dtype=np.uint32).reshape(reps, 2, n)\n"
    "    out = [[adjusted_rand_score(a, b), normalized_mutual_info_score(a, b)] for a, b in L]\n"
    "    np.array(out, dtype=np.float64).tofile(d + '/sk.f64')\n"
    "elif mode == 'kmeans':\n"
    "    from sklearn.cluster import KMeans\n"
    "    n, dim, k = args\n"
    "    X = np.fromfile(d + '/x.f64').reshape(n, dim)\n"
    "    km = KMeans(n_clusters=k, n_init=30, random_state=0, tol=0.0).fit(X)\n"
    "    np.array([km.inertia_]).tofile(d + '/sk.f64')\n"
    "elif mode == 'cqr':\n"
    "    from sklearn.cluster._spectral import cluster_qr\n"
    "    n, k = args\n"
    "    X = np.fromfile(d + '/x.f64').reshape(n, k)\n"
    "    cluster_qr(X).astype(np.uint32).tofile(d + '/sk.u32')\n"
    "print('ok')\n";

static void run_sklearn(const char *mode, const char *args) {
    const char *py = zs_test_python("sklearn numpy scipy");
    const char *script = zs_test_path("qdg_sk.py");
    cr_assert_eq(zs_test_write(script, sk_script, strlen(sk_script)), 0);
    zs_run run = zs_test_sh("'%s' '%s' %s '%s' %s", py, script, mode, zs_test_tmpdir(), args);
    cr_assert_eq(run.exit_code, 0, "sklearn %s failed: %s%s", mode, run.out, run.err);
    zs_run_free(&run);
}

/* A planted partition: sizes[g] samples in group g (truth, in order), affinity p_in within
 * and p_out between groups, plus symmetric uniform noise of half-width `noise`, clipped at 0;
 * the diagonal 1. */
static double *planted(const size_t *sizes, size_t groups, double p_in, double p_out, double noise,
                       uint64_t seed, uint32_t *truth, size_t *n_out) {
    size_t n = 0;
    for (size_t g = 0; g < groups; g++)
        for (size_t i = 0; i < sizes[g]; i++) truth[n++] = (uint32_t)g;
    double *a = malloc(n * n * sizeof *a);
    zs_rng rng;
    zs_rng_seed(&rng, seed, 0);
    for (size_t i = 0; i < n; i++) {
        a[i * n + i] = 1.0;
        for (size_t j = i + 1; j < n; j++) {
            double v =
                (truth[i] == truth[j] ? p_in : p_out) + noise * (2.0 * zs_rng_uniform(&rng) - 1.0);
            a[i * n + j] = a[j * n + i] = v > 0.0 ? v : 0.0;
        }
    }
    *n_out = n;
    return a;
}

Test(qdg, cosine_matches_double_loops_across_blocks) {
    enum { N = 9, D = 5000 }; /* three column blocks of 2048 */
    float *g = malloc(N * D * sizeof *g);
    zs_rng rng;
    zs_rng_seed(&rng, 4, 0);
    for (size_t i = 0; i < N * D; i++) g[i] = (float)(zs_rng_uniform(&rng) - 0.3);
    memset(g + 4 * D, 0, D * sizeof *g); /* a zero row stays zero */
    cr_assert_eq(zs_qdg_normalize_rows(g, N, D), 1);
    double *c = malloc(N * N * sizeof *c);
    cr_assert_eq(zs_qdg_cosine(g, N, D, c, NULL), ZS_OK);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double ref = 0.0;
            for (size_t t = 0; t < D; t++) ref += (double)g[i * D + t] * g[j * D + t];
            ref = fmin(1.0, fmax(-1.0, ref));
            cr_assert_leq(fabs(c[i * N + j] - ref), 1e-6, "C[%zu][%zu] %.9g vs %.9g", i, j,
                          c[i * N + j], ref);
            cr_assert_eq(c[i * N + j], c[j * N + i]);
        }
    cr_assert_eq(c[4 * N + 4], 0.0);
    cr_assert_leq(fabs(c[0] - 1.0), 1e-6);
    /* the affinities: 1 - arccos(C)/π and |C| */
    double *a = malloc(N * N * sizeof *a);
    memcpy(a, c, N * N * sizeof *a);
    zs_qdg_affinity_apply(a, N, ZS_QDG_ANGULAR);
    for (size_t i = 0; i < N * N; i++) cr_assert_float_eq(a[i], 1.0 - acos(c[i]) / M_PI, 1e-15);
    cr_assert_float_eq(a[4 * N + 5], 0.5, 1e-15); /* orthogonal (the zero row): one half */
    memcpy(a, c, N * N * sizeof *a);
    zs_qdg_affinity_apply(a, N, ZS_QDG_ABS_COS);
    for (size_t i = 0; i < N * N; i++) cr_assert_eq(a[i], fabs(c[i]));
    /* centring: every column's mean is 0 after */
    cr_assert_eq(zs_qdg_center_columns(g, N, D, NULL), ZS_OK);
    for (size_t t = 0; t < D; t += 97) {
        double s = 0.0;
        for (size_t i = 0; i < N; i++) s += g[i * D + t];
        cr_assert_leq(fabs(s), 1e-6, "column %zu", t);
    }
    free(a);
    free(c);
    free(g);
}

Test(qdg, embedding_matches_sklearn) {
    size_t sizes[] = {40, 25, 15, 10}, n;
    uint32_t truth[90];
    double *a = planted(sizes, 4, 0.6, 0.15, 0.1, 7, truth, &n);
    cr_assert_eq(zs_test_write(zs_test_path("a.f64"), a, n * n * sizeof *a), 0);
    enum { M = 5 };
    run_sklearn("embed", "90 5");
    size_t len;
    double *ref = (double *)zs_test_slurp(zs_test_path("sk.f64"), &len);
    cr_assert_eq(len, n * M * sizeof(double));
    double *emb = malloc(n * M * sizeof *emb), ev[M];
    cr_assert_eq(zs_qdg_spectral_embedding(a, n, M, ZS_QDG_EMBED_SKLEARN, emb, ev, NULL), ZS_OK);
    double scale = 0.0;
    for (size_t i = 0; i < n * M; i++) scale = fmax(scale, fabs(ref[i]));
    for (size_t i = 0; i < n * M; i++)
        cr_assert_leq(fabs(emb[i] - ref[i]), 1e-7 * scale, "entry %zu: %.12g vs sklearn %.12g", i,
                      emb[i], ref[i]);
    cr_assert_float_eq(ev[0], 1.0, 1e-10, "the top eigenvalue of D^-1/2 A D^-1/2 is 1");
    for (size_t c = 1; c < M; c++) cr_assert_lt(ev[c], ev[c - 1]);
    /* rownorm: unit rows, the same directions */
    cr_assert_eq(zs_qdg_spectral_embedding(a, n, M, ZS_QDG_EMBED_ROWNORM, emb, NULL, NULL), ZS_OK);
    for (size_t i = 0; i < n; i++) {
        double ss = 0.0;
        for (size_t c = 0; c < M; c++) ss += emb[i * M + c] * emb[i * M + c];
        cr_assert_float_eq(ss, 1.0, 1e-12);
    }
    free(emb);
    free(ref);
    free(a);
}

Test(qdg, spectral_clustering_matches_sklearn_and_recovers_a_planted_partition) {
    /* noisy enough that the two could disagree if either were wrong, clear enough that
     * the truth is recoverable */
    size_t sizes[] = {60, 45, 30, 20, 12, 8}, n;
    uint32_t truth[175], ours[175];
    double *a = planted(sizes, 6, 0.45, 0.2, 0.2, 11, truth, &n);
    cr_assert_eq(zs_test_write(zs_test_path("a.f64"), a, n * n * sizeof *a), 0);
    run_sklearn("cluster", "175 6");
    size_t len;
    uint32_t *sk = (uint32_t *)zs_test_slurp(zs_test_path("sk.u32"), &len);
    cr_assert_eq(len, n * sizeof *sk);
    zs_qdg_kmeans_opts ko;
    zs_qdg_kmeans_opts_init(&ko);
    cr_assert_eq(zs_qdg_spectral_cluster(a, n, 6, 0, ZS_QDG_EMBED_SKLEARN, &ko, ours, NULL), ZS_OK);
    cr_assert_eq(zs_qdg_ari(ours, sk, n), 1.0, "ours vs sklearn: ARI %g", zs_qdg_ari(ours, sk, n));
    cr_assert_eq(zs_qdg_ari(ours, truth, n), 1.0, "ours vs truth: ARI %g",
                 zs_qdg_ari(ours, truth, n));
    cr_assert_eq(zs_qdg_ari(sk, truth, n), 1.0);
    cr_assert_eq(zs_qdg_spectral_cluster(a, n, 6, 0, ZS_QDG_EMBED_ROWNORM, &ko, ours, NULL), ZS_OK);
    cr_assert_eq(zs_qdg_ari(ours, truth, n), 1.0, "rownorm vs truth");
    /* with no structure the truth is not found: the test can fail */
    double *flat = planted(sizes, 6, 0.3, 0.3, 0.2, 12, truth, &n);
    cr_assert_eq(zs_qdg_spectral_cluster(flat, n, 6, 0, ZS_QDG_EMBED_SKLEARN, &ko, ours, NULL),
                 ZS_OK);
    cr_assert_lt(zs_qdg_ari(ours, truth, n), 0.2);
    free(flat);
    free(sk);
    free(a);
}

Test(qdg, kmeans_matches_sklearn_inertia_and_is_deterministic) {
    enum { N = 300, DIM = 4, K = 7 };
    double *x = malloc(N * DIM * sizeof *x);
    zs_rng rng;
    zs_rng_seed(&rng, 3, 0);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < DIM; j++) /* 7 Gaussian-ish blobs of width ~0.6 */
            x[i * DIM + j] = (double)((i % K) * (j + 1) % 5) +
                             0.6 * (zs_rng_uniform(&rng) + zs_rng_uniform(&rng) - 1.0);
    cr_assert_eq(zs_test_write(zs_test_path("x.f64"), x, N * DIM * sizeof *x), 0);
    run_sklearn("kmeans", "300 4 7");
    size_t len;
    double *ref = (double *)zs_test_slurp(zs_test_path("sk.f64"), &len);
    cr_assert_eq(len, sizeof(double));
    zs_qdg_kmeans_opts ko;
    zs_qdg_kmeans_opts_init(&ko);
    ko.seed = 5;
    uint32_t lab1[N], lab2[N];
    double in1, in2;
    ko.threads = 1;
    cr_assert_eq(zs_qdg_kmeans(x, N, DIM, K, &ko, lab1, &in1, NULL), ZS_OK);
    /* at least as good as sklearn's best of 30 (both are local searches: ours may be lower) */
    cr_assert_leq(in1, ref[0] * (1 + 1e-9), "inertia %.12g vs sklearn %.12g", in1, ref[0]);
    cr_assert_geq(in1, 0.9 * ref[0], "inertia %.12g vs sklearn %.12g", in1, ref[0]);
    ko.threads = 2;
    cr_assert_eq(zs_qdg_kmeans(x, N, DIM, K, &ko, lab2, &in2, NULL), ZS_OK);
    cr_assert_eq(memcmp(lab1, lab2, sizeof lab1), 0, "threads 1 and 2 agree");
    cr_assert_eq(in1, in2);
    /* one restart from a poor seed can be worse, never better, than the best of 30 */
    ko.restarts = 1;
    for (uint64_t s = 0; s < 5; s++) {
        ko.seed = s;
        cr_assert_eq(zs_qdg_kmeans(x, N, DIM, K, &ko, lab2, &in2, NULL), ZS_OK);
        cr_assert_geq(in2, in1 * (1 - 1e-12));
    }
    zs_error err;
    cr_assert_eq(zs_qdg_kmeans(x, N, DIM, N + 1, &ko, lab2, NULL, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "k-means: 301 clusters of 300 points: expected 1 .. 300");
    free(ref);
    free(x);
}

Test(qdg, cluster_qr_matches_sklearn) {
    /* an embedding with no structure: every row's argmax depends on the pivots and the
     * rotation, so any difference from scikit-learn's cluster_qr shows */
    enum { N = 400, K = 6 };
    double *x = malloc(N * K * sizeof *x);
    zs_rng rng;
    zs_rng_seed(&rng, 21, 0);
    for (size_t i = 0; i < N * K; i++) x[i] = zs_rng_uniform(&rng) - 0.5 + zs_rng_uniform(&rng);
    cr_assert_eq(zs_test_write(zs_test_path("x.f64"), x, N * K * sizeof *x), 0);
    run_sklearn("cqr", "400 6");
    size_t len;
    uint32_t *sk = (uint32_t *)zs_test_slurp(zs_test_path("sk.u32"), &len);
    cr_assert_eq(len, N * sizeof *sk);
    uint32_t ours[N];
    cr_assert_eq(zs_qdg_cluster_qr(x, N, K, ours, NULL), ZS_OK);
    size_t differ = 0, used[K] = {0};
    for (size_t i = 0; i < N; i++) {
        differ += ours[i] != sk[i];
        cr_assert_lt(ours[i], K);
        used[ours[i]]++;
    }
    cr_assert_eq(differ, 0, "%zu of %d labels differ from sklearn's cluster_qr", differ, N);
    for (size_t c = 0; c < K; c++) cr_assert_gt(used[c], 0, "cluster %zu is empty", c);
    /* invariant to a rotation of the columns (a function of the eigenspace, not the basis) */
    double *xr = malloc(N * K * sizeof *xr), th = 0.7;
    for (size_t i = 0; i < N; i++) {
        memcpy(xr + i * K, x + i * K, K * sizeof *x);
        xr[i * K + 0] = cos(th) * x[i * K + 0] - sin(th) * x[i * K + 3];
        xr[i * K + 3] = sin(th) * x[i * K + 0] + cos(th) * x[i * K + 3];
        xr[i * K + 5] = -x[i * K + 5];
    }
    uint32_t rot[N];
    cr_assert_eq(zs_qdg_cluster_qr(xr, N, K, rot, NULL), ZS_OK);
    cr_assert_eq(memcmp(rot, ours, sizeof rot), 0);
    zs_error err;
    cr_assert_eq(zs_qdg_cluster_qr(x, 5, 6, ours, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "cluster_qr: 6 clusters of 5 samples: expected 1 .. min(n, 65535)");
    free(xr);
    free(sk);
    free(x);
}

/* One dominant group made of four tight subgroups (as a parity subtask is made of its
 * relevant-bit patterns), weakly tied to each other, and seven small tight groups: the
 * sharpened affinity's spectral embedding has about as many near-1 eigenvalues as groups,
 * and its CPQR labels recover the partition exactly. */
Test(qdg, cluster_qr_recovers_a_planted_partition_with_a_dominant_group) {
    size_t sizes[] = {60, 60, 60, 60, 40, 25, 16, 10, 6, 4, 3}, n;
    enum { G = 11, K = 8, NMAX = 344 };
    uint32_t sub[NMAX], truth[NMAX], lab[NMAX];
    double *a = planted(sizes, G, 0.5, 0.03, 0.06, 5, sub, &n);
    cr_assert_eq(n, NMAX);
    for (size_t i = 0; i < n; i++) truth[i] = sub[i] < 4 ? 0 : sub[i] - 3;
    /* the four subgroups of group 0: weakly tied (0.25 +- 0.06) */
    zs_rng rng;
    zs_rng_seed(&rng, 6, 0);
    for (size_t i = 0; i < 240; i++)
        for (size_t j = i + 1; j < 240; j++)
            if (sub[i] != sub[j])
                a[i * n + j] = a[j * n + i] = 0.25 + 0.06 * (2.0 * zs_rng_uniform(&rng) - 1.0);
    for (size_t i = 0; i < n * n; i++) a[i] = pow(a[i], 4.0);
    double *emb = malloc(n * K * sizeof *emb);
    cr_assert_eq(zs_qdg_spectral_embedding(a, n, K, ZS_QDG_EMBED_SKLEARN, emb, NULL, NULL), ZS_OK);
    cr_assert_eq(zs_qdg_cluster_qr(emb, n, K, lab, NULL), ZS_OK);
    cr_assert_eq(zs_qdg_ari(lab, truth, n), 1.0, "CPQR vs truth: ARI %g",
                 zs_qdg_ari(lab, truth, n));
    /* with no structure the truth is not found: the test can fail */
    double *flat = planted(sizes, G, 0.3, 0.3, 0.2, 12, sub, &n);
    cr_assert_eq(zs_qdg_spectral_embedding(flat, n, K, ZS_QDG_EMBED_SKLEARN, emb, NULL, NULL),
                 ZS_OK);
    cr_assert_eq(zs_qdg_cluster_qr(emb, n, K, lab, NULL), ZS_OK);
    cr_assert_lt(zs_qdg_ari(lab, truth, n), 0.2);
    free(flat);
    free(emb);
    free(a);
}

Test(qdg, ari_and_nmi_match_sklearn) {
    enum { N = 200, REPS = 6 };
    uint32_t *l = malloc(REPS * 2 * N * sizeof *l);
    zs_rng rng;
    zs_rng_seed(&rng, 9, 0);
    for (size_t i = 0; i < N; i++) {
        uint32_t t = (uint32_t)zs_rng_below(&rng, 8);
        l[0 * N + i] = t; /* rep 0: a noisy copy */
        l[1 * N + i] = zs_rng_uniform(&rng) < 0.7 ? t * 13 + 1000 : (uint32_t)zs_rng_below(&rng, 5);
        l[2 * N + i] = (uint32_t)zs_rng_below(&rng, 3); /* rep 1: independent */
        l[3 * N + i] = (uint32_t)zs_rng_below(&rng, 40);
        l[4 * N + i] = 7; /* rep 2: one cluster vs many */
        l[5 * N + i] = t;
        l[6 * N + i] = 3; /* rep 3: both one cluster */
        l[7 * N + i] = 4;
        l[8 * N + i] = (uint32_t)i; /* rep 4: both singletons */
        l[9 * N + i] = (uint32_t)(N - i);
        l[10 * N + i] = t;              /* rep 5: a renaming */
        l[11 * N + i] = UINT32_MAX - t; /* large values */
    }
    cr_assert_eq(zs_test_write(zs_test_path("labels.u32"), l, REPS * 2 * N * sizeof *l), 0);
    run_sklearn("scores", "200 6");
    size_t len;
    double *ref = (double *)zs_test_slurp(zs_test_path("sk.f64"), &len);
    cr_assert_eq(len, REPS * 2 * sizeof(double));
    for (size_t r = 0; r < REPS; r++) {
        const uint32_t *a = l + 2 * r * N, *b = a + N;
        double ari = zs_qdg_ari(a, b, N), nmi = zs_qdg_nmi(a, b, N);
        cr_assert_leq(fabs(ari - ref[2 * r]), 1e-12, "rep %zu ARI %.15g vs %.15g", r, ari,
                      ref[2 * r]);
        cr_assert_leq(fabs(nmi - ref[2 * r + 1]), 1e-12, "rep %zu NMI %.15g vs %.15g", r, nmi,
                      ref[2 * r + 1]);
    }
    cr_assert_gt(ref[0], 0.3, "the noisy copy scores well above chance");
    cr_assert_eq(zs_qdg_count_classes(l + 3 * N, N) <= 40, 1);
    cr_assert_eq(zs_qdg_count_classes(l + 8 * N, N), N);
    free(ref);
    free(l);
}

Test(qdg, projection_keeps_cosines_within_its_error) {
    enum { N = 6, D = 20000, M = 4000 };
    float *g = malloc(N * D * sizeof *g), *p = malloc(N * M * sizeof *p),
          *q = malloc(N * M * sizeof *q);
    zs_rng rng;
    zs_rng_seed(&rng, 2, 0);
    for (size_t i = 0; i < N * D; i++) g[i] = (float)(zs_rng_uniform(&rng) - 0.5);
    for (size_t j = 0; j < D; j++) g[1 * D + j] = g[0 * D + j] + 0.5f * g[1 * D + j]; /* cos>0 */
    zs_qdg_normalize_rows(g, N, D);
    double cg[N * N], cp[N * N];
    cr_assert_eq(zs_qdg_cosine(g, N, D, cg, NULL), ZS_OK);
    cr_assert_eq(zs_qdg_project(g, N, D, M, 17, p, NULL), ZS_OK);
    cr_assert_eq(zs_qdg_project(g, N, D, M, 17, q, NULL), ZS_OK);
    cr_assert_eq(memcmp(p, q, N * M * sizeof *p), 0, "same seed, same bytes");
    zs_qdg_normalize_rows(p, N, M);
    cr_assert_eq(zs_qdg_cosine(p, N, M, cp, NULL), ZS_OK);
    double worst = 0.0;
    for (size_t i = 0; i < N * N; i++) {
        double sd = sqrt((1.0 + cg[i] * cg[i]) / M);
        worst = fmax(worst, fabs(cp[i] - cg[i]) / sd);
    }
    cr_assert_lt(worst, 4.5, "the worst cosine error is %.2f standard deviations", worst);
    cr_assert_gt(cg[1], 0.8);
    cr_assert_eq(zs_qdg_project(g, N, D, M, 18, q, NULL), ZS_OK);
    cr_assert_neq(memcmp(p, q, N * M * sizeof *p), 0, "another seed, another projection");
    zs_error err;
    cr_assert_eq(zs_qdg_project(g, N, D, 0, 1, q, &err), ZS_ERR_USAGE);
    free(g);
    free(p);
    free(q);
}

Test(qdg, rank_slope_and_sizes) {
    uint64_t sizes[] = {225, 0, 3600, 400, 144, 900}; /* 3600/r² for r = 1..5, and an empty one */
    cr_assert_float_eq(zs_qdg_rank_slope(sizes, 6, 1, 5), -2.0, 1e-12);
    cr_assert_float_eq(zs_qdg_rank_slope(sizes, 6, 2, 99), -2.0, 1e-12);
    cr_assert(isnan(zs_qdg_rank_slope(sizes, 6, 5, 5)));
    uint32_t labels[] = {2, 0, 2, 1, 2};
    uint64_t s[3];
    zs_qdg_cluster_sizes(labels, 5, 3, s);
    cr_assert(s[0] == 1 && s[1] == 1 && s[2] == 3);
}

Test(qdg, embedding_errors) {
    double a[9] = {1, 0.5, 0.2, 0.5, 1, -0.1, 0.2, -0.1, 1};
    double emb[9];
    zs_error err;
    cr_assert_eq(zs_qdg_spectral_embedding(a, 3, 4, ZS_QDG_EMBED_SKLEARN, emb, NULL, &err),
                 ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "spectral embedding: 4 eigenvectors of 3 samples: expected 1 .. 3");
    cr_assert_eq(zs_qdg_spectral_embedding(a, 3, 2, ZS_QDG_EMBED_SKLEARN, emb, NULL, &err),
                 ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg,
                     "spectral embedding: affinity[1][2] = -0.1: expected finite and >= 0");
}

Test(qdg, variant_names) {
    zs_qdg_variant v;
    zs_error err;
    cr_assert_eq(zs_qdg_variant_parse("abs:p4", &v, &err), ZS_OK, "%s", err.msg);
    cr_assert_str_eq(v.name, "abs:p4");
    cr_assert(v.affinity == ZS_QDG_ABS_COS && v.power == 4.0 && v.part == ZS_QDG_PART_ALL);
    cr_assert(v.first_layer == 0 && v.last_layer == UINT32_MAX && !v.centre);
    cr_assert_eq(zs_qdg_variant_parse("first-bias", &v, &err), ZS_OK);
    cr_assert(v.part == ZS_QDG_PART_BIASES && v.first_layer == 0 && v.last_layer == 0);
    cr_assert(v.power == 1.0 && v.affinity == ZS_QDG_ANGULAR);
    cr_assert_eq(zs_qdg_variant_parse("centred", &v, &err), ZS_OK);
    cr_assert(v.centre);
    cr_assert_eq(zs_qdg_variant_parse("abs:p0", &v, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "QDG variant 'abs:p0': the suffix ':p0': expected :pP with a power "
                              "P > 0 or :qr, each at most once");
    cr_assert_eq(zs_qdg_variant_parse("abs:x2", &v, &err), ZS_ERR_USAGE);
    cr_assert_eq(zs_qdg_variant_parse("ab", &v, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "QDG variant 'ab': expected signed, abs,"), "%s", err.msg);
    cr_assert_eq(zs_qdg_variant_parse("abs:p16:qr", &v, &err), ZS_OK, "%s", err.msg);
    cr_assert(v.power == 16.0 && v.assign == ZS_QDG_ASSIGN_QR && v.affinity == ZS_QDG_ABS_COS);
    cr_assert_eq(zs_qdg_variant_parse("first-bias-abs:qr:p2.5", &v, &err), ZS_OK, "%s", err.msg);
    cr_assert(v.power == 2.5 && v.assign == ZS_QDG_ASSIGN_QR && v.part == ZS_QDG_PART_BIASES);
    cr_assert_str_eq(zs_qdg_assign_name(v.assign), "cluster_qr");
    cr_assert_eq(zs_qdg_variant_parse("abs", &v, &err), ZS_OK);
    cr_assert(v.assign == ZS_QDG_ASSIGN_KMEANS);
    cr_assert_eq(zs_qdg_variant_parse("abs:qr:qr", &v, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "QDG variant 'abs:qr:qr': the suffix ':qr': expected :pP with a "
                              "power P > 0 or :qr, each at most once");
    cr_assert_eq(zs_qdg_variant_parse("abs:p2:p3", &v, &err), ZS_ERR_USAGE);
    cr_assert_eq(zs_qdg_variant_parse("abs:p2:", &v, &err), ZS_ERR_USAGE);
    cr_assert_eq(zs_qdg_variant_parse("abs:qrx", &v, &err), ZS_ERR_USAGE);
    zs_qdg_embed m;
    cr_assert_eq(zs_qdg_embed_parse("rownorm", &m, &err), ZS_OK);
    cr_assert_eq(m, ZS_QDG_EMBED_ROWNORM);
}
