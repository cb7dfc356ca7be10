/* QDG's eigensolvers timed against each other (docs/quanta.md, "Speed"): the spectral
 * embedding of a planted-partition affinity (n samples in `groups` clusters of Zipf-like
 * sizes, affinity p_in within, p_out between, plus uniform noise) by dsyevr and by the
 * iterative solver, CPU seconds of each (getrusage: all threads), the solver's rounds and
 * products, and how far the two results are apart (eigenvalues; the projectors' Frobenius
 * difference). Usage: bench_qdg_eigen N [GROUPS=30] [N_VEC=30] [P_IN=0.5] [P_OUT=0.3]
 * [NOISE=0.2] [SOLVERS=both|iterative|dsyevr]; the environment's GUARD and MAX_PRODUCTS set
 * those options of the iterative solver. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "zipscale/quanta_qdg.h"

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double *planted(size_t n, size_t groups, double p_in, double p_out, double noise) {
    uint32_t *g = malloc(n * sizeof *g);
    double total = 0.0;
    for (size_t c = 0; c < groups; c++) total += 1.0 / (double)(c + 1);
    size_t i = 0;
    for (size_t c = 0; c < groups; c++) {
        size_t len = c + 1 == groups ? n - i : (size_t)((double)n / (double)(c + 1) / total);
        for (size_t t = 0; t < len && i < n; t++) g[i++] = (uint32_t)c;
    }
    double *a = malloc(n * n * sizeof *a);
    for (size_t r = 0; r < n; r++) {
        zs_rng rng;
        zs_rng_seed(&rng, 11, r);
        a[r * n + r] = 1.0;
        for (size_t j = r + 1; j < n; j++) {
            double v = (g[r] == g[j] ? p_in : p_out) + noise * (2.0 * zs_rng_uniform(&rng) - 1.0);
            a[r * n + j] = a[j * n + r] = v > 0.0 ? v : 0.0;
        }
    }
    free(g);
    return a;
}

static int run(const double *a, size_t n, size_t n_vec, zs_qdg_eigensolver solver, double *emb,
               double *vals) {
    zs_qdg_eigen_opts o;
    zs_qdg_eigen_opts_init(&o);
    o.solver = solver;
    if (getenv("GUARD")) o.guard = (uint32_t)atoi(getenv("GUARD"));
    if (getenv("MAX_PRODUCTS")) o.max_products = (uint64_t)atoll(getenv("MAX_PRODUCTS"));
    zs_qdg_eigen_info info;
    zs_error err = {0};
    double c0 = cpu_s(), w0 = wall_s();
    zs_status st =
        zs_qdg_spectral_embedding_eig(a, n, n_vec, ZS_QDG_EMBED_RAW, &o, emb, vals, &info, &err);
    if (st) {
        fprintf(stderr, "bench_qdg_eigen: %s\n", err.msg);
        return 1;
    }
    printf("%-9s n %zu n_vec %zu: %.2f CPU s, %.2f wall s; used %s%s, block %zu, rounds %u, "
           "products %llu, max residual %.2e; eigenvalues %.6f .. %.6f\n",
           zs_qdg_eigensolver_name(solver), n, n_vec, cpu_s() - c0, wall_s() - w0,
           zs_qdg_eigensolver_name(info.used), info.fell_back ? " (fell back)" : "", info.block,
           info.rounds, (unsigned long long)info.products, info.max_residual, vals[0],
           vals[n_vec - 1]);
    return 0;
}

/* ||U Uᵀ - V Vᵀ||_F for (n, k) row-major orthonormal U, V: sqrt(2) ||V - U (Uᵀ V)||_F
 * (the form without cancellation). */
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

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_qdg_eigen N [GROUPS] [N_VEC] [P_IN] [P_OUT] [NOISE] "
                        "[both|iterative|dsyevr]\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    size_t groups = argc > 2 ? strtoull(argv[2], NULL, 10) : 30;
    size_t n_vec = argc > 3 ? strtoull(argv[3], NULL, 10) : 30;
    double p_in = argc > 4 ? atof(argv[4]) : 0.5, p_out = argc > 5 ? atof(argv[5]) : 0.3;
    double noise = argc > 6 ? atof(argv[6]) : 0.2;
    const char *which = argc > 7 ? argv[7] : "both";
    double *a = planted(n, groups, p_in, p_out, noise);
    double *e1 = malloc(n * n_vec * sizeof *e1), *e2 = malloc(n * n_vec * sizeof *e2);
    double *v1 = malloc(n_vec * sizeof *v1), *v2 = malloc(n_vec * sizeof *v2);
    int rc = 0;
    if (strcmp(which, "dsyevr") != 0) rc |= run(a, n, n_vec, ZS_QDG_EIG_ITERATIVE, e1, v1);
    if (strcmp(which, "iterative") != 0) rc |= run(a, n, n_vec, ZS_QDG_EIG_DSYEVR, e2, v2);
    if (!rc && strcmp(which, "both") == 0) {
        double dv = 0.0;
        for (size_t c = 0; c < n_vec; c++) dv = fmax(dv, fabs(v1[c] - v2[c]));
        printf("max |eigenvalue difference| %.2e, projector difference %.2e\n", dv,
               projector_gap(e1, e2, n, n_vec));
    }
    free(a);
    free(e1);
    free(e2);
    free(v1);
    free(v2);
    return rc;
}
