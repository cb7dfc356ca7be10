/* Benchmark for GPT training (issues 3 and 13): tokens/s, achieved GFLOP/s (the exact count,
 * zs_gpt_flops_train) and peak RSS of a training step (forward + backward + AdamW), vocabulary
 * 301, context 256, batch 16, in fp32 and bf16:
 *  - the three bench sizes (d_model, layers, heads, MLP) = (64,2,1,128), (128,4,2,256),
 *    (256,6,4,512) on 1 and 2 threads;
 *  - the small models sweeps run most (16,1,1,32) and (32,2,2,64) (sweep presets d16, d32),
 *    on 1 thread.
 * Each run is its own process so that its peak RSS is its own, set against parameters +
 * gradients + moments + activations. In the same process, after the training loop, the
 * model's own matmul shapes (every linear layer's forward, dinp and dweight products at
 * M = batch·context, and the attention's four backward and two forward products as full
 * batched T×T products) are timed alone through zs_mm: the step's GFLOP per CPU second over
 * that rate is the fraction of the matmul rate the step reaches. When Debian's python3 has
 * torch and the peer is found ($ZS_PEERS_DIR or ../shared/peers), the same configuration in
 * PyTorch runs right after for the ratios, by wall time and by CPU time. Each side's rates
 * are the best of --repeat (default 2) alternating runs, ours then torch's: on a machine
 * shared with other work, the best run is the least disturbed one. One-thread runs are pinned,
 * both sides, to one CPU per round, each allowed CPU in turn: the cores of a shared virtual
 * machine do not run at the same speed (here one ran 30% slower than the other for an hour),
 * and unpinned, each side landed on either at random. The last lines
 * print every target of issue 13 with its ratio and PASS or MISS (against torch the lower
 * of the two ratios: on a shared machine either side can lose its CPU for a while), and the
 * load average.
 * Usage: bench_train [SECONDS per run, default 3] [--no-torch] [--no-reference] [--only D]
 *        [--threads N] [--precision fp32|bf16] [--repeat R] [--each] (every run's rates, and
 *        the CPU a one-thread run was pinned to, on stderr) */
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nn/gpt_internal.h"
#include "zipscale/nn.h"

enum { VOCAB = 301, CONTEXT = 256, BATCH = 16 };

static int with_reference = 1; /* --no-reference: the step alone (for perf) */
static int each = 0;           /* --each: every run's rates on stderr */

typedef struct {
    uint32_t d_model, layers, heads, mlp;
    int small; /* a sweep-sized model: one thread, the ≥ 5× target */
} gpt_size;

static const gpt_size SIZES[] = {{16, 1, 1, 32, 1},
                                 {32, 2, 2, 64, 1},
                                 {64, 2, 1, 128, 0},
                                 {128, 4, 2, 256, 0},
                                 {256, 6, 4, 512, 0}};
enum { N_SIZES = sizeof SIZES / sizeof SIZES[0] };

typedef struct {
    double tokens_per_s, tokens_per_cpu_s, gflops, gflops_cpu, peak_rss_mib, expected_mib;
    double mm_gflops_cpu; /* the model's matmul shapes alone, GFLOP per CPU second */
    int ok;
} result;

static double clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_s(void) {
    return clock_s(CLOCK_MONOTONIC);
}

