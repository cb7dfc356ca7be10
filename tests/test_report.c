/* Tests of `zipscale report`: a report of the whole example pipeline (fit, regress,
 * predict, a token file of `pcfg paper`, gzip JSON, a training log) is well-formed, has
 * every section, inlines every figure and fetches nothing; its bytes do not depend on the
 * thread count; a sweep's summary.json gets its Sweep section; each malformed or unknown
 * input fails with a message naming it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testquanta.h"
#include "testutil.h"
#include "zipscale/fit.h"
#include "zipscale/report.h"

#define EXAMPLE ZS_SOURCE_DIR "/tests/data/fit/runs.csv"
#define SMALL_GRID "alpha=0:2:1,beta=0:2:1,e=-1:1:1,a=5:20:15,b=5:20:15"
#define DATE "2026-01-02 03:04:05 UTC"

/* The structure check, run by Debian's python3: the page parses as XML (so every tag,
 * every <svg> included, is closed) and with html.parser; prints the section ids, the
 * number of figures and of inline SVGs, or fails on a <script>, an external src/href,
 * an XML declaration inside the page or a <figure> without its <svg>. */
static const char check_py[] =
    "import sys, xml.etree.ElementTree as ET, html.parser\n"
    "text = open(sys.argv[1], encoding='utf-8').read()\n"
    "root = ET.fromstring(text.split('\\n', 1)[1])\n"
    "SVG = '{http://www.w3.org/2000/svg}svg'\n"
    "class P(html.parser.HTMLParser):\n"
    "    tags = []\n"
    "    def handle_starttag(self, tag, attrs): self.tags.append((tag, dict(attrs)))\n"
    "p = P(); p.feed(text); p.close()\n"
    "if any(t == 'script' for t, a in p.tags): raise SystemExit('a <script>')\n"
    "for t, a in p.tags:\n"
    "    if 'src' in a: raise SystemExit('a src= on <%s>' % t)\n"
    "    h = a.get('href')\n"
    "    if h is not None and not h.startswith('#'): raise SystemExit('an external href: %s' % h)\n"
    "if '<?xml' in text: raise SystemExit('an XML declaration inside the page')\n"
    "figs = list(root.iter('figure'))\n"
    "if any(f.find(SVG) is None for f in figs): raise SystemExit('a figure without its svg')\n"
    "svgs = list(root.iter(SVG))\n"
    "ids = [s.get('id') for s in root.iter('section')]\n"
    "print(' '.join(ids), len(figs), len(svgs))\n";

