/* Tests of `zipscale report`: a report of the whole example pipeline (fit, regress,
 * predict, a token file of `pcfg paper`, gzip JSON, a training log) is well-formed, has
 * every section, inlines every figure and fetches nothing; its bytes do not depend on the
 * thread count; a sweep's summary.json gets its Sweep section; each malformed or unknown
 * input fails with a message naming it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "assert not any(t == 'script' for t, a in p.tags), 'a <script>'\n"
    "for t, a in p.tags:\n"
    "    assert 'src' not in a, 'a src= on <%s>' % t\n"
    "    h = a.get('href')\n"
    "    assert h is None or h.startswith('#'), 'an external href: %s' % h\n"
    "assert '<?xml' not in text, 'an XML declaration inside the page'\n"
    "figs = list(root.iter('figure'))\n"
    "for f in figs: assert f.find(SVG) is not None, 'a figure without its svg'\n"
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
    if (!py) cr_skip_test("Debian's python3 is missing");
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
    static const struct {
        const char *name;
        zs_report_kind kind;
    } cases[] = {{"law.json", ZS_REPORT_LAW},         {"regression.json", ZS_REPORT_REGRESSION},
                 {"predict.json", ZS_REPORT_PREDICT}, {"g.json", ZS_REPORT_GZIP},
                 {"x.npy", ZS_REPORT_TOKENS},         {"x.bin", ZS_REPORT_TOKENS},
                 {"runs.CSV", ZS_REPORT_RUNS},        {"log.jsonl", ZS_REPORT_TRAINLOG},
                 {"summary.json", ZS_REPORT_SWEEP}};
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
                 "a training log (.jsonl), or JSON from zipscale fit (law.json), regress, gzip "
                 "--json, predict --json or sweep analyse (summary.json)");
}

Test(report_errors, unknown_json) {
    expect_error("other.json", "{\"format\": \"something-else\"}", 1,
                 ": unknown JSON input (\"format\" zipscale-law, zipscale-regression or "
                 "zipscale-sweep-summary, or \"command\" gzip or predict, expected)");
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
