/* `zipscale quanta tokens`: monogenic and polygenic tokens across a family of models [QM]:
 * reads the per-token loss dumps of models of several sizes on the same held-out tokens,
 * classifies each token, and prints the counts, each class's mean loss against N, examples
 * with their context, and (with --labels) the classes against the emitting rules'
 * frequencies. A thin client of zipscale/quanta_tokens.h (docs/quanta.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/figures.h"
#include "zipscale/quanta_qdg.h"
#include "zipscale/quanta_tokens.h"
#include "zipscale/sweep.h"
#include "zipscale/tokens.h"

static struct {
    zs_token_class_opts opts;
    const char *labels, *classes_out, *plot, *output, *sweep, *dataset;
    uint64_t examples, context_shown, budget, seed; /* seed UINT64_MAX: the spec's first */
    zs_figure_size size;
} a;

static void tokens_defaults(void) {
    memset(&a, 0, sizeof a);
    zs_token_class_opts_init(&a.opts);
    a.examples = 5;
    a.context_shown = 12;
    a.seed = UINT64_MAX;
    zs_figure_size_init(&a.size);
}

static const zs_opt tokens_opts[] = {
    {"mono-high", 0, ZS_OPT_DOUBLE, &a.opts.mono_high_nats, "X",
     "monogenic: loss above X nats at every model before the drop"},
    {"mono-low", 0, ZS_OPT_DOUBLE, &a.opts.mono_low_nats, "X",
     "monogenic: loss below X nats at the drop and every model after"},
    {"poly-slope", 0, ZS_OPT_DOUBLE, &a.opts.poly_max_slope, "X",
     "polygenic: slope of loss on ln N below X (nats per e-fold)"},
    {"poly-r2", 0, ZS_OPT_DOUBLE, &a.opts.poly_min_r2, "X", "polygenic: R^2 of that line above X"},
    {"sweep", 0, ZS_OPT_STRING, &a.sweep, "DIR",
     "the family from a sweep: its completed GPT runs of one dataset, budget and seed, each "
     "run's losses recomputed from its final checkpoint when not yet dumped"},
    {"dataset", 0, ZS_OPT_STRING, &a.dataset, "NAME",
     "with --sweep: the dataset (default: the sweep's only one)"},
    {"budget", 0, ZS_OPT_U64, &a.budget, "B",
     "with --sweep: the budget (default: the largest with two or more completed models)"},
    {"seed", 0, ZS_OPT_U64, &a.seed, "S", "with --sweep: the seed (default: the spec's first)"},
    {"labels", 0, ZS_OPT_STRING, &a.labels, "FILE",
     "the data's rule labels (pcfg sample --labels): classes against the rules' frequencies"},
    {"examples", 0, ZS_OPT_U64, &a.examples, "K", "examples shown per class"},
    {"context", 0, ZS_OPT_U64, &a.context_shown, "C", "tokens of context shown per example"},
    {"plot", 0, ZS_OPT_STRING, &a.plot, "FILE",
     "draw each class's mean loss against N: .svg, .png or .pdf"},
    {"width", 0, ZS_OPT_DOUBLE, &a.size.width_pt, "PT", "figure width in points"},
    {"height", 0, ZS_OPT_DOUBLE, &a.size.height_pt, "PT", "figure height in points"},
    {"output", 'o', ZS_OPT_STRING, &a.output, "FILE.json",
     "write the summary (counts, thresholds, each class's mean loss per model, examples) as "
     "JSON, for zipscale report"},
    {"classes", 0, ZS_OPT_STRING, &a.classes_out, "FILE",
     "write each token's class (0 other, 1 monogenic, 2 polygenic) as int32 .npy (windows x T)"},
    ZS_OPT_END,
};

