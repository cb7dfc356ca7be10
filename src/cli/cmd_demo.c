/* `zipscale demo` (what `make demo` runs): the gzip paper's experiment end to end on a
 * built-in sweep spec (a preset): grammars generated and measured, a family of GPTs trained
 * over sizes x budgets per grammar, a law per grammar with intervals, the regression on H,
 * the frontiers, the report, and the headline. A thin client of zipscale/sweep.h; the
 * sweep directory it leaves can be resumed, inspected and re-analysed with `zipscale sweep`. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/sweep_out.h"
#include "zipscale/sweep.h"

static struct {
    const char *dir, *preset;
    int jobs, quiet;
} a;

/* The sweep's run defaults (zs_sweep_run_opts_init) and the default preset. */
static void demo_defaults(void) {
    zs_sweep_run_opts o;
    zs_sweep_run_opts_init(&o);
    memset(&a, 0, sizeof a);
    a.preset = "default";
    a.jobs = o.jobs;
}

static const zs_opt demo_opts[] = {
    ZS_OPT_OUTPUT(&a.dir, "the sweep directory (default: zipscale-demo, or zipscale-demo-NAME "
                          "for another preset)"),
    {"preset", 0, ZS_OPT_STRING, &a.preset, "NAME",
     "quick (a 1-2 minute smoke test), default (about 6 minutes on 2 cores; used when none is "
     "given) or paper (about a "
     "day)"},
    {"jobs", 'j', ZS_OPT_INT, &a.jobs, "K",
     "runs at once, one thread each (default: one per core)"},
    {"quiet", 'q', ZS_OPT_FLAG, &a.quiet, NULL, "no progress output"},
    ZS_OPT_END,
};

static const zs_cli_spec demo_spec = {
    "demo",
    "[--preset quick|default|paper] [-o DIR] [--jobs K]",
    "the gzip paper's experiment end to end: grammars, H, training sweep, laws, report",
    "Writes the preset's spec to DIR/spec.yaml and runs it as `zipscale sweep run` would:\n"
    "the paper's grammars are generated, sampled and measured (H), GPTs of every size are\n"
    "trained on every budget for every grammar, then one Chinchilla law is fitted per grammar\n"
    "(bootstrap intervals, the largest runs held out), its parameters regressed on H, and the\n"
    "frontiers and DIR/report.html written. Prints a table per grammar and whether the\n"
    "compute-optimal frontier moves towards data as H grows (the paper's finding).\n"
    "Interrupted, it resumes where it stopped when run again. `zipscale sweep preset NAME`\n"
    "prints a preset to edit; docs/sweeps.md explains the choices and the measured times.",
    demo_opts,
    0,
    0,
    .defaults = demo_defaults,
};

static int demo_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&demo_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    const char *text = zs_sweep_preset(a.preset);
    if (!text)
        return zs_cli_usage_error(&demo_spec, "--preset '%s': expected quick, default or paper",
                                  a.preset);
    char dir[512], spec_path[1024];
    if (a.dir)
        snprintf(dir, sizeof dir, "%s", a.dir);
    else if (strcmp(a.preset, "default") == 0)
        snprintf(dir, sizeof dir, "zipscale-demo");
    else
        snprintf(dir, sizeof dir, "zipscale-demo-%s", a.preset);
    zs_error err = {0};
    /* DIR/spec.yaml holds the preset (rewritten each time: the ledger keeps finished runs). */
    if (zs_sweep_write_spec(dir, text, spec_path, sizeof spec_path, &err)) return zs_cli_fail(&err);
    if (!a.quiet)
        fprintf(stderr, "zipscale demo (preset %s): the gzip paper's experiment in %s/\n", a.preset,
                dir);
    zs_sweep_run_opts o;
    zs_sweep_run_opts_init(&o);
    o.jobs = a.jobs;
    return zs_cli_sweep_run(&demo_spec, spec_path, dir, &o, a.quiet, 0);
}

const zs_command zs_cmd_demo = {&demo_spec, demo_run};