static double cpu_s(void) {
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static int train_step(zs_gpt *gpt, zs_adamw *opt, const uint32_t *inputs, const uint32_t *targets,
                      zs_error *err) {
    double loss;
    zs_gpt_zero_grad(gpt);
    if (zs_gpt_forward(gpt, inputs, targets, BATCH, CONTEXT, &loss, NULL, err) != ZS_OK) return 0;
    if (zs_gpt_backward(gpt, 1.0f, err) != ZS_OK) return 0;
    zs_adamw_step(opt, zs_gpt_params(gpt), zs_gpt_grads(gpt), 1e-3);
    return 1;
}

static float *random_floats(size_t n, uint64_t stream) {
    zs_rng rng;
    zs_rng_seed(&rng, 5, stream);
    float *x = malloc(n * sizeof *x);
    if (x)
        for (size_t i = 0; i < n; i++) x[i] = (float)(2 * zs_rng_uniform(&rng) - 1);
    return x;
}

/* The model's matmuls alone, in the step's precision and thread count: per layer the four
 * linear layers (qkv C→3C, out C→C, gate_up C→2F, down F→C) and the lm_head C→V, each as
 * zs_mm_forward, then zs_mm_backward for dinp and dweight (bf16 rounding of the operands
 * included, as the step does it), at M = batch·context rows; and per layer the attention's
 * six products (S = q·kᵀ, O = P·v, dv = Pᵀ·dO, dP = dO·vᵀ, dq = dS·k, dk = dSᵀ·q) as full
 * (T×T) batched products over (batch, heads) on contiguous operands (bf16 operands when
 * bf16, already rounded). Timed by process CPU time over at least `seconds`; returns the
 * GFLOP per CPU second, or 0 on failure. */
static double matmul_reference(const zs_gpt_config *cfg, zs_precision precision, int threads,
                               double seconds) {
    const size_t M = (size_t)BATCH * CONTEXT, C = cfg->d_model, F = cfg->mlp_hidden, V = cfg->vocab,
                 L = cfg->layers, H = cfg->heads, T = CONTEXT, hd = C / H;
    const size_t shapes[5][3] = {{C, 3 * C, L}, {C, C, L}, {C, 2 * F, L}, {F, C, L}, {C, V, 1}};
    size_t widest = 3 * C > 2 * F ? 3 * C : 2 * F;
    widest = widest > V ? widest : V;
    const size_t scores = (size_t)BATCH * H * T * T, heads_numel = (size_t)BATCH * T * C;
    zs_error err;
    zs_mm *mm;
    if (zs_mm_create(&mm, precision, threads, &err) != ZS_OK) return 0;
    float *inp = random_floats(M * widest, 1), *w = random_floats(widest * widest, 2),
          *out = random_floats(M * widest, 3), *dout = random_floats(M * widest, 4),
          *dinp = random_floats(M * widest, 5), *dw = random_floats(widest * widest, 6),
          *s = random_floats(scores, 7), *ds = random_floats(scores, 8);
    float *qkv[3] = {random_floats(heads_numel, 9), random_floats(heads_numel, 10),
                     random_floats(heads_numel, 11)};
    const int bf16 = precision == ZS_PRECISION_BF16;
    uint16_t *s16 = malloc(scores * sizeof *s16), *h16 = malloc(heads_numel * sizeof *h16);
    double rate = 0;
    if (!inp || !w || !out || !dout || !dinp || !dw || !s || !ds || !qkv[0] || !qkv[1] || !qkv[2] ||
        !s16 || !h16)
        goto done;
    zs_mm_to_bf16(mm, s16, s, scores);
    zs_mm_to_bf16(mm, h16, qkv[0], heads_numel);
    /* the attention products: (M,K)·(K,N) batched over (BATCH, H), row-major operands */
    const size_t attn_mkn[6][3] = {{T, hd, T}, {T, T, hd}, {T, T, hd},
                                   {T, hd, T}, {T, T, hd}, {T, T, hd}};
    double flops = 0;
    for (int k = 0; k < 5; k++)
        flops += 3.0 * 2.0 * (double)M * (double)shapes[k][0] * (double)shapes[k][1] *
                 (double)shapes[k][2];
    for (int k = 0; k < 6; k++)
        flops += (double)L * 2.0 * BATCH * (double)H * (double)attn_mkn[k][0] *
                 (double)attn_mkn[k][1] * (double)attn_mkn[k][2];
    long reps = 0;
    double c0 = 0;
    for (;;) {
        for (int k = 0; k < 5; k++)
            for (size_t rep = 0; rep < shapes[k][2]; rep++) {
                const size_t K = shapes[k][0], N = shapes[k][1];
                if (zs_mm_forward(mm, out, inp, w, M, K, N, &err) != ZS_OK ||
                    zs_mm_backward(mm, dinp, dw, dout, inp, w, M, K, N, &err) != ZS_OK)
                    goto done;
            }
        for (size_t l = 0; l < L; l++)
            for (int k = 0; k < 6; k++) {
                const size_t m = attn_mkn[k][0], kk = attn_mkn[k][1], n = attn_mkn[k][2];
                zs_mm_problem p = {.batch = {BATCH, H},
                                   .M = m,
                                   .K = kk,
                                   .N = n,
                                   .a_strides = {H * m * kk, m * kk, kk, 1},
                                   .b_strides = {H * kk * n, kk * n, n, 1},
                                   .c_strides = {H * m * n, m * n, n, 1},
                                   .a_bf16 = bf16,
                                   .b_bf16 = bf16,
                                   .alpha = 1.0f};
                const void *a = bf16 ? (const void *)s16 : s,
                           *b = bf16 ? (const void *)h16 : qkv[1];
                if (zs_mm_run(mm, &p, a, b, n == T ? ds : qkv[2], &err) != ZS_OK) goto done;
            }
        if (reps++ == 0)
            c0 = cpu_s(); /* the first pass creates the primitives */
        else if (cpu_s() - c0 >= seconds)
            break;
    }
    rate = flops * (double)(reps - 1) / (cpu_s() - c0) / 1e9; /* reps - 1 passes since c0 */
done:
    free(inp), free(w), free(out), free(dout), free(dinp), free(dw), free(s), free(ds);
    free(qkv[0]), free(qkv[1]), free(qkv[2]), free(s16), free(h16);
    zs_mm_free(mm);
    return rate;
}

/* One configuration, timed over at least `seconds` after two warm-up steps; then its
 * matmul shapes alone for seconds / 2. */
static result run_config(const zs_gpt_config *cfg, zs_precision precision, int threads,
                         double seconds) {
    result r = {0};
    zs_error err;
    zs_gpt *gpt;
    zs_adamw opt;
    zs_adamw_opts acfg;
    zs_adamw_opts_init(&acfg);
    if (zs_gpt_create(&gpt, cfg, BATCH, precision, threads, &err) != ZS_OK) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return r;
    }
    zs_gpt_draw_weights(gpt, 1);
    if (zs_adamw_init(&opt, zs_gpt_get_layout(gpt), &acfg, &err) != ZS_OK) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        zs_gpt_free(gpt);
        return r;
    }
    opt.threads = threads;
    uint32_t *tokens = malloc((BATCH * CONTEXT + 1) * sizeof *tokens);
    zs_rng rng;
    zs_rng_seed(&rng, 3, 0);
    for (size_t i = 0; i < BATCH * CONTEXT + 1; i++)
        tokens[i] = (uint32_t)zs_rng_below(&rng, VOCAB);
    int ok = train_step(gpt, &opt, tokens, tokens + 1, &err) &&
             train_step(gpt, &opt, tokens, tokens + 1, &err);
    long steps = 0;
    const double t0 = now_s(), cpu0 = cpu_s();
    double t = 0;
    while (ok && (t < seconds || steps < 2)) {
        ok = train_step(gpt, &opt, tokens, tokens + 1, &err);
        steps++;
        t = now_s() - t0;
    }
    if (!ok) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
    } else {
        r.ok = 1;
        const double cpu = cpu_s() - cpu0, flops = zs_gpt_flops_train(cfg, BATCH, CONTEXT);
        r.tokens_per_s = (double)steps * BATCH * CONTEXT / t;
        r.tokens_per_cpu_s = (double)steps * BATCH * CONTEXT / cpu;
        r.gflops = flops * (double)steps / t / 1e9;
        r.gflops_cpu = flops * (double)steps / cpu / 1e9;
        zs_gpt_shape shape;
        if (zs_gpt_shape_init(&shape, cfg, BATCH, threads, &err) == ZS_OK)
            r.expected_mib = 4.0 *
                             (4.0 * (double)zs_gpt_params_total(cfg) + (double)shape.plan.numel +
                              (double)shape.plan.d_numel) /
                             (1 << 20);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.peak_rss_mib = (double)ru.ru_maxrss / 1024.0;
    }
    free(tokens);
    zs_adamw_free(&opt);
    zs_gpt_free(gpt);
    if (r.ok && with_reference)
        r.mm_gflops_cpu = matmul_reference(cfg, precision, threads, seconds / 2);
    return r;
}

