/* Benchmark for the nn matmuls (src/nn/matmul.c): the single-core GFLOP/s of zs_mm_forward
 * and zs_mm_backward in fp32 and bf16 (bf16 includes rounding the operands) at the training
 * shapes, M = 4096 rows (16 sequences × 256 tokens) by K, N ∈ {64, 128, 256, 301, 512}, and
 * at a large square; then the two ways of accumulating (+=): oneDNN's sum post-op against a
 * product into scratch and an add. Each rate is the best of 3 timings of ≥ 0.1 s (the
 * machine is shared). Usage: bench_matmul [THREADS] (default 1). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn/matmul.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *random_floats(size_t n, uint64_t stream) {
    zs_rng rng;
    zs_rng_seed(&rng, 5, stream);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(2 * zs_rng_uniform(&rng) - 1);
    return x;
}

typedef enum { FORWARD, BACKWARD_DINP, BACKWARD_DWEIGHT, SUM_POSTOP, SCRATCH_ADD } op_kind;

typedef struct {
    zs_mm *mm;
    size_t M, K, N;
    float *inp, *weight, *out, *dout, *dinp, *dweight, *scratch;
} problem;

static zs_status run_once(problem *p, op_kind kind, zs_error *err) {
    switch (kind) {
    case FORWARD:
        return zs_mm_forward(p->mm, p->out, p->inp, p->weight, p->M, p->K, p->N, err);
    case BACKWARD_DINP:
        return zs_mm_backward(p->mm, p->dinp, NULL, p->dout, p->inp, p->weight, p->M, p->K, p->N,
                              err);
    case BACKWARD_DWEIGHT:
        return zs_mm_backward(p->mm, NULL, p->dweight, p->dout, p->inp, p->weight, p->M, p->K, p->N,
                              err);
    case SUM_POSTOP:
    case SCRATCH_ADD: {
        /* out (M,N) += inp (M,K) · weightᵀ in fp32, by the post-op or by scratch + add. */
        zs_mm_problem q = {
            .batch = {1, 1},
            .M = p->M,
            .K = p->K,
            .N = p->N,
            .a_strides = {0, 0, p->K, 1},
            .b_strides = {0, 0, 1, p->K},
            .c_strides = {0, 0, p->N, 1},
            .alpha = 1.0f,
            .accumulate = kind == SUM_POSTOP,
        };
        if (kind == SUM_POSTOP) return zs_mm_run(p->mm, &q, p->inp, p->weight, p->out, err);
        zs_status st = zs_mm_run(p->mm, &q, p->inp, p->weight, p->scratch, err);
        for (size_t i = 0; i < p->M * p->N; i++) p->out[i] += p->scratch[i];
        return st;
    }
    }
    return ZS_ERR_INTERNAL;
}

/* GFLOP/s of one operation: the best of 3 timings, each repeating it for at least 0.1 s. */
static double rate_gflops(problem *p, op_kind kind) {
    zs_error err;
    if (run_once(p, kind, &err) != ZS_OK) {
        fprintf(stderr, "bench_matmul: %s\n", err.msg);
        exit(1);
    }
    const double flops = 2.0 * (double)p->M * (double)p->K * (double)p->N;
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        long n = 0;
        const double t0 = now_s();
        double t;
        do {
            run_once(p, kind, &err);
            n++;
            t = now_s() - t0;
        } while (t < 0.1);
        const double rate = flops * (double)n / t / 1e9;
        if (rate > best) best = rate;
    }
    return best;
}

static problem make_problem(zs_mm *mm, size_t M, size_t K, size_t N) {
    problem p = {mm,
                 M,
                 K,
                 N,
                 random_floats(M * K, 1),
                 random_floats(N * K, 2),
                 random_floats(M * N, 3),
                 random_floats(M * N, 4),
                 random_floats(M * K, 5),
                 random_floats(N * K, 6),
                 random_floats(M * N, 7)};
    return p;
}

static void free_problem(problem *p) {
    free(p->inp);
    free(p->weight);
    free(p->out);
    free(p->dout);
    free(p->dinp);
    free(p->dweight);
    free(p->scratch);
}

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 1;
    static const size_t dims[] = {64, 128, 256, 301, 512};
    enum { N_DIMS = sizeof dims / sizeof dims[0] };
    const size_t M = 4096;
    zs_mm *mm[2];
    zs_error err;
    for (int pr = 0; pr < 2; pr++)
        if (zs_mm_create(&mm[pr], (zs_precision)pr, threads, &err) != ZS_OK) {
            fprintf(stderr, "bench_matmul: %s\n", err.msg);
            return 1;
        }
    printf("matmul GFLOP/s on %d thread(s), M = %zu rows; forward out = inp·weightᵀ "
           "(fp32 / bf16)\n",
           zs_mm_threads(mm[0]), M);
    printf("%6s", "K \\ N");
    for (int j = 0; j < N_DIMS; j++) printf(" %13zu", dims[j]);
    printf("\n");
    for (int i = 0; i < N_DIMS; i++) {
        printf("%6zu", dims[i]);
        for (int j = 0; j < N_DIMS; j++) {
            double r[2];
            for (int pr = 0; pr < 2; pr++) {
                problem p = make_problem(mm[pr], M, dims[i], dims[j]);
                r[pr] = rate_gflops(&p, FORWARD);
                free_problem(&p);
            }
            printf("   %5.0f /%5.0f", r[0], r[1]);
        }
        printf("\n");
        fflush(stdout);
    }
    printf("\nbackward at K = N (fp32 / bf16): dinp += dout·weight, dweight += doutᵀ·inp\n");
    printf("%6s %15s %15s\n", "K=N", "dinp", "dweight");
    for (int i = 0; i < N_DIMS; i++) {
        double r[2][2];
        for (int pr = 0; pr < 2; pr++) {
            problem p = make_problem(mm[pr], M, dims[i], dims[i]);
            r[pr][0] = rate_gflops(&p, BACKWARD_DINP);
            r[pr][1] = rate_gflops(&p, BACKWARD_DWEIGHT);
            free_problem(&p);
        }
        printf("%6zu   %5.0f /%5.0f   %5.0f /%5.0f\n", dims[i], r[0][0], r[1][0], r[0][1], r[1][1]);
        fflush(stdout);
    }
    const size_t big = 2048;
    double r[2];
    for (int pr = 0; pr < 2; pr++) {
        problem p = make_problem(mm[pr], big, big, big);
        r[pr] = rate_gflops(&p, FORWARD);
        free_problem(&p);
    }
    printf("\nsquare %zu^3 forward: fp32 %.0f, bf16 %.0f GFLOP/s\n", big, r[0], r[1]);
    printf("\nfp32 out += inp·weightᵀ at M = %zu: sum post-op vs product into scratch + add\n", M);
    printf("%6s %10s %10s\n", "K=N", "post-op", "scratch");
    for (int i = 0; i < N_DIMS; i++) {
        problem p = make_problem(mm[0], M, dims[i], dims[i]);
        const double post = rate_gflops(&p, SUM_POSTOP), scratch = rate_gflops(&p, SCRATCH_ADD);
        printf("%6zu %10.0f %10.0f\n", dims[i], post, scratch);
        free_problem(&p);
    }
    zs_mm_free(mm[0]);
    zs_mm_free(mm[1]);
    return 0;
}
