/* `zipscale quanta compare`: a quanta.json's fitted scaling exponents beside the quantization
 * model's predictions, one row per experiment (points, fitted alpha and its interval, the
 * predicted alpha, Spearman's rho and its interval, subtasks learned); JSON with --json, the
 * comparison figure (zipscale/figures.h) with -o. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/quanta_out.h"
#include "core/json.h"
#include "zipscale/figures.h"
#include "zipscale/quanta_experiment.h"

static struct {
    const char *output;
    int json;
    zs_figure_size size;
} args;

static void quanta_compare_defaults(void) {
    memset(&args, 0, sizeof args);
    zs_figure_size_init(&args.size);
}

static const zs_opt quanta_compare_opts[] = {
    ZS_OPT_JSON(&args.json),
    {"output", 'o', ZS_OPT_STRING, &args.output, "FIGURE",
     "also draw the comparison figure: .svg, .png or .pdf"},
    {"width", 0, ZS_OPT_DOUBLE, &args.size.width_pt, "PT", "figure width in points"},
    {"height", 0, ZS_OPT_DOUBLE, &args.size.height_pt, "PT", "figure height in points"},
    ZS_OPT_END,
};

static const zs_cli_spec quanta_compare_spec = {
    "quanta compare",
    "QUANTA.json|DIR [--json] [-o FIGURE]",
    "fitted scaling exponents of the quanta experiments against the model's predictions",
    "Reads a quanta.json (DIR means DIR/quanta.json), the analysis of the quantization\n"
    "model's experiments on multitask sparse parity, and prints one row per experiment\n"
    "run (params, data, steps): its points, the exponent alpha of L = A x^-alpha fitted\n"
    "over its fit range with the t interval, the exponent the quantization model predicts,\n"
    "Spearman's rho between frequency rank and learning point with its bootstrap interval,\n"
    "and the subtasks learned by the last point. '-' marks a value not defined. With -o,\n"
    "also draws fitted (error bars) beside predicted (points). See docs/quanta.md.",
    quanta_compare_opts,
    1,
    1,
    .defaults = quanta_compare_defaults,
};

static json_t *axis_json(int k, const zs_quanta_axis_result *a) {
    return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "axis",
                     zs_quanta_axis_name((zs_quanta_axis)k), "n_points", (json_int_t)a->n_points,
                     "fit_first", (json_int_t)a->fit_first, "fit_count", (json_int_t)a->fit_count,
                     "alpha", zs_json_number(a->alpha), "alpha_lo", zs_json_number(a->alpha_lo),
                     "alpha_hi", zs_json_number(a->alpha_hi), "alpha_predicted",
                     zs_json_number(a->alpha_predicted), "rho", zs_json_number(a->rho), "rho_lo",
                     zs_json_number(a->rho_lo), "rho_hi", zs_json_number(a->rho_hi), "n_learned",
                     (json_int_t)a->n_learned, "n_subtasks", (json_int_t)a->n_subtasks);
}

static json_t *result_json(const char *path, const char *sha256, const zs_quanta_result *r) {
    json_t *rows = json_array();
    for (int k = 0; rows && k < ZS_QUANTA_N_AXES; k++)
        if (r->axes[k].present) json_array_append_new(rows, axis_json(k, &r->axes[k]));
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:f, s:f, s:o}", "command", "quanta compare",
                     "zipscale_version", zs_version(), "input", "path", path, "sha256", sha256,
                     "level", r->level, "threshold_bits", r->threshold_bits, "axes", rows);
}

/* PATH, or PATH/quanta.json when PATH is a directory, into buf. */
static zs_status resolve(const char *path, char *buf, size_t size, zs_error *err) {
    struct stat st;
    int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    if ((size_t)snprintf(buf, size, is_dir ? "%s/quanta.json" : "%s", path) >= size)
        return zs_fail(err, ZS_ERR_USAGE, "%s: the path is too long", path);
    return ZS_OK;
}

static zs_status compare(const char *arg, zs_error *err) {
    char path[4096], sha256[65];
    zs_quanta_result r;
    zs_status s = resolve(arg, path, sizeof path, err);
    if (s) return s;
    s = zs_quanta_result_read(&r, path, err);
    if (s) return s;
    s = zs_sha256_file(path, sha256, err);
    zs_plot *fig = NULL;
    if (!s && args.output) s = zs_figure_quanta_compare(&r, &args.size, &fig, err);
    if (!s && args.output) s = zs_plot_write(fig, args.output, err);
    zs_plot_free(fig);
    if (!s && args.json)
        s = zs_cli_emit_json(result_json(path, sha256, &r), NULL, err);
    else if (!s)
        zs_cli_quanta_table(path, &r, stdout);
    zs_quanta_result_free(&r);
    return s;
}

static int quanta_compare_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&quanta_compare_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err = {0};
    return compare(pos[0], &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_quanta_compare = {&quanta_compare_spec, quanta_compare_run};
