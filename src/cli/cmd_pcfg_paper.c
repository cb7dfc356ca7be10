/* `zipscale pcfg paper`: the gzip paper's grammar set, generated, sampled (>= 1M tokens
 * each), measured, and printed beside the paper's H, with the per-document ratios drawn as
 * the paper's first figure. A client of pcfg and measure only; every file it writes can be
 * fed to the other commands (`zipscale demo` runs the whole experiment on these grammars). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/json.h"
#include "cli/commands.h"
#include "zipscale/measure.h"
#include "zipscale/pcfg.h"
#include "zipscale/figures.h"

static struct {
    uint64_t tokens, seed;
    const char *dir, *set;
    int threads, json;
} paper_args;

/* The library's defaults (zs_pcfg_paper_opts_init), which the help shows. */
static void paper_defaults(void) {
    zs_pcfg_paper_opts o;
    zs_pcfg_paper_opts_init(&o);
    memset(&paper_args, 0, sizeof paper_args);
    paper_args.tokens = o.tokens;
    paper_args.dir = o.dir;
    paper_args.set = o.set;
}

static const zs_opt paper_opts[] = {
    ZS_OPT_OUTPUT(&paper_args.dir, "directory for the grammars, token files, summary.json and "
                                   "h.svg"),
    {"tokens", 0, ZS_OPT_U64, &paper_args.tokens, "N", "tokens sampled per grammar"},
    {"set", 0, ZS_OPT_STRING, &paper_args.set, "NAME",
     "grammar set: main, same-vocabulary, same-h or all"},
    ZS_OPT_SEED(&paper_args.seed),
    ZS_OPT_THREADS(&paper_args.threads),
    ZS_OPT_JSON(&paper_args.json),
    ZS_OPT_END,
};

static const zs_cli_spec paper_spec = {
    "pcfg paper",
    "[-o DIR] [--tokens N] [--set NAME] [--seed S]",
    "the gzip paper's grammar sets: generate, sample, measure H beside the paper's",
    "For each grammar of the gzip paper's set (docs/science.md §4): generate a random PCFG with "
    "the\n"
    "paper's knobs (seed S+i for the i-th of the paper's 14), sample N tokens of 256-token "
    "documents, measure\n"
    "gzip compressibility H (median over 1000 sampled documents) and print it beside the\n"
    "paper's value. Random grammars with the same knobs scatter by a few hundredths.\n"
    "Writes DIR/<set>-<i>.pcfg, DIR/<set>-<i>.npy (+ .json sidecar), DIR/summary.json and\n"
    "DIR/h.svg (the per-document ratios as boxes, like the paper's first figure).",
    paper_opts,
    0,
    0,
    .defaults = paper_defaults,
};

typedef struct {
    const zs_pcfg_reference_grammar *ref;
    char grammar_path[4096], tokens_path[4096];
    zs_pcfg_sample_stats stats;
    zs_pcfg_analysis analysis;
    zs_measure_result measure;
    double seconds;
} paper_row;

/* One grammar through the pipeline: generate, write, analyse, sample, write, measure. */
static zs_status run_one(paper_row *row, uint64_t seed, uint64_t documents, zs_error *err) {
    double t0 = omp_get_wtime();
    zs_pcfg_knobs knobs = row->ref->knobs;
    knobs.seed = seed;
    zs_pcfg *g = NULL;
    zs_status s = zs_pcfg_generate(&knobs, &g, err);
    if (s == ZS_OK) s = zs_pcfg_write(g, row->grammar_path, err);
    if (s == ZS_OK) s = zs_pcfg_analyse(g, &row->analysis, err);
    zs_pcfg_sample_opts o;
    zs_pcfg_sample_opts_init(&o);
    o.seed = seed;
    o.context = ZS_PCFG_PAPER_CONTEXT;
    o.threads = paper_args.threads;
    uint32_t *tokens = NULL;
    if (s == ZS_OK) {
        tokens =
            zs_calloc(documents * ZS_PCFG_PAPER_CONTEXT, sizeof *tokens, "sampled tokens", err);
        if (!tokens) s = ZS_ERR_NOMEM;
    }
    if (s == ZS_OK) s = zs_pcfg_sample(g, &o, 0, documents, tokens, NULL, &row->stats, err);
    if (s == ZS_OK)
        s = zs_pcfg_write_sample(g, row->grammar_path, &o, &row->stats, documents, tokens, NULL,
                                 row->tokens_path, NULL, err);
    if (s == ZS_OK) {
        zs_token_source src;
        zs_measure_source_array(&src, tokens, documents * ZS_PCFG_PAPER_CONTEXT, row->tokens_path);
        zs_measure_opts mo;
        zs_measure_opts_init(&mo);
        mo.sequence_tokens = ZS_PCFG_PAPER_CONTEXT;
        mo.seed = paper_args.seed;
        mo.threads = paper_args.threads;
        s = zs_measure_tokens(&src, &mo, &row->measure, err);
    }
    free(tokens);
    zs_pcfg_free(g);
    row->seconds = omp_get_wtime() - t0;
    return s;
}