static const zs_cli_spec tokens_spec = {
    "quanta tokens",
    "LOSSES.npy LOSSES.npy ... | --sweep DIR [--dataset NAME] [--budget B] [--seed S]\n"
    "       [--labels RULES.npy] [--examples K] [thresholds] [-o FILE.json]",
    "monogenic and polygenic tokens across a family of models of increasing size",
    "Each LOSSES.npy is a `zipscale train --dump-token-losses` file (with its .npy.json\n"
    "sidecar) of one model; all must score the same held-out tokens. A token is monogenic at\n"
    "model j when its loss is above --mono-high at every smaller model and below --mono-low\n"
    "from j on (one quantum learned), polygenic when its loss falls steadily with ln N (slope\n"
    "below --poly-slope, R^2 above --poly-r2; at least 3 models), other otherwise. The\n"
    "quantization paper [QM] used 5.0 and 0.3 nats on a 50k vocabulary; the defaults suit PCFG\n"
    "data (docs/quanta.md).\n"
    "With --sweep DIR the family is a sweep's: its completed GPT runs of one dataset at one\n"
    "budget and seed, smallest first, each with DIR/runs/ID/token_losses.npy, made from the\n"
    "run's final checkpoint when missing (its mean checked against the run's recorded loss);\n"
    "the rule labels are found beside the held-out data when the sweep sampled them.",
    tokens_opts,
    0,
    -1,
    .defaults = tokens_defaults,
};

static const zs_cli_field tokens_fields[] = {
    {"mono_high_nats", "mono-high"},
    {"mono_low_nats", "mono-low"},
    {"poly_max_slope", "poly-slope"},
    {"poly_min_r2", "poly-r2"},
    {"dataset", "dataset"},
    {"budget", "budget"},
    {NULL, NULL},
};

static void print_models(const zs_token_loss_family *f, const zs_token_classes *c) {
    printf("# %zu models on %llu held-out tokens (%llu windows of %llu from window %llu of %s)\n",
           f->n_models, (unsigned long long)c->n_tokens, (unsigned long long)f->windows,
           (unsigned long long)f->context, (unsigned long long)f->first_window, f->data_path);
    printf("%-4s %14s %12s %10s %12s %12s %12s  %s\n", "j", "n_params", "mean_loss", "mono_at_j",
           "other", "monogenic", "polygenic", "file");
    for (size_t j = 0; j < f->n_models; j++) {
        double mean = 0;
        for (size_t t = 0; t < c->n_tokens; t++) mean += f->loss[j][t];
        mean /= (double)c->n_tokens;
        printf("%-4zu %14.0f %12.6f %10zu", j, f->n_params[j], mean, c->mono_count_at[j]);
        for (int k = 0; k < ZS_TOKEN_N_CLASSES; k++)
            printf(" %12.6f", c->class_mean_loss[(size_t)k * c->n_models + j]);
        printf("  %s\n", f->paths[j]);
    }
    printf("(mono_at_j: tokens whose loss drops at model j; the last three columns: each class's "
           "mean loss in nats)\n\n");
    printf("%-10s %12s %9s\n", "class", "tokens", "share");
    for (int k = 0; k < ZS_TOKEN_N_CLASSES; k++)
        printf("%-10s %12zu %8.3f%%\n", zs_token_class_name((zs_token_class)k), c->count[k],
               100.0 * (double)c->count[k] / (double)c->n_tokens);
}

/* Up to a.examples tokens of class k, evenly spaced among the class's tokens, with their
 * losses and, when the data file opens, their context. */
static void print_examples(const zs_token_loss_family *f, const zs_token_classes *c, int k,
                           const zs_tokens *data) {
    size_t have = c->count[k];
    if (!have || !a.examples) return;
    size_t *idx = malloc((size_t)a.examples * sizeof *idx);
    if (!idx) return;
    size_t want = zs_token_examples_pick(c, k, (size_t)a.examples, idx);
    printf("\n%s, %zu of %zu:\n", zs_token_class_name((zs_token_class)k), want, have);
    for (size_t e = 0; e < want; e++) {
        size_t t = idx[e];
        uint64_t w = t / f->context, pos = t % f->context;
        uint64_t target = (f->first_window + w) * f->context + pos + 1;
        printf("  window %llu position %llu", (unsigned long long)(f->first_window + w),
               (unsigned long long)pos);
        if (k == ZS_TOKEN_MONOGENIC) printf(" (drops at model %u)", c->mono_at[t]);
        if (k != ZS_TOKEN_MONOGENIC) printf(" (slope %.3f, R^2 %.3f)", c->slope[t], c->r2[t]);
        printf(": loss");
        for (size_t j = 0; j < f->n_models; j++) printf(" %.3f", f->loss[j][t]);
        if (data && target < data->n_tokens) {
            uint64_t from = pos + 1 > a.context_shown ? target - a.context_shown : target - pos - 1;
            printf("\n    context ");
            for (uint64_t i = from; i < target; i++)
                printf("%llu ", (unsigned long long)zs_tokens_at(data, i));
            printf("-> %llu", (unsigned long long)zs_tokens_at(data, target));
        }
        printf("\n");
    }
    free(idx);
}

