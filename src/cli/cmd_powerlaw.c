/* `zipscale powerlaw`: one-variable laws L = A x^-alpha and L = E + A x^-alpha of loss
 * against N, D, compute or steps, one fit per dataset of a runs table, with t intervals;
 * a table on stdout, JSON with --json or -o. A thin client of zs_runs and zs_powerlaw_fit. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "cli/commands.h"
#include "cli/runs_opts.h"
#include "zipscale/fit.h"
#include "zipscale/frontier.h"

typedef struct {
    const char *x, *form, *output;
    double level;
    int skip_invalid, json;
    zs_runs_columns cols;  /* the option targets: the default names unless given */
    zs_runs_columns given; /* cols with the default names left NULL: what the reader gets */
} powerlaw_args;

static powerlaw_args args;

/* The library's defaults (zs_powerlaw_opts_init, zs_runs_columns_init), which the help
 * shows. */
static void powerlaw_defaults(void) {
    zs_powerlaw_opts o;
    zs_powerlaw_opts_init(&o);
    args = (powerlaw_args){.form = o.fit_pure && o.fit_offset ? "both"
                                   : o.fit_pure               ? "pure"
                                                              : "offset",
                           .level = o.level};
    zs_runs_columns_init(&args.cols);
}

static const zs_opt powerlaw_opts[] = {
    {"x", 0, ZS_OPT_STRING, &args.x, "N|D|C|steps",
     "the scale: parameters, tokens, compute (the flops column, else 6 N D) or steps",
     .required = 1},
    {"form", 0, ZS_OPT_STRING, &args.form, "pure|offset|both",
     "pure: A x^-alpha by log-log OLS; offset: E + A x^-alpha by least squares; both: each"},
    {"level", 0, ZS_OPT_DOUBLE, &args.level, "P", "t interval level"},
    {"skip-invalid", 0, ZS_OPT_FLAG, &args.skip_invalid, NULL,
     "skip bad rows (and count them) instead of failing"},
    ZS_OPT_RUNS_COLUMNS(args.cols),
    {"col-weight", 0, ZS_OPT_STRING, &args.cols.weight, "NAME",
     "column of point weights, read but not used by these fits"},
    {"col-steps", 0, ZS_OPT_STRING, &args.cols.steps, "NAME", "column of training steps"},
    ZS_OPT_JSON(&args.json),
    ZS_OPT_OUTPUT(&args.output, "write the JSON to FILE (the table still goes to stdout)"),
    ZS_OPT_END,
};

static const zs_cli_spec powerlaw_spec = {
    "powerlaw",
    "RUNS.csv --x N|D|C|steps [--form pure|offset|both] [--level P] [--col-* NAME] "
    "[--skip-invalid] [--json] [-o FILE]",
    "fit one-variable laws L = A x^-alpha and L = E + A x^-alpha to a table of runs",
    "Reads a runs table as `zipscale fit` does (N, D, loss required; dataset, flops, steps\n"
    "optional) and fits, for each dataset, loss against one scale x: the pure law\n"
    "L = A x^-alpha by least squares of log L on log x, and the offset law\n"
    "L = E + A x^-alpha by least squares in loss units. Intervals are estimate +- t se\n"
    "(Student's t, n - 2 or n - 3 degrees of freedom); A's is taken on log A. Weights are\n"
    "not used. See docs/fitting.md.",
    powerlaw_opts,
    1,
    1,
    .defaults = powerlaw_defaults,
};

/* The scales --x names, and where each takes its values from. */
enum { X_N, X_D, X_C, X_STEPS, X_COUNT };
static const char *const x_names[X_COUNT] = {"N", "D", "C", "steps"};

static const double *x_values(const zs_runs *runs, int x) {
    const double *const by_x[X_COUNT] = {runs->n_params, runs->n_tokens, runs->flops, runs->steps};
    return by_x[x];
}

/* The column x came from (its name, given or default), as recorded in the output. */
static const char *x_source(const zs_runs *runs, int x) {
    const zs_runs_columns *c = &args.cols;
    switch (x) {
    case X_N:
        return c->n_params;
    case X_D:
        return c->n_tokens;
    case X_C:
        return runs->has_flops ? c->flops : "6 N D";
    default:
        return c->steps;
    }
}

typedef struct {
    int x;
    zs_powerlaw_form forms[2];
    int n_forms;
} powerlaw_plan;

