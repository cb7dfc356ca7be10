/* `zipscale quanta parity` (runs the quantization model's three experiments on sparse
 * parity as sweeps, then analyses them) and `zipscale quanta preset` (prints one of their
 * specs). A thin client of zipscale/sweep.h; docs/quanta.md. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/quanta_out.h"
#include "zipscale/sweep.h"

static struct {
    const char *dir, *preset, *axes;
    int jobs, quiet, no_analyse;
} a;

/* The library's defaults (zs_sweep_quanta_opts_init). */
static void parity_defaults(void) {
    zs_sweep_quanta_opts o;
    zs_sweep_quanta_opts_init(&o);
    memset(&a, 0, sizeof a);
    a.preset = o.preset;
    a.axes = "params,data,steps";
    a.jobs = o.run.jobs;
}

static const zs_opt parity_opts[] = {
    {"preset", 0, ZS_OPT_STRING, &a.preset, "NAME", "quick, default or paper"},
    {"output", 'o', ZS_OPT_STRING, &a.dir, "DIR",
     "the experiments' directory (default: zipscale-quanta, or zipscale-quanta-NAME for another "
     "preset)"},
    {"axes", 0, ZS_OPT_STRING, &a.axes, "LIST", "which experiments: params, data, steps"},
    {"jobs", 'j', ZS_OPT_INT, &a.jobs, "K",
     "runs at once, one thread each (default: one per core)"},
    {"no-analyse", 0, ZS_OPT_FLAG, &a.no_analyse, NULL, "skip the analysis at the end"},
    {"quiet", 'q', ZS_OPT_FLAG, &a.quiet, NULL, "no progress output"},
    ZS_OPT_END,
};

static const zs_cli_spec parity_spec = {
    "quanta parity",
    "[--preset quick|default|paper] [-o DIR] [--axes LIST] [--jobs K]",
    "the quantization model's experiments on sparse parity: loss against N, D and steps",
    "Runs three sweeps of sparse-parity MLPs [QM] into DIR/params (widths, online data),\n"
    "DIR/data (fixed training sets, early stopping) and DIR/steps (one long run), each an\n"
    "ordinary resumable sweep (interrupt it and run the same command again), then analyses\n"
    "them: the exponents fitted beside the theory's, each subtask's learning point and the\n"
    "rank correlation of learning order with frequency, figures and DIR/quanta.json\n"
    "(`zipscale quanta analyse DIR` redoes it). `zipscale quanta preset NAME AXIS` prints\n"
    "a spec. Exit status 130 when interrupted.",
    parity_opts,
    0,
    0,
    .defaults = parity_defaults,
};

/* "params,data" -> axes[] flags; a usage error naming the bad entry. */
static int parse_axes(const char *list, int *axes) {
    memset(axes, 0, ZS_QUANTA_N_AXES * sizeof *axes);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    int any = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        zs_quanta_axis axis;
        zs_error err = {0};
        if (zs_quanta_axis_parse(tok, &axis, &err))
            return zs_cli_usage_error(&parity_spec, "--axes: %s", err.msg);
        axes[axis] = any = 1;
    }
    if (!any) return zs_cli_usage_error(&parity_spec, "--axes: expected params, data or steps");
    return -1;
}

static int parity_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&parity_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_sweep_quanta_opts o;
    zs_sweep_quanta_opts_init(&o);
    if ((code = parse_axes(a.axes, o.axes)) >= 0) return code;
    if (!zs_sweep_quanta_preset(a.preset, ZS_QUANTA_AXIS_PARAMS))
        return zs_cli_usage_error(&parity_spec, "--preset '%s': expected quick, default or paper",
                                  a.preset);
    o.preset = a.preset;
    o.run.jobs = a.jobs;
    o.run.progress = a.quiet ? NULL : stderr;
    o.run.progress_tty = isatty(STDERR_FILENO);
    char dir[512];
    if (a.dir)
        snprintf(dir, sizeof dir, "%s", a.dir);
    else if (strcmp(a.preset, "default") == 0)
        snprintf(dir, sizeof dir, "zipscale-quanta");
    else
        snprintf(dir, sizeof dir, "zipscale-quanta-%s", a.preset);
    zs_sweep_counts c;
    zs_error err = {0};
    if (zs_sweep_quanta_run(dir, &o, &c, &err)) return zs_cli_fail(&err);
    if (c.interrupted) {
        fprintf(stderr, "zipscale: interrupted; run the same command to resume\n");
        return ZS_EXIT_INTERRUPTED;
    }
    if (a.no_analyse || c.pending || c.running || !c.completed) return ZS_EXIT_OK;
    return zs_cli_quanta_analyse(dir, NULL);
}

const zs_command zs_cmd_quanta_parity = {&parity_spec, parity_run};

static const zs_opt preset_opts[] = {ZS_OPT_END};

static const zs_cli_spec preset_spec = {
    "quanta preset",
    "NAME AXIS",
    "print a built-in quanta experiment spec (quick, default, paper; params, data, steps)",
    "The sweep specs `zipscale quanta parity --preset NAME` runs, one per axis. Save one,\n"
    "edit it, run it with `zipscale sweep run SPEC -o DIR/AXIS`, and analyse DIR with\n"
    "`zipscale quanta analyse DIR`.",
    preset_opts,
    2,
    2,
};

static int preset_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&preset_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_quanta_axis axis;
    zs_error err = {0};
    if (zs_quanta_axis_parse(pos[1], &axis, &err))
        return zs_cli_usage_error(&preset_spec, "%s", err.msg);
    const char *text = zs_sweep_quanta_preset(pos[0], axis);
    if (!text)
        return zs_cli_usage_error(&preset_spec,
                                  "unknown preset '%s'; expected quick, default or paper", pos[0]);
    fputs(text, stdout);
    return ZS_EXIT_OK;
}

const zs_command zs_cmd_quanta_preset = {&preset_spec, preset_run};
