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

static frontier_args args;

/* The library's defaults (zs_isoflop_opts_init), which the help shows. */
static void frontier_defaults(void) {
    zs_isoflop_opts o;
    zs_isoflop_opts_init(&o);
    args = (frontier_args){.iso_points = (int)o.points, .iso_span_decades = o.span_decades};
}

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
    .defaults = frontier_defaults,
};

static json_t *iso_json(const zs_frontier_table *t) {
    if (!t->isoflop) return json_null();
    json_t *curves = json_array();
    for (size_t i = 0; i < t->n_budgets; i++) {
        const zs_isoflop_point *curve = &t->isoflop[i * t->isoflop_points];
        json_t *pts = json_array();
        for (size_t k = 0; k < t->isoflop_points; k++)
            json_array_append_new(pts, json_pack("{s:f, s:f, s:f}", "N", curve[k].n_params, "D",
                                                 curve[k].n_tokens, "loss", curve[k].loss_nats));
        json_array_append_new(curves, json_pack("{s:f, s:o}", "compute_flops",
                                                t->points[i].compute_flops, "points", pts));
    }
    return curves;
}

static json_t *fit_json(const zs_lawfit *f, const zs_frontier_table *t) {
    json_t *rows = json_array();
    for (size_t i = 0; i < t->n_budgets; i++)
        json_array_append_new(
            rows, zs_frontier_point_json(&t->points[i], t->intervals ? &t->intervals[i] : NULL));
    return json_pack("{s:o, s:o, s:o, s:{s:f, s:f, s:f}, s:o, s:o, s:o}", "dataset",
                     f->dataset ? json_string(f->dataset) : json_null(), "H", zs_json_number(f->h),
                     "law", zs_frontier_law_json(&f->law), "exponents", "a", t->exponents.a, "b",
                     t->exponents.b, "G", t->exponents.G, "level",
                     f->has_bootstrap ? json_real(f->bootstrap.level) : json_null(), "frontier",
                     rows, "iso_flop", iso_json(t));
}

static json_t *result_json(const char *path, const char *sha256, const zs_lawfile *lf,
                           const zs_frontier_table *tables, const double *budgets, size_t n) {
    json_t *compute = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(compute, json_real(budgets[i]));
    json_t *fits = json_array();
    for (size_t d = 0; d < lf->n_fits; d++)
        json_array_append_new(fits, fit_json(&lf->fits[d], &tables[d]));
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:o, s:b, s:i, s:f}, s:o}", "zipscale_version",
                     zs_version(), "command", "frontier", "input", "path", path, "sha256", sha256,
                     "options", "compute", compute, "iso_flop", args.iso_flop, "iso_points",
                     args.iso_points, "iso_span_decades", args.iso_span_decades, "fits", fits);
}

static void print_fit(FILE *out, const zs_lawfit *f, size_t index, size_t n_fits,
                      const zs_frontier_table *t) {
    fprintf(out, "# fit %zu/%zu: dataset %s", index + 1, n_fits, f->dataset ? f->dataset : "-");
    if (isfinite(f->h)) fprintf(out, ", H %.4f", f->h);
    fputc('\n', out);
    zs_cli_print_law(out, "law", &f->law);
    fprintf(out, "# N_opt = G (C/6)^a, D_opt = (C/6)^b / G: a = %.4f, b = %.4f, G = %.4g\n",
            t->exponents.a, t->exponents.b, t->exponents.G);
    zs_cli_print_frontier(out, t->points, t->intervals, t->n_budgets,
                          f->has_bootstrap ? f->bootstrap.level : 0);
    if (!t->isoflop) return;
    fprintf(out, "# iso-FLOP curves: loss against N at fixed C, D = C / 6N\n");
    fprintf(out, "%12s %12s %12s %10s\n", "compute", "N", "D", "loss");
    for (size_t i = 0; i < t->n_budgets; i++)
        for (size_t k = 0; k < t->isoflop_points; k++) {
            const zs_isoflop_point *q = &t->isoflop[i * t->isoflop_points + k];
            fprintf(out, "%12.4g %12.4g %12.4g %10.5f\n", t->points[i].compute_flops, q->n_params,
                    q->n_tokens, q->loss_nats);
        }
}

static zs_status emit_table(const zs_lawfile *lf, const zs_frontier_table *tables, zs_error *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return zs_fail(err, ZS_ERR_NOMEM, "out of memory formatting the table");
    for (size_t d = 0; d < lf->n_fits; d++) {
        if (d) fputc('\n', out);
        print_fit(out, &lf->fits[d], d, lf->n_fits, &tables[d]);
    }
    fclose(out);
    zs_status s = zs_cli_emit_text(text, len, NULL, err);
    free(text);
    return s;
}

/* Fit d's frontier table; a failure names the fit. */
static zs_status table_of(const zs_lawfile *lf, size_t d, const double *budgets, size_t n,
                          zs_frontier_table *out, zs_error *err) {
    zs_isoflop_opts iso = {.points = (size_t)args.iso_points,
                           .span_decades = args.iso_span_decades};
    const zs_lawfit *f = &lf->fits[d];
    zs_status s = zs_frontier_table_init(out, f, budgets, n, args.iso_flop ? &iso : NULL, err);
    if (s) {
        zs_error inner = *err;
        zs_fail(err, s, "fits[%zu] (dataset %s): %s", d, f->dataset ? f->dataset : "(unnamed)",
                inner.msg);
    }
    return s;
}

static zs_status frontier(const char *path, zs_error *err) {
    double *budgets;
    size_t n;
    zs_status s = zs_cli_budgets(args.compute, args.compute_range, &budgets, &n, err);
    if (s) return s;
    zs_lawfile lf = {0};
    zs_frontier_table *tables = NULL;
    char sha256[65];
    s = zs_lawfile_read(&lf, path, err);
    if (!s) s = zs_sha256_file(path, sha256, err);
    if (!s && !(tables = calloc(lf.n_fits ? lf.n_fits : 1, sizeof *tables)))
        s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    for (size_t d = 0; !s && d < lf.n_fits; d++) s = table_of(&lf, d, budgets, n, &tables[d], err);
    if (!s && args.output)
        s = zs_cli_emit_json(result_json(path, sha256, &lf, tables, budgets, n), args.output, err);
    if (!s)
        s = args.json
                ? zs_cli_emit_json(result_json(path, sha256, &lf, tables, budgets, n), NULL, err)
                : emit_table(&lf, tables, err);
    for (size_t d = 0; tables && d < lf.n_fits; d++) zs_frontier_table_free(&tables[d]);
    free(tables);
    free(budgets);
    zs_lawfile_free(&lf);
    return s;
}

static int frontier_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&frontier_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (args.iso_points < 1 || args.iso_points > ZS_ISOFLOP_POINTS_MAX)
        return zs_cli_usage_error(&frontier_spec, "--iso-points: %d, expected 1..%d",
                                  args.iso_points, ZS_ISOFLOP_POINTS_MAX);
    if (!(args.iso_span_decades > 0 && args.iso_span_decades <= ZS_ISOFLOP_SPAN_MAX))
        return zs_cli_usage_error(&frontier_spec, "--iso-span: %g, expected a number in (0, %g]",
                                  args.iso_span_decades, ZS_ISOFLOP_SPAN_MAX);
    zs_error err = {0};
    return frontier(pos[0], &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_frontier = {&frontier_spec, frontier_run};
