/* `zipscale plot runs`, `plot frontier` and `plot law`: the fitting results as figures,
 * from the files `zipscale fit` and `regress` read and write (runs CSV, law.json,
 * regression.json). The figures themselves are built by zipscale/figures.h. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/json.h"
#include "cli/runs_opts.h"
#include "zipscale/figures.h"

/* ---- shared ------------------------------------------------------------------------------ */

static const char *const by_names[] = {"N", "D"};

/* The fit of law.json for dataset `name` (NULL: the first). */
static zs_status pick_fit(const zs_lawfile *lf, const char *path, const char *name,
                          const zs_lawfit **out, zs_error *err) {
    for (size_t i = 0; i < lf->n_fits; i++)
        if (!name || (lf->fits[i].dataset && strcmp(lf->fits[i].dataset, name) == 0)) {
            *out = &lf->fits[i];
            return ZS_OK;
        }
    return zs_fail(err, ZS_ERR_RANGE, "%s: no fit for dataset \"%s\" (%zu fits)", path,
                   name ? name : "", lf->n_fits);
}

static zs_status write_figure(zs_plot *fig, const char *path, zs_error *err) {
    zs_status s = zs_plot_write(fig, path, err);
    zs_plot_free(fig);
    return s;
}

/* ---- plot runs --------------------------------------------------------------------------- */

static struct {
    const char *output, *law, *dataset, *by;
    zs_figure_size size;
    zs_runs_columns cols;
} runs_args;

static void plot_runs_defaults(void) {
    memset(&runs_args, 0, sizeof runs_args);
    zs_figure_size_init(&runs_args.size);
    zs_runs_columns_init(&runs_args.cols);
}

static const zs_opt plot_runs_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &runs_args.output, "FIGURE", "the figure: .svg, .png or .pdf",
     .required = 1},
    {"law", 0, ZS_OPT_STRING, &runs_args.law, "LAW.json",
     "draw the fitted law's curves (`zipscale fit -o`) over the runs"},
    {"dataset", 0, ZS_OPT_STRING, &runs_args.dataset, "NAME",
     "the dataset to draw (default: the table's first)"},
    {"by", 0, ZS_OPT_STRING, &runs_args.by, "N|D",
     "x axis: N (one colour per D, the default) or D (one colour per N)"},
    {"width", 0, ZS_OPT_DOUBLE, &runs_args.size.width_pt, "PT", "figure width in points"},
    {"height", 0, ZS_OPT_DOUBLE, &runs_args.size.height_pt, "PT", "figure height in points"},
    ZS_OPT_RUNS_COLUMNS(runs_args.cols),
    ZS_OPT_END,
};

static const zs_cli_spec plot_runs_spec = {
    "plot runs",
    "RUNS.csv -o FIGURE [--law LAW.json] [--dataset NAME] [--by N|D]",
    "loss against N (one colour per D) or D (one per N), with the fitted law",
    "Reads a runs table (as `zipscale fit` does) and draws one dataset's losses against\n"
    "parameters N (log x), one colour per number of tokens D, or against D with --by D.\n"
    "With --law, each colour also gets the law's curve for that dataset.",
    plot_runs_opts,
    1,
    1,
    .defaults = plot_runs_defaults,
};

static zs_status plot_runs(const char *path, zs_figure_by by, zs_error *err) {
    zs_runs runs;
    zs_status s = zs_runs_read(&runs, path, &runs_args.cols, 0, err);
    if (s) return s;
    size_t dataset = 0;
    if (runs_args.dataset) {
        while (dataset < runs.n_datasets &&
               !(runs.dataset_names[dataset] &&
                 strcmp(runs.dataset_names[dataset], runs_args.dataset) == 0))
            dataset++;
        if (dataset == runs.n_datasets)
            s = zs_fail(err, ZS_ERR_RANGE, "%s: no dataset \"%s\"", path, runs_args.dataset);
    }
    zs_lawfile lf = {0};
    const zs_lawfit *fit = NULL;
    int have_law = 0;
    if (!s && runs_args.law) {
        s = zs_lawfile_read(&lf, runs_args.law, err);
        have_law = !s;
        if (!s)
            s = pick_fit(&lf, runs_args.law, runs.has_dataset ? runs.dataset_names[dataset] : NULL,
                         &fit, err);
    }
    zs_plot *fig = NULL;
    if (!s)
        s = zs_figure_loss_vs_size(&runs, dataset, fit ? &fit->law : NULL, by, &runs_args.size,
                                   &fig, err);
    if (!s) s = write_figure(fig, runs_args.output, err);
    if (have_law) zs_lawfile_free(&lf);
    zs_runs_free(&runs);
    return s;
}