#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* best gets the higher of each rate of r (the first run's peak RSS and need are kept). */
static void keep_best(result *best, const result *r) {
    if (!r->ok) return;
    if (!best->ok) {
        *best = *r;
        return;
    }
    best->tokens_per_s = MAX(best->tokens_per_s, r->tokens_per_s);
    best->tokens_per_cpu_s = MAX(best->tokens_per_cpu_s, r->tokens_per_cpu_s);
    best->gflops = MAX(best->gflops, r->gflops);
    best->gflops_cpu = MAX(best->gflops_cpu, r->gflops_cpu);
    best->mm_gflops_cpu = MAX(best->mm_gflops_cpu, r->mm_gflops_cpu);
}

/* run_config in a child process (a fresh peak RSS), the result back through a pipe. */
static result run_isolated(const zs_gpt_config *cfg, zs_precision precision, int threads,
                           double seconds) {
    result r = {0};
    int fds[2];
    if (pipe(fds) != 0) return r;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        r = run_config(cfg, precision, threads, seconds);
        ssize_t n = write(fds[1], &r, sizeof r);
        _exit(n == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fds[1]);
    if (pid < 0 || read(fds[0], &r, sizeof r) != (ssize_t)sizeof r) r.ok = 0;
    close(fds[0]);
    if (pid > 0) waitpid(pid, NULL, 0);
    return r;
}