static zs_status parse_options(powerlaw_plan *plan, zs_error *err) {
    plan->x = -1;
    for (int x = 0; x < X_COUNT; x++)
        if (!strcmp(args.x, x_names[x])) plan->x = x;
    if (plan->x < 0) return zs_fail(err, ZS_ERR_USAGE, "--x %s: expected N, D, C or steps", args.x);
    zs_powerlaw_opts o = {.level = args.level};
    if (!strcmp(args.form, "pure") || !strcmp(args.form, "both")) o.fit_pure = 1;
    if (!strcmp(args.form, "offset") || !strcmp(args.form, "both")) o.fit_offset = 1;
    if (!o.fit_pure && !o.fit_offset)
        return zs_fail(err, ZS_ERR_USAGE, "--form %s: expected pure, offset or both", args.form);
    plan->n_forms = 0;
    if (o.fit_pure) plan->forms[plan->n_forms++] = ZS_POWERLAW_PURE;
    if (o.fit_offset) plan->forms[plan->n_forms++] = ZS_POWERLAW_OFFSET;
    if (!(args.level > 0 && args.level < 1))
        return zs_fail(err, ZS_ERR_USAGE, "--level %g: expected a number in (0, 1)", args.level);
    return ZS_OK;
}

/* One fitted law and the dataset it belongs to. */
typedef struct {
    size_t dataset;
    zs_powerlaw law;
} powerlaw_fit;

/* Fits every dataset in every form of the plan: fits[d * n_forms + f]. */
static zs_status fit_all(const zs_runs *runs, const powerlaw_plan *plan, powerlaw_fit *fits,
                         zs_error *err) {
    size_t *rows = zs_alloc(runs->n_rows * sizeof *rows, "powerlaw rows", err);
    double *points = zs_alloc(2 * runs->n_rows * sizeof *points, "powerlaw points", err);
    zs_status s = rows && points ? ZS_OK : ZS_ERR_NOMEM;
    const double *x = x_values(runs, plan->x);
    for (size_t d = 0; !s && d < runs->n_datasets; d++) {
        size_t n = zs_runs_dataset_rows(runs, d, rows);
        double *xs = points, *loss = points + n;
        for (size_t i = 0; i < n; i++) {
            xs[i] = x[rows[i]];
            loss[i] = runs->loss_nats[rows[i]];
        }
        for (int f = 0; !s && f < plan->n_forms; f++) {
            powerlaw_fit *out = &fits[d * (size_t)plan->n_forms + (size_t)f];
            out->dataset = d;
            s = zs_powerlaw_fit(xs, loss, n, plan->forms[f], args.level, &out->law, err);
        }
        if (s && err) {
            char msg[ZS_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err->msg);
            zs_fail(err, s, "dataset %s: %s", zs_runs_dataset_label(runs, d), msg);
        }
    }
    free(rows);
    free(points);
    return s;
}

static void print_table(FILE *out, const char *path, const zs_runs *runs, int x,
                        const powerlaw_fit *fits, size_t n_fits) {
    fprintf(out, "# %s: %zu rows read, %zu skipped; loss against %s (%s); %g%% t intervals\n", path,
            runs->rows_read, runs->rows_skipped, x_names[x], x_source(runs, x), 100 * args.level);
    fprintf(out, "%-16s %-6s %5s %9s %21s %11s %8s %19s %10s\n", "dataset", "form", "n", "E",
            "E interval", "A", "alpha", "alpha interval", "rms(L)");
    for (size_t i = 0; i < n_fits; i++) {
        const zs_powerlaw *l = &fits[i].law;
        const char *name = runs->dataset_names[fits[i].dataset];
        char e[16] = "-", e_ci[48] = "-", alpha_ci[48];
        if (l->form == ZS_POWERLAW_OFFSET) {
            snprintf(e, sizeof e, "%.5g", l->E.value);
            snprintf(e_ci, sizeof e_ci, "[%.5g, %.5g]", l->E.lo, l->E.hi);
        }
        snprintf(alpha_ci, sizeof alpha_ci, "[%.4f, %.4f]", l->alpha.lo, l->alpha.hi);
        fprintf(out, "%-16s %-6s %5llu %9s %21s %11.5g %8.4f %19s %10.4g\n", name ? name : "-",
                zs_powerlaw_form_name(l->form), (unsigned long long)l->n, e, e_ci, l->A.value,
                l->alpha.value, alpha_ci, l->residual_rms);
    }
}