static const zs_cli_field plot_runs_fields[] = {ZS_CLI_RUNS_COLUMN_FIELDS, {NULL, NULL}};

static int plot_runs_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&plot_runs_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_cli_runs_columns_given(&runs_args.cols);
    zs_figure_by by = ZS_FIGURE_BY_N;
    if (runs_args.by && strcmp(runs_args.by, by_names[1]) == 0)
        by = ZS_FIGURE_BY_D;
    else if (runs_args.by && strcmp(runs_args.by, by_names[0]) != 0)
        return zs_cli_usage_error(&plot_runs_spec, "--by %s: expected N or D", runs_args.by);
    zs_error err = {0};
    return plot_runs(pos[0], by, &err) ? zs_cli_fail_cmd(&plot_runs_spec, plot_runs_fields, &err)
                                       : ZS_EXIT_OK;
}

const zs_command zs_cmd_plot_runs = {&plot_runs_spec, plot_runs_run};

/* ---- plot frontier ----------------------------------------------------------------------- */

static struct {
    const char *output, *dataset, *compute;
    uint64_t budgets;
    zs_figure_size size;
} frontier_args;

static void plot_frontier_defaults(void) {
    memset(&frontier_args, 0, sizeof frontier_args);
    frontier_args.budgets = ZS_FIGURE_FRONTIER_BUDGETS;
    zs_figure_size_init(&frontier_args.size);
}

static const zs_opt plot_frontier_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &frontier_args.output, "FIGURE",
     "the figure: .svg, .png or .pdf", .required = 1},
    {"compute", 0, ZS_OPT_STRING, &frontier_args.compute, "LO:HI",
     "the range of compute budgets in FLOPs, e.g. 1e15:1e19", .required = 1},
    {"budgets", 0, ZS_OPT_U64, &frontier_args.budgets, "K",
     "iso-FLOP curves, log-spaced over the range"},
    {"dataset", 0, ZS_OPT_STRING, &frontier_args.dataset, "NAME",
     "the fit to draw (default: the first in law.json)"},
    {"width", 0, ZS_OPT_DOUBLE, &frontier_args.size.width_pt, "PT", "figure width in points"},
    {"height", 0, ZS_OPT_DOUBLE, &frontier_args.size.height_pt, "PT", "figure height in points"},
    ZS_OPT_END,
};

static const zs_cli_spec plot_frontier_spec = {
    "plot frontier",
    "LAW.json -o FIGURE --compute LO:HI [--budgets K] [--dataset NAME]",
    "iso-FLOP curves, the compute-optimal frontier and Chinchilla's beside it",
    "Draws a fitted law's loss along K iso-FLOP curves L(N, C/6N) against parameters N,\n"
    "its compute-optimal frontier through their minima, and where Chinchilla's published\n"
    "law (E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28) would put N at each budget.",
    plot_frontier_opts,
    1,
    1,
    .defaults = plot_frontier_defaults,
};

/* "LO:HI" with 0 < LO <= HI. */
static int parse_range(const char *text, double *lo, double *hi) {
    char *end;
    *lo = strtod(text, &end);
    if (*end != ':') return 0;
    *hi = strtod(end + 1, &end);
    return *end == '\0' && *lo > 0 && *hi >= *lo && isfinite(*hi);
}

static int plot_frontier_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&plot_frontier_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    double lo, hi;
    if (!parse_range(frontier_args.compute, &lo, &hi))
        return zs_cli_usage_error(&plot_frontier_spec,
                                  "--compute %s: expected LO:HI with 0 < LO <= HI (FLOPs)",
                                  frontier_args.compute);
    if (frontier_args.budgets < 1 || frontier_args.budgets > ZS_FIGURE_FRONTIER_BUDGETS_MAX)
        return zs_cli_usage_error(&plot_frontier_spec, "--budgets %llu: expected 1 to %d",
                                  (unsigned long long)frontier_args.budgets,
                                  ZS_FIGURE_FRONTIER_BUDGETS_MAX);
    size_t k = (size_t)frontier_args.budgets;
    double budgets[ZS_FIGURE_FRONTIER_BUDGETS_MAX];
    zs_error err = {0};
    zs_lawfile lf;
    const zs_lawfit *fit = NULL;
    zs_plot *fig = NULL;
    zs_status s = zs_frontier_log_range(lo, hi, k, budgets, &err);
    if (s) return zs_cli_fail(&err);
    s = zs_lawfile_read(&lf, pos[0], &err);
    if (s) return zs_cli_fail(&err);
    s = pick_fit(&lf, pos[0], frontier_args.dataset, &fit, &err);
    if (!s) s = zs_figure_frontier(&fit->law, budgets, k, &frontier_args.size, &fig, &err);
    if (!s) s = write_figure(fig, frontier_args.output, &err);
    zs_lawfile_free(&lf);
    return s ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_plot_frontier = {&plot_frontier_spec, plot_frontier_run};

