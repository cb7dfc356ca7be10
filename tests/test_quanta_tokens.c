/* Monogenic and polygenic tokens (zipscale/quanta_tokens.h, `zipscale quanta tokens`):
 * the rules on hand-made curves, the line fits and classes against an independent numpy
 * implementation, the dump-family reader's refusals, and the command end to end on dumps
 * written by numpy. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/figures.h"
#include "zipscale/quanta_tokens.h"
#include "zipscale/tokens.h"

#define N_MODELS 5
static const double sizes[N_MODELS] = {1e3, 1e4, 1e5, 1e6, 1e7};

/* Classifies tokens given as rows of N_MODELS losses (one row a token). */
static void classify(const float rows[][N_MODELS], size_t n_tokens, zs_token_classes *c) {
    float *cols[N_MODELS];
    for (int j = 0; j < N_MODELS; j++) {
        cols[j] = malloc(n_tokens * sizeof(float));
        for (size_t t = 0; t < n_tokens; t++) cols[j][t] = rows[t][j];
    }
    zs_token_class_opts o;
    zs_token_class_opts_init(&o);
    zs_error err = {0};
    cr_assert_eq(zs_token_classes_compute(c, sizes, (const float *const *)cols, N_MODELS, n_tokens,
                                          &o, &err),
                 ZS_OK, "%s", err.msg);
    for (int j = 0; j < N_MODELS; j++) free(cols[j]);
}