static json_t *row_json(const paper_row *r) {
    const zs_pcfg_knobs *k = &r->ref->knobs;
    return json_pack(
        "{s:s, s:{s:I, s:I, s:I, s:I}, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:I, s:f, s:f, s:o, "
        "s:o, s:f, s:f}",
        "set", r->ref->set, "knobs", "nonterminals", (json_int_t)k->nonterminals, "terminals",
        (json_int_t)k->terminals, "max_options", (json_int_t)k->max_options, "max_length",
        (json_int_t)k->max_length, "grammar", r->grammar_path, "tokens", r->tokens_path, "h",
        r->measure.gzip.median, "h_paper", r->ref->paper_h, "h_stdev", r->measure.gzip.stdev,
        "h_q1", r->measure.gzip.q1, "h_q3", r->measure.gzip.q3, "h_n",
        (json_int_t)r->measure.gzip.n, "zstd_ratio", r->measure.zstd.median, "unigram_entropy_bits",
        r->measure.entropy_bits, "expected_sentence_tokens",
        zs_json_number(r->analysis.expected_length_tokens), "derivation_entropy_bits_per_token",
        zs_json_number(r->analysis.entropy_nats_per_token_separated / M_LN2), "dropped_fraction",
        r->stats.dropped_fraction, "seconds", r->seconds);
}

static void print_table(const paper_row *rows, size_t n, uint64_t tokens) {
    printf("\nzipscale pcfg paper: the gzip paper's grammars, %llu tokens each, written to %s/\n\n",
           (unsigned long long)tokens, paper_args.dir);
    printf("%-16s %-18s %8s %8s %8s %8s %9s %9s %9s %7s\n", "set", "grammar (NT,T,O,L)", "H",
           "H paper", "diff", "stdev", "uni bits", "deriv b/t", "dropped", "secs");
    for (size_t i = 0; i < n; i++) {
        const paper_row *r = &rows[i];
        const zs_pcfg_knobs *k = &r->ref->knobs;
        char knobs[64];
        snprintf(knobs, sizeof knobs, "(%u,%u,%u,%u)", k->nonterminals, k->terminals,
                 k->max_options, k->max_length);
        /* Not subcritical: the expected derivation is infinite, so is its entropy. */
        char deriv[32] = "-";
        double bits = r->analysis.entropy_nats_per_token_separated / M_LN2;
        if (isfinite(bits)) snprintf(deriv, sizeof deriv, "%.3f", bits);
        printf("%-16s %-18s %8.4f %8.2f %+8.3f %8.4f %9.3f %9s %8.3f%% %7.1f\n", r->ref->set, knobs,
               r->measure.gzip.median, r->ref->paper_h, r->measure.gzip.median - r->ref->paper_h,
               r->measure.gzip.stdev, r->measure.entropy_bits, deriv,
               100 * r->stats.dropped_fraction, r->seconds);
    }
    printf("\nH: median gzip-9 ratio of 1000 sampled 256-token documents (docs/science.md §5);\n"
           "H paper: [GZ]'s value for one random grammar with these knobs (grammars with the\n"
           "same knobs scatter by a few hundredths); uni bits: unigram entropy per token;\n"
           "deriv b/t: derivation entropy per token, separators included (an upper bound on\n"
           "what a perfect model's loss can reach; '-' when the grammar is not subcritical);\n"
           "dropped: derivations too deep or too long, resampled as the reference does.\n");
}

/* The gzip paper's first figure for these grammars: per-document gzip ratios as boxes. */
static zs_status write_figure(const paper_row *rows, size_t n, const char *path, zs_error *err) {
    char(*names)[64] = calloc(n, sizeof *names);
    const char **name_ptrs = calloc(n, sizeof *name_ptrs);
    const double **values = calloc(n, sizeof *values);
    size_t *counts = calloc(n, sizeof *counts);
    zs_status s = names && name_ptrs && values && counts
                      ? ZS_OK
                      : zs_fail(err, ZS_ERR_NOMEM, "out of memory drawing %s", path);
    for (size_t i = 0; s == ZS_OK && i < n; i++) {
        const zs_pcfg_knobs *k = &rows[i].ref->knobs;
        snprintf(names[i], sizeof names[i], "(%u,%u,%u,%u)", k->nonterminals, k->terminals,
                 k->max_options, k->max_length);
        name_ptrs[i] = names[i];
        values[i] = rows[i].measure.gzip_ratios;
        counts[i] = rows[i].measure.gzip.n;
    }
    zs_plot *fig = NULL;
    zs_figure_size size = {720, 450};
    if (s == ZS_OK)
        s = zs_figure_gzip_ratios(name_ptrs, values, counts, n,
                                  "gzip compressibility of the paper's grammars",
                                  "grammar (nonterminals, terminals, max options, max length)",
                                  ZS_PLOT_BOX, &size, &fig, err);
    if (s == ZS_OK) s = zs_plot_write(fig, path, err);
    zs_plot_free(fig);
    free(names), free(name_ptrs), free(values), free(counts);
    return s;
}

