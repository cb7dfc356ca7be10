/* `zipscale predict`: the compute-optimal model for a dataset from the data-dependent law
 * (regression.json from `zipscale regress`): its H, given or measured with gzip, sets the
 * gzip-adjusted law; its frontier gives N_opt, D_opt, loss and tokens per parameter, with
 * percentile intervals over the regression's bootstrap replicates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/frontier_out.h"
#include "zipscale/frontier.h"
#include "zipscale/measure.h"
#include "zipscale/tokens.h"

typedef struct {
    const char *law, *data, *dtype, *compute, *compute_range, *output;
    double gzip_h, epsilon, level;
    uint64_t seed;
    int json, threads;
} predict_args;

static predict_args args;

/* The library's defaults (zs_predict_opts_init), which the help shows. */
static void predict_defaults(void) {
    zs_predict_opts o;
    zs_predict_opts_init(&o);
    args = (predict_args){.gzip_h = NAN, .epsilon = o.epsilon, .level = o.level};
}

static const zs_opt predict_opts[] = {
    {"law", 0, ZS_OPT_STRING, &args.law, "regression.json", "the result of zipscale regress",
     .required = 1},
    {"gzip", 0, ZS_OPT_DOUBLE, &args.gzip_h, "H", "the dataset's gzip compressibility H"},
    {"data", 0, ZS_OPT_STRING, &args.data, "FILE",
     "a token file: H is measured as zipscale gzip does, with its defaults"},
    {"dtype", 0, ZS_OPT_STRING, &args.dtype, "D", "token dtype of a raw --data file"},
    ZS_OPT_SEED(&args.seed),
    {"compute", 0, ZS_OPT_STRING, &args.compute, "C[,C...]", "compute budgets in FLOPs"},
    {"compute-range", 0, ZS_OPT_STRING, &args.compute_range, "LO:HI:N",
     "N budgets log-spaced from LO to HI FLOPs"},
    {"epsilon", 0, ZS_OPT_DOUBLE, &args.epsilon, "E",
     "weight of the regression: (1-E) Chinchilla + E x(H)"},
    {"level", 0, ZS_OPT_DOUBLE, &args.level, "L",
     "interval level (default: the regression's bootstrap level, as set at fit time)"},
    ZS_OPT_THREADS(&args.threads),
    ZS_OPT_JSON(&args.json),
    ZS_OPT_OUTPUT(&args.output, "also write the JSON result to FILE"),
    ZS_OPT_END,
};

static const zs_cli_spec predict_spec = {
    "predict",
    "--law regression.json (--gzip H | --data FILE) (--compute C[,C...] | --compute-range "
    "LO:HI:N) [--epsilon E] [options]",
    "compute-optimal N, D and loss for a dataset from its gzip H",
    "Evaluates the data-dependent law of regression.json at the dataset's H: every\n"
    "parameter x becomes (1-E) x_Chinchilla + E (m_x H + n_x) [GZ], and the law's\n"
    "compute-optimal frontier (C = 6 N D) gives N_opt, D_opt, the loss there and tokens\n"
    "per parameter. When the regression carries bootstrap replicates, each replicate's law\n"
    "gives a frontier too, and their percentiles are the intervals. See docs/fitting.md.",
    predict_opts,
    0,
    0,
    .defaults = predict_defaults,
};

/* H of a token file with zipscale gzip's defaults; *sequences is how many were sampled. */
static zs_status measure_h(double *h, uint64_t *sequences, zs_error *err) {
    zs_measure_opts opts;
    zs_measure_opts_init(&opts);
    opts.seed = args.seed;
    opts.zstd_level = 0;
    opts.threads = args.threads;
    zs_measure_result r;
    zs_status s = zs_measure_token_file(args.data, args.dtype, &opts, &r, NULL, NULL, err);
    if (s) return s;
    *h = r.gzip.median;
    *sequences = r.gzip.n;
    zs_measure_result_free(&r);
    return ZS_OK;
}

typedef struct {
    zs_regressfile rf;
    char law_sha256[65], data_sha256[65];
    uint64_t sequences;
    double h, level;
    double *budgets;
    size_t n_budgets;
    zs_prediction *predictions;
} predict_state;

