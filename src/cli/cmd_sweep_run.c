/* `zipscale sweep run`: runs a sweep spec into a directory (its ledger, datasets, runs),
 * resumable by running the same command again, then analyses it and prints the headline.
 * A thin client of zipscale/sweep.h; docs/sweeps.md. */
#include <string.h>

#include "cli/commands.h"
#include "cli/sweep_out.h"
#include "zipscale/sweep.h"

static struct {
    const char *dir;
    int jobs, no_analyse, quiet;
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
    {"no-analyse", 0, ZS_OPT_FLAG, &a.no_analyse, NULL, "skip the analysis at the end"},
    {"quiet", 'q', ZS_OPT_FLAG, &a.quiet, NULL, "no progress output"},
    ZS_OPT_END,
};

static const zs_cli_spec run_spec = {
    "sweep run",
    "SPEC.yaml -o DIR [--jobs K] [--no-analyse]",
    "run a sweep (resumable), then fit, regress and report",
    "Prepares the spec's datasets, then trains every run the ledger DIR/sweep.db does not\n"
    "hold as finished, largest first, K at a time in child processes. Interrupt it any way\n"
    "and run the same command again: finished runs are kept, interrupted ones resume from\n"
    "their checkpoints. Several processes may run on one DIR at once. Edit the spec and run\n"
    "again: new runs are added, dropped ones retired, unchanged ones reused. At the end,\n"
    "when every run has finished: DIR/runs.csv, law.json, regression.json, summary.json,\n"
    "report.html (`zipscale sweep analyse DIR` redoes it). Exit status 130 when interrupted.",
    run_opts,
    1,
    1,
    .defaults = run_defaults,
};

static int run_cmd(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&run_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    return zs_cli_sweep_run(pos[0], a.dir, a.jobs, a.quiet, a.no_analyse);
}

const zs_command zs_cmd_sweep_run = {&run_spec, run_cmd};