static json_t *estimate_json(const zs_estimate *e) {
    return json_pack("{s:o, s:o, s:o, s:o}", "value", zs_json_number(e->value), "se",
                     zs_json_number(e->se), "lo", zs_json_number(e->lo), "hi",
                     zs_json_number(e->hi));
}

static json_t *fit_json(const zs_runs *runs, const powerlaw_fit *fit) {
    const zs_powerlaw *l = &fit->law;
    const char *name = runs->dataset_names[fit->dataset];
    return json_pack("{s:o, s:s, s:I, s:o, s:o, s:o, s:o}", "dataset",
                     name ? json_string(name) : json_null(), "form", zs_powerlaw_form_name(l->form),
                     "n", (json_int_t)l->n, "E",
                     l->form == ZS_POWERLAW_OFFSET ? estimate_json(&l->E) : json_null(), "A",
                     estimate_json(&l->A), "alpha", estimate_json(&l->alpha), "residual_rms",
                     zs_json_number(l->residual_rms));
}

static json_t *or_null(const char *text) {
    return text ? json_string(text) : json_null();
}

static json_t *options_json(void) {
    const zs_runs_columns *c = &args.given;
    json_t *columns =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "N", or_null(c->n_params), "D",
                  or_null(c->n_tokens), "loss", or_null(c->loss), "dataset", or_null(c->dataset),
                  "H", or_null(c->h), "flops", or_null(c->flops), "seed", or_null(c->seed),
                  "weight", or_null(c->weight), "steps", or_null(c->steps));
    return json_pack("{s:s, s:s, s:f, s:b, s:o}", "x", args.x, "form", args.form, "level",
                     args.level, "skip_invalid", args.skip_invalid, "columns", columns);
}

static json_t *result_json(const char *path, const zs_runs *runs, int x, const powerlaw_fit *fits,
                           size_t n_fits) {
    json_t *list = json_array();
    for (size_t i = 0; list && i < n_fits; i++)
        json_array_append_new(list, fit_json(runs, &fits[i]));
    json_t *input =
        json_pack("{s:s, s:s, s:I, s:I}", "path", path, "sha256", runs->sha256, "rows_read",
                  (json_int_t)runs->rows_read, "rows_skipped", (json_int_t)runs->rows_skipped);
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:o}", "command", "powerlaw", "zipscale_version",
                     zs_version(), "input", input, "options", options_json(), "x_source",
                     x_source(runs, x), "fits", list);
}

static zs_status powerlaw(const char *path, const powerlaw_plan *plan, zs_error *err) {
    zs_runs runs;
    zs_status s = zs_runs_read(&runs, path, &args.given, args.skip_invalid, err);
    if (s) return s;
    if (plan->x == X_STEPS && !runs.has_steps)
        s = zs_fail(err, ZS_ERR_USAGE,
                    "--x steps: %s has no column '%s' (name the steps column with --col-steps)",
                    path, x_source(&runs, X_STEPS));
    size_t n_fits = runs.n_datasets * (size_t)plan->n_forms;
    powerlaw_fit *fits = s ? NULL : zs_calloc(n_fits, sizeof *fits, "powerlaw fits", err);
    if (!s && !fits) s = ZS_ERR_NOMEM;
    if (!s) s = fit_all(&runs, plan, fits, err);
    if (!s && args.output)
        s = zs_cli_emit_json(result_json(path, &runs, plan->x, fits, n_fits), args.output, err);
    if (!s && args.json)
        s = zs_cli_emit_json(result_json(path, &runs, plan->x, fits, n_fits), NULL, err);
    else if (!s)
        print_table(stdout, path, &runs, plan->x, fits, n_fits);
    free(fits);
    zs_runs_free(&runs);
    return s;
}

static const zs_cli_field powerlaw_fields[] = {ZS_CLI_RUNS_COLUMN_FIELDS, {NULL, NULL}};

static int powerlaw_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&powerlaw_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    args.given = args.cols;
    zs_cli_runs_columns_given(&args.given);
    zs_error err = {0};
    powerlaw_plan plan = {0};
    zs_status s = parse_options(&plan, &err);
    if (!s) s = powerlaw(pos[0], &plan, &err);
    return s ? zs_cli_fail_cmd(&powerlaw_spec, powerlaw_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_powerlaw = {&powerlaw_spec, powerlaw_run};
