/* End-to-end test of `zipscale pcfg paper`: the gzip paper's grammar set through generate,
 * sample and measure, checked against the paper's H values and for reproducibility. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/pcfg.h"

/* The gzip paper's main set, [GZ] (Pandey, "gzip Predicts Data-dependent Scaling Laws",
 * arXiv 2405.16684) Table 1: the knobs (nonterminals, terminals, max options, max length)
 * and the gzip compressibility H it measured (docs/science.md §4). Pinned here so the test
 * does not compare the library's table with itself. */
static const struct {
    unsigned knobs[4];
    double h;
} PAPER_MAIN[6] = {
    {{3, 20, 2, 2}, 0.11},    {{10, 150, 5, 3}, 0.22},   {{20, 300, 10, 5}, 0.35},
    {{30, 400, 10, 8}, 0.42}, {{50, 500, 20, 15}, 0.51}, {{100, 2000, 100, 30}, 0.61},
};

/* A number the summary must hold: a missing key or a non-number fails, never reads as 0. */
static double num(json_t *obj, const char *key, size_t grammar) {
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_number(v), "grammar %zu: summary.json lacks the number '%s'", grammar, key);
    return json_number_value(v);
}

static json_t *load_summary(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    cr_assert(j, "%s: %s", path, jerr.text);
    return j;
}

Test(pcfg_paper, main_set_matches_the_paper_and_reproduces, .timeout = 120) {
    const char *dir = zs_test_path("demo");
    zs_run r = zs_test_cli("pcfg paper -o '%s' --tokens 262144 --threads 2", dir);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "H paper"), "table: %s", r.out);
    zs_run_free(&r);
    json_t *j = load_summary(dir);
    json_t *grammars = json_object_get(j, "grammars");
    cr_assert_eq(json_array_size(grammars), 6);
    size_t n_ref;
    const zs_pcfg_reference_grammar *ref = zs_pcfg_reference_grammars(&n_ref);
    cr_assert_geq(n_ref, 6);
    static const char *const knob_keys[4] = {"nonterminals", "terminals", "max_options",
                                             "max_length"};
    for (size_t i = 0; i < 6; i++) {
        json_t *g = json_array_get(grammars, i);
        cr_assert_str_eq(json_string_value(json_object_get(g, "set")), "main", "grammar %zu", i);
        json_t *knobs = json_object_get(g, "knobs");
        for (int k = 0; k < 4; k++)
            cr_assert_eq(num(knobs, knob_keys[k], i), PAPER_MAIN[i].knobs[k], "grammar %zu: %s", i,
                         knob_keys[k]);
        double h = num(g, "h", i);
        double paper = PAPER_MAIN[i].h;
        /* The summary and the library's table both carry the paper's value. */
        cr_assert_eq(num(g, "h_paper", i), paper, "grammar %zu: h_paper", i);
        cr_assert_str_eq(ref[i].set, "main");
        cr_assert_eq(ref[i].paper_h, paper, "grammar %zu: the library's paper_h", i);
        /* docs/science.md §4: random grammars with the same knobs scatter by a few hundredths
         * around the paper's values; 0.05 is well outside that scatter. */
        cr_assert_lt(fabs(h - paper), 0.05, "grammar %zu: H %.4f against the paper's %.2f", i, h,
                     paper);
        /* H must rise with the grammar's complexity, as in the paper's main set. */
        if (i > 0) {
            double prev = num(json_array_get(grammars, i - 1), "h", i - 1);
            cr_assert_gt(h, prev, "H should increase along the main set (grammar %zu)", i);
        }
        const char *tokens = json_string_value(json_object_get(g, "tokens"));
        cr_assert(tokens, "grammar %zu: summary.json lacks the string 'tokens'", i);
        zs_run info = zs_test_cli("tokens info '%s' --json", tokens);
        cr_assert_eq(info.exit_code, 0, "%s", info.err);
        cr_assert(strstr(info.out, "\"generator\": \"pcfg\""), "%s", info.out);
        zs_run_free(&info);
    }
    /* The figure: one distribution series, a box per grammar, labelled by its knobs. */
    char svg_path[1024];
    snprintf(svg_path, sizeof svg_path, "%s/h.svg", dir);
    char *svg = zs_test_slurp(svg_path, NULL);
    cr_assert(svg, "%s was not written", svg_path);
    cr_assert(strstr(svg, "class=\"series distribution\""), "no distribution series in h.svg");
    cr_assert(strstr(svg, "(3,20,2,2)") && strstr(svg, "(100,2000,100,30)"), "grammar labels");
    cr_assert(strstr(svg, "gzip compressibility H"), "axis label");
    free(svg);
    /* Same seed, one thread: the same numbers (timings aside). */
    const char *dir2 = zs_test_path("demo2");
    r = zs_test_cli("pcfg paper -o '%s' --tokens 262144 --threads 1 --json", dir2);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    zs_run_free(&r);
    json_t *j2 = load_summary(dir2);
    json_t *g2 = json_object_get(j2, "grammars");
    for (size_t i = 0; i < 6; i++) {
        json_t *a = json_array_get(grammars, i), *b = json_array_get(g2, i);
        const char *keys[] = {"h",
                              "h_stdev",
                              "h_q1",
                              "h_q3",
                              "zstd_ratio",
                              "unigram_entropy_bits",
                              "dropped_fraction"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            cr_assert_eq(num(a, keys[k], i), num(b, keys[k], i), "grammar %zu, %s", i, keys[k]);
    }
    r = zs_test_sh("cmp '%s/main-3.npy' '%s/main-3.npy' && cmp '%s/main-3.pcfg' '%s/main-3.pcfg'",
                   dir, dir2, dir, dir2);
    cr_assert_eq(r.exit_code, 0, "outputs differ across thread counts: %s", r.out);
    zs_run_free(&r);
    json_decref(j);
    json_decref(j2);
}

Test(pcfg_paper, bad_options) {
    zs_run r = zs_test_cli("pcfg paper --set nonsense -o '%s'", zs_test_path("x"));
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--set 'nonsense': expected main, same-vocabulary, same-h or all"),
              "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg paper --tokens 0");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--tokens 0: expected 1.."), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg paper -o /nonexistent-dir/sub --tokens 256");
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "/nonexistent-dir/sub: cannot create the directory"), "%s", r.err);
    zs_run_free(&r);
}