/* The torch peer on the same configuration: its timed loop's tokens per wall second and
 * per CPU second of its process (time.time patched to process_time, the wall clock kept
 * aside: its last two calls are the timed loop's start and end), or zeros when it cannot run.
 * Its thread count is pinned for every pool it has: torch.set_num_threads (the peer's own
 * argument) covers torch's OpenMP pool, not OpenBLAS, which Debian's torch uses for fp32
 * products and which otherwise starts a thread per core (on a quiet machine the "1-thread"
 * fp32 peer then ran on both cores: 61K tokens/s at d_model 32 against 38K pinned). Its
 * allocator keeps what it frees (PEER_MALLOC): with glibc's moving trim and mmap thresholds
 * the peer's freed tensors went back to the kernel and came back as fresh, zeroed pages in
 * some runs and not others, so its small-model rate varied 2-3x from run to run (d_model 32
 * fp32, four runs each: 36-46K tokens/s as it was, 80-88K with these settings); we compare
 * against its fast, steady runs. */
#define PEER_MALLOC                                                                                \
    "MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_MMAP_THRESHOLD_=1073741824 "                         \
    "MALLOC_TOP_PAD_=268435456 "

typedef struct {
    double tokens_per_s, tokens_per_cpu_s;
} peer_rate;

static peer_rate torch_rate(const char *peers, const gpt_size *s, zs_precision precision,
                            int threads) {
    const int steps = s->d_model >= 256 ? 3 : s->d_model >= 128 ? 8 : 20;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             PEER_MALLOC
             "PRECISION=%s OPENBLAS_NUM_THREADS=%d OMP_NUM_THREADS=%d "
             "/usr/bin/python3 -c 'import runpy, sys, time\n"
             "wall, real = [], time.time\n"
             "time.time = lambda: (wall.append(real()), time.process_time())[1]\n"
             "sys.argv = [\"peer\"] + sys.argv[1:]\n"
             "runpy.run_path(\"%s/torch_llama_peer.py\", run_name=\"__main__\")\n"
             "print(\"wall_s=%%.6f\" %% (wall[-1] - wall[-2]))' %u %u %u %u %d %d %d %d %d "
             "2>/dev/null",
             zs_precision_name(precision), threads, threads, peers, s->d_model, s->layers, s->heads,
             s->mlp, VOCAB, CONTEXT, BATCH, steps, threads);
    fflush(stdout);
    peer_rate rate = {0, 0};
    FILE *p = popen(cmd, "r");
    if (!p) return rate;
    char line[512];
    while (fgets(line, sizeof line, p)) {
        const char *at = strstr(line, "tok_per_s=");
        if (at) rate.tokens_per_cpu_s = atof(at + strlen("tok_per_s="));
        if (strncmp(line, "wall_s=", 7) == 0 && atof(line + 7) > 0)
            rate.tokens_per_s = (double)steps * BATCH * CONTEXT / atof(line + 7);
    }
    pclose(p);
    return rate;
}

