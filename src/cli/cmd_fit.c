/* `zipscale fit`: Chinchilla laws from a runs table (CSV), one per dataset, with bootstrap
 * intervals and a holdout of the largest runs; a table on stdout, law.json with --json or
 * -o. A thin client of the fit module (include/zipscale/fit.h); docs/fitting.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/runs_opts.h"
#include "zipscale/fit.h"

typedef struct {
    const char *loss, *grid, *output;
    double delta, level;
    uint64_t bootstrap, seed, holdout_largest;
    int skip_invalid, threads, json, bound_e, fix_e;
    zs_runs_columns cols;
} fit_args;

static fit_args args;

/* The library's defaults (zs_fit_table_opts_init), which the help shows. */
static void fit_defaults(void) {
    static char grid[512];
    zs_fit_table_opts o;
    zs_fit_table_opts_init(&o);
    zs_fit_grid_format(&o.fit.grid, grid, sizeof grid);
    memset(&args, 0, sizeof args);
    args.loss = o.fit.loss == ZS_FIT_HUBER ? "huber" : "lsq";
    args.grid = grid;
    args.delta = o.fit.delta;
    args.threads = o.fit.threads;
    args.bootstrap = o.bootstrap_replicates;
    args.seed = o.seed;
    args.level = o.level;
    args.holdout_largest = o.holdout_largest;
    args.bound_e = o.bound_e;
    args.fix_e = o.fix_e;
    zs_runs_columns_init(&args.cols);
}

static const zs_opt fit_opts[] = {
    {"loss", 0, ZS_OPT_STRING, &args.loss, "huber|lsq",
     "huber: sum of Huber(delta) of log residuals [EP]; lsq: sum of squares"},
    {"delta", 0, ZS_OPT_DOUBLE, &args.delta, "D", "Huber delta"},
    {"grid", 0, ZS_OPT_STRING, &args.grid, "SPEC",
     "starts, NAME=LO:HI:STEP for any of alpha, beta, e, a, b, comma-separated; the axes "
     "left out keep theirs"},
    {"bootstrap", 0, ZS_OPT_U64, &args.bootstrap, "B",
     "resample the runs B times and refit: standard errors and intervals"},
    ZS_OPT_SEED(&args.seed),
    {"level", 0, ZS_OPT_DOUBLE, &args.level, "P", "bootstrap interval level"},
    {"holdout-largest", 0, ZS_OPT_U64, &args.holdout_largest, "K",
     "fit without each dataset's K largest runs by compute and report their prediction error"},
    {"skip-invalid", 0, ZS_OPT_FLAG, &args.skip_invalid, NULL,
     "skip bad rows (and count them) instead of failing"},
    {"bound-e", 0, ZS_OPT_FLAG, &args.bound_e, NULL,
     "fit each dataset with E <= its e_max column (an upper bound on the irreducible loss, "
     "e.g. a PCFG's derivation entropy per token); datasets without one stay unbounded"},
    {"fix-e", 0, ZS_OPT_FLAG, &args.fix_e, NULL,
     "fix each such dataset's E at its e_max instead of bounding it (when the irreducible "
     "loss is known, e.g. an unambiguous grammar's entropy rate)"},
    ZS_OPT_RUNS_COLUMNS(args.cols),
    {"col-weight", 0, ZS_OPT_STRING, &args.cols.weight, "NAME", "column of point weights"},
    ZS_OPT_THREADS(&args.threads),
    ZS_OPT_JSON(&args.json),
    ZS_OPT_OUTPUT(&args.output, "write law.json to FILE (the table still goes to stdout)"),
    ZS_OPT_END,
};

static const zs_cli_spec fit_spec = {
    "fit",
    "RUNS.csv [--loss huber|lsq] [--delta D] [--grid SPEC] [--bootstrap B] [--seed S] "
    "[--level P] [--holdout-largest K] [--bound-e [--fix-e]] [--skip-invalid] [--json] "
    "[-o law.json]",
    "fit Chinchilla laws L = E + A/N^alpha + B/D^beta to a table of runs",
    "Reads a CSV with a header: N (parameters), D (tokens), loss (nats) required; dataset,\n"
    "H, flops, seed, weight, e_max optional. Fits each dataset in log space as [EP]:\n"
    "Huber(delta) of log residuals summed, L-BFGS from every start of the grid, the best\n"
    "kept. With --bound-e, a dataset's fit keeps E <= its e_max (--fix-e: E = e_max, the\n"
    "other four fitted). With --bootstrap, each\n"
    "replicate resamples the runs and refits from the optimum plus a coarse grid. law.json\n"
    "is what frontier and predict read (docs/fitting.md).",
    fit_opts,
    1,
    1,
    .defaults = fit_defaults,
};

static void print_bootstrap(FILE *out, const zs_lawfit *f) {
    const zs_bootstrap *b = &f->bootstrap;
    const double estimate[ZS_BOOT_NSTATS] = {
        f->law.E,
        f->law.A,
        f->law.B,
        f->law.alpha,
        f->law.beta,
        f->law.beta / (f->law.alpha + f->law.beta),
        f->law.alpha / (f->law.alpha + f->law.beta),
    };
    fprintf(out, "\n# %s: bootstrap, %zu replicates, seed %llu, %g%% percentile intervals\n",
            f->dataset ? f->dataset : "all rows", b->replicates, (unsigned long long)b->seed,
            100 * b->level);
    fprintf(out, "%-8s %12s %12s %12s %12s\n", "param", "estimate", "se", "lo", "hi");
    for (int k = 0; k < ZS_BOOT_NSTATS; k++)
        fprintf(out, "%-8s %12.6g %12.6g %12.6g %12.6g\n", zs_boot_stat_names[k], estimate[k],
                b->stats[k].se, b->stats[k].lo, b->stats[k].hi);
}

