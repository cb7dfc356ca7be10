/* `zipscale frontier`: the compute-optimal frontier of every fit in law.json. For each
 * budget C: N_opt, D_opt, tokens per parameter and the loss there, with percentile
 * intervals over the fit's bootstrap laws; optionally iso-FLOP curves, loss against N at
 * fixed C. A thin client of include/zipscale/frontier.h. */
#include <math.h>
#include <stdlib.h>

#include "core/json.h"
#include "fit/frontier_json.h"
#include "cli/commands.h"
#include "cli/frontier_out.h"
#include "zipscale/fit.h"
#include "zipscale/frontier.h"

typedef struct {
    const char *compute, *compute_range, *output;
    int iso_flop, iso_points, json;
    double iso_span_decades;
} frontier_args;

static frontier_args args = {.iso_points = 9, .iso_span_decades = 1};

static const zs_opt frontier_opts[] = {
    {"compute", 0, ZS_OPT_STRING, &args.compute, "C[,C...]", "compute budgets in FLOPs"},
    {"compute-range", 0, ZS_OPT_STRING, &args.compute_range, "LO:HI:N",
     "N budgets log-spaced from LO to HI FLOPs"},
    {"iso-flop", 0, ZS_OPT_FLAG, &args.iso_flop, NULL,
     "also print iso-FLOP curves: loss against N at each budget, D = C / 6N"},
    {"iso-points", 0, ZS_OPT_INT, &args.iso_points, "K", "points per iso-FLOP curve"},
    {"iso-span", 0, ZS_OPT_DOUBLE, &args.iso_span_decades, "DECADES",
     "iso-FLOP curves run from N_opt / 10^DECADES to N_opt * 10^DECADES"},
    ZS_OPT_JSON(&args.json),
    ZS_OPT_OUTPUT(&args.output, "also write the JSON result to FILE"),
    ZS_OPT_END,
};

static const zs_cli_spec frontier_spec = {
    "frontier",
    "LAW.json (--compute C[,C...] | --compute-range LO:HI:N) [--iso-flop] [options]",
    "compute-optimal N, D and loss for budgets, from law.json",
    "For each fit in LAW.json (from zipscale fit) and each budget C (FLOPs, C = 6 N D):\n"
    "N_opt = G (C/6)^a, D_opt = (C/6)^b / G with a = beta/(alpha+beta), b = alpha/(alpha+beta),\n"
    "G = (alpha A / (beta B))^(1/(alpha+beta)) [CH], tokens per parameter and the loss at the\n"
    "optimum. When the fit has bootstrap samples, each sample's frontier gives percentile\n"
    "intervals at the bootstrap's level. See docs/fitting.md.",
    frontier_opts,
    1,
    1,
};

/* One fit's frontier at every budget, and its intervals when it has bootstrap samples. */
typedef struct {
    zs_frontier_exponents exponents;
    zs_frontier_point *points;
    zs_frontier_interval *intervals; /* NULL without bootstrap */
} fit_frontier;

static zs_status compute_fit(const zs_lawfit *f, size_t index, const double *budgets, size_t n,
                             fit_frontier *out, zs_error *err) {
    zs_status s = zs_frontier_exponents_of(&f->law, &out->exponents, err);
    out->points = calloc(n, sizeof *out->points);
    if (!s && f->has_bootstrap) out->intervals = calloc(n, sizeof *out->intervals);
    if (!s && (!out->points || (f->has_bootstrap && !out->intervals)))
        s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < n; i++) {
        s = zs_frontier_point_at(&f->law, budgets[i], &out->points[i], err);
        if (!s && out->intervals)
            s = zs_frontier_interval_at(f->bootstrap.samples, f->bootstrap.replicates, budgets[i],
                                        f->bootstrap.level, &out->intervals[i], err);
    }
    if (s) {
        zs_error inner = *err;
        zs_fail(err, s, "fits[%zu] (dataset %s): %s", index, f->dataset ? f->dataset : "(unnamed)",
                inner.msg);
    }
    return s;
}

/* The iso-FLOP curve's i-th N around N_opt. */
static double iso_n(const zs_frontier_point *p, int i) {
    double t = args.iso_points > 1 ? (double)i / (args.iso_points - 1) : 0.5;
    return p->n_params * pow(10, args.iso_span_decades * (2 * t - 1));
}

static json_t *iso_json(const zs_lawfit *f, const fit_frontier *ff, size_t n) {
    if (!args.iso_flop) return json_null();
    json_t *curves = json_array();
    for (size_t i = 0; i < n; i++) {
        const zs_frontier_point *p = &ff->points[i];
        json_t *pts = json_array();
        for (int k = 0; k < args.iso_points; k++) {
            double N = iso_n(p, k);
            json_array_append_new(
                pts, json_pack("{s:f, s:f, s:f}", "N", N, "D", p->compute_flops / (6 * N), "loss",
                               zs_frontier_isoflop_loss(&f->law, p->compute_flops, N)));
        }
        json_array_append_new(
            curves, json_pack("{s:f, s:o}", "compute_flops", p->compute_flops, "points", pts));
    }
    return curves;
}

