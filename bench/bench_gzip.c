/* Benchmark for module measure: gzip measure throughput against the plainest zlib loop
 * (one thread; deflateInit2 + deflate(Z_FINISH) + deflateEnd per 1024-byte sequence),
 * and the same loop on one z_stream rewound with deflateReset (no allocation: the
 * compression-only ceiling), then zipscale's measure on 1 and on all threads, and the
 * Python peer's gzip measure. In a sandbox where brk() is slow the plain loop mostly
 * measures malloc; the deflateReset loop is the honest yardstick.
 * Usage: bench_gzip [SEQUENCES] (default 8192 sequences of 256 tokens = 8 MiB). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

#include "zipscale/measure.h"

enum { SEQ_TOKENS = 256, SEQ_BYTES = 4 * SEQ_TOKENS, REPEATS = 3 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Phrases from a small lexicon with 1 token in 4 random: H around 0.3, like a mid PCFG. */
static uint32_t *make_stream(uint64_t n_tokens) {
    uint32_t *ids = malloc(n_tokens * sizeof *ids);
    zs_rng rng;
    zs_rng_seed(&rng, 1, 0);
    for (uint64_t i = 0; i < n_tokens; i++)
        ids[i] =
            zs_rng_below(&rng, 4) ? (uint32_t)((i * 7) % 23) : (uint32_t)zs_rng_below(&rng, 300);
    return ids;
}

/* The baselines: one fresh z_stream per sequence (the loop anyone would write first),
 * or one z_stream rewound with deflateReset. */
static double baseline_s(const uint8_t *raw, uint64_t n_seq, int reuse,
                         uint64_t *total_compressed) {
    uint8_t out[2 * SEQ_BYTES];
    z_stream z = {0};
    double t0 = now_s();
    uint64_t total = 0;
    if (reuse && deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    for (uint64_t s = 0; s < n_seq; s++) {
        if (reuse)
            deflateReset(&z);
        else if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        z.next_in = (Bytef *)(raw + s * SEQ_BYTES);
        z.avail_in = SEQ_BYTES;
        z.next_out = out;
        z.avail_out = sizeof out;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END) return -1;
        total += z.total_out;
        if (!reuse) deflateEnd(&z);
    }
    if (reuse) deflateEnd(&z);
    *total_compressed = total;
    return now_s() - t0;
}

static double best_baseline_s(const uint8_t *raw, uint64_t n_seq, int reuse,
                              uint64_t *total_compressed) {
    double best = 1e30;
    for (int k = 0; k < REPEATS; k++) {
        double t = baseline_s(raw, n_seq, reuse, total_compressed);
        if (t < 0) return -1;
        if (t < best) best = t;
    }
    return best;
}

static double measure_s(const zs_token_source *src, int threads, int zstd_level, double *h) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    o.sample = 0;
    o.threads = threads;
    o.zstd_level = zstd_level;
    zs_measure_result r;
    zs_error err;
    double t0 = now_s();
    if (zs_measure_tokens(src, &o, &r, &err)) {
        fprintf(stderr, "bench_gzip: %s\n", err.msg);
        return -1;
    }
    double t = now_s() - t0;
    *h = r.gzip.median;
    zs_measure_result_free(&r);
    return t;
}

static double best_measure_s(const zs_token_source *src, int threads, int zstd_level, double *h) {
    double best = 1e30;
    for (int k = 0; k < REPEATS; k++) {
        double t = measure_s(src, threads, zstd_level, h);
        if (t < 0) return -1;
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv) {
    uint64_t n_seq = argc > 1 ? strtoull(argv[1], NULL, 10) : 8192;
    if (n_seq == 0) n_seq = 8192;
    uint64_t n_tokens = n_seq * SEQ_TOKENS;
    uint32_t *ids = make_stream(n_tokens);
    uint8_t *raw = malloc(n_tokens * 4);
    zs_measure_encode_be32(ids, n_tokens, raw);
    double mb = (double)n_tokens * 4 / 1e6;
    int all = zs_threads_resolve(0);

    uint64_t compressed = 0;
    double plain = best_baseline_s(raw, n_seq, 0, &compressed);
    double reset = best_baseline_s(raw, n_seq, 1, &compressed);
    if (plain < 0 || reset < 0) return 1;
    double plain_mbs = mb / plain, reset_mbs = mb / reset;
    printf("gzip measure: %llu sequences x %d tokens (%.1f MB raw), mean ratio %.4f, best of %d\n",
           (unsigned long long)n_seq, SEQ_TOKENS, mb, (double)compressed / (mb * 1e6), REPEATS);
    printf("%-52s %8s %8s %13s %13s\n", "", "seconds", "MB/s", "/core vs plain", "/core vs reset");
    printf("%-52s %8.3f %8.2f %13.3f %13.3f\n", "baseline: init+deflate+end per sequence (1)",
           plain, plain_mbs, 1.0, plain_mbs / reset_mbs);
    printf("%-52s %8.3f %8.2f %13.3f %13.3f\n", "baseline: one stream, deflateReset (1)", reset,
           reset_mbs, reset_mbs / plain_mbs, 1.0);

    zs_token_source src;
    zs_measure_source_array(&src, ids, n_tokens, "bench");
    const struct {
        const char *label;
        int threads, zstd_level;
    } runs[] = {{"zipscale measure (gzip + entropy), 1 thread", 1, 0},
                {"zipscale measure (gzip + entropy), all threads", all, 0},
                {"zipscale measure + zstd-19, 1 thread", 1, ZS_ZSTD_DEFAULT_LEVEL},
                {"zipscale measure + zstd-19, all threads", all, ZS_ZSTD_DEFAULT_LEVEL}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        double h;
        double t = best_measure_s(&src, runs[i].threads, runs[i].zstd_level, &h);
        if (t < 0) return 1;
        char label[80];
        snprintf(label, sizeof label, "%s (%d)", runs[i].label, runs[i].threads);
        double per_core = mb / t / runs[i].threads;
        printf("%-52s %8.3f %8.2f %13.3f %13.3f  H=%.4f\n", label, t, mb / t, per_core / plain_mbs,
               per_core / reset_mbs, h);
    }
    fflush(stdout);
    /* The reference's own gzip measure (Python gzip module, one thread), if available;
     * $ZS_PEERS names the peers' folder (default /work/shared/peers). */
    const char *peers = getenv("ZS_PEERS") ? getenv("ZS_PEERS") : "/work/shared/peers";
    char cmd[600];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/pcfg_peer.py' 10 150 5 3 300000 1", peers);
    if (system("/usr/bin/python3 -c 'import nltk' 2>/dev/null") == 0) {
        printf("peer (pcfg_peer.py 10 150 5 3, 300k tokens, Python gzip, 1 thread):\n  ");
        fflush(stdout);
        if (system(cmd) != 0) printf("(peer failed: %s)\n", cmd);
    }
    free(raw);
    free(ids);
    return 0;
}