/* With --labels: the rule that emitted each scored token (-1: a separator), read and
 * checked before anything is printed. */
static zs_status load_rules(const zs_token_loss_family *f, size_t n_tokens, int64_t **out,
                            zs_error *err) {
    zs_tokens lab;
    zs_tokens_open_opts o = {0};
    o.skip_id_check = 1;
    zs_status s = zs_tokens_open(&lab, a.labels, &o, err);
    if (s) return s;
    uint64_t last = (f->first_window + f->windows) * f->context;
    if (lab.dtype != ZS_DTYPE_I32 || last >= lab.n_tokens) {
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: %s labels of %llu tokens: expected int32 rule ids (pcfg sample "
                    "--labels) covering the scored tokens, up to token %llu",
                    a.labels, zs_dtype_name(lab.dtype), (unsigned long long)lab.n_tokens,
                    (unsigned long long)last);
        zs_tokens_close(&lab);
        return s;
    }
    int64_t *rule = zs_alloc(n_tokens * sizeof *rule, "rule labels", err);
    for (size_t t = 0; rule && t < n_tokens; t++) {
        uint64_t target = (f->first_window + t / f->context) * f->context + t % f->context + 1;
        rule[t] = (int64_t)(int32_t)(uint32_t)zs_tokens_at(&lab, target);
    }
    zs_tokens_close(&lab);
    if (!rule) return ZS_ERR_NOMEM;
    *out = rule;
    return ZS_OK;
}

/* Each class's share among the tokens of frequent and of rare rules: the tokens in bands of
 * their rule's count among the scored tokens (1-9, 10-99, ...). */
static zs_status print_rules(const zs_token_classes *c, const int64_t *rule, zs_error *err) {
    int64_t max_rule = -1;
    for (size_t t = 0; t < c->n_tokens; t++)
        if (rule[t] > max_rule) max_rule = rule[t];
    size_t n_rules = (size_t)(max_rule + 1), n_ruled = 0, top = 1, used = 0;
    size_t *count = calloc(n_rules + 1, sizeof *count);
    if (!count) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (rule counts)");
    for (size_t t = 0; t < c->n_tokens; t++)
        if (rule[t] >= 0) count[rule[t]]++, n_ruled++;
    for (size_t r = 0; r < n_rules; r++) {
        if (count[r] > top) top = count[r];
        used += count[r] > 0;
    }
    printf("\nclasses by how many scored tokens the emitting rule emitted (%zu rules emitted "
           "the %zu labelled tokens; separators, label -1, left out)\n",
           used, n_ruled);
    printf("%-18s %10s %10s %10s %10s\n", "rule's tokens", "tokens", "other", "monogenic",
           "polygenic");
    for (size_t lo = 1; lo <= top; lo *= 10) {
        size_t hi = lo * 10 - 1, n = 0, by[ZS_TOKEN_N_CLASSES] = {0};
        for (size_t t = 0; t < c->n_tokens; t++)
            if (rule[t] >= 0 && count[rule[t]] >= lo && count[rule[t]] <= hi) n++, by[c->cls[t]]++;
        if (!n) continue;
        char band[48];
        snprintf(band, sizeof band, "%zu-%zu", lo, hi);
        printf("%-18s %10zu", band, n);
        for (int k = 0; k < ZS_TOKEN_N_CLASSES; k++)
            printf(" %9.2f%%", 100.0 * (double)by[k] / (double)n);
        printf("\n");
    }
    free(count);
    return ZS_OK;
}

static zs_status write_classes(const zs_token_loss_family *f, const zs_token_classes *c,
                               zs_error *err) {
    int32_t *v = malloc(c->n_tokens * sizeof *v);
    if (!v) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (classes)");
    for (size_t t = 0; t < c->n_tokens; t++) v[t] = c->cls[t];
    uint64_t shape[2] = {f->windows, f->context};
    zs_status s = zs_npy_write(a.classes_out, ZS_DTYPE_I32, 2, shape, v, err);
    free(v);
    return s;
}

/* With --sweep: the line naming the family, printed first once everything is read. */
static char header[1024];