static const char *find_peers(void) {
    static char path[1024];
    const char *env = getenv("ZS_PEERS_DIR");
    if (env)
        snprintf(path, sizeof path, "%s/torch_llama_peer.py", env);
    else
        snprintf(path, sizeof path, "%s/../shared/peers/torch_llama_peer.py", ZS_SOURCE_DIR);
    if (access(path, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) return NULL;
    path[strlen(path) - strlen("/torch_llama_peer.py")] = '\0';
    return path;
}

/* The CPUs this process may run on, and pinning to one of them for a round of one-thread runs:
 * the process and what it starts (our run's child, the peer) inherit the mask. */
static cpu_set_t allowed;
static int n_allowed;

static void find_cpus(void) {
    CPU_ZERO(&allowed);
    n_allowed = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed) : 0;
}

/* Pins to the round-th allowed CPU (in turn) and returns it, or -1 (left unpinned). */
static int pin_round(int round) {
    if (n_allowed < 1) return -1;
    int k = round % n_allowed;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &allowed) || k-- > 0) continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(c, &one);
        return sched_setaffinity(0, sizeof one, &one) == 0 ? c : -1;
    }
    return -1;
}

static void unpin(void) {
    if (n_allowed > 0) sched_setaffinity(0, sizeof allowed, &allowed);
}

/* ---- the targets -------------------------------------------------------------------------- */

/* Every row's result and its peer's, by [size][threads - 1][precision]. */
static result results[N_SIZES][2][2];
static peer_rate peers_rates[N_SIZES][2][2];
static int attempted[N_SIZES][2][2]; /* run (not left out by --only / --threads) */
static int verdict_misses, verdict_unmeasured;

static void verdict(const char *what, int measured, double value, double target) {
    if (!measured) {
        printf("  %-58s %8s  (target %.2f)  NOT MEASURED\n", what, "-", target);
        verdict_unmeasured++;
        return;
    }
    const int pass = value >= target;
    printf("  %-58s %8.2f  (target %.2f)  %s\n", what, value, target, pass ? "PASS" : "MISS");
    if (!pass) verdict_misses++;
}

static void print_load(const char *when) {
    double load[3];
    if (getloadavg(load, 3) == 3)
        printf("load average %s: %.2f %.2f %.2f (1, 5, 15 min; %ld CPUs online)\n", when, load[0],
               load[1], load[2], sysconf(_SC_NPROCESSORS_ONLN));
}