static int select_rows(paper_row **rows, size_t *n) {
    size_t total;
    const zs_pcfg_reference_grammar *all = zs_pcfg_reference_grammars(&total);
    int every = strcmp(paper_args.set, "all") == 0;
    *rows = calloc(total, sizeof **rows);
    if (!*rows) return ZS_EXIT_FAILURE;
    *n = 0;
    for (size_t i = 0; i < total; i++)
        if (every || strcmp(all[i].set, paper_args.set) == 0) (*rows)[(*n)++].ref = &all[i];
    if (*n == 0) {
        free(*rows);
        return zs_cli_usage_error(&paper_spec,
                                  "--set '%s': expected main, same-vocabulary, same-h or all",
                                  paper_args.set);
    }
    return -1;
}

static int paper_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&paper_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (paper_args.tokens == 0 || paper_args.tokens > ZS_PCFG_PAPER_TOKENS_MAX)
        return zs_cli_usage_error(&paper_spec, "--tokens %llu: expected 1..%llu",
                                  (unsigned long long)paper_args.tokens, ZS_PCFG_PAPER_TOKENS_MAX);
    paper_row *rows;
    size_t n, n_ref;
    if ((code = select_rows(&rows, &n)) >= 0) return code;
    const zs_pcfg_reference_grammar *first_ref = zs_pcfg_reference_grammars(&n_ref);
    zs_error err;
    zs_status s = ZS_OK;
    if (mkdir(paper_args.dir, 0777) != 0 && errno != EEXIST)
        s = zs_fail(&err, ZS_ERR_IO, "%s: cannot create the directory: %s", paper_args.dir,
                    strerror(errno));
    uint64_t documents = (paper_args.tokens + ZS_PCFG_PAPER_CONTEXT - 1) / ZS_PCFG_PAPER_CONTEXT;
    size_t done = 0;
    for (; s == ZS_OK && done < n; done++) {
        paper_row *r = &rows[done];
        snprintf(r->grammar_path, sizeof r->grammar_path, "%s/%s-%zu.pcfg", paper_args.dir,
                 r->ref->set, done + 1);
        snprintf(r->tokens_path, sizeof r->tokens_path, "%s/%s-%zu.npy", paper_args.dir,
                 r->ref->set, done + 1);
        fprintf(stderr,
                "pcfg paper: [%zu/%zu] grammar (%u,%u,%u,%u): generating, sampling %llu tokens, "
                "measuring H...\n",
                done + 1, n, r->ref->knobs.nonterminals, r->ref->knobs.terminals,
                r->ref->knobs.max_options, r->ref->knobs.max_length,
                (unsigned long long)(documents * ZS_PCFG_PAPER_CONTEXT));
        /* The seed follows the grammar's place in the paper's table, so a grammar is the
         * same whichever --set selects it. */
        s = run_one(r, paper_args.seed + (uint64_t)(r->ref - first_ref), documents, &err);
    }
    json_t *summary = NULL;
    if (s == ZS_OK) {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(list, row_json(&rows[i]));
        summary = json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "zipscale_version", zs_version(),
                            "set", paper_args.set, "seed", (json_int_t)paper_args.seed,
                            "tokens_per_grammar", (json_int_t)(documents * ZS_PCFG_PAPER_CONTEXT),
                            "context", (json_int_t)ZS_PCFG_PAPER_CONTEXT, "grammars", list);
        char path[4200];
        snprintf(path, sizeof path, "%s/summary.json", paper_args.dir);
        s = zs_cli_emit_json(json_incref(summary), path, &err);
        snprintf(path, sizeof path, "%s/h.svg", paper_args.dir);
        if (s == ZS_OK) s = write_figure(rows, n, path, &err);
    }
    if (s == ZS_OK) {
        if (paper_args.json)
            s = zs_cli_emit_json(json_incref(summary), NULL, &err);
        else
            print_table(rows, n, documents * ZS_PCFG_PAPER_CONTEXT);
    }
    json_decref(summary);
    for (size_t i = 0; i < done; i++) {
        zs_pcfg_analysis_free(&rows[i].analysis);
        zs_measure_result_free(&rows[i].measure);
    }
    free(rows);
    return s == ZS_OK ? ZS_EXIT_OK : zs_cli_fail(&err);
}

const zs_command zs_cmd_pcfg_paper = {&paper_spec, paper_run};
