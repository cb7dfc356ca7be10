/* PCFG sampling speed on the gzip paper's six main-set grammars: tokens/s of
 * zs_pcfg_sample on 1 thread and on all threads, and, when Debian's python3 has nltk, the
 * reference generator (shared/peers/pcfg_peer.py) on the same knobs and the speed-up.
 * Then the time a never-terminating grammar (S -> S 'a') takes to fail (100 derivations
 * in a row dropped at the depth bound), which was a 2 s assertion in tests/test_pcfg.c.
 * Usage: bench_pcfg [TOKENS (default 20M)] [PEER_TOKENS (default 300K)]. The peer is
 * $ZS_PEERS_DIR/pcfg_peer.py, else ZS_SOURCE_DIR/../shared/peers/pcfg_peer.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zipscale/pcfg.h"

static const zs_pcfg_knobs MAIN_SET[] = {
    {3, 20, 2, 2, 1},    {10, 150, 5, 3, 1},   {20, 300, 10, 5, 1},
    {30, 400, 10, 8, 1}, {50, 500, 20, 15, 1}, {100, 2000, 100, 30, 1},
};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Tokens per second of one zs_pcfg_sample call over `documents` rows of 256. */
static double sample_rate(const zs_pcfg *g, uint64_t documents, int threads, uint32_t *tokens) {
    zs_pcfg_sample_opts o;
    zs_pcfg_sample_opts_init(&o);
    o.threads = threads;
    o.seed = 1;
    zs_error err;
    double t0 = now_s();
    if (zs_pcfg_sample(g, &o, 0, documents, tokens, NULL, NULL, &err) != ZS_OK) {
        fprintf(stderr, "bench_pcfg: %s\n", err.msg);
        return 0;
    }
    return (double)(documents * o.context) / (now_s() - t0);
}

/* The peer's gen_tok_per_s, or 0 when it cannot run. */
static double peer_rate(const char *peer, const zs_pcfg_knobs *k, uint64_t tokens) {
    char cmd[2048], line[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %u %u %u %u %llu 1 2>/dev/null", peer,
             k->nonterminals, k->terminals, k->max_options, k->max_length,
             (unsigned long long)tokens);
    FILE *p = popen(cmd, "r");
    double rate = 0;
    if (!p) return 0;
    while (fgets(line, sizeof line, p)) {
        const char *at = strstr(line, "gen_tok_per_s=");
        if (at) rate = atof(at + strlen("gen_tok_per_s="));
    }
    pclose(p);
    return rate;
}

/* Seconds zs_pcfg_sample takes to give up on a grammar that never terminates, or -1 when it
 * does not fail as expected (the message says why). */
static double never_terminating_fail_s(void) {
    const char *text = "S -> S 'a' [1.0]\n";
    zs_pcfg *g;
    zs_error err;
    if (zs_pcfg_parse(text, strlen(text), "never.pcfg", 0, &g, &err) != ZS_OK) {
        fprintf(stderr, "bench_pcfg: %s\n", err.msg);
        return -1;
    }
    zs_pcfg_sample_opts o;
    zs_pcfg_sample_opts_init(&o);
    o.context = 256;
    o.threads = 1;
    uint32_t tokens[256];
    double t0 = now_s();
    zs_status st = zs_pcfg_sample(g, &o, 0, 1, tokens, NULL, NULL, &err);
    double seconds = now_s() - t0;
    zs_pcfg_free(g);
    if (st != ZS_ERR_NUMERIC) {
        fprintf(stderr, "bench_pcfg: a never-terminating grammar gave %s: %s\n", zs_status_name(st),
                st ? err.msg : "");
        return -1;
    }
    return seconds;
}

int main(int argc, char **argv) {
    uint64_t tokens = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
    uint64_t peer_tokens = argc > 2 ? strtoull(argv[2], NULL, 10) : 300000;
    uint64_t documents = (tokens + 255) / 256;
    char peer[1024];
    const char *dir = getenv("ZS_PEERS_DIR");
    snprintf(peer, sizeof peer, "%s/pcfg_peer.py", dir ? dir : ZS_SOURCE_DIR "/../shared/peers");
    int have_peer =
        access(peer, R_OK) == 0 && system("/usr/bin/python3 -c 'import nltk' >/dev/null 2>&1") == 0;
    uint32_t *buf = malloc(documents * 256 * sizeof *buf);
    if (!buf) return 1;
    /* Fault the pages in before timing (not 0: malloc + memset 0 may become calloc). */
    memset(buf, 0xff, documents * 256 * sizeof *buf);
    int all = zs_threads_resolve(0);
    printf("pcfg sample: %llu tokens per run (context 256); peer: %s\n",
           (unsigned long long)(documents * 256), have_peer ? peer : "not available");
    printf("%-22s %10s %14s %14s %12s %10s %10s\n", "grammar (NT,T,O,L)", "E[len]", "tok/s 1 thr",
           "tok/s all", "peer tok/s", "x peer 1", "x peer all");
    for (size_t i = 0; i < sizeof MAIN_SET / sizeof MAIN_SET[0]; i++) {
        const zs_pcfg_knobs *k = &MAIN_SET[i];
        zs_pcfg *g;
        zs_error err;
        if (zs_pcfg_generate(k, &g, &err) != ZS_OK) {
            fprintf(stderr, "bench_pcfg: %s\n", err.msg);
            return 1;
        }
        zs_pcfg_analysis a;
        double expected = zs_pcfg_analyse(g, &a, &err) == ZS_OK ? a.expected_length_tokens : 0;
        zs_pcfg_analysis_free(&a);
        double one = sample_rate(g, documents, 1, buf), many = sample_rate(g, documents, all, buf);
        double ref = have_peer ? peer_rate(peer, k, peer_tokens) : 0;
        char name[64];
        snprintf(name, sizeof name, "(%u,%u,%u,%u)", k->nonterminals, k->terminals, k->max_options,
                 k->max_length);
        printf("%-22s %10.2f %14.3g %14.3g %12.3g %10.1f %10.1f\n", name, expected, one, many, ref,
               ref > 0 ? one / ref : 0, ref > 0 ? many / ref : 0);
        zs_pcfg_free(g);
    }
    printf("(all = %d threads; the peer builds its own grammar with the same knobs)\n", all);
    free(buf);
    double fail_s = never_terminating_fail_s();
    if (fail_s < 0) return 1;
    printf("never-terminating grammar (S -> S 'a'): fails after %.3f s (1 thread)\n", fail_s);
    return 0;
}
