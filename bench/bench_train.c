/* Benchmark for GPT training (issue 3 §6): tokens/s, achieved GFLOP/s (the exact count,
 * zs_gpt_flops_train) and peak RSS of a training step (forward + backward + AdamW) for
 * (d_model, layers, heads, MLP) = (64,2,1,128), (128,4,2,256), (256,6,4,512), vocabulary 301,
 * context 256, batch 16, in fp32 and bf16, on 1 and 2 threads; each run in its own process
 * so that its peak RSS is its own, set against parameters + gradients + moments +
 * activations. When Debian's python3 has torch and the peer is found ($ZS_PEERS_DIR or
 * ../shared/peers), the same configuration in PyTorch runs right after for the ratios, by
 * wall time and by CPU time (on a shared machine the CPU-time ratio is the steadier one).
 * Usage: bench_train [SECONDS per run, default 3] [--no-torch] [--only D] [--threads N] */
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

typedef struct {
    uint32_t d_model, layers, heads, mlp;
} gpt_size;

static const gpt_size SIZES[] = {{64, 2, 1, 128}, {128, 4, 2, 256}, {256, 6, 4, 512}};

typedef struct {
    double tokens_per_s, tokens_per_cpu_s, gflops, peak_rss_mib, expected_mib;
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

static int train_step(zs_gpt *gpt, zs_adamw *opt, const uint32_t *inputs, const uint32_t *targets,
                      zs_error *err) {
    double loss;
    zs_gpt_zero_grad(gpt);
    if (zs_gpt_forward(gpt, inputs, targets, BATCH, CONTEXT, &loss, NULL, err) != ZS_OK) return 0;
    if (zs_gpt_backward(gpt, 1.0f, err) != ZS_OK) return 0;
    zs_adamw_step(opt, zs_gpt_params(gpt), zs_gpt_grads(gpt), 1e-3);
    return 1;
}

/* One configuration, timed over at least `seconds` after two warm-up steps. */
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
    uint32_t *tokens = malloc((BATCH * CONTEXT + 1) * sizeof *tokens);
    zs_rng rng;
    zs_rng_seed(&rng, 3, 0);
    for (size_t i = 0; i < BATCH * CONTEXT + 1; i++)
        tokens[i] = (uint32_t)zs_rng_below(&rng, VOCAB);
    int ok = train_step(gpt, &opt, tokens, tokens + 1, &err) &&
             train_step(gpt, &opt, tokens, tokens + 1, &err);
    long steps = 0;
    const double t0 = now_s(), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
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
        r.tokens_per_s = (double)steps * BATCH * CONTEXT / t;
        r.tokens_per_cpu_s =
            (double)steps * BATCH * CONTEXT / (clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
        r.gflops = zs_gpt_flops_train(cfg, BATCH, CONTEXT) * (double)steps / t / 1e9;
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
    return r;
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
 * aside: its last two calls are the timed loop's start and end), or zeros when it cannot run. */
typedef struct {
    double tokens_per_s, tokens_per_cpu_s;
} peer_rate;

static peer_rate torch_rate(const char *peers, const gpt_size *s, zs_precision precision,
                            int threads) {
    const int steps = s->d_model >= 256 ? 3 : s->d_model >= 128 ? 8 : 20;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "PRECISION=%s /usr/bin/python3 -c 'import runpy, sys, time\n"
             "wall, real = [], time.time\n"
             "time.time = lambda: (wall.append(real()), time.process_time())[1]\n"
             "sys.argv = [\"peer\"] + sys.argv[1:]\n"
             "runpy.run_path(\"%s/torch_llama_peer.py\", run_name=\"__main__\")\n"
             "print(\"wall_s=%%.6f\" %% (wall[-1] - wall[-2]))' %u %u %u %u %d %d %d %d %d "
             "2>/dev/null",
             zs_precision_name(precision), peers, s->d_model, s->layers, s->heads, s->mlp, VOCAB,
             CONTEXT, BATCH, steps, threads);
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

int main(int argc, char **argv) {
    double seconds = 3;
    int with_torch = 1;
    unsigned only = 0;
    int only_threads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-torch") == 0)
            with_torch = 0;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            only_threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = (unsigned)atoi(argv[++i]);
        else
            seconds = atof(argv[i]);
    }
    const char *peers = with_torch ? find_peers() : NULL;
    printf("GPT training step (forward + backward + AdamW), vocab %d, context %d, batch %d; "
           "%.0f s per run%s\n",
           VOCAB, CONTEXT, BATCH, seconds,
           peers ? "; torch = the PyTorch peer, same settings" : "");
    printf("%-14s %4s %3s %8s %8s %7s %7s %7s %5s %8s %8s %6s %6s\n", "d,L,H,MLP", "prec", "thr",
           "tok/s", "tok/cpus", "GFLOP/s", "RSS MiB", "needMiB", "RSS/x", "torch/s", "t/cpus",
           "ratio", "r_cpu");
    for (size_t s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
        const gpt_size *g = &SIZES[s];
        if (only && g->d_model != only) continue;
        const zs_gpt_config cfg = {VOCAB, CONTEXT, g->d_model, g->layers, g->heads, g->mlp};
        for (int threads = 1; threads <= 2; threads++) {
            if (only_threads && threads != only_threads) continue;
            for (int pr = 0; pr < 2; pr++) {
                result r = run_isolated(&cfg, (zs_precision)pr, threads, seconds);
                char name[32];
                snprintf(name, sizeof name, "%u,%u,%u,%u", g->d_model, g->layers, g->heads, g->mlp);
                if (!r.ok) {
                    printf("%-16s %5s %3d failed\n", name, zs_precision_name((zs_precision)pr),
                           threads);
                    continue;
                }
                printf("%-14s %4s %3d %8.0f %8.0f %7.1f %7.1f %7.1f %5.2f", name,
                       zs_precision_name((zs_precision)pr), threads, r.tokens_per_s,
                       r.tokens_per_cpu_s, r.gflops, r.peak_rss_mib, r.expected_mib,
                       r.peak_rss_mib / r.expected_mib);
                const peer_rate torch =
                    peers ? torch_rate(peers, g, (zs_precision)pr, threads) : (peer_rate){0, 0};
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
    return 0;
}
