/* `zipscale sweep analyse` (laws, regression, frontier, summary and report from a sweep
 * directory) and `zipscale sweep preset` (prints a built-in spec to start from). */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/sweep_out.h"
#include "zipscale/sweep.h"

static struct {
    int threads;
    const char *date;
} a;

/* The library's defaults (zs_sweep_analyse_opts_init), which the help shows. */
static void analyse_defaults(void) {
    zs_sweep_analyse_opts o;
    zs_sweep_analyse_opts_init(&o);
    memset(&a, 0, sizeof a);
    a.threads = o.threads;
    a.date = o.report_date;
}

static const zs_opt analyse_opts[] = {
    ZS_OPT_THREADS(&a.threads),
    {"date", 0, ZS_OPT_STRING, &a.date, "TEXT", "the report's date line (default: now)"},
    ZS_OPT_END,
};

static const zs_cli_spec analyse_spec = {
    "sweep analyse",
    "DIR",
    "fit a law per dataset, regress on H, frontiers, summary and report",
    "From the completed runs in DIR/sweep.db: DIR/runs.csv, DIR/law.json (Chinchilla law per\n"
    "dataset, bootstrap intervals, the largest runs held out and predicted), DIR/regression.json\n"
    "(3+ datasets), DIR/summary.json and DIR/report.html; prints the headline table. The\n"
    "settings come from the spec the sweep ran (its analysis section). docs/sweeps.md.",
    analyse_opts,
    1,
    1,
    .defaults = analyse_defaults,
};

static int analyse_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&analyse_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_sweep_analyse_opts o;
    zs_sweep_analyse_opts_init(&o);
    o.threads = a.threads;
    o.report_date = a.date;
    return zs_cli_sweep_analyse(pos[0], &o);
}

const zs_command zs_cmd_sweep_analyse = {&analyse_spec, analyse_run};

static const zs_opt preset_opts[] = {ZS_OPT_END};

static const zs_cli_spec preset_spec = {
    "sweep preset",
    "NAME",
    "print a built-in sweep spec (quick, default, paper) to copy and edit",
    "The specs `zipscale demo --preset NAME` runs. Save one, edit it, and run it with\n"
    "`zipscale sweep run SPEC -o DIR`.",
    preset_opts,
    1,
    1,
};

static int preset_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&preset_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    const char *text = zs_sweep_preset(pos[0]);
    if (!text)
        return zs_cli_usage_error(&preset_spec,
                                  "unknown preset '%s'; expected quick, default or paper", pos[0]);
    fputs(text, stdout);
    return ZS_EXIT_OK;
}

const zs_command zs_cmd_sweep_preset = {&preset_spec, preset_run};