static void print_targets(void) {
    char what[128];
    printf("\nIssue 13 targets (from the rows above, this run): against torch the lower of the "
           "wall and CPU-time ratios; step / matmul rate by CPU time:\n");
    for (size_t s = 0; s < N_SIZES; s++) {
        const gpt_size *g = &SIZES[s];
        for (int pr = 0; pr < 2; pr++) {
            const result *r = &results[s][0][pr];
            const peer_rate *t = &peers_rates[s][0][pr];
            if (!attempted[s][0][pr]) continue;
            const double target = g->small ? 5.0 : pr == ZS_PRECISION_BF16 ? 1.8 : 2.5;
            snprintf(what, sizeof what, "d_model %u, %u layers, %s, 1 thread: tok/s vs torch",
                     g->d_model, g->layers, zs_precision_name((zs_precision)pr));
            const double wall = r->tokens_per_s / t->tokens_per_s,
                         cpu = r->tokens_per_cpu_s / t->tokens_per_cpu_s;
            verdict(what, r->ok && t->tokens_per_s > 0 && t->tokens_per_cpu_s > 0,
                    wall < cpu ? wall : cpu, target);
        }
    }
    for (size_t s = 0; s < N_SIZES; s++)
        for (int pr = 0; pr < 2; pr++) {
            const result *r = &results[s][0][pr];
            if (!r->ok || r->mm_gflops_cpu <= 0) continue;
            snprintf(what, sizeof what, "d_model %u, %s, 1 thread: step / matmul rate",
                     SIZES[s].d_model, zs_precision_name((zs_precision)pr));
            if (SIZES[s].d_model == 256)
                verdict(what, 1, r->gflops_cpu / r->mm_gflops_cpu, 0.75);
            else
                printf("  %-58s %8.2f  (reported)\n", what, r->gflops_cpu / r->mm_gflops_cpu);
        }
    for (size_t s = 0; s < N_SIZES; s++) {
        if (SIZES[s].d_model != 256) continue;
        for (int pr = 0; pr < 2; pr++) {
            const result *one = &results[s][0][pr], *two = &results[s][1][pr];
            if (!attempted[s][0][pr] || !attempted[s][1][pr]) continue;
            snprintf(what, sizeof what, "d_model 256, %s: 2 threads / 1 thread (tok/s)",
                     zs_precision_name((zs_precision)pr));
            verdict(what, one->ok && two->ok, two->tokens_per_s / one->tokens_per_s, 1.7);
        }
    }
    for (size_t s = 0; s < N_SIZES; s++) {
        if (SIZES[s].d_model < 128) continue;
        for (int th = 0; th < 2; th++)
            for (int pr = 0; pr < 2; pr++) {
                const result *r = &results[s][th][pr];
                if (!r->ok) continue;
                snprintf(what, sizeof what,
                         "d_model %u, %s, %d thread%s: 1.1 / (peak RSS / needed)", SIZES[s].d_model,
                         zs_precision_name((zs_precision)pr), th + 1, th ? "s" : "");
                verdict(what, r->expected_mib > 0, 1.1 / (r->peak_rss_mib / r->expected_mib), 1.0);
            }
    }
    printf("%d target%s missed, %d not measured\n", verdict_misses, verdict_misses == 1 ? "" : "s",
           verdict_unmeasured);
}

