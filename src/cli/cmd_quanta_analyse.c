/* `zipscale quanta analyse`: the quantization model's experiments in a directory analysed
 * (zs_sweep_quanta_analyse): quanta.json, the report and the comparison table. */
#include <string.h>

#include "cli/commands.h"
#include "cli/quanta_out.h"

static struct {
    double threshold_bits, level;
    uint64_t bootstrap, seed;
    int threads;
    const char *date;
} a;

/* The library's defaults (zs_sweep_quanta_analyse_opts_init). */
static void analyse_defaults(void) {
    zs_sweep_quanta_analyse_opts o;
    zs_sweep_quanta_analyse_opts_init(&o);
    memset(&a, 0, sizeof a);
    a.threshold_bits = o.emergence.threshold_bits;
    a.level = o.emergence.level;
    a.bootstrap = o.emergence.bootstrap;
    a.seed = o.emergence.seed;
    a.threads = o.threads;
    a.date = o.report_date;
}

static const zs_opt analyse_opts[] = {
    {"threshold-bits", 0, ZS_OPT_DOUBLE, &a.threshold_bits, "T",
     "a subtask is learned once its loss stays below T bits"},
    {"bootstrap", 0, ZS_OPT_U64, &a.bootstrap, "B", "replicates of the interval on rho"},
    {"level", 0, ZS_OPT_DOUBLE, &a.level, "P", "the level of every interval"},
    ZS_OPT_SEED(&a.seed),
    ZS_OPT_THREADS(&a.threads),
    {"date", 0, ZS_OPT_STRING, &a.date, "TEXT", "the report's date line (default: now)"},
    ZS_OPT_END,
};

static const zs_cli_spec analyse_spec = {
    "quanta analyse",
    "DIR [--threshold-bits T] [--bootstrap B] [--level P]",
    "analyse the quantization model's experiments in DIR (params/, data/, steps/)",
    "Reads the sweeps `zipscale quanta parity` ran (or any sparse-parity sweeps laid out\n"
    "as DIR/params, DIR/data, DIR/steps), and writes DIR/quanta.json and DIR/report.html:\n"
    "per experiment the loss at each scale, each subtask's learning point, Spearman's rho\n"
    "between frequency rank and learning point with a bootstrap interval, the fitted\n"
    "exponent beside the quantization model's prediction. docs/quanta.md.",
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
    zs_sweep_quanta_analyse_opts o;
    zs_sweep_quanta_analyse_opts_init(&o);
    o.emergence.threshold_bits = a.threshold_bits;
    o.emergence.level = a.level;
    o.emergence.bootstrap = (size_t)a.bootstrap;
    o.emergence.seed = a.seed;
    o.threads = a.threads;
    o.report_date = a.date;
    zs_error err = {0};
    if (zs_quanta_emergence_opts_check(&o.emergence, &err)) {
        err.code = ZS_ERR_USAGE; /* an option's value: a usage error */
        return zs_cli_fail_cmd(&analyse_spec, NULL, &err);
    }
    return zs_cli_quanta_analyse(pos[0], &o);
}

const zs_command zs_cmd_quanta_analyse = {&analyse_spec, analyse_run};
