/* The QDG figures and their inputs (zipscale/quanta_qdg_file.h, zs_figure_qdg_*, `zipscale
 * plot qdg`, the report's QDG section): a qdg.json written by zs_qdg_parity_write from a
 * hand-made result and read back; the cluster order and the intercept against closed forms;
 * the heatmap's block means against numpy; the figures' SVG hooks; the errors with their
 * messages (an affinity of the wrong size names the file and the size expected). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/figures.h"
#include "zipscale/quanta_qdg.h"
#include "zipscale/quanta_qdg_file.h"
#include "zipscale/tokens.h"

#define N 10

static size_t count(const char *text, const char *needle) {
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(text, needle); p; p = strstr(p + len, needle)) n++;
    return n;
}

static void expect_in(const char *text, const char *needle) {
    cr_assert(strstr(text, needle), "'%s' not in the text", needle);
}

/* Three planted clusters of 5, 3 and 2 samples under shuffled labels: the true classes, the
 * labels of variant "signed" (exact) and of "abs" (one sample moved), and the affinity: 1 on
 * the diagonal, 0.9 within a cluster, 0.1 across. */
static const uint32_t truth[N] = {0, 1, 0, 2, 1, 0, 0, 1, 2, 0};
static const uint32_t planted[N] = {2, 0, 2, 1, 0, 2, 2, 0, 1, 2};
static const uint32_t moved[N] = {2, 0, 2, 1, 0, 2, 2, 0, 1, 1};

static void planted_affinity(float *a) {
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++)
            a[i * N + j] = i == j ? 1.0f : planted[i] == planted[j] ? 0.9f : 0.1f;
}

/* DIR/qdg.json (+ truth.npy, labels_signed.npy, labels_abs.npy) by the library's writer, with
 * affinity_file `aff` (NULL: none); DIR/aff.f32 holds the planted affinity. Returns DIR. */
static const char *write_qdg_dir(const char *name, const char *aff) {
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s", zs_test_path(name));
    zs_run r = zs_test_sh("mkdir -p '%s'", dir);
    cr_assert_eq(r.exit_code, 0);
    zs_run_free(&r);
    zs_qdg_parity_opts o;
    zs_qdg_parity_opts_init(&o);
    o.n = N;
    o.pool = 40;
    o.n_k_sweep = 1;
    o.k_sweep[0] = 2;
    o.affinity_path = aff;
    zs_qdg_parity_result res;
    memset(&res, 0, sizeof res);
    res.pool = 40;
    res.n_below = 20;
    res.n = N;
    res.n_tasks = 4;
    res.classes = 3;
    res.subtask = (uint32_t *)truth;
    res.n_variants = 2;
    const uint32_t *labels[2] = {planted, moved};
    static uint64_t sizes[2][3];
    for (size_t v = 0; v < 2; v++) {
        zs_qdg_variant_result *x = &res.variants[v];
        zs_error err = {0};
        cr_assert_eq(zs_qdg_variant_parse(v ? "abs" : "signed", &x->variant, &err), ZS_OK);
        x->k = 3;
        x->dim = 77;
        x->labels = (uint32_t *)labels[v];
        zs_qdg_cluster_sizes(labels[v], N, 3, sizes[v]);
        x->sizes = sizes[v];
        x->ari = zs_qdg_ari(truth, labels[v], N);
        x->nmi = zs_qdg_nmi(truth, labels[v], N);
        x->slope = zs_qdg_rank_slope(sizes[v], 3, 1, 3);
        x->sweep_ari[0] = 0.25;
        x->sweep_nmi[0] = NAN;
    }
    zs_error err = {0};
    cr_assert_eq(zs_qdg_parity_write(dir, &o, &res, &err), ZS_OK, "%s", err.msg);
    float a[N * N];
    planted_affinity(a);
    char path[1100];
    snprintf(path, sizeof path, "%s/aff.f32", dir);
    cr_assert_eq(zs_test_write(path, a, sizeof a), 0);
    return dir;
}

static char *read_svg(const char *path) {
    char *svg = zs_test_slurp(path, NULL);
    cr_assert_not_null(svg, "cannot read %s", path);
    return svg;
}

/* ---- reading qdg.json back ---- */