int main(int argc, char **argv) {
    double seconds = 3;
    int with_torch = 1;
    unsigned only = 0;
    int only_threads = 0;
    int only_precision = 0; /* 1 fp32, 2 bf16 */
    int repeats = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-torch") == 0)
            with_torch = 0;
        else if (strcmp(argv[i], "--no-reference") == 0)
            with_reference = 0;
        else if (strcmp(argv[i], "--each") == 0)
            each = 1;
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeats = atoi(argv[++i]);
            repeats = repeats < 1 ? 1 : repeats;
        } else if (strcmp(argv[i], "--precision") == 0 && i + 1 < argc)
            only_precision = strcmp(argv[++i], "bf16") == 0 ? 2 : 1;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            only_threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: bench_train [SECONDS per run, default 3] [--no-torch] "
                   "[--no-reference] [--only D] [--threads N] [--precision fp32|bf16] "
                   "[--repeat R] [--each]\n");
            return 0;
        } else {
            char *end = NULL;
            seconds = strtod(argv[i], &end);
            if (end == argv[i] || *end || !(seconds > 0)) {
                fprintf(stderr,
                        "bench_train: '%s': expected SECONDS per run (a number > 0) or an "
                        "option (--help)\n",
                        argv[i]);
                return 2;
            }
        }
    }
    const char *peers = with_torch ? find_peers() : NULL;
    find_cpus();
    printf("GPT training step (forward + backward + AdamW), vocab %d, context %d, batch %d; "
           "%.0f s per run, best of %d alternating runs (one-thread ones pinned, both sides, to "
           "each of the %d allowed CPUs in turn)%s\n",
           VOCAB, CONTEXT, BATCH, seconds, repeats, n_allowed,
           peers ? "; torch = the PyTorch peer, same settings" : "");
    print_load("at the start");
    printf("%-14s %4s %3s %8s %8s %7s %7s %7s %5s %7s %5s %8s %8s %6s %6s\n", "d,L,H,MLP", "prec",
           "thr", "tok/s", "tok/cpus", "GFLOP/s", "RSS MiB", "needMiB", "RSS/x", "mmGF/cs", "frac",
           "torch/s", "t/cpus", "ratio", "r_cpu");
    for (size_t s = 0; s < N_SIZES; s++) {
        const gpt_size *g = &SIZES[s];
        if (only && g->d_model != only) continue;
        const zs_gpt_config cfg = {VOCAB, CONTEXT, g->d_model, g->layers, g->heads, g->mlp};
        for (int threads = 1; threads <= (g->small ? 1 : 2); threads++) {
            if (only_threads && threads != only_threads) continue;
            for (int pr = 0; pr < 2; pr++) {
                if (only_precision && pr != only_precision - 1) continue;
                /* best of `repeats` alternating runs of each side: on a shared machine the
                 * best rate is the one least disturbed by the other workers */
                result r = {0};
                peer_rate torch = {0, 0};
                for (int rep = 0; rep < repeats; rep++) {
                    const int cpu = threads == 1 ? pin_round(rep) : -1;
                    const result one = run_isolated(&cfg, (zs_precision)pr, threads, seconds);
                    keep_best(&r, &one);
                    peer_rate t = {0, 0};
                    if (one.ok && peers) {
                        t = torch_rate(peers, g, (zs_precision)pr, threads);
                        torch.tokens_per_s = MAX(torch.tokens_per_s, t.tokens_per_s);
                        torch.tokens_per_cpu_s = MAX(torch.tokens_per_cpu_s, t.tokens_per_cpu_s);
                    }
                    unpin();
                    if (each)
                        fprintf(stderr,
                                "  d_model %u %s %d thread(s), run %d, CPU %d: %.0f tok/s, "
                                "torch %.0f\n",
                                g->d_model, zs_precision_name((zs_precision)pr), threads, rep + 1,
                                cpu, one.tokens_per_s, t.tokens_per_s);
                }
                results[s][threads - 1][pr] = r;
                peers_rates[s][threads - 1][pr] = torch;
                attempted[s][threads - 1][pr] = 1;
                char name[32];
                snprintf(name, sizeof name, "%u,%u,%u,%u", g->d_model, g->layers, g->heads, g->mlp);
                if (!r.ok) {
                    printf("%-14s %4s %3d failed\n", name, zs_precision_name((zs_precision)pr),
                           threads);
                    continue;
                }
                printf("%-14s %4s %3d %8.0f %8.0f %7.1f %7.1f %7.1f %5.2f %7.1f %5.2f", name,
                       zs_precision_name((zs_precision)pr), threads, r.tokens_per_s,
                       r.tokens_per_cpu_s, r.gflops, r.peak_rss_mib, r.expected_mib,
                       r.peak_rss_mib / r.expected_mib, r.mm_gflops_cpu,
                       r.mm_gflops_cpu > 0 ? r.gflops_cpu / r.mm_gflops_cpu : 0.0);
                if (torch.tokens_per_s > 0 && torch.tokens_per_cpu_s > 0)
                    printf(" %8.0f %8.0f %6.2f %6.2f\n", torch.tokens_per_s, torch.tokens_per_cpu_s,
                           r.tokens_per_s / torch.tokens_per_s,
                           r.tokens_per_cpu_s / torch.tokens_per_cpu_s);
                else
                    printf(" %8s %8s %6s %6s\n", "-", "-", "-", "-");
                fflush(stdout);
            }
        }
    }
    print_targets();
    print_load("at the end");
    return 0;
}
