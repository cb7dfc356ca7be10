/* Benchmark for causal attention alone (src/nn/attention*.c): the forward and the backward of
 * zs_attention_forward_f32 / zs_attention_backward_f32 at the bench_train shapes (batch 16,
 * context 256; d_model 16, 32, 64, 128, 256 with their heads), fp32 and bf16, one thread by
 * default. Each time is the best of 5 rounds of at least 0.2 s of calls (the machine is
 * shared). GFLOP/s counts the useful products over the causal pairs only — 2 in the forward
 * (q·kᵀ, P·v), 4 in the backward (dP, dv, dq, dk), 2·hd flops per pair each — so a kernel that
 * recomputes the scores in its backward is not credited for it. Which kernel runs is the
 * library's choice (attention.h), printed as "path": the fused kernel for heads of at most 32
 * (attention_fused.c), the bf16 kernel for heads of 64 in bf16 on AVX512-BF16
 * (attention_bf16.c), the fp32 kernel for heads of 64 in fp32 on AVX-512 (attention_f32_hd64.c),
 * the oneDNN path otherwise. Usage: bench_attention [THREADS] [D_MODEL] (default 1 thread, every
 * d_model).
 * The backward rounds run after the forward's, on what the forward saved. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn/attention.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *random_floats(size_t n, float scale, uint64_t stream) {
    zs_rng rng;
    zs_rng_seed(&rng, 9, stream);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = scale * (float)(2 * zs_rng_uniform(&rng) - 1);
    return x;
}

typedef struct {
    zs_mm *mm;
    size_t B, T, C, H;
    float *qkv, *out, *dout, *dqkv, *saved, *scratch;
} problem;

/* Best seconds per call of the forward (backward = 0) or the backward, or -1 on an error. */
static double best_time(problem *p, int backward) {
    zs_error err;
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        size_t calls = 0;
        const double t0 = now_s();
        double t = t0;
        do {
            const zs_status st =
                backward ? zs_attention_backward_f32(p->mm, p->dqkv, p->scratch, p->dout, p->qkv,
                                                     p->saved, p->B, p->T, p->C, p->H, &err)
                         : zs_attention_forward_f32(p->mm, p->out, p->saved, p->scratch, p->qkv,
                                                    p->B, p->T, p->C, p->H, &err);
            if (st != ZS_OK) {
                fprintf(stderr, "bench_attention: %s\n", err.msg);
                return -1;
            }
            calls++;
            t = now_s();
        } while (t - t0 < 0.2);
        if ((t - t0) / (double)calls < best) best = (t - t0) / (double)calls;
    }
    return best;
}

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 1;
    const long only = argc > 2 ? atol(argv[2]) : 0;
    if (threads < 1 || only < 0) {
        fprintf(stderr, "usage: bench_attention [THREADS] [D_MODEL]\n");
        return 2;
    }
    static const size_t shapes[][2] = {{16, 1}, {32, 2}, {64, 1}, {128, 2}, {256, 4}};
    const size_t B = 16, T = 256;
    printf("causal attention alone, batch %zu, context %zu, %d thread(s); best of 5 rounds\n", B, T,
           threads);
    printf("%-8s %-3s %-3s %-5s %-5s %10s %10s %9s %9s\n", "d_model", "H", "hd", "prec", "path",
           "fwd ms", "bwd ms", "fwd GF/s", "bwd GF/s");
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int bf16 = 0; bf16 <= 1; bf16++) {
            if (only && (size_t)only != shapes[s][0]) continue;
            problem p = {.B = B, .T = T, .C = shapes[s][0], .H = shapes[s][1]};
            zs_error err;
            if (zs_mm_create(&p.mm, bf16 ? ZS_PRECISION_BF16 : ZS_PRECISION_FP32, threads, &err) !=
                ZS_OK) {
                fprintf(stderr, "bench_attention: %s\n", err.msg);
                return 1;
            }
            const size_t hd = p.C / p.H;
            p.qkv = random_floats(B * T * 3 * p.C, 2.0f, 1);
            p.dout = random_floats(B * T * p.C, 1.0f, 2);
            p.out = malloc(B * T * p.C * sizeof *p.out);
            p.dqkv = malloc(B * T * 3 * p.C * sizeof *p.dqkv);
            p.saved = malloc(zs_attention_saved_numel(B, T, p.C, p.H) * sizeof *p.saved);
            p.scratch = malloc(zs_attention_scratch_numel(B, T, p.C, p.H) * sizeof *p.scratch);
            const double fwd = best_time(&p, 0), bwd = fwd < 0 ? -1 : best_time(&p, 1);
            if (fwd < 0 || bwd < 0) return 1;
            const double pairs = (double)(B * p.H) * (double)T * (double)(T + 1) / 2;
            const double flop = 2.0 * (double)hd * pairs;
            printf("%-8zu %-3zu %-3zu %-5s %-5s %10.3f %10.3f %9.1f %9.1f\n", p.C, p.H, hd,
                   bf16 ? "bf16" : "fp32",
                   zs_attention_fused_fits(T, hd)               ? "fused"
                   : bf16 && zs_attention_bf16_fits(T, hd)      ? "bf16k"
                   : !bf16 && zs_attention_f32_hd64_fits(T, hd) ? "f32k"
                                                                : "onednn",
                   fwd * 1e3, bwd * 1e3, 2 * flop / fwd / 1e9, 4 * flop / bwd / 1e9);
            free(p.qkv);
            free(p.dout);
            free(p.out);
            free(p.dqkv);
            free(p.saved);
            free(p.scratch);
            zs_mm_free(p.mm);
        }
    return 0;
}
