/* `zipscale sweep run`: runs a sweep spec into a directory (its ledger, datasets, runs),
 * resumable by running the same command again, then analyses it and prints the headline;
 * or one shard of it (`--shard i/n`, docs/cluster.md). A thin client of zipscale/sweep.h;
 * docs/sweeps.md. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/sweep_out.h"
#include "zipscale/sweep.h"

static struct {
    const char *dir, *shard, *runs;
    int jobs, no_analyse, quiet, prepare_only;
    double rank_timeout;
} a;

/* The library's defaults (zs_sweep_run_opts_init). */
static void run_defaults(void) {
    zs_sweep_run_opts o;
    zs_sweep_run_opts_init(&o);
    memset(&a, 0, sizeof a);
    a.jobs = o.jobs;
}

static const zs_opt run_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &a.dir, "DIR",
     "the sweep directory (sweep.db, data/, runs/, results)", .required = 1},
    {"jobs", 'j', ZS_OPT_INT, &a.jobs, "K",
     "runs at once, one thread each (default: the spec's jobs, else one per core)"},
    {"shard", 0, ZS_OPT_STRING, &a.shard, "I/N",
     "train only shard I of N (0 <= I < N) with its own ledger DIR/sweep.shard-I-of-N.db"},
    {"runs", 0, ZS_OPT_STRING, &a.runs, "FILE",
     "only the runs this file lists (ids, one a line), then sharded by --shard"},
    {"prepare-only", 0, ZS_OPT_FLAG, &a.prepare_only, NULL,
     "prepare the datasets (into DIR/sweep.db) and train nothing"},
    {"rank-timeout", 0, ZS_OPT_DOUBLE, &a.rank_timeout, "S",
     "under mpirun: a rank silent this long is taken for dead, its runs retried (120)"},
    {"no-analyse", 0, ZS_OPT_FLAG, &a.no_analyse, NULL, "skip the analysis at the end"},
    {"quiet", 'q', ZS_OPT_FLAG, &a.quiet, NULL, "no progress output"},
    ZS_OPT_END,
};

static const zs_cli_spec run_spec = {
    "sweep run",
    "SPEC.yaml -o DIR [--jobs K] [--shard I/N] [--runs FILE] [--prepare-only] [--no-analyse]",
    "run a sweep (resumable), then fit, regress and report",
    "Prepares the spec's datasets, then trains every run the ledger DIR/sweep.db does not\n"
    "hold as finished, largest first, K at a time in child processes. Interrupt it any way\n"
    "and run the same command again: finished runs are kept, interrupted ones resume from\n"
    "their checkpoints. Several processes may run on one DIR at once. Edit the spec and run\n"
    "again: new runs are added, dropped ones retired, unchanged ones reused. At the end,\n"
    "when every run has finished: DIR/runs.csv, law.json, regression.json, summary.json,\n"
    "report.html (`zipscale sweep analyse DIR` redoes it). Exit status 130 when interrupted\n"
    "(SIGINT, SIGTERM or SIGUSR1: each running run first writes a checkpoint at its step).\n"
    "With --shard I/N (or --runs) only that shard's runs are trained, into the shard's own\n"
    "ledger; the shards of one sweep may run anywhere DIR is shared, and status, export and\n"
    "analyse read every ledger in DIR (docs/cluster.md). Under mpirun, rank 0 owns the\n"
    "ledger and hands runs out to every rank, K at a time each (one unless -j); run it with\n"
    "`mpirun --enable-recovery` so that the others go on when a rank dies.",
    run_opts,
    1,
    1,
    .defaults = run_defaults,
};

/* "I/N" with 0 <= I < N. */
static int parse_shard(const char *text, size_t *index, size_t *count) {
    unsigned long long i, n;
    char tail;
    if (sscanf(text, "%llu/%llu%c", &i, &n, &tail) != 2 || n == 0 || i >= n) return 0;
    *index = (size_t)i;
    *count = (size_t)n;
    return 1;
}

static int run_cmd(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&run_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_sweep_run_opts o;
    zs_sweep_run_opts_init(&o);
    o.jobs = a.jobs;
    o.run_list = a.runs;
    o.prepare_only = a.prepare_only;
    if (a.rank_timeout < 0)
        return zs_cli_usage_error(&run_spec, "--rank-timeout: %g is negative (seconds, > 0)",
                                  a.rank_timeout);
    o.rank_timeout_s = a.rank_timeout;
    if (a.shard && !parse_shard(a.shard, &o.shard_index, &o.shard_count))
        return zs_cli_usage_error(&run_spec, "--shard: '%s' is not I/N with 0 <= I < N (e.g. 3/8)",
                                  a.shard);
    return zs_cli_sweep_run(&run_spec, pos[0], a.dir, &o, a.quiet, a.no_analyse);
}

const zs_command zs_cmd_sweep_run = {&run_spec, run_cmd};