/* ---- plot law ---------------------------------------------------------------------------- */

static struct {
    const char *output, *param;
    zs_figure_size size;
} law_args;

static void plot_law_defaults(void) {
    memset(&law_args, 0, sizeof law_args);
    zs_figure_size_init(&law_args.size);
}

static const zs_opt plot_law_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &law_args.output, "FIGURE",
     "the figure (.svg, .png, .pdf); without --param, five: FIGURE-E.svg .. FIGURE-beta.svg",
     .required = 1},
    {"param", 0, ZS_OPT_STRING, &law_args.param, "P", "one parameter only: E, A, B, alpha or beta"},
    {"width", 0, ZS_OPT_DOUBLE, &law_args.size.width_pt, "PT", "figure width in points"},
    {"height", 0, ZS_OPT_DOUBLE, &law_args.size.height_pt, "PT", "figure height in points"},
    ZS_OPT_END,
};

static const zs_cli_spec plot_law_spec = {
    "plot law",
    "REGRESSION.json|LAW.json -o FIGURE [--param P]",
    "law parameters (E, A, B, alpha, beta) against H with the regression lines and bands",
    "Draws each dataset's fitted parameter against its gzip compressibility H, the\n"
    "regression line x(H) = m H + n and its band: the bootstrap replicates' percentile\n"
    "band when the fits carried a bootstrap, else the 95% OLS confidence band of the\n"
    "line. Reads a `zipscale regress -o` result, or a law.json with at least 3 datasets\n"
    "(each with an H), regressed here as `zipscale regress` does.",
    plot_law_opts,
    1,
    1,
    .defaults = plot_law_defaults,
};

/* Reads a regression.json, or regresses a law.json (told apart by its "format"). */
static zs_status read_regression(const char *path, zs_regressfile *rf, zs_error *err) {
    json_t *doc;
    zs_status s = zs_json_load(path, 0, &doc, err);
    if (s) return s;
    const char *format = json_string_value(json_object_get(doc, "format"));
    int is_law = format && strcmp(format, "zipscale-law") == 0;
    json_decref(doc);
    if (!is_law) return zs_regressfile_read(rf, path, err);
    zs_lawfile lf;
    s = zs_lawfile_read(&lf, path, err);
    if (s) return s;
    s = zs_regressfile_from_lawfile(rf, &lf, path, NULL, err);
    zs_lawfile_free(&lf);
    return s;
}

/* FIGURE with "-NAME" inserted before its extension (or appended without one). */
static char *param_path(const char *figure, const char *name) {
    const char *slash = strrchr(figure, '/'), *dot = strrchr(figure, '.');
    size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - figure) : strlen(figure);
    size_t len = strlen(figure) + strlen(name) + 2;
    char *path = malloc(len);
    if (path) snprintf(path, len, "%.*s-%s%s", (int)stem, figure, name, figure + stem);
    return path;
}

static zs_status plot_law(const char *path, int only, zs_error *err) {
    zs_regressfile rf;
    zs_status s = read_regression(path, &rf, err);
    if (s) return s;
    for (int p = 0; !s && p < ZS_LAW_N_PARAMS; p++) {
        if (only >= 0 && p != only) continue;
        char *out =
            only >= 0 ? strdup(law_args.output) : param_path(law_args.output, zs_law_param_name(p));
        zs_plot *fig = NULL;
        s = out ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
        if (!s) s = zs_figure_params_vs_h(&rf, p, &law_args.size, &fig, err);
        if (!s) s = write_figure(fig, out, err);
        free(out);
    }
    zs_regressfile_free(&rf);
    return s;
}

static int plot_law_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&plot_law_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    int only = -1;
    for (int p = 0; law_args.param && p < ZS_LAW_N_PARAMS; p++)
        if (strcmp(law_args.param, zs_law_param_name(p)) == 0) only = p;
    if (law_args.param && only < 0)
        return zs_cli_usage_error(&plot_law_spec, "--param %s: expected E, A, B, alpha or beta",
                                  law_args.param);
    zs_error err = {0};
    return plot_law(pos[0], only, &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_plot_law = {&plot_law_spec, plot_law_run};