Test(token_classes, the_rules_on_hand_made_curves) {
    const double e = log(10); /* one decade of N is ln 10 e-folds */
    const float rows[][N_MODELS] = {
        {6, 5, 0.1f, 0.05f, 0.01f}, /* 0 monogenic at model 2 */
        {5, (float)(5 - 0.5 * e), (float)(5 - 1.0 * e), (float)(5 - 1.5 * e),
         (float)(5 - 2.0 * e)},           /* 1 polygenic: slope -0.5 */
        {0.5f, 0.5f, 0.5f, 0.5f, 0.5f},   /* 2 flat: other, R^2 undefined */
        {6, 5, 0.1f, 0.4f, 0.1f},         /* 3 comes back above 0.3 after the drop: not monogenic */
        {6, 6, 6, 6, 6},                  /* 4 never learned */
        {2.0f, 0.1f, 0.1f, 0.1f, 0.1f},   /* 5 exactly at mono_high before: not above it */
        {0.1f, 0.1f, 0.1f, 0.05f, 0.01f}, /* 6 low from the first model: no drop */
        {3, 2.9f, 2.8f, 2.7f, 2.6f},      /* 7 steady but shallow: slope -0.04 */
        {2.5f, 2.1f, 0.29f, 0.2f, 0.1f},  /* 8 monogenic at model 2 (2.1 > 2.0) */
        {6, 5, 4, 3, 0.2f},               /* 9 monogenic at model 4, the last */
    };
    zs_token_classes c;
    classify(rows, 10, &c);
    const int want[] = {1, 2, 0, 0, 0, 0, 0, 0, 1, 1};
    const unsigned at[] = {2, 0, 0, 0, 0, 0, 0, 0, 2, 4};
    for (int t = 0; t < 10; t++) {
        cr_assert_eq(c.cls[t], want[t], "token %d: class %d, want %d", t, c.cls[t], want[t]);
        cr_assert_eq(c.mono_at[t], at[t], "token %d", t);
    }
    cr_assert_float_eq(c.slope[1], -0.5, 1e-6);
    cr_assert_float_eq(c.r2[1], 1.0, 1e-9);
    cr_assert(isnan(c.r2[2]) && c.slope[2] == 0);
    cr_assert_eq(c.count[0], 6);
    cr_assert_eq(c.count[1], 3);
    cr_assert_eq(c.count[2], 1);
    cr_assert_eq(c.mono_count_at[2], 2);
    cr_assert_eq(c.mono_count_at[4], 1);
    cr_assert_eq(c.mono_count_at[0] + c.mono_count_at[1] + c.mono_count_at[3], 0);
    /* Class means: monogenic at model 0 is (6 + 2.5 + 6) / 3. */
    cr_assert_float_eq(c.class_mean_loss[1 * N_MODELS + 0], (6 + 2.5 + 6) / 3.0, 1e-12);
    cr_assert_float_eq(c.class_mean_loss[2 * N_MODELS + 4], rows[1][4], 1e-12);
    /* The figure: a line per class, its count in the legend. */
    zs_plot *fig = NULL;
    zs_error ferr = {0};
    cr_assert_eq(zs_figure_token_classes(&c, NULL, &fig, &ferr), ZS_OK, "%s", ferr.msg);
    char *svg = NULL;
    size_t len = 0;
    cr_assert_eq(zs_plot_svg(fig, &svg, &len, &ferr), ZS_OK, "%s", ferr.msg);
    cr_assert(strstr(svg, "monogenic (3 tokens, 30.0%)"), "the legend");
    cr_assert(strstr(svg, "polygenic (1 tokens, 10.0%)"), "the legend");
    free(svg);
    zs_plot_free(fig);
    zs_token_classes_free(&c);
    zs_token_classes none = {0};
    cr_assert_eq(zs_figure_token_classes(&none, NULL, &fig, &ferr), ZS_ERR_RANGE);
    cr_assert_null(fig);

    /* Two models: monogenic is still defined, polygenic is not (any line fits 2 points). */
    const float two[][2] = {{5, 0.1f}, {4, 1}};
    float m0[2] = {two[0][0], two[1][0]}, m1[2] = {two[0][1], two[1][1]};
    const float *cols[2] = {m0, m1};
    zs_token_class_opts o;
    zs_token_class_opts_init(&o);
    zs_error err = {0};
    cr_assert_eq(zs_token_classes_compute(&c, sizes, cols, 2, 2, &o, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(c.cls[0], ZS_TOKEN_MONOGENIC);
    cr_assert_eq(c.cls[1], ZS_TOKEN_OTHER, "slope -1.3 with R^2 1 on 2 models is not polygenic");
    zs_token_classes_free(&c);
}

Test(token_classes, refusals_name_the_field) {
    zs_token_class_opts o;
    zs_error err = {0};
    zs_token_classes c;
    float l0[1] = {1}, l1[1] = {0.5f};
    const float *cols[2] = {l0, l1};
    zs_token_class_opts_init(&o);
    o.mono_low_nats = -1;
    cr_assert_eq(zs_token_classes_compute(&c, sizes, cols, 2, 1, &o, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "mono_low_nats");
    zs_token_class_opts_init(&o);
    o.mono_high_nats = 0.3;
    cr_assert_eq(zs_token_class_opts_check(&o, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "mono_high_nats");
    zs_token_class_opts_init(&o);
    o.poly_max_slope = 0;
    cr_assert_eq(zs_token_class_opts_check(&o, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "poly_max_slope");
    zs_token_class_opts_init(&o);
    o.poly_min_r2 = 1;
    cr_assert_eq(zs_token_class_opts_check(&o, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "poly_min_r2");

    zs_token_class_opts_init(&o);
    cr_assert_eq(zs_token_classes_compute(&c, sizes, cols, 1, 1, &o, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "1 model(s): expected at least 2"), "%s", err.msg);
    cr_assert_null(c.cls);
    const double same[2] = {1e3, 1e3};
    cr_assert_eq(zs_token_classes_compute(&c, same, cols, 2, 1, &o, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "model 1: n_params = 1000: expected more than model 0's"), "%s",
              err.msg);
    l1[0] = NAN;
    cr_assert_eq(zs_token_classes_compute(&c, sizes, cols, 2, 1, &o, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "model 1, token 0: loss nan"), "%s", err.msg);
    cr_assert_eq(zs_token_classes_compute(&c, sizes, cols, 2, 0, &o, &err), ZS_ERR_RANGE);
}

/* ---- a family of dumps, against the numpy reference ---------------------------------------- */

#define REF "tests/data/quanta/token_classes_ref.py"

/* Writes the reference's family into a fresh folder; returns the folder, *counts the
 * reference's "other monogenic polygenic" line. */
static const char *make_family(char *counts, size_t size) {
    const char *dir = zs_test_path("family");
    const char *py = zs_test_python("numpy");
    zs_run r =
        zs_test_sh("mkdir -p '%s' && '%s' '%s/" REF "' make '%s'", dir, py, ZS_SOURCE_DIR, dir);
    cr_assert_eq(r.exit_code, 0, "reference failed: %s", r.err);
    snprintf(counts, size, "%s", r.out);
    zs_run_free(&r);
    return dir;
}

Test(token_family, read_and_classify_match_numpy) {
    char counts[64];
    const char *dir = make_family(counts, sizeof counts);
    char paths[4][1200];
    const char *p[4];
    for (int j = 0; j < 4; j++) {
        snprintf(paths[j], sizeof paths[j], "%s/tl_%d.npy", dir, (j * 3 + 1) % 4);
        p[j] = paths[j];
    }
    zs_token_loss_family f;
    zs_error err = {0};
    cr_assert_eq(zs_token_loss_family_read(&f, p, 4, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(f.n_models, 4);
    cr_assert_eq(f.windows, 20);
    cr_assert_eq(f.context, 16);
    cr_assert_eq(f.first_window, 3);
    const double want_n[4] = {2000, 9000, 40000, 200000};
    for (int j = 0; j < 4; j++) {
        cr_assert_eq(f.n_params[j], want_n[j], "ordered by size");
        char want[1200];
        snprintf(want, sizeof want, "%s/tl_%d.npy", dir, j);
        cr_assert_str_eq(f.paths[j], want);
    }
    zs_token_class_opts o;
    zs_token_class_opts_init(&o);
    zs_token_classes c;
    cr_assert_eq(
        zs_token_classes_compute(&c, f.n_params, (const float *const *)f.loss, 4, 320, &o, &err),
        ZS_OK, "%s", err.msg);
    char ref_path[1200];
    snprintf(ref_path, sizeof ref_path, "%s/ref.txt", dir);
    FILE *ref = fopen(ref_path, "r");
    cr_assert_not_null(ref);
    size_t n_counts[3] = {0};
    for (size_t t = 0; t < 320; t++) {
        int cls, at;
        char slope_text[64], r2_text[64];
        cr_assert_eq(fscanf(ref, "%d %d %63s %63s", &cls, &at, slope_text, r2_text), 4);
        double slope = strtod(slope_text, NULL), r2 = strtod(r2_text, NULL);
        cr_assert_eq(c.cls[t], cls, "token %zu: class %d, numpy %d", t, c.cls[t], cls);
        cr_assert_eq(c.mono_at[t], (unsigned)at, "token %zu", t);
        cr_assert_float_eq(c.slope[t], slope, 1e-9 * (1 + fabs(slope)), "token %zu slope", t);
        if (isnan(r2))
            cr_assert(isnan(c.r2[t]), "token %zu: r2 %g, numpy nan", t, c.r2[t]);
        else
            cr_assert_float_eq(c.r2[t], r2, 1e-9, "token %zu r2", t);
        n_counts[cls]++;
    }
    fclose(ref);
    for (int k = 0; k < 3; k++) cr_assert_eq(c.count[k], n_counts[k]);
    cr_assert(n_counts[0] > 20 && n_counts[1] > 20 && n_counts[2] > 20,
              "the family has every class: %s", counts);
    zs_token_classes_free(&c);
    zs_token_loss_family_free(&f);
}

Test(token_cli, classes_file_counts_and_context_match_numpy) {
    char counts[64];
    const char *dir = make_family(counts, sizeof counts);
    zs_run r = zs_test_cli("quanta tokens %s/tl_*.npy --labels %s/labels.npy --classes %s/c.npy "
                           "--examples 2 --plot %s/classes.svg",
                           dir, dir, dir, dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    int other, mono, poly;
    cr_assert_eq(sscanf(counts, "%d %d %d", &other, &mono, &poly), 3);
    char want[128];
    snprintf(want, sizeof want, "%-10s %12d", "other", other);
    cr_assert(strstr(r.out, want), "want '%s' in %s", want, r.out);
    snprintf(want, sizeof want, "%-10s %12d", "monogenic", mono);
    cr_assert(strstr(r.out, want), "want '%s' in %s", want, r.out);
    snprintf(want, sizeof want, "%-10s %12d", "polygenic", poly);
    cr_assert(strstr(r.out, want), "want '%s' in %s", want, r.out);
    /* Every example's target is token (window * 16 + position + 1) of the data file, whose
     * token i is 7 i mod 50. */
    int examples = 0;
    for (const char *s = strstr(r.out, "  window "); s; s = strstr(s + 1, "  window ")) {
        unsigned long w, pos, target;
        cr_assert_eq(sscanf(s, "  window %lu position %lu", &w, &pos), 2);
        const char *arrow = strstr(s, "-> ");
        cr_assert_not_null(arrow);
        cr_assert_eq(sscanf(arrow, "-> %lu", &target), 1);
        cr_assert_eq(target, (w * 16 + pos + 1) * 7 % 50, "window %lu position %lu", w, pos);
        examples++;
    }
    cr_assert_eq(examples, 4, "2 monogenic and 2 polygenic examples: %s", r.out);
    cr_assert(strstr(r.out, "13 rules emitted the"), "%s", r.out);
    zs_run_free(&r);
    char svg_path[1200];
    snprintf(svg_path, sizeof svg_path, "%s/classes.svg", dir);
    char *svg = zs_test_slurp(svg_path, NULL);
    cr_assert(svg && strstr(svg, "mean loss of each class of tokens against N (320 tokens)"));
    free(svg);
    const char *py = zs_test_python("numpy");
    r = zs_test_sh("'%s' '%s/" REF "' check '%s' '%s/c.npy'", py, ZS_SOURCE_DIR, dir, dir);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    cr_assert_str_eq(r.out, "ok\n");
    zs_run_free(&r);
}

/* The command fails with `code`, `text` on stderr, nothing on stdout, no class file. */
static void expect_tokens_error(int code, const char *args, const char *text) {
    const char *out = zs_test_path("never.npy");
    zs_run r = zs_test_cli("quanta tokens %s --classes '%s'", args, out);
    cr_assert_eq(r.exit_code, code, "%s: exit %d, stderr %s", args, r.exit_code, r.err);
    cr_assert(strstr(r.err, text), "%s: stderr '%s' lacks '%s'", args, r.err, text);
    cr_assert_str_eq(r.out, "", "%s: nothing on stdout", args);
    cr_assert_null(fopen(out, "r"), "%s: no class file", args);
    zs_run_free(&r);
}

Test(token_cli, refusals) {
    char counts[64], args[4096];
    const char *d = make_family(counts, sizeof counts);
    snprintf(args, sizeof args, "%s/tl_0.npy", d);
    expect_tokens_error(2, args, "zipscale quanta tokens");
    snprintf(args, sizeof args, "%s/tl_0.npy %s/tl_1.npy --mono-high 0.1", d, d);
    expect_tokens_error(2, args, "--mono-high: token classes: mono_high_nats = 0.1");
    snprintf(args, sizeof args, "%s/tl_0.npy %s/tl_1.npy --labels %s/data.npy", d, d, d);
    expect_tokens_error(1, args, "data.npy: uint16 labels");
    zs_run r =
        zs_test_sh("cd '%s' && cp tl_1.npy dup.npy && sed 's/\"n_params\": 9000/"
                   "\"n_params\": 2000/' tl_1.npy.json > dup.npy.json && "
                   "cp tl_1.npy nosize.npy && sed 's/\"n_params\"/\"size\"/' tl_1.npy.json > "
                   "nosize.npy.json && cp tl_1.npy moved.npy && "
                   "sed 's/\"first_window\": 3/\"first_window\": 4/' tl_1.npy.json > "
                   "moved.npy.json && cp tl_1.npy alone.npy && cp data.npy ints.npy && "
                   "sed 's/\"n_params\": 9000/\"n_params\": 77/' tl_1.npy.json > "
                   "ints.npy.json",
                   d);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    snprintf(args, sizeof args, "%s/tl_0.npy %s/dup.npy", d, d);
    expect_tokens_error(1, args, "both of a model of 2000 parameters");
    snprintf(args, sizeof args, "%s/tl_0.npy %s/nosize.npy", d, d);
    expect_tokens_error(1, args, "nosize.npy.json: n_params: expected the model's parameter count");
    snprintf(args, sizeof args, "%s/tl_0.npy %s/moved.npy", d, d);
    expect_tokens_error(1, args, "expected every dump of the same held-out tokens");
    snprintf(args, sizeof args, "%s/tl_0.npy %s/alone.npy", d, d);
    expect_tokens_error(1, args, "alone.npy.json");
    snprintf(args, sizeof args, "%s/tl_0.npy %s/ints.npy", d, d);
    expect_tokens_error(1, args, "ints.npy: unsupported dtype '<u2' (expected float32, '<f4')");
}

/* ---- the summary file (-o) and the report's section ------------------------------------------ */

Test(token_summary, written_read_back_and_reported) {
    char counts[64];
    const char *dir = make_family(counts, sizeof counts);
    char sum[1200];
    snprintf(sum, sizeof sum, "%s/sum.json", dir);
    zs_run r = zs_test_cli("quanta tokens %s/tl_*.npy --examples 3 --context 5 -o '%s'", dir, sum);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    zs_token_summary s;
    zs_error err = {0};
    cr_assert_eq(zs_token_summary_read(&s, sum, &err), ZS_OK, "%s", err.msg);
    /* against the classes computed here from the same dumps */
    char paths[4][1200];
    const char *p[4];
    for (int j = 0; j < 4; j++) {
        snprintf(paths[j], sizeof paths[j], "%s/tl_%d.npy", dir, j);
        p[j] = paths[j];
    }
    zs_token_loss_family f;
    cr_assert_eq(zs_token_loss_family_read(&f, p, 4, &err), ZS_OK, "%s", err.msg);
    zs_token_class_opts o;
    zs_token_class_opts_init(&o);
    zs_token_classes c;
    cr_assert_eq(
        zs_token_classes_compute(&c, f.n_params, (const float *const *)f.loss, 4, 320, &o, &err),
        ZS_OK, "%s", err.msg);
    cr_assert_eq(s.classes.n_models, 4);
    cr_assert_eq(s.classes.n_tokens, 320);
    cr_assert_eq(s.first_window, 3);
    cr_assert_eq(s.windows, 20);
    cr_assert_eq(s.context, 16);
    cr_assert_str_eq(s.data_path, f.data_path);
    cr_assert_eq(memcmp(&s.opts, &o, sizeof o), 0, "the thresholds");
    int other, mono, poly;
    cr_assert_eq(sscanf(counts, "%d %d %d", &other, &mono, &poly), 3);
    cr_assert_eq(s.classes.count[ZS_TOKEN_OTHER], (size_t)other, "numpy's count");
    cr_assert_eq(s.classes.count[ZS_TOKEN_MONOGENIC], (size_t)mono);
    cr_assert_eq(s.classes.count[ZS_TOKEN_POLYGENIC], (size_t)poly);
    for (size_t j = 0; j < 4; j++) {
        cr_assert_str_eq(s.paths[j], f.paths[j]);
        cr_assert_eq(s.classes.n_params[j], f.n_params[j]);
        cr_assert_eq(s.classes.mono_count_at[j], c.mono_count_at[j]);
        double mean = 0;
        for (size_t t = 0; t < 320; t++) mean += f.loss[j][t];
        cr_assert_float_eq(s.mean_loss[j], mean / 320, 1e-12);
        for (int k = 0; k < 3; k++)
            cr_assert_eq(s.classes.class_mean_loss[k * 4 + j], c.class_mean_loss[k * 4 + j],
                         "class %d model %zu: exact through 17 digits", k, j);
    }
    /* 3 examples of each class, monogenic first; each the token it says */
    cr_assert_eq(s.n_examples, 9);
    const int order[3] = {ZS_TOKEN_MONOGENIC, ZS_TOKEN_POLYGENIC, ZS_TOKEN_OTHER};
    for (size_t i = 0; i < 9; i++) {
        const zs_token_example *e = &s.examples[i];
        size_t t = (size_t)(e->window * 16 + e->position);
        cr_assert_eq(e->cls, order[i / 3], "example %zu", i);
        cr_assert_eq(c.cls[t], e->cls, "example %zu is of its class", i);
        cr_assert_eq(e->mono_at, c.mono_at[t]);
        for (size_t j = 0; j < 4; j++) cr_assert_eq(e->loss[j], (double)f.loss[j][t]);
        uint64_t target = (3 + e->window) * 16 + e->position + 1;
        cr_assert_eq(e->target, (int64_t)(target * 7 % 50), "token i of the data is 7 i mod 50");
        cr_assert_eq(e->n_context, e->position + 1 > 5 ? 5 : e->position + 1);
        for (size_t q = 0; q < e->n_context; q++)
            cr_assert_eq(e->context[q], (target - e->n_context + q) * 7 % 50);
    }
    zs_token_summary_free(&s);
    zs_token_classes_free(&c);
    zs_token_loss_family_free(&f);
    /* the report's section */
    char html[1200];
    snprintf(html, sizeof html, "%s/report.html", dir);
    r = zs_test_cli("report '%s' --date '2026-01-02 03:04:05 UTC' -o '%s'", sum, html);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *text = zs_test_slurp(html, NULL);
    cr_assert(strstr(text, "<li><a href=\"#token-classes\">Token classes</a></li>"));
    cr_assert(strstr(text, "<section id=\"token-classes\">\n<h2>Monogenic and polygenic tokens"));
    cr_assert(strstr(text, ">mean loss of each class of tokens against N (320 tokens)</text>"));
    char row[200];
    snprintf(row, sizeof row, "<tr><td>monogenic</td><td class=\"num\">%d</td>", mono);
    cr_assert(strstr(text, row), "%s", row);
    cr_assert(strstr(text, "<p>4 models scored on the same 320 held-out tokens (20 windows of 16 "
                           "from window 3 of "));
    cr_assert_null(strstr(text, "id=\"qdg\""), "no qdg.json given, no QDG section");
    free(text);
}

Test(token_summary, refusals_name_the_field) {
    char counts[64], sum[1200];
    const char *dir = make_family(counts, sizeof counts);
    snprintf(sum, sizeof sum, "%s/sum.json", dir);
    zs_run r = zs_test_cli("quanta tokens %s/tl_*.npy --examples 0 -o '%s'", dir, sum);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    zs_token_summary s;
    zs_error err = {0};
    cr_assert_eq(zs_token_summary_read(&s, sum, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(s.n_examples, 0);
    zs_token_summary_free(&s);
    r = zs_test_sh("cd '%s' && /usr/bin/python3 -c \"import json; d = json.load(open('sum.json')); "
                   "d['classes']['other']['count'] += 1; json.dump(d, open('count.json', 'w')); "
                   "d = json.load(open('sum.json')); d['thresholds']['poly_min_r2'] = 1.5; "
                   "json.dump(d, open('r2.json', 'w')); d = json.load(open('sum.json')); "
                   "d['models'][2]['n_params'] = 1; json.dump(d, open('np.json', 'w')); "
                   "d = json.load(open('sum.json')); d['classes']['monogenic']['mean_loss'].pop(); "
                   "json.dump(d, open('ml.json', 'w'))\"",
                   dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    const char *cases[4][2] = {
        {"count.json", "count.json: classes: expected counts that sum to n_tokens"},
        {"r2.json", "r2.json: thresholds: token classes: poly_min_r2"},
        {"np.json", "np.json: models[2].n_params: expected a count above the previous model's"},
        {"ml.json", "ml.json: classes.monogenic.mean_loss: expected one number per model"},
    };
    for (int i = 0; i < 4; i++) {
        char path[1300];
        snprintf(path, sizeof path, "%s/%s", dir, cases[i][0]);
        cr_assert_eq(zs_token_summary_read(&s, path, &err), ZS_ERR_FORMAT, "%s", cases[i][0]);
        cr_assert(strstr(err.msg, cases[i][1]), "'%s' lacks '%s'", err.msg, cases[i][1]);
        cr_assert_null(s.paths);
        /* and the report refuses it, naming the file */
        r = zs_test_cli("report '%s' -o '%s/never.html'", path, dir);
        cr_assert_eq(r.exit_code, 1, "%s", r.err);
        cr_assert(strstr(r.err, cases[i][1]), "%s", r.err);
        zs_run_free(&r);
    }
}
