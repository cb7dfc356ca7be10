/* `zipscale report`: one self-contained HTML page (inline SVG, no JavaScript, nothing
 * fetched) from whatever results it is given; zipscale/report.h builds it. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/report.h"

static struct {
    const char *output, *title, *date;
    uint64_t seed, sample;
    int threads;
} args;

/* The library's defaults (zs_report_opts_init), which the help shows. */
static void report_defaults(void) {
    zs_report_opts o;
    zs_report_opts_init(&o);
    memset(&args, 0, sizeof args);
    args.title = o.title;
    args.seed = o.seed;
    args.sample = o.sample;
    args.threads = o.threads;
}

static const zs_opt report_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &args.output, "report.html", "the report", .required = 1},
    {"title", 0, ZS_OPT_STRING, &args.title, "T", "the page's title"},
    {"date", 0, ZS_OPT_STRING, &args.date, "TEXT",
     "the date line of the provenance (default: now, UTC; also ZS_REPORT_DATE)"},
    ZS_OPT_SEED(&args.seed),
    {"sample", 0, ZS_OPT_U64, &args.sample, "N", "sequences sampled per token file to measure H"},
    ZS_OPT_THREADS(&args.threads),
    ZS_OPT_END,
};

static const zs_cli_spec report_spec = {
    "report",
    "INPUT... -o report.html [--title T] [--date TEXT]",
    "one self-contained HTML page of results: datasets, fits, regression, frontiers",
    "Each INPUT is recognised by its content: token files (.npy, .bin; H is measured as\n"
    "zipscale gzip does), runs tables (.csv), training logs (.jsonl), and JSON from\n"
    "zipscale fit (law.json), regress (regression.json), gzip --json, predict --json and\n"
    "sweep analyse (summary.json).\n"
    "The page has a section per kind of input given, every figure inlined as SVG, and the\n"
    "provenance: each input's sha256, the version, date, machine and command line. It\n"
    "needs no JavaScript and fetches nothing; it prints cleanly. See docs/report.md.",
    report_opts,
    1,
    -1,
    .defaults = report_defaults,
};

/* The command line as typed, arguments separated by spaces. */
static char *command_line(int argc, char **argv) {
    size_t len = strlen("zipscale") + 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *text = malloc(len);
    if (!text) return NULL;
    strcpy(text, "zipscale");
    for (int i = 0; i < argc; i++) {
        strcat(text, " ");
        strcat(text, argv[i]);
    }
    return text;
}

static int report_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&report_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_report_opts opts;
    zs_report_opts_init(&opts);
    if (args.title) opts.title = args.title;
    opts.date_utc = args.date ? args.date : getenv("ZS_REPORT_DATE");
    opts.seed = args.seed;
    opts.sample = args.sample;
    opts.threads = args.threads;
    char *cmd = command_line(argc, argv);
    opts.command_line = cmd;
    zs_error err = {0};
    zs_status s =
        cmd ? zs_report_write((const char *const *)pos, (size_t)npos, &opts, args.output, &err)
            : zs_fail(&err, ZS_ERR_NOMEM, "out of memory");
    free(cmd);
    return s ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_report = {&report_spec, report_run};