/* law.json, regression.json and predict JSON of the example runs, in the tmpdir. */
static void fit_pipeline(void) {
    zs_run r = zs_test_cli("fit %s --grid " SMALL_GRID " --bootstrap 10 --holdout-largest 2 "
                           "--threads 2 -o %s",
                           EXAMPLE, zs_test_path("law.json"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("regress %s -o %s", zs_test_path("law.json"), zs_test_path("regression.json"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("predict --law %s --gzip 0.4 --compute 1e18,1e20 --json -o %s",
                    zs_test_path("regression.json"), zs_test_path("predict.json"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
}

static void write_text(const char *name, const char *text) {
    cr_assert_eq(zs_test_write(zs_test_path(name), text, strlen(text)), 0);
}

static const char trainlog[] =
    "{\"step\": 0, \"tokens\": 0, \"lr\": 0.001, \"train_loss\": 10.4, \"grad_norm\": 3, "
    "\"tok_per_s\": 1000}\n"
    "{\"step\": 10, \"tokens\": 20480, \"lr\": 0.001, \"train_loss\": 6.1, \"val_loss\": 6.3, "
    "\"grad_norm\": 2, \"tok_per_s\": 1000}\n"
    "{\"step\": 20, \"tokens\": 40960, \"lr\": 0.001, \"train_loss\": 4.2, \"val_loss\": 4.5, "
    "\"grad_norm\": 1, \"tok_per_s\": 1000}\n";

static char *run_check(const char *html_path) {
    const char *py = zs_test_python("");
    write_text("check.py", check_py);
    zs_run r = zs_test_sh("%s %s %s", py, zs_test_path("check.py"), html_path);
    cr_assert_eq(r.exit_code, 0, "the report's structure: %s", r.err);
    char *out = strdup(r.out);
    zs_run_free(&r);
    return out;
}

Test(report_cli, whole_pipeline_is_well_formed_and_complete) {
    fit_pipeline();
    zs_run r = zs_test_cli("pcfg paper -o %s --tokens 65536", zs_test_path("demo"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char npy[4096];
    snprintf(npy, sizeof npy, "%s/main-4.npy", zs_test_path("demo"));
    r = zs_test_cli("gzip %s/main-1.npy %s/main-2.npy --sample 100 --json -o %s",
                    zs_test_path("demo"), zs_test_path("demo"), zs_test_path("gzip.json"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    write_text("train.jsonl", trainlog);
    const char *html = zs_test_path("report.html");
    r = zs_test_cli("report %s %s %s %s %s %s %s --sample 100 --title 'Demo & <test>' -o %s",
                    EXAMPLE, zs_test_path("law.json"), zs_test_path("regression.json"),
                    zs_test_path("predict.json"), zs_test_path("gzip.json"), npy,
                    zs_test_path("train.jsonl"), html);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *summary = run_check(html);
    /* 3 datasets in the example: 3 runs figures, 1 residuals, 5 regression, 3 frontier,
     * 1 box plot, 1 training: 14 figures, each one inline SVG */
    cr_assert_str_eq(summary,
                     "datasets runs laws regression frontier predictions training provenance "
                     "14 14\n");
    free(summary);
    char *text = zs_test_slurp(html, NULL);
    cr_assert(strstr(text, "<title>Demo &amp; &lt;test&gt;</title>"), "the title, escaped");
    cr_assert(strstr(text, "<td>main-4</td>"), "the measured token file as a dataset");
    cr_assert(strstr(text, "<td>main-1</td>"), "the gzip JSON's datasets");
    cr_assert(strstr(text, "<th>hold-out RMSE (nats)</th>"));
    cr_assert(strstr(text, "<td>pcfg-0.22</td>"));
    cr_assert(strstr(text, "<th>p(m)</th>"));
    cr_assert_not(strstr(text, "http://www.w3.org/1999/xhtml\" src"));
    free(text);
}

/* Every kind, recognised by content: a .json by its "format" or "command". */
Test(report_lib, detects_each_kind) {
    fit_pipeline();
    write_text("g.json", "{\"command\": \"gzip\", \"files\": []}");
    write_text("summary.json", "{\"format\": \"zipscale-sweep-summary\"}");
    write_text("quanta.json", "{\"format\": \"zipscale-quanta\"}");
    write_text("qdg.json", "{\"format\": \"zipscale-quanta-qdg\"}");
    write_text("classes.json", "{\"format\": \"zipscale-quanta-tokens\"}");
    static const struct {
        const char *name;
        zs_report_kind kind;
    } cases[] = {{"law.json", ZS_REPORT_LAW},         {"regression.json", ZS_REPORT_REGRESSION},
                 {"predict.json", ZS_REPORT_PREDICT}, {"g.json", ZS_REPORT_GZIP},
                 {"x.npy", ZS_REPORT_TOKENS},         {"x.bin", ZS_REPORT_TOKENS},
                 {"runs.CSV", ZS_REPORT_RUNS},        {"log.jsonl", ZS_REPORT_TRAINLOG},
                 {"summary.json", ZS_REPORT_SWEEP},   {"quanta.json", ZS_REPORT_QUANTA},
                 {"qdg.json", ZS_REPORT_QDG},         {"classes.json", ZS_REPORT_TOKEN_CLASSES}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zs_report_kind kind = ZS_REPORT_NKINDS;
        zs_error err = {0};
        cr_assert_eq(zs_report_detect(zs_test_path(cases[i].name), &kind, &err), ZS_OK, "%s",
                     err.msg);
        cr_assert_eq(kind, cases[i].kind, "%s is a %s", cases[i].name,
                     zs_report_kind_name(cases[i].kind));
    }
}

/* Same inputs: the same bytes, for any thread count (the command line row aside, which
 * records --threads), and with the date given, run after run. */
Test(report_cli, deterministic_for_any_thread_count) {
    fit_pipeline();
    write_text("g.json", "{\"command\": \"gzip\", \"files\": [{\"file\": \"a.npy\", \"H\": 0.25, "
                         "\"tokens\": 1000, \"gzip_ratios\": [0.2, 0.25, 0.3]}]}");
    char outs[3][4096]; /* zs_test_path's buffers rotate: keep copies */
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "r%d.html", i);
        snprintf(outs[i], sizeof outs[i], "%s", zs_test_path(name));
    }
    const int threads[3] = {1, 2, 2};
    char *text[3];
    for (int i = 0; i < 3; i++) {
        zs_run r = zs_test_cli("report %s %s %s %s --threads %d --date '" DATE "' -o %s", EXAMPLE,
                               zs_test_path("law.json"), zs_test_path("regression.json"),
                               zs_test_path("g.json"), threads[i], outs[i]);
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        zs_run_free(&r);
        text[i] = zs_test_slurp(outs[i], NULL);
        cr_assert_not_null(text[i]);
        cr_assert(strstr(text[i], "<td>" DATE "</td>"), "the date given");
        /* blank the command line row */
        char *row = strstr(text[i], "<tr><th>command line</th>");
        cr_assert_not_null(row);
        for (char *p = row; *p != '\n'; p++) *p = ' ';
    }
    cr_assert_str_eq(text[0], text[1], "--threads 1 and 2 give the same page");
    cr_assert_str_eq(text[1], text[2], "the same command gives the same page");
    for (int i = 0; i < 3; i++) free(text[i]);
}

Test(report_cli, date_from_the_environment) {
    write_text("g.json", "{\"command\": \"gzip\", \"files\": [{\"file\": \"a.npy\", \"H\": 0.25, "
                         "\"tokens\": 1000}]}");
    zs_run r = zs_test_sh("ZS_REPORT_DATE='yesterday' %s report %s -o %s", ZS_CLI_PATH,
                          zs_test_path("g.json"), zs_test_path("r.html"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *text = zs_test_slurp(zs_test_path("r.html"), NULL);
    cr_assert(strstr(text, "<tr><th>date</th><td>yesterday</td></tr>"));
    cr_assert_not(strstr(text, "id=\"runs\""), "no runs section without a runs table");
    cr_assert_not(strstr(text, "<svg"), "no box plot without per-sequence ratios");
    free(text);
}

/* `zipscale gzip --bytes` output: the sizes are in bytes. */
Test(report_cli, gzip_json_in_bytes_mode) {
    zs_run r = zs_test_cli("gzip --bytes %s --json -o %s", EXAMPLE, zs_test_path("gb.json"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("report %s -o %s", zs_test_path("gb.json"), zs_test_path("r.html"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *text = zs_test_slurp(zs_test_path("r.html"), NULL);
    cr_assert(strstr(text, "<td class=\"num\">3651 bytes</td>"), "the size in bytes");
    free(text);
}

/* A law with alpha <= 0 has no frontier: the report says so instead of failing. */
Test(report_cli, degenerate_law_has_no_frontier) {
    fit_pipeline();
    zs_lawfile lf;
    zs_error err = {0};
    cr_assert_eq(zs_lawfile_read(&lf, zs_test_path("law.json"), &err), ZS_OK, "%s", err.msg);
    lf.fits[0].law.alpha = -0.1;
    cr_assert_eq(zs_lawfile_write(&lf, zs_test_path("bad-law.json"), &err), ZS_OK, "%s", err.msg);
    zs_lawfile_free(&lf);
    zs_run r = zs_test_cli("report %s -o %s", zs_test_path("bad-law.json"), zs_test_path("r.html"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *text = zs_test_slurp(zs_test_path("r.html"), NULL);
    cr_assert(strstr(text, "<p>No frontier: "), "the degenerate fit's note");
    cr_assert(strstr(text, "<h3>pcfg-0.35</h3>\n<table>"), "the other fits keep their frontier");
    free(text);
}

/* ---- errors: one per malformed or unknown input, nothing written ------------------------ */
static void expect_error(const char *name, const char *content, int code, const char *message) {
    const char *in = zs_test_path(name);
    if (content) write_text(name, content);
    const char *out = zs_test_path("bad.html");
    zs_run r = zs_test_cli("report %s -o %s", in, out);
    cr_assert_eq(r.exit_code, code, "%s: exit %d: %s", name, r.exit_code, r.err);
    char expected[4096];
    snprintf(expected, sizeof expected, "zipscale: %s%s", in, message);
    cr_assert(strstr(r.err, expected), "expected \"%s\" in \"%s\"", expected, r.err);
    FILE *fp = fopen(out, "r");
    cr_assert_null(fp, "a failed report writes nothing");
    zs_run_free(&r);
}

Test(report_errors, unknown_extension) {
    expect_error("notes.txt", "hello", 2,
                 ": unknown input kind; expected a token file (.npy, .bin), a runs table (.csv), "
                 "a training log (.jsonl), or a JSON result: law.json, regression.json, a "
                 "sweep's summary.json, quanta.json, qdg.json, a quanta tokens summary, or a "
                 "gzip or predict results file (\"command\": \"gzip\" or \"predict\")");
}

Test(report_errors, unknown_json) {
    expect_error("other.json", "{\"format\": \"something-else\"}", 1,
                 ": unknown JSON input (\"format\" zipscale-law, zipscale-regression, "
                 "zipscale-sweep-summary, zipscale-quanta, zipscale-quanta-qdg or "
                 "zipscale-quanta-tokens, or \"command\" gzip or predict, expected)");
}

Test(report_errors, bad_json) {
    expect_error("broken.json", "{\"command\": ", 1, ":1:12: bad JSON: ");
}

Test(report_errors, gzip_without_h) {
    expect_error("gz.json",
                 "{\"command\": \"gzip\", \"files\": [{\"file\": \"a.npy\", \"H\": \"x\"}]}", 1,
                 ": files[0].H: expected a number");
}

Test(report_errors, gzip_without_files) {
    expect_error("gz.json", "{\"command\": \"gzip\", \"files\": []}", 1,
                 ": files: expected a non-empty array");
}

Test(report_errors, gzip_bad_ratio) {
    expect_error("gz.json",
                 "{\"command\": \"gzip\", \"files\": [{\"file\": \"a.npy\", \"H\": 0.3, "
                 "\"tokens\": 10, \"gzip_ratios\": [0.3, null]}]}",
                 1, ": files[0].gzip_ratios[1]: expected a number");
}

Test(report_errors, predict_without_n_opt) {
    expect_error("p.json",
                 "{\"command\": \"predict\", \"H\": 0.4, \"predictions\": [{\"compute_flops\": "
                 "1e18, \"D_opt\": 1, \"tokens_per_param\": 1, \"loss\": 2}]}",
                 1, ": predictions[0].N_opt: expected a number");
}

Test(report_errors, law_json_checked_by_its_reader) {
    expect_error("law.json", "{\"format\": \"zipscale-law\", \"format_version\": 1}", 1,
                 ": zipscale_version: expected a string");
}

Test(report_errors, missing_token_file) {
    expect_error("absent.npy", NULL, 1, ": cannot open");
}

Test(report_errors, bad_training_log) {
    expect_error("t.jsonl", "{\"step\": 0}\n", 1, ":1: missing \"tokens\"");
}

Test(report_errors, runs_table_without_loss) {
    expect_error("runs.csv", "N,D\n1,2\n", 1, ":1: missing column 'loss' in the header");
}

Test(report_errors, usage) {
    zs_run r = zs_test_cli("report %s", EXAMPLE);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "-o report.html is required"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("report -o %s", zs_test_path("x.html"));
    cr_assert_eq(r.exit_code, 2, "no inputs: %s", r.err);
    zs_run_free(&r);
}

/* ---- a sweep's summary.json: the Sweep section ------------------------------------------ */
/* Three datasets (the first's E at its bound, the third without intervals or floor) and two
 * failures, one of whose messages is markup. */
static const char sweep_summary[] =
    "{\"format\": \"zipscale-sweep-summary\", \"format_version\": 1, \"zipscale_version\": "
    "\"0.1.0\", \"n\": \"nonembed\", \"reference_flops\": 1e18, \"level_pct\": 95, "
    "\"a_slope_on_H\": -0.412, \"a_slope_ci\": [-0.8, -0.1], \"datasets\": ["
    "{\"dataset\": \"pcfg-0.22\", \"H\": 0.22, \"H_stdev\": 0.003, \"derivation_entropy_nats\": "
    "1.1, \"runs\": 12, \"law\": {\"E\": 1.1, \"A\": 300, \"B\": 400, \"alpha\": 0.3, \"beta\": "
    "0.35}, \"E_ci\": [1.05, 1.1], \"alpha_ci\": [0.25, 0.35], \"beta_ci\": [0.3, 0.4], \"a\": "
    "0.5385, \"a_ci\": [0.5, 0.57], \"tokens_per_param\": 20.5, \"tokens_per_param_ci\": [15, "
    "27], \"residual_rms\": 0.0123, \"holdout_rmse\": 0.0234, \"e_bound_active\": true},"
    "{\"dataset\": \"pcfg-0.35\", \"H\": 0.35, \"H_stdev\": 0.004, \"derivation_entropy_nats\": "
    "2.2, \"runs\": 11, \"law\": {\"E\": 1.9, \"A\": 310, \"B\": 420, \"alpha\": 0.32, \"beta\": "
    "0.3}, \"E_ci\": [1.8, 2.0], \"alpha_ci\": [0.28, 0.36], \"beta_ci\": [0.27, 0.33], \"a\": "
    "0.4839, \"a_ci\": [0.45, 0.52], \"tokens_per_param\": 31.5, \"tokens_per_param_ci\": [25, "
    "40], \"residual_rms\": 0.0111, \"holdout_rmse\": 0.0345, \"e_bound_active\": false},"
    "{\"dataset\": \"text\", \"H\": 0.41, \"H_stdev\": null, \"derivation_entropy_nats\": null, "
    "\"runs\": 9, \"law\": {\"E\": 2.5, \"A\": 320, \"B\": 440, \"alpha\": 0.34, \"beta\": 0.28}, "
    "\"E_ci\": [null, null], \"alpha_ci\": [null, null], \"beta_ci\": [null, null], \"a\": "
    "0.4516, \"a_ci\": [null, null], \"tokens_per_param\": null, \"tokens_per_param_ci\": [null, "
    "null], \"residual_rms\": 0.0101, \"holdout_rmse\": null, \"e_bound_active\": false}], "
    "\"failures\": [{\"id\": \"r0007\", \"dataset\": \"text\", \"model\": \"gpt-s\", \"tokens\": "
    "1000000, \"seed\": 1, \"status\": \"failed\", \"message\": \"<script>alert(1)</script> & "
    "co\"}, {\"id\": \"r0009\", \"dataset\": \"pcfg-0.35\", \"model\": \"gpt-m\", \"tokens\": "
    "2000000, \"seed\": 0, \"status\": \"diverged\", \"message\": \"loss is NaN at step 12\"}]}";

static json_t *sweep_doc(void) {
    json_error_t jerr;
    json_t *doc = json_loads(sweep_summary, 0, &jerr);
    cr_assert_not_null(doc, "the test's summary: %s", jerr.text);
    return doc;
}

/* Writes doc (and frees it) to the tmpdir as name. */
static void write_json(const char *name, json_t *doc) {
    cr_assert_eq(json_dump_file(doc, zs_test_path(name), JSON_INDENT(2)), 0);
    json_decref(doc);
}

/* The page of one input, by the library, with a fixed date. */
static char *report_of(const char *path) {
    zs_report_opts opts;
    zs_report_opts_init(&opts);
    opts.date_utc = DATE;
    char *html = NULL;
    size_t len = 0;
    zs_error err = {0};
    cr_assert_eq(zs_report_html(&path, 1, &opts, &html, &len, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(strlen(html), len);
    return html;
}

static void expect_in(const char *text, const char *part) {
    cr_assert(strstr(text, part), "expected \"%s\" in the page", part);
}

Test(report_sweep, renders_every_dataset_and_failure) {
    write_json("summary.json", sweep_doc());
    write_text("g.json", "{\"command\": \"gzip\", \"files\": [{\"file\": \"a.npy\", \"H\": 0.25, "
                         "\"tokens\": 1000}]}");
    const char *html = zs_test_path("report.html");
    zs_run r = zs_test_cli("report %s %s --date '" DATE "' -o %s", zs_test_path("g.json"),
                           zs_test_path("summary.json"), html);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *summary = run_check(html);
    cr_assert_str_eq(summary, "sweep datasets provenance 0 0\n", "the Sweep section comes first");
    free(summary);
    char *text = zs_test_slurp(html, NULL);
    expect_in(text, "<nav><ul><li><a href=\"#sweep\">Sweep</a></li><li><a href=\"#datasets\">");
    expect_in(text, "N counts non-embedding parameters. Brackets hold 95% bootstrap");
    expect_in(text, "at the reference budget C = 1e+18 FLOPs.");
    expect_in(text, "<tr><td>pcfg-0.22</td><td class=\"num\">0.22 ± 0.003</td><td "
                    "class=\"num\">12</td><td class=\"num\">1.1 [1.05, 1.1] (at bound)</td><td "
                    "class=\"num\">1.1</td><td class=\"num\">0.3 [0.25, 0.35]</td><td "
                    "class=\"num\">0.35 [0.3, 0.4]</td><td class=\"num\">0.5385 [0.5, 0.57]</td>"
                    "<td class=\"num\">20.5 [15, 27]</td><td class=\"num\">0.0234</td><td "
                    "class=\"num\">0.0123</td></tr>");
    expect_in(text, "<tr><td>pcfg-0.35</td><td class=\"num\">0.35 ± 0.004</td><td "
                    "class=\"num\">11</td><td class=\"num\">1.9 [1.8, 2]</td><td "
                    "class=\"num\">2.2</td>");
    expect_in(text, "<tr><td>text</td><td class=\"num\">0.41</td><td class=\"num\">9</td><td "
                    "class=\"num\">2.5</td><td class=\"num\">n/a</td><td class=\"num\">0.34</td>");
    expect_in(text, "an upper bound on the loss a perfect model reaches");
    expect_in(text, "<p>2 runs did not complete:</p>");
    expect_in(text, "<tr><td>r0007</td><td>text</td><td>gpt-s</td><td class=\"num\">1000000</td>"
                    "<td class=\"num\">1</td><td>failed</td><td>&lt;script&gt;alert(1)&lt;/"
                    "script&gt; &amp; co</td></tr>");
    expect_in(text,
              "<tr><td>r0009</td><td>pcfg-0.35</td><td>gpt-m</td><td class=\"num\">2000000"
              "</td><td class=\"num\">0</td><td>diverged</td><td>loss is NaN at step 12</td>");
    cr_assert_not(strstr(text, "<script>"), "the message's markup is escaped");
    char sha[65], row[8192];
    zs_error err = {0};
    cr_assert_eq(zs_sha256_file(zs_test_path("summary.json"), sha, &err), ZS_OK, "%s", err.msg);
    snprintf(row, sizeof row, "<tr><td>%s</td><td>sweep</td><td class=\"num\">",
             zs_test_path("summary.json"));
    expect_in(text, row);
    expect_in(text, sha);
    free(text);
}

Test(report_sweep, all_parameters_no_reference_no_failures) {
    json_t *doc = sweep_doc();
    json_object_set_new(doc, "n", json_string("all"));
    json_object_set_new(doc, "reference_flops", json_null());
    json_array_clear(json_object_get(doc, "failures"));
    write_json("summary.json", doc);
    char *text = report_of(zs_test_path("summary.json"));
    expect_in(text, "N counts all parameters.");
    expect_in(text, "at the reference budget (not recorded).</p>");
    expect_in(text, "<p>Every run completed.</p>");
    cr_assert_not(strstr(text, "did not complete"));
    free(text);
}

/* The direction sentence, worded as src/sweep/summary.c prints it. */
static void expect_direction(double slope, json_t *lo, json_t *hi, const char *sentence) {
    json_t *doc = sweep_doc();
    json_object_set_new(doc, "a_slope_on_H", isnan(slope) ? json_null() : json_real(slope));
    json_object_set_new(doc, "a_slope_ci", json_pack("[o, o]", lo, hi));
    write_json("summary.json", doc);
    char *text = report_of(zs_test_path("summary.json"));
    expect_in(text, sentence);
    free(text);
}

Test(report_sweep, direction_towards_data_interval_excludes_zero) {
    expect_direction(-0.412, json_real(-0.8), json_real(-0.1),
                     "<p>As H grows, a = β/(α+β) falls (slope -0.412 per unit H, 95% bootstrap "
                     "interval [-0.800, -0.100]): the compute-optimal frontier moves towards "
                     "data, as the gzip paper found. The interval excludes zero.</p>");
}

Test(report_sweep, direction_interval_includes_zero) {
    expect_direction(-0.05, json_real(-0.3), json_real(0.2),
                     "<p>As H grows, a = β/(α+β) falls (slope -0.050 per unit H, 95% bootstrap "
                     "interval [-0.300, 0.200]): the compute-optimal frontier moves towards "
                     "data, as the gzip paper found. The interval includes zero: these fits "
                     "cannot rule out no change.</p>");
}

Test(report_sweep, direction_towards_parameters) {
    expect_direction(0.25, json_real(0.1), json_real(0.4),
                     "<p>As H grows, a = β/(α+β) rises (slope 0.250 per unit H, 95% bootstrap "
                     "interval [0.100, 0.400]): the frontier moves towards parameters, against "
                     "the gzip paper&#39;s finding. The interval excludes zero.</p>");
}

Test(report_sweep, direction_without_slope) {
    expect_direction(NAN, json_null(), json_null(),
                     "<p>Too few datasets with H (3 are needed) to say how the frontier moves "
                     "with H.</p>");
}

Test(report_sweep, deterministic) {
    write_json("summary.json", sweep_doc());
    char *a = report_of(zs_test_path("summary.json"));
    char *b = report_of(zs_test_path("summary.json"));
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
}

/* A bad summary: doc written as s.json fails with "s.json: MESSAGE", nothing written. */
static void expect_sweep_error(json_t *doc, const char *message) {
    write_json("s.json", doc);
    expect_error("s.json", NULL, 1, message);
}

Test(report_errors, sweep_wrong_format_version) {
    json_t *doc = sweep_doc();
    json_object_set_new(doc, "format_version", json_integer(2));
    expect_sweep_error(doc, ": format_version: expected 1 (this zipscale reads sweep summaries "
                            "version 1)");
}

Test(report_errors, sweep_without_datasets) {
    json_t *doc = sweep_doc();
    json_object_del(doc, "datasets");
    expect_sweep_error(doc, ": datasets: expected a non-empty array");
}

Test(report_errors, sweep_h_not_a_number) {
    json_t *doc = sweep_doc();
    json_object_set_new(json_array_get(json_object_get(doc, "datasets"), 2), "H",
                        json_string("0.4"));
    expect_sweep_error(doc, ": datasets[2].H: expected a number or null");
}

Test(report_errors, sweep_failure_without_message) {
    json_t *doc = sweep_doc();
    json_object_del(json_array_get(json_object_get(doc, "failures"), 1), "message");
    expect_sweep_error(doc, ": failures[1].message: expected a string");
}

Test(report_errors, sweep_interval_of_one_number) {
    json_t *doc = sweep_doc();
    json_object_set_new(json_array_get(json_object_get(doc, "datasets"), 0), "a_ci",
                        json_pack("[f]", 0.5));
    expect_sweep_error(doc, ": datasets[0].a_ci: expected [lo, hi], two numbers or nulls");
}

Test(report_errors, sweep_interval_of_three_numbers) {
    json_t *doc = sweep_doc();
    json_object_set_new(doc, "a_slope_ci", json_pack("[f, f, f]", -0.8, -0.4, -0.1));
    expect_sweep_error(doc, ": a_slope_ci: expected [lo, hi], two numbers or nulls");
}

Test(report_errors, sweep_law_member) {
    json_t *doc = sweep_doc();
    json_object_del(json_object_get(json_array_get(json_object_get(doc, "datasets"), 1), "law"),
                    "beta");
    expect_sweep_error(doc, ": datasets[1].law.beta: expected a number or null");
}

Test(report_errors, sweep_bad_n) {
    json_t *doc = sweep_doc();
    json_object_set_new(doc, "n", json_string("embed"));
    expect_sweep_error(doc, ": n: expected \"nonembed\" or \"all\"");
}

/* A .json input that cannot be opened is an I/O error, not a malformed file. */
Test(report_lib, missing_json_is_an_io_error) {
    zs_error err;
    zs_report_kind kind;
    const char *path = zs_test_path("missing.json");
    cr_assert_eq(zs_report_detect(path, &kind, &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, path), "%s", err.msg);
}

/* ---- quanta.json: the Quanta section ----------------------------------------------------- */

/* testquanta.h's result: params (7 points, fitted, 18 of 20 learned) and steps (8 points,
 * rho undefined); the table's numbers are the file's, 4 significant digits. */
Test(report_quanta, renders_the_table_and_every_figure) {
    zs_quanta_result q;
    zs_test_quanta_result(&q);
    const char *path = zs_test_path("quanta.json");
    zs_error err = {0};
    cr_assert_eq(zs_quanta_result_write(&q, path, &err), ZS_OK, "%s", err.msg);
    const char *html = zs_test_path("report.html");
    zs_run r = zs_test_cli("report %s --date '" DATE "' -o %s", path, html);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *summary = run_check(html);
    /* 4 figures per experiment (2) and the comparison */
    cr_assert_str_eq(summary, "quanta provenance 9 9\n");
    free(summary);
    char *text = zs_test_slurp(html, NULL);
    expect_in(text, "<li><a href=\"#quanta\">Quanta</a></li>");
    expect_in(text, "<section id=\"quanta\">\n<h2>Quanta</h2>");
    expect_in(text, "Multitask sparse parity: 100 subtasks, 50 task bits, k = 3, the s-th most "
                    "frequent subtask drawn with probability proportional to s^-1.4.");
    expect_in(text, "stays below 0.1 bits.");
    const zs_quanta_axis_result *a = &q.axes[ZS_QUANTA_AXIS_PARAMS];
    char row[1024];
    snprintf(row, sizeof row,
             "<tr><td>params</td><td>parameters N</td><td class=\"num\">7</td><td "
             "class=\"num\">2-6</td><td class=\"num\">%.4g [%.4g, %.4g]</td><td "
             "class=\"num\">0.4</td><td class=\"num\">0.9333 [0.8143, 0.9967]</td><td "
             "class=\"num\">18/20</td></tr>",
             a->alpha, a->alpha_lo, a->alpha_hi);
    expect_in(text, row);
    a = &q.axes[ZS_QUANTA_AXIS_STEPS];
    snprintf(row, sizeof row,
             "<tr><td>steps</td><td>steps S</td><td class=\"num\">8</td><td "
             "class=\"num\">2-7</td><td class=\"num\">%.4g [%.4g, %.4g]</td><td "
             "class=\"num\">0.2857</td><td class=\"num\">n/a</td><td "
             "class=\"num\">20/20</td></tr>",
             a->alpha, a->alpha_lo, a->alpha_hi);
    expect_in(text, row);
    cr_assert_null(strstr(text, "<td>data</td>"), "no data experiment, no row");
    expect_in(text, "<h4>params: parameters N</h4>");
    expect_in(text, "<h4>steps: steps S</h4>");
    expect_in(text, "subtask 20 (least frequent)</text>");
    expect_in(text, "learned: 18 of 20 (2 never learned, not shown)</text>");
    expect_in(text, "predicted slope: alpha = 0.4 (quantization model)</text>");
    expect_in(text, "predicted (quantization model)</text>");
    expect_in(text, "<td>quanta</td>");
    free(text);
    zs_quanta_result_free(&q);
}

/* A figure with nothing to draw becomes a sentence; a bad quanta.json fails naming the file. */
Test(report_quanta, nothing_learned_and_a_bad_file) {
    zs_quanta_result q;
    zs_test_quanta_result(&q);
    zs_quanta_axis_result *a = &q.axes[ZS_QUANTA_AXIS_STEPS];
    for (size_t s = 0; s < a->n_subtasks; s++) a->learning_x[s] = NAN;
    a->n_learned = 0;
    const char *path = zs_test_path("quanta.json");
    zs_error err = {0};
    cr_assert_eq(zs_quanta_result_write(&q, path, &err), ZS_OK, "%s", err.msg);
    char *text = report_of(path);
    expect_in(text, "<p>No figure: figure: no subtask is learned in the steps experiment.</p>");
    expect_in(text, "class=\"num\">0/20</td>");
    free(text);
    zs_quanta_result_free(&q);
    expect_error("q.json",
                 "{\"format\": \"zipscale-quanta\", \"format_version\": 1, \"task\": {\"n_tasks\": "
                 "5, \"n_bits\": 10, \"k\": 3, \"zipf_exponent\": 1}, \"threshold_bits\": 0.1, "
                 "\"level\": 0, \"axes\": {}}",
                 1, ": level: expected a number in (0, 1)");
}