/* The predict results file of this run: a view of the state (nothing to free). */
static zs_predictfile result_file(const predict_state *st) {
    zs_predictfile pf = {.law_path = (char *)args.law,
                         .H = st->h,
                         .data_path = (char *)args.data,
                         .sequences = st->sequences,
                         .seed = args.seed,
                         .epsilon = args.epsilon,
                         .level = st->level,
                         .adjusted_law = st->predictions[0].law,
                         .n_predictions = st->n_budgets,
                         .predictions = st->predictions,
                         .bootstrap_replicates = st->rf.n_replicates};
    memcpy(pf.law_sha256, st->law_sha256, sizeof pf.law_sha256);
    memcpy(pf.data_sha256, st->data_sha256, sizeof pf.data_sha256);
    return pf;
}

static zs_status emit_table(const predict_state *st, zs_error *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return zs_fail(err, ZS_ERR_NOMEM, "out of memory formatting the table");
    fprintf(out, "# %s, H = %.4f", args.law, st->h);
    if (args.data)
        fprintf(out, " (median gzip ratio of %llu sequences of %s)",
                (unsigned long long)st->sequences, args.data);
    fprintf(out, ", epsilon = %g\n", args.epsilon);
    zs_cli_print_law(out, "adjusted law", &st->predictions[0].law);
    zs_frontier_point *points = malloc(st->n_budgets * sizeof *points);
    zs_frontier_interval *intervals = malloc(st->n_budgets * sizeof *intervals);
    zs_status s = points && intervals ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < st->n_budgets; i++) {
        points[i] = st->predictions[i].point;
        intervals[i] = st->predictions[i].interval;
    }
    if (!s)
        zs_cli_print_frontier(out, points, st->predictions[0].has_interval ? intervals : NULL,
                              st->n_budgets, st->level);
    fclose(out);
    if (!s) s = zs_cli_emit_text(text, len, NULL, err);
    free(points);
    free(intervals);
    free(text);
    return s;
}

/* The predict results file on stdout (the library writes files only). */
static zs_status emit_json(const zs_predictfile *pf, zs_error *err) {
    char *text;
    size_t len;
    zs_status s = zs_predictfile_format(pf, &text, &len, err);
    if (!s) s = zs_cli_emit_text(text, len, NULL, err);
    free(text);
    return s;
}

static zs_status predict(predict_state *st, zs_error *err) {
    zs_status s =
        zs_cli_budgets(args.compute, args.compute_range, &st->budgets, &st->n_budgets, err);
    if (!s) s = zs_regressfile_read(&st->rf, args.law, err);
    if (!s) s = zs_sha256_file(args.law, st->law_sha256, err);
    st->h = args.gzip_h;
    if (!s && args.data) s = measure_h(&st->h, &st->sequences, err);
    if (!s && args.data) s = zs_sha256_file(args.data, st->data_sha256, err);
    zs_predict_opts po = {.epsilon = args.epsilon, .level = args.level};
    st->level = zs_predict_level(&po, &st->rf);
    if (!s) {
        st->predictions = calloc(st->n_budgets, sizeof *st->predictions);
        if (!st->predictions) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    }
    zs_regress_lines lines;
    zs_regress_lines_of(&st->rf.regression, &lines);
    for (size_t i = 0; !s && i < st->n_budgets; i++)
        s = zs_predict_at(&st->rf.reference, &lines, st->rf.replicates, st->rf.n_replicates, st->h,
                          args.epsilon, st->budgets[i], st->level, &st->predictions[i], err);
    if (s) return s;
    zs_predictfile pf = result_file(st);
    if (args.output) s = zs_predictfile_write(&pf, args.output, err);
    if (!s) s = args.json ? emit_json(&pf, err) : emit_table(st, err);
    return s;
}

/* zs_tokens_open_opts.raw_dtype comes from --dtype. */
static const zs_cli_field dtype_fields[] = {{"raw_dtype", "dtype"}, {NULL, NULL}};

static int predict_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&predict_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (isnan(args.gzip_h) == !args.data)
        return zs_cli_usage_error(&predict_spec, "give H with one of --gzip H and --data FILE");
    if (!(args.epsilon >= 0 && args.epsilon <= 1))
        return zs_cli_usage_error(&predict_spec, "--epsilon: %g, expected a weight in [0, 1]",
                                  args.epsilon);
    if (args.level != 0 && !(args.level > 0 && args.level < 1))
        return zs_cli_usage_error(&predict_spec, "--level: %g, expected a number in (0, 1)",
                                  args.level);
    predict_state st = {0};
    zs_error err = {0};
    zs_status s = predict(&st, &err);
    free(st.budgets);
    free(st.predictions);
    zs_regressfile_free(&st.rf);
    return s ? zs_cli_fail_cmd(&predict_spec, dtype_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_predict = {&predict_spec, predict_run};