static json_t *fit_json(const zs_lawfit *f, const fit_frontier *ff, size_t n) {
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            rows, zs_frontier_point_json(&ff->points[i], ff->intervals ? &ff->intervals[i] : NULL));
    return json_pack("{s:o, s:o, s:o, s:{s:f, s:f, s:f}, s:o, s:o, s:o}", "dataset",
                     f->dataset ? json_string(f->dataset) : json_null(), "H", zs_json_number(f->h),
                     "law", zs_frontier_law_json(&f->law), "exponents", "a", ff->exponents.a, "b",
                     ff->exponents.b, "G", ff->exponents.G, "level",
                     f->has_bootstrap ? json_real(f->bootstrap.level) : json_null(), "frontier",
                     rows, "iso_flop", iso_json(f, ff, n));
}

static json_t *result_json(const char *path, const char *sha256, const zs_lawfile *lf,
                           const fit_frontier *ffs, const double *budgets, size_t n) {
    json_t *compute = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(compute, json_real(budgets[i]));
    json_t *fits = json_array();
    for (size_t d = 0; d < lf->n_fits; d++)
        json_array_append_new(fits, fit_json(&lf->fits[d], &ffs[d], n));
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:o, s:b, s:i, s:f}, s:o}", "zipscale_version",
                     zs_version(), "command", "frontier", "input", "path", path, "sha256", sha256,
                     "options", "compute", compute, "iso_flop", args.iso_flop, "iso_points",
                     args.iso_points, "iso_span_decades", args.iso_span_decades, "fits", fits);
}

static void print_fit(FILE *out, const zs_lawfit *f, size_t index, size_t n_fits,
                      const fit_frontier *ff, size_t n) {
    fprintf(out, "# fit %zu/%zu: dataset %s", index + 1, n_fits, f->dataset ? f->dataset : "-");
    if (isfinite(f->h)) fprintf(out, ", H %.4f", f->h);
    fputc('\n', out);
    zs_cli_print_law(out, "law", &f->law);
    fprintf(out, "# N_opt = G (C/6)^a, D_opt = (C/6)^b / G: a = %.4f, b = %.4f, G = %.4g\n",
            ff->exponents.a, ff->exponents.b, ff->exponents.G);
    zs_cli_print_frontier(out, ff->points, ff->intervals, n,
                          f->has_bootstrap ? f->bootstrap.level : 0);
    if (!args.iso_flop) return;
    fprintf(out, "# iso-FLOP curves: loss against N at fixed C, D = C / 6N\n");
    fprintf(out, "%12s %12s %12s %10s\n", "compute", "N", "D", "loss");
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < args.iso_points; k++) {
            const zs_frontier_point *p = &ff->points[i];
            double N = iso_n(p, k);
            fprintf(out, "%12.4g %12.4g %12.4g %10.5f\n", p->compute_flops, N,
                    p->compute_flops / (6 * N),
                    zs_frontier_isoflop_loss(&f->law, p->compute_flops, N));
        }
}

static zs_status emit_table(const zs_lawfile *lf, const fit_frontier *ffs, size_t n,
                            zs_error *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return zs_fail(err, ZS_ERR_NOMEM, "out of memory formatting the table");
    for (size_t d = 0; d < lf->n_fits; d++) {
        if (d) fputc('\n', out);
        print_fit(out, &lf->fits[d], d, lf->n_fits, &ffs[d], n);
    }
    fclose(out);
    zs_status s = zs_cli_emit_text(text, len, NULL, err);
    free(text);
    return s;
}

static zs_status frontier(const char *path, zs_error *err) {
    double *budgets;
    size_t n;
    zs_status s = zs_cli_budgets(args.compute, args.compute_range, &budgets, &n, err);
    if (s) return s;
    zs_lawfile lf = {0};
    fit_frontier *ffs = NULL;
    char sha256[65];
    s = zs_lawfile_read(&lf, path, err);
    if (!s) s = zs_sha256_file(path, sha256, err);
    if (!s && !(ffs = calloc(lf.n_fits ? lf.n_fits : 1, sizeof *ffs)))
        s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    for (size_t d = 0; !s && d < lf.n_fits; d++)
        s = compute_fit(&lf.fits[d], d, budgets, n, &ffs[d], err);
    if (!s && args.output)
        s = zs_cli_emit_json(result_json(path, sha256, &lf, ffs, budgets, n), args.output, err);
    if (!s)
        s = args.json ? zs_cli_emit_json(result_json(path, sha256, &lf, ffs, budgets, n), NULL, err)
                      : emit_table(&lf, ffs, n, err);
    for (size_t d = 0; ffs && d < lf.n_fits; d++) {
        free(ffs[d].points);
        free(ffs[d].intervals);
    }
    free(ffs);
    free(budgets);
    zs_lawfile_free(&lf);
    return s;
}

static int frontier_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&frontier_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (args.iso_points < 1 || args.iso_points > 10000)
        return zs_cli_usage_error(&frontier_spec, "--iso-points: %d, expected 1..10000",
                                  args.iso_points);
    if (!(args.iso_span_decades > 0 && args.iso_span_decades <= 10))
        return zs_cli_usage_error(&frontier_spec, "--iso-span: %g, expected a number in (0, 10]",
                                  args.iso_span_decades);
    zs_error err = {0};
    return frontier(pos[0], &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_frontier = {&frontier_spec, frontier_run};