static void print_holdout(FILE *out, const zs_lawfit *f) {
    const zs_holdout *h = &f->holdout;
    fprintf(out, "\n# %s: holdout of the %zu largest runs: rmse %.5g nats, max |error| %.5g\n",
            f->dataset ? f->dataset : "all rows", h->k, h->rmse, h->max_abs_error);
    fprintf(out, "%14s %14s %10s %10s\n", "N", "D", "loss", "predicted");
    for (size_t i = 0; i < h->k; i++)
        fprintf(out, "%14.6g %14.6g %10.5f %10.5f\n", h->points[i].n_params, h->points[i].n_tokens,
                h->points[i].loss_nats, h->points[i].predicted_nats);
}

static void print_table(FILE *out, const zs_lawfile *law, size_t n_starts) {
    fprintf(out, "# %s: %zu rows read, %zu skipped; loss %s", law->input_path, law->rows_read,
            law->rows_skipped, law->loss == ZS_FIT_HUBER ? "huber" : "lsq");
    if (law->loss == ZS_FIT_HUBER) fprintf(out, " (delta %g)", law->delta);
    fprintf(out, "; %zu starts\n", n_starts);
    fprintf(out, "%-16s %7s %6s %9s %11s %11s %8s %8s %11s %9s %s\n", "dataset", "H", "n", "E", "A",
            "B", "alpha", "beta", "objective", "rms(logL)", "converged");
    for (size_t i = 0; i < law->n_fits; i++) {
        const zs_lawfit *f = &law->fits[i];
        char h[16] = "-";
        if (!isnan(f->h)) snprintf(h, sizeof h, "%.4g", f->h);
        fprintf(out, "%-16s %7s ", f->dataset ? f->dataset : "-", h);
        fprintf(out, "%6zu %9.5g %11.5g %11.5g %8.5f %8.5f %11.5g %9.5g %s\n", f->n_points,
                f->law.E, f->law.A, f->law.B, f->law.alpha, f->law.beta, f->objective,
                f->residual_rms, f->converged ? "yes" : "no");
    }
    for (size_t i = 0; i < law->n_fits; i++) {
        const zs_lawfit *f = &law->fits[i];
        if (!(f->e_max > 0)) continue;
        if (f->e_fixed)
            fprintf(out, "# %s: E fixed at e_max = %.6g (not fitted)\n",
                    f->dataset ? f->dataset : "all rows", f->e_max);
        else if (f->e_bound_active)
            fprintf(out,
                    "# %s: bound active: E = e_max = %.6g (the unbounded optimum's E is above "
                    "it)\n",
                    f->dataset ? f->dataset : "all rows", f->e_max);
        else
            fprintf(out, "# %s: bound not active: E = %.6g <= e_max = %.6g\n",
                    f->dataset ? f->dataset : "all rows", f->law.E, f->e_max);
    }
    for (size_t i = 0; i < law->n_fits; i++) {
        if (law->fits[i].has_bootstrap) print_bootstrap(out, &law->fits[i]);
        if (law->fits[i].has_holdout) print_holdout(out, &law->fits[i]);
    }
}

/* zs_fit_table_opts and zs_runs_columns fields spelled otherwise than their flags. */
static const zs_cli_field fit_fields[] = {
    {"fit.delta", "delta"},
    ZS_CLI_RUNS_COLUMN_FIELDS,
    {NULL, NULL},
};

static zs_status parse_options(zs_fit_table_opts *opts, zs_error *err) {
    zs_fit_table_opts_init(opts);
    if (!strcmp(args.loss, "huber"))
        opts->fit.loss = ZS_FIT_HUBER;
    else if (!strcmp(args.loss, "lsq"))
        opts->fit.loss = ZS_FIT_LSQ;
    else
        return zs_fail(err, ZS_ERR_USAGE, "--loss %s: expected huber or lsq", args.loss);
    if (args.grid) {
        zs_status s = zs_fit_grid_parse(args.grid, &opts->fit.grid, err);
        if (s) return s;
    }
    opts->fit.delta = args.delta;
    opts->fit.threads = args.threads;
    opts->bootstrap_replicates = args.bootstrap;
    opts->seed = args.seed;
    opts->level = args.level;
    opts->holdout_largest = args.holdout_largest;
    opts->bound_e = args.bound_e || args.fix_e;
    opts->fix_e = args.fix_e;
    return ZS_OK;
}

static int fit_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&fit_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_cli_runs_columns_given(&args.cols);
    zs_error err = {0};
    zs_fit_table_opts opts;
    zs_status s = parse_options(&opts, &err);
    if (s) return zs_cli_fail_cmd(&fit_spec, fit_fields, &err);
    zs_runs runs;
    s = zs_runs_read(&runs, pos[0], &args.cols, args.skip_invalid, &err);
    if (s) return zs_cli_fail_cmd(&fit_spec, fit_fields, &err);
    zs_lawfile law;
    s = zs_fit_table(&runs, pos[0], &opts, &law, &err);
    zs_runs_free(&runs);
    if (s) return zs_cli_fail_cmd(&fit_spec, fit_fields, &err);
    if (args.output) s = zs_lawfile_write(&law, args.output, &err);
    if (!s && args.json) {
        char *text = NULL;
        s = zs_lawfile_format(&law, &text, &err);
        if (!s && fputs(text, stdout) == EOF) s = zs_fail(&err, ZS_ERR_IO, "stdout: write failed");
        free(text);
    } else if (!s) {
        print_table(stdout, &law, zs_fit_grid_size(&opts.fit.grid));
    }
    zs_lawfile_free(&law);
    return s ? zs_cli_fail_cmd(&fit_spec, fit_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_fit = {&fit_spec, fit_run};