Test(qdg_file, written_and_read_back) {
    const char *dir = write_qdg_dir("rt", "somewhere/aff.f32");
    char path[1100];
    snprintf(path, sizeof path, "%s/qdg.json", dir);
    zs_qdg_file f;
    zs_error err = {0};
    cr_assert_eq(zs_qdg_file_read(&f, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(f.n, N);
    cr_assert_eq(f.pool, 40);
    cr_assert_eq(f.n_below, 20);
    cr_assert_eq(f.classes_present, 3);
    cr_assert_eq(f.n_tasks, 4);
    cr_assert_eq(f.max_loss_nats, 0.1);
    cr_assert_str_eq(f.affinity_file, "somewhere/aff.f32");
    cr_assert_eq(f.n_variants, 2);
    cr_assert_str_eq(f.variants[0].name, "signed");
    cr_assert_str_eq(f.variants[1].affinity, "abs");
    cr_assert_eq(f.variants[0].ari, 1.0, "the planted labels are the truth renamed");
    cr_assert_eq(f.variants[0].nmi, 1.0);
    cr_assert_eq(f.variants[1].ari, zs_qdg_ari(truth, moved, N));
    const uint64_t want0[3] = {5, 3, 2}, want1[3] = {4, 3, 3};
    for (int c = 0; c < 3; c++) {
        cr_assert_eq(f.variants[0].sizes_ranked[c], want0[c]);
        cr_assert_eq(f.variants[1].sizes_ranked[c], want1[c]);
    }
    cr_assert_eq(f.variants[0].rank_lo, 1);
    cr_assert_eq(f.variants[0].rank_hi, 3);
    cr_assert_eq(f.variants[0].n_sweep, 1);
    cr_assert_eq(f.variants[0].sweep_k[0], 2);
    cr_assert_eq(f.variants[0].sweep_ari[0], 0.25);
    cr_assert(isnan(f.variants[0].sweep_nmi[0]), "null reads NAN");
    /* the recorded path is found by its name beside qdg.json */
    char buf[1200], want[1200];
    cr_assert_eq(zs_qdg_file_affinity_path(&f, path, buf, sizeof buf), 1);
    snprintf(want, sizeof want, "%s/aff.f32", dir);
    cr_assert_str_eq(buf, want);
    cr_assert_eq(zs_qdg_file_labels_path(path, "abs", buf, sizeof buf), 1);
    cr_assert_eq(zs_qdg_file_labels_path(path, "nope", buf, sizeof buf), 0);
    uint32_t *labels;
    size_t n;
    cr_assert_eq(zs_qdg_file_labels_path(path, "signed", buf, sizeof buf), 1);
    cr_assert_eq(zs_qdg_labels_read(buf, &labels, &n, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(n, N);
    for (size_t i = 0; i < N; i++) cr_assert_eq(labels[i], planted[i]);
    free(labels);
    zs_qdg_file_free(&f);
    cr_assert_null(f.variants);
}

/* A qdg.json of no affinity records none; one with a bad field fails naming it. */
Test(qdg_file, errors_name_the_file_and_field) {
    const char *dir = write_qdg_dir("errs", NULL);
    char path[1100], buf[1200];
    snprintf(path, sizeof path, "%s/qdg.json", dir);
    zs_qdg_file f;
    zs_error err = {0};
    cr_assert_eq(zs_qdg_file_read(&f, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_null(f.affinity_file);
    cr_assert_eq(zs_qdg_file_affinity_path(&f, path, buf, sizeof buf), 0);
    zs_qdg_file_free(&f);
    zs_run r = zs_test_sh("cd '%s' && /usr/bin/python3 -c \"import json; d = json.load(open("
                          "'qdg.json')); d['variants'][1]['sizes_ranked'] = [4, 3, 2]; "
                          "json.dump(d, open('bad.json', 'w')); d['format_version'] = 2; "
                          "json.dump(d, open('v2.json', 'w'))\"",
                          dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    snprintf(path, sizeof path, "%s/bad.json", dir);
    cr_assert_eq(zs_qdg_file_read(&f, path, &err), ZS_ERR_FORMAT);
    expect_in(err.msg, "bad.json: variants[1].sizes_ranked: expected cluster sizes that sum to "
                       "selection.n");
    cr_assert_null(f.variants);
    snprintf(path, sizeof path, "%s/v2.json", dir);
    cr_assert_eq(zs_qdg_file_read(&f, path, &err), ZS_ERR_FORMAT);
    expect_in(err.msg, "v2.json: format_version: expected 1");
    /* labels: a negative one, a 2-D array */
    int32_t neg[3] = {0, -1, 2};
    uint64_t shape[2] = {3, 1};
    snprintf(path, sizeof path, "%s/neg.npy", dir);
    cr_assert_eq(zs_npy_write(path, ZS_DTYPE_I32, 1, shape, neg, &err), ZS_OK, "%s", err.msg);
    uint32_t *labels;
    size_t n;
    cr_assert_eq(zs_qdg_labels_read(path, &labels, &n, &err), ZS_ERR_FORMAT);
    expect_in(err.msg, "neg.npy: label 1 is -1: expected a cluster id >= 0");
    cr_assert_null(labels);
    snprintf(path, sizeof path, "%s/twod.npy", dir);
    cr_assert_eq(zs_npy_write(path, ZS_DTYPE_I32, 2, shape, neg, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_qdg_labels_read(path, &labels, &n, &err), ZS_ERR_FORMAT);
    expect_in(err.msg, "twod.npy: expected a non-empty 1-D .npy of cluster labels");
    /* an affinity not of n x n floats */
    snprintf(path, sizeof path, "%s/short.f32", dir);
    float a[N * N];
    planted_affinity(a);
    cr_assert_eq(zs_test_write(path, a, 99 * sizeof(float)), 0);
    float *x;
    cr_assert_eq(zs_qdg_affinity_read(path, N, "L.npy", &x, &err), ZS_ERR_FORMAT);
    expect_in(err.msg, "short.f32: 396 bytes: expected 10 x 10 float32 (400 bytes) for the 10 "
                       "labels of L.npy");
    cr_assert_null(x);
    a[13] = NAN;
    snprintf(path, sizeof path, "%s/nan.f32", dir);
    cr_assert_eq(zs_test_write(path, a, sizeof a), 0);
    cr_assert_eq(zs_qdg_affinity_read(path, N, "L.npy", &x, &err), ZS_ERR_FORMAT);
    expect_in(err.msg, "nan.f32: entry (1, 3) is nan: expected a finite affinity");
    cr_assert_eq(zs_qdg_affinity_read(zs_test_path("none.f32"), N, "L.npy", &x, &err), ZS_ERR_IO);
    expect_in(err.msg, "none.f32");
}

/* ---- the order, the blocks and the line: closed forms and numpy ---- */

Test(qdg_file, cluster_order_by_size_then_label_then_index) {
    /* sizes: cluster 0 of 3, 1 of 2, 2 of 2, 3 of 4 */
    const uint32_t labels[11] = {2, 0, 1, 0, 2, 0, 1, 3, 3, 3, 3};
    const size_t want[11] = {7, 8, 9, 10, 1, 3, 5, 2, 6, 0, 4};
    size_t order[11];
    zs_error err = {0};
    cr_assert_eq(zs_qdg_cluster_order(labels, 11, order, &err), ZS_OK);
    for (size_t i = 0; i < 11; i++) cr_assert_eq(order[i], want[i], "position %zu", i);
}

Test(qdg_file, intercept_of_an_exact_power_law) {
    /* sizes 840 / r are exactly size = 840 rank^-1 */
    uint64_t sizes[9] = {840, 420, 280, 210, 168, 140, 120, 105, 0};
    zs_qdg_file_variant v = {
        .k = 9, .slope = -1, .rank_lo = 1, .rank_hi = 9, .sizes_ranked = sizes};
    cr_assert_float_eq(zs_qdg_file_intercept(&v), log(840.0), 1e-12,
                       "the empty rank 9 is left out");
    cr_assert_float_eq(zs_qdg_rank_slope(sizes, 9, 1, 9), -1.0, 1e-12);
    v.rank_lo = 3;
    v.rank_hi = 5;
    cr_assert_float_eq(zs_qdg_file_intercept(&v), log(840.0), 1e-12);
    v.slope = NAN;
    cr_assert(isnan(zs_qdg_file_intercept(&v)));
}

static const char blocks_py[] =
    "import sys, numpy as np\n"
    "n, m = int(sys.argv[3]), int(sys.argv[4])\n"
    "a = np.fromfile(sys.argv[1], dtype='<f4').astype(np.float64).reshape(n, n)\n"
    "order = np.loadtxt(sys.argv[2], dtype=np.int64)\n"
    "b = a[np.ix_(order, order)]\n"
    "e = [i * n // m for i in range(m + 1)]\n"
    "for i in range(m):\n"
    "    print(' '.join(repr(b[e[i]:e[i+1], e[j]:e[j+1]].mean()) for j in range(m)))\n";

Test(qdg_file, block_means_match_numpy) {
    const char *py = zs_test_python("numpy");
    enum { NN = 23 };
    float a[NN * NN];
    uint32_t labels[NN];
    for (size_t i = 0; i < NN; i++) labels[i] = (uint32_t)((i * 7) % 5);
    for (size_t i = 0; i < NN * NN; i++) a[i] = (float)((i * 37 % 101) / 100.0);
    size_t order[NN];
    zs_error err = {0};
    cr_assert_eq(zs_qdg_cluster_order(labels, NN, order, &err), ZS_OK);
    const char *aff = zs_test_path("blocks.f32"), *ord = zs_test_path("order.txt");
    cr_assert_eq(zs_test_write(aff, a, sizeof a), 0);
    FILE *f = fopen(ord, "w");
    for (size_t i = 0; i < NN; i++) fprintf(f, "%zu\n", order[i]);
    fclose(f);
    cr_assert_eq(zs_test_write(zs_test_path("blocks.py"), blocks_py, strlen(blocks_py)), 0);
    const size_t ms[3] = {NN, 7, 1};
    for (int t = 0; t < 3; t++) {
        size_t m = ms[t];
        double z[NN * NN];
        zs_qdg_affinity_blocks(a, order, NN, m, z);
        zs_run r = zs_test_sh("'%s' '%s' '%s' '%s' %d %zu", py, zs_test_path("blocks.py"), aff, ord,
                              NN, m);
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        const char *p = r.out;
        for (size_t i = 0; i < m * m; i++) {
            char *end;
            double want = strtod(p, &end);
            cr_assert(end != p, "numpy printed too few numbers (m %zu)", m);
            p = end;
            cr_assert_float_eq(z[i], want, 1e-12, "m %zu cell %zu: %.17g, numpy %.17g", m, i, z[i],
                               want);
        }
        zs_run_free(&r);
    }
}

/* ---- the figures ---- */

Test(qdg_figures, rank_frequency_has_the_sizes_and_the_line) {
    uint64_t sizes[9] = {840, 420, 280, 210, 168, 140, 120, 105, 0};
    zs_qdg_file_variant v = {
        .name = "abs", .k = 9, .slope = -1, .rank_lo = 2, .rank_hi = 6, .sizes_ranked = sizes};
    zs_plot *fig;
    zs_error err = {0};
    cr_assert_eq(zs_figure_qdg_rank_frequency(&v, NULL, &fig, &err), ZS_OK, "%s", err.msg);
    const char *path = zs_test_path("rf.svg");
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    zs_plot_free(fig);
    char *svg = read_svg(path);
    expect_in(svg, ">QDG cluster sizes by rank (variant abs, k = 9)</text>");
    expect_in(svg, ">cluster sizes (9 clusters, 1 empty, not shown)</text>");
    expect_in(svg, ">fit: size ~ rank^-1 over ranks 2-6</text>");
    expect_in(svg, ">rank (1 = largest cluster)</text>");
    free(svg);
    v.slope = NAN; /* no line */
    cr_assert_eq(zs_figure_qdg_rank_frequency(&v, NULL, &fig, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    zs_plot_free(fig);
    svg = read_svg(path);
    cr_assert_null(strstr(svg, "fit: size"));
    free(svg);
    uint64_t none[2] = {0, 0};
    zs_qdg_file_variant e = {
        .name = "x", .k = 2, .slope = NAN, .rank_lo = 1, .rank_hi = 2, .sizes_ranked = none};
    cr_assert_eq(zs_figure_qdg_rank_frequency(&e, NULL, &fig, &err), ZS_ERR_RANGE);
    expect_in(err.msg, "figure: QDG variant 'x' has no cluster with a sample");
    cr_assert_null(fig);
}

Test(qdg_figures, heatmap_cells_and_title) {
    float a[N * N];
    planted_affinity(a);
    zs_plot *fig;
    zs_error err = {0};
    const char *path = zs_test_path("hm.svg");
    cr_assert_eq(zs_figure_qdg_affinity(a, planted, N, 500, "signed", NULL, &fig, &err), ZS_OK,
                 "%s", err.msg);
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    zs_plot_free(fig);
    char *svg = read_svg(path);
    cr_assert_eq(count(svg, "class=\"cell\""), N * N, "one cell per pair below the limit");
    expect_in(svg, ">QDG affinity ordered by cluster (signed)</text>");
    expect_in(svg, ">sample by cluster, largest first (10)</text>");
    expect_in(svg, ">sample by cluster, largest first</text>");
    free(svg);
    cr_assert_eq(zs_figure_qdg_affinity(a, planted, N, 4, NULL, NULL, &fig, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    zs_plot_free(fig);
    svg = read_svg(path);
    cr_assert_eq(count(svg, "class=\"cell\""), 16);
    expect_in(svg, ">QDG affinity ordered by cluster</text>");
    expect_in(svg, ">sample by cluster, largest first (10, in 4 x 4 block means)</text>");
    free(svg);
    cr_assert_eq(zs_figure_qdg_affinity(a, planted, N, 0, NULL, NULL, &fig, &err), ZS_ERR_USAGE);
    expect_in(err.msg, "figure: 0 cells a side: expected 1 to 1000");
    cr_assert_eq(zs_figure_qdg_affinity(a, planted, 0, 10, NULL, NULL, &fig, &err), ZS_ERR_USAGE);
    expect_in(err.msg, "figure: an affinity matrix of no sample");
}

/* ---- zipscale plot qdg ---- */

Test(plot_qdg_cli, both_figures_and_the_errors) {
    const char *dir = write_qdg_dir("cli", "aff.f32");
    const char *out = zs_test_path("cli-rf.svg");
    zs_run r = zs_test_cli("plot qdg '%s/qdg.json' --variant abs -o '%s'", dir, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *svg = read_svg(out);
    expect_in(svg, ">QDG cluster sizes by rank (variant abs, k = 3)</text>");
    expect_in(svg, ">cluster sizes (3 clusters)</text>");
    free(svg);
    const char *png = zs_test_path("cli-hm.png");
    r = zs_test_cli("plot qdg '%s/qdg.json' --affinity auto -o '%s'", dir, png);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    size_t len;
    char *bytes = zs_test_slurp(png, &len);
    cr_assert(bytes && len > 1000 && memcmp(bytes, "\x89PNG", 4) == 0, "a PNG");
    free(bytes);
    out = zs_test_path("cli-hm.svg");
    r = zs_test_cli("plot qdg '%s/qdg.json' --affinity '%s/aff.f32' --cells 5 -o '%s'", dir, dir,
                    out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    svg = read_svg(out);
    cr_assert_eq(count(svg, "class=\"cell\""), 25);
    free(svg);
    /* errors */
    r = zs_test_cli("plot qdg '%s/qdg.json' --variant nope -o '%s'", dir, out);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    expect_in(r.err, "qdg.json: no variant 'nope' (it has 2, the first 'signed')");
    zs_run_free(&r);
    r = zs_test_cli("plot qdg '%s/qdg.json' --affinity auto --cells 0 -o '%s'", dir, out);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    expect_in(r.err, "--cells 0: expected 1 to 1000");
    zs_run_free(&r);
    r = zs_test_cli("plot qdg '%s/qdg.json' --labels '%s/truth.npy' -o '%s'", dir, dir, out);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    expect_in(r.err, "--labels: only with --affinity");
    zs_run_free(&r);
    float a[N * N];
    planted_affinity(a);
    const char *bad = zs_test_path("bad.f32");
    cr_assert_eq(zs_test_write(bad, a, 50 * sizeof(float)), 0);
    r = zs_test_cli("plot qdg '%s/qdg.json' --affinity '%s' -o '%s'", dir, bad, out);
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    expect_in(r.err, "bad.f32: 200 bytes: expected 10 x 10 float32 (400 bytes) for the 10 labels "
                     "of ");
    expect_in(r.err, "labels_signed.npy");
    zs_run_free(&r);
    const char *none = write_qdg_dir("cli-none", NULL);
    r = zs_test_cli("plot qdg '%s/qdg.json' --affinity auto -o '%s'", none, out);
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    expect_in(r.err, "qdg.json: no affinity_file recorded: --affinity auto needs the file of "
                     "--dump-affinity");
    zs_run_free(&r);
}

/* ---- the report's QDG section ---- */

static char *report_of(const char *input, int expect_exit, char **err_text) {
    const char *html = zs_test_path("qdg-report.html");
    zs_run r = zs_test_cli("report '%s' --date '2026-01-02 03:04:05 UTC' -o '%s'", input, html);
    cr_assert_eq(r.exit_code, expect_exit, "%s", r.err);
    if (err_text) *err_text = strdup(r.err);
    zs_run_free(&r);
    return expect_exit ? NULL : zs_test_slurp(html, NULL);
}

/* The page parses as XML (every tag, every inline <svg>, closed) and has no script or
 * external reference: prints the section ids, the figures and the inline SVGs. */
static const char structure_py[] =
    "import sys, xml.etree.ElementTree as ET\n"
    "text = open(sys.argv[1], encoding='utf-8').read()\n"
    "root = ET.fromstring(text.split('\\n', 1)[1])\n"
    "SVG = '{http://www.w3.org/2000/svg}svg'\n"
    "if '<script' in text or ' src=' in text: raise SystemExit('a script or a src=')\n"
    "figs = list(root.iter('figure'))\n"
    "if any(f.find(SVG) is None for f in figs): raise SystemExit('a figure without its svg')\n"
    "ids = [s.get('id') for s in root.iter('section')]\n"
    "print(' '.join(ids), len(figs), len(list(root.iter(SVG))))\n";

Test(report_qdg, table_figures_and_heatmap) {
    const char *dir = write_qdg_dir("rep", "aff.f32");
    char path[1100];
    snprintf(path, sizeof path, "%s/qdg.json", dir);
    char *text = report_of(path, 0, NULL);
    expect_in(text, "<li><a href=\"#qdg\">QDG</a></li>");
    expect_in(text, "<section id=\"qdg\">\n<h2>Quanta discovery from gradients (QDG)</h2>");
    expect_in(text, "<p>10 examples of the parity MLP clustered: an evenly spaced subsample of "
                    "the 20 of 40 scored whose loss is below 0.1 nats; 3 of the 4 true classes "
                    "(subtasks) are present");
    expect_in(text, "<tr><td>signed</td><td>angular</td><td class=\"num\">77</td><td "
                    "class=\"num\">3</td><td class=\"num\">1</td><td class=\"num\">1</td>");
    char row[512];
    snprintf(row, sizeof row,
             "<tr><td>abs</td><td>abs</td><td class=\"num\">77</td><td class=\"num\">3</td><td "
             "class=\"num\">%.4g</td>",
             zs_qdg_ari(truth, moved, N));
    expect_in(text, row);
    expect_in(text, "<tr><td>signed</td><td class=\"num\">2</td><td class=\"num\">0.25</td><td "
                    "class=\"num\">n/a</td></tr>");
    expect_in(text, ">QDG cluster sizes by rank (variant signed, k = 3)</text>");
    expect_in(text, ">QDG cluster sizes by rank (variant abs, k = 3)</text>");
    expect_in(text, ">QDG affinity ordered by cluster (signed)</text>");
    cr_assert_eq(count(text, "class=\"cell\""), N * N);
    cr_assert_eq(count(text, "<figure>"), 3, "two rank-frequency figures and the heatmap");
    cr_assert_null(strstr(text, "id=\"token-classes\""), "no summary given, no section");
    free(text);
    const char *py = zs_test_python("");
    const char *script = zs_test_path("structure.py");
    cr_assert_eq(zs_test_write(script, structure_py, strlen(structure_py)), 0);
    zs_run r = zs_test_sh("'%s' '%s' '%s'", py, script, zs_test_path("qdg-report.html"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "qdg provenance 3 3\n");
    zs_run_free(&r);
}

Test(report_qdg, no_affinity_a_note_and_a_bad_one_an_error) {
    const char *dir = write_qdg_dir("rep-none", NULL);
    char path[1100];
    snprintf(path, sizeof path, "%s/qdg.json", dir);
    char *text = report_of(path, 0, NULL);
    expect_in(text, "<p>No affinity heatmap: no affinity was dumped (zipscale quanta qdg "
                    "--dump-affinity FILE).</p>");
    cr_assert_eq(count(text, "<figure>"), 2);
    free(text);
    dir = write_qdg_dir("rep-gone", "/nonexistent/zz.f32");
    snprintf(path, sizeof path, "%s/qdg.json", dir);
    text = report_of(path, 0, NULL);
    expect_in(text, "<p>No affinity heatmap: the affinity file is not found beside the qdg.json "
                    "nor at /nonexistent/zz.f32.</p>");
    free(text);
    dir = write_qdg_dir("rep-bad", "aff.f32");
    float a[N * N];
    planted_affinity(a);
    snprintf(path, sizeof path, "%s/aff.f32", dir);
    cr_assert_eq(zs_test_write(path, a, 81 * sizeof(float)), 0);
    snprintf(path, sizeof path, "%s/qdg.json", dir);
    char *err;
    report_of(path, 1, &err);
    expect_in(err,
              "aff.f32: 324 bytes: expected 10 x 10 float32 (400 bytes) for the 10 labels of ");
    free(err);
}
