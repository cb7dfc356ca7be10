/* `zipscale regress`: the data-dependent law [GZ]. Reads law.json with one fit per dataset
 * and its H, regresses each of E, A, B, alpha, beta linearly on H (slope, intercept,
 * standard errors, t, p, R^2) and each bootstrap replicate the same way; prints a table
 * and writes regression.json for `zipscale predict`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/fit.h"
#include "zipscale/frontier.h"

typedef struct {
    const char *output;
    int json;
} regress_args;

static regress_args args;

static const zs_opt regress_opts[] = {
    ZS_OPT_JSON(&args.json),
    ZS_OPT_OUTPUT(&args.output, "write regression.json (the input of zipscale predict) to FILE"),
    ZS_OPT_END,
};

static const zs_cli_spec regress_spec = {
    "regress",
    "LAW.json [--json] [-o regression.json]",
    "regress each law parameter on gzip H across datasets",
    "LAW.json must hold one fit per dataset, each with its H (the runs table's H column),\n"
    "at least 3 of them with two distinct H. Each parameter x of E, A, B, alpha, beta is\n"
    "fitted as x(H) = m H + n by OLS, with standard errors, t statistics, two-sided\n"
    "p-values and R^2. When every fit carries bootstrap samples, replicate r of every\n"
    "dataset is regressed too, giving predict its intervals. See docs/fitting.md.",
    regress_opts,
    1,
    1,
};

static void print_table(FILE *out, const char *path, const zs_regressfile *rf) {
    fprintf(out, "# %s: %zu datasets; each parameter regressed on H: x(H) = m H + n\n", path,
            rf->n_datasets);
    fprintf(out, "%-6s %11s %10s %8s %9s %11s %10s %8s %9s %7s\n", "param", "m", "se(m)", "t(m)",
            "p(m)", "n", "se(n)", "t(n)", "p(n)", "R^2");
    for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
        const zs_ols *f = &rf->regression.param[p];
        fprintf(out, "%-6s %11.4g %10.3g %8.3g %9.3g %11.4g %10.3g %8.3g %9.3g %7.4f\n",
                zs_law_param_name(p), f->slope, f->slope_se, f->slope_t, f->slope_p, f->intercept,
                f->intercept_se, f->intercept_t, f->intercept_p, f->r2);
    }
    if (rf->n_replicates)
        fprintf(out, "# bootstrap: %zu replicates regressed (replicate r of every dataset)\n",
                rf->n_replicates);
    else
        fprintf(out, "# bootstrap: none (fit with --bootstrap B for prediction intervals)\n");
    fprintf(out, "%-16s %8s %10s %10s %10s %8s %8s\n", "dataset", "H", "E", "A", "B", "alpha",
            "beta");
    for (size_t d = 0; d < rf->n_datasets; d++) {
        const zs_chinchilla *l = &rf->laws[d];
        fprintf(out, "%-16s %8.4f %10.4g %10.4g %10.4g %8.4f %8.4f\n",
                rf->dataset_names[d] ? rf->dataset_names[d] : "-", rf->H[d], l->E, l->A, l->B,
                l->alpha, l->beta);
    }
}

static zs_status regress(const char *path, zs_error *err) {
    zs_lawfile lf;
    zs_status s = zs_lawfile_read(&lf, path, err);
    if (s) return s;
    char sha256[65];
    zs_regressfile rf = {0};
    s = zs_sha256_file(path, sha256, err);
    if (!s) s = zs_regressfile_from_lawfile(&rf, &lf, path, sha256, err);
    if (!s && args.output) s = zs_regressfile_write(&rf, args.output, err);
    if (!s && args.json) {
        char *text = NULL;
        s = zs_regressfile_format(&rf, &text, err);
        if (!s && fputs(text, stdout) < 0) s = zs_fail(err, ZS_ERR_IO, "stdout: write failed");
        free(text);
    } else if (!s) {
        print_table(stdout, path, &rf);
    }
    zs_regressfile_free(&rf);
    zs_lawfile_free(&lf);
    return s;
}

static int regress_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&regress_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err = {0};
    return regress(pos[0], &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_regress = {&regress_spec, regress_run};