/* The family: the dumps named, or a sweep's (its dumps made when missing). */
static zs_status family_paths(int npos, char **pos, zs_token_loss_family *f, zs_error *err) {
    if (!a.sweep) return zs_token_loss_family_read(f, (const char *const *)pos, (size_t)npos, err);
    zs_sweep_token_opts o;
    zs_sweep_token_opts_init(&o);
    o.dataset = a.dataset;
    o.budget = a.budget;
    o.has_seed = a.seed != UINT64_MAX;
    o.seed = a.seed;
    o.progress = stderr;
    zs_sweep_token_family fam;
    zs_status s = zs_sweep_token_losses(a.sweep, &o, &fam, err);
    if (s) return s;
    const char **paths = malloc(fam.n * sizeof *paths);
    if (!paths) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory (paths)");
    for (size_t i = 0; !s && i < fam.n; i++) paths[i] = fam.dumps[i].path;
    if (!s) {
        size_t used = (size_t)snprintf(
            header, sizeof header, "# sweep %s: dataset %s, budget %llu, seed %llu:", a.sweep,
            fam.dataset, (unsigned long long)fam.budget, (unsigned long long)fam.seed);
        for (size_t i = 0; i < fam.n && used < sizeof header; i++)
            used +=
                (size_t)snprintf(header + used, sizeof header - used, " %s", fam.dumps[i].model);
        s = zs_token_loss_family_read(f, paths, fam.n, err);
    }
    free(paths);
    zs_sweep_token_family_free(&fam);
    return s;
}

static int tokens_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&tokens_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (!a.sweep && npos < 2)
        return zs_cli_usage_error(&tokens_spec, "expected two LOSSES.npy files or more (one per "
                                                "model), or --sweep DIR");
    if (!a.sweep && (a.dataset || a.budget || a.seed != UINT64_MAX))
        return zs_cli_usage_error(&tokens_spec, "--dataset, --budget and --seed choose the family "
                                                "from a sweep: they need --sweep DIR");
    if (a.sweep && npos)
        return zs_cli_usage_error(&tokens_spec, "--sweep DIR takes the family from the sweep: no "
                                                "LOSSES.npy arguments");
    zs_error err = {0};
    zs_token_loss_family f;
    zs_token_classes c = {0};
    memset(&f, 0, sizeof f);
    zs_status s = zs_token_class_opts_check(&a.opts, &err);
    if (!s) s = family_paths(npos, pos, &f, &err);
    if (!s)
        s = zs_token_classes_compute(&c, f.n_params, (const float *const *)f.loss, f.n_models,
                                     (size_t)(f.windows * f.context), &a.opts, &err);
    int64_t *rule = NULL;
    char *found_labels = NULL;
    int no_labels = !s && a.sweep && !a.labels &&
                    !(a.labels = found_labels = zs_qdg_find_labels(f.data_path, &err));
    if (!s && a.labels) s = load_rules(&f, c.n_tokens, &rule, &err);
    if (!s && a.classes_out) s = write_classes(&f, &c, &err);
    if (!s && a.plot) {
        zs_plot *fig = NULL;
        s = zs_figure_token_classes(&c, &a.size, &fig, &err);
        if (!s) s = zs_plot_write(fig, a.plot, &err);
        zs_plot_free(fig);
    }
    zs_tokens data;
    zs_error ignored = {0};
    int have_data = 0;
    if (!s) {
        zs_tokens_open_opts o = {0};
        have_data = zs_tokens_open(&data, f.data_path, &o, &ignored) == ZS_OK;
    }
    if (!s && a.output)
        s = zs_token_summary_write(a.output, &f, &c, &a.opts, (size_t)a.examples,
                                   (size_t)a.context_shown, have_data ? &data : NULL, &err);
    if (!s) {
        if (header[0]) printf("%s\n", header);
        if (no_labels)
            printf("# no rule labels beside %s (the sweep's data was sampled without them)\n",
                   f.data_path);
        print_models(&f, &c);
        if (!have_data) printf("\n(no context in the examples: %s)\n", ignored.msg);
        for (int k = ZS_TOKEN_MONOGENIC; k < ZS_TOKEN_N_CLASSES; k++)
            print_examples(&f, &c, k, have_data ? &data : NULL);
        if (rule) s = print_rules(&c, rule, &err);
    }
    if (have_data) zs_tokens_close(&data);
    free(rule);
    free(found_labels);
    zs_token_classes_free(&c);
    zs_token_loss_family_free(&f);
    return s ? zs_cli_fail_cmd(&tokens_spec, tokens_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_quanta_tokens = {&tokens_spec, tokens_run};
