/* Tests for the ready-made figures (include/zipscale/figures.h) and the `zipscale plot`
 * subcommands that draw them: structure read back from the SVG text (series, legend
 * entries, labels, colours) on the shipped runs table and laws made by `zipscale fit` and
 * `regress` here; numbers placed in the figures against the law they come from; errors
 * with their messages. Pixels are not compared. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/figures.h"

#define EXAMPLE ZS_SOURCE_DIR "/tests/data/fit/runs.csv"
#define SMALL_GRID "alpha=0:2:1,beta=0:2:1,e=-1:1:1,a=5:20:15,b=5:20:15"

/* ---- helpers ---- */

static size_t count(const char *text, const char *needle) {
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(text, needle); p; p = strstr(p + len, needle)) n++;
    return n;
}

static char *slurp(const char *path) {
    char *text = zs_test_slurp(path, NULL);
    cr_assert_not_null(text, "cannot read %s", path);
    return text;
}

/* Writes fig as SVG to a scratch file, frees it and returns the text (caller frees). */
static char *svg_of(zs_plot *fig, const char *name) {
    zs_error err = {0};
    const char *path = zs_test_path(name);
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    zs_plot_free(fig);
    return slurp(path);
}

/* `>text<` appears: a <text> element holding exactly text. */
static int has_text(const char *svg, const char *text) {
    char key[256];
    snprintf(key, sizeof key, ">%s</text>", text);
    return strstr(svg, key) != NULL;
}

/* The value of attribute `name` in the first element after `from` that starts with
 * `tag`, copied into buf. */
static const char *attr_after(const char *from, const char *tag, const char *name, char *buf,
                              size_t size) {
    const char *p = strstr(from, tag);
    cr_assert_not_null(p, "no %s", tag);
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *end = strchr(p, '>'), *a = strstr(p, key);
    cr_assert(a && a < end, "no %s in %.80s", name, p);
    a += strlen(key);
    size_t len = (size_t)(strchr(a, '"') - a);
    cr_assert_lt(len, size);
    memcpy(buf, a, len);
    buf[len] = '\0';
    return p;
}

/* Runs `zipscale fit` on the example with a small grid (and a bootstrap) into law.json. */
static const char *example_law(void) {
    const char *law = zs_test_path("law.json");
    zs_run r =
        zs_test_cli("fit %s --grid " SMALL_GRID " --bootstrap 10 --seed 3 -o %s", EXAMPLE, law);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    return law;
}

static void runs_of_example(zs_runs *runs) {
    zs_error err = {0};
    cr_assert_eq(zs_runs_read(runs, EXAMPLE, NULL, 0, &err), ZS_OK, "%s", err.msg);
}

/* ---- plot reuse_style ---- */

Test(figures, reused_style_takes_the_colour_of_the_series_named) {
    zs_plot *fig;
    zs_error err = {0};
    cr_assert_eq(zs_plot_create(&fig, 640, 440, &err), ZS_OK);
    double x[] = {1, 2, 3}, y[] = {3, 1, 2};
    cr_assert_eq(zs_plot_add_scatter(fig, "a", x, y, 3, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_scatter(fig, "b", x, x, 3, &err), ZS_OK);
    cr_assert_eq(zs_plot_reuse_style(fig, 0, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_plot_add_line(fig, NULL, x, y, 3, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_line(fig, "c", x, y, 3, &err), ZS_OK);
    cr_assert_eq(zs_plot_reuse_style(fig, 9, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "plot: series 9 has no colour to reuse (4 series added so far)");
    char *svg = svg_of(fig, "reuse.svg");
    char a[32], b[32], first_line[32], second_line[32];
    attr_after(svg, "<circle class=\"point\"", "fill", a, sizeof a);
    const char *series_b = strstr(svg, "data-series=\"2\"");
    cr_assert_not_null(series_b);
    attr_after(series_b, "<circle class=\"point\"", "fill", b, sizeof b);
    const char *line = attr_after(svg, "<path class=\"line\"", "stroke", first_line, 32);
    attr_after(line + 1, "<path class=\"line\"", "stroke", second_line, 32);
    cr_assert_str_eq(first_line, a, "the reused colour");
    cr_assert_str_neq(a, b);
    cr_assert_str_neq(second_line, a, "the palette goes on after a reuse");
    cr_assert_str_neq(second_line, b);
    free(svg);
}

/* ---- loss against N or D ---- */

Test(figures, runs_by_n_has_one_colour_per_d_and_the_law) {
    const char *law = example_law(), *out = zs_test_path("runs.svg");
    zs_run r = zs_test_cli("plot runs %s --law %s --dataset pcfg-0.35 -o %s", EXAMPLE, law, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *svg = slurp(out);
    /* six D values (100k .. 100M), five N per D */
    cr_assert_eq(count(svg, "<g class=\"series scatter\""), 6);
    cr_assert_eq(count(svg, "<g class=\"series line\""), 6, "one law curve per D");
    cr_assert_eq(count(svg, "class=\"legend-label\""), 6, "the law's curves have no entry");
    cr_assert_eq(count(svg, "<circle class=\"point\""), 30);
    const char *labels[] = {"D = 100k", "D = 1M", "D = 5M", "D = 20M", "D = 50M", "D = 100M"};
    for (size_t i = 0; i < 6; i++) cr_assert(has_text(svg, labels[i]), "%s", labels[i]);
    cr_assert(has_text(svg, "parameters N") && has_text(svg, "loss (nats)"));
    cr_assert(has_text(svg, "loss against N, one colour per D, with the fitted law (pcfg-0.35)"));
    cr_assert_eq(count(svg, "class=\"sup\""), 2, "a log x axis: 10^7 and 10^8");
    free(svg);
}

Test(figures, runs_by_d_has_one_colour_per_n) {
    const char *out = zs_test_path("runs-d.svg");
    zs_run r = zs_test_cli("plot runs %s --by D -o %s", EXAMPLE, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *svg = slurp(out);
    cr_assert_eq(count(svg, "<g class=\"series scatter\""), 5);
    cr_assert_eq(count(svg, "<g class=\"series line\""), 0, "no law given");
    const char *labels[] = {"N = 4.2M", "N = 8.8M", "N = 20.3M", "N = 59M", "N = 275M"};
    for (size_t i = 0; i < 5; i++) cr_assert(has_text(svg, labels[i]), "%s", labels[i]);
    cr_assert(has_text(svg, "tokens D"));
    cr_assert(has_text(svg, "loss against D, one colour per N (pcfg-0.22)"), "the first dataset");
    free(svg);
}

/* Renamed columns read as `zipscale fit` reads them: the same figure as the original. */
Test(figures, runs_with_renamed_columns) {
    const char *renamed = zs_test_path("renamed.csv"), *a = zs_test_path("orig.svg"),
               *b = zs_test_path("renamed.svg");
    zs_run r = zs_test_sh("sed '1s/.*/set,H,params,D,loss/' %s > %s", EXAMPLE, renamed);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot runs %s --dataset pcfg-0.35 -o %s", EXAMPLE, a);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot runs %s --col-N params --col-dataset set --dataset pcfg-0.35 -o %s",
                    renamed, b);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_sh("cmp %s %s", a, b);
    cr_assert_eq(r.exit_code, 0, "renamed columns must give the same figure");
    zs_run_free(&r);
}

/* The law's curve for D passes through L(N, D) of the law: checked at the curve's ends,
 * which are the table's smallest and largest N, against a plain scatter of those values
 * drawn on the same axes. */
Test(figures, law_curves_follow_the_law) {
    zs_runs runs;
    runs_of_example(&runs);
    zs_chinchilla law = {1.5, 400, 900, 0.3, 0.35};
    zs_plot *fig;
    zs_error err = {0};
    cr_assert_eq(zs_figure_loss_vs_size(&runs, 0, &law, ZS_FIGURE_BY_D, NULL, &fig, &err), ZS_OK,
                 "%s", err.msg);
    /* same axes: the curve's first vertex (N = 4.2M, D = 100k) and a marker drawn there */
    double x[] = {1e5}, y[] = {zs_chinchilla_loss(&law, 4.2e6, 1e5)};
    cr_assert_eq(zs_plot_add_scatter(fig, "check", x, y, 1, &err), ZS_OK);
    char *svg = svg_of(fig, "law.svg");
    char d[8192], cx[32], cy[32];
    attr_after(svg, "<path class=\"line\"", "d", d, sizeof d);
    const char *check = strstr(svg, "data-series=\"11\"");
    cr_assert_not_null(check, "5 scatters + 5 curves, then the check");
    attr_after(check, "<circle class=\"point\"", "cx", cx, sizeof cx);
    attr_after(check, "<circle class=\"point\"", "cy", cy, sizeof cy);
    double px, py;
    cr_assert_eq(sscanf(d, "M%lf %lf", &px, &py), 2);
    cr_assert_float_eq(px, atof(cx), 0.011);
    cr_assert_float_eq(py, atof(cy), 0.011);
    free(svg);
    zs_runs_free(&runs);
}

Test(figures, runs_errors) {
    const char *out = zs_test_path("bad.svg");
    zs_run r = zs_test_cli("plot runs %s --dataset nope -o %s", EXAMPLE, out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "runs.csv: no dataset \"nope\""), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot runs %s --by C -o %s", EXAMPLE, out);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--by C: expected N or D"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot runs %s", EXAMPLE);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "-o FIGURE is required"), "%s", r.err);
    zs_run_free(&r);
    /* a law fitted on one dataset has no fit for another */
    const char *one = zs_test_path("one.csv"), *law = zs_test_path("one-law.json");
    zs_run s = zs_test_sh("grep -v pcfg-0.35 %s | grep -v pcfg-0.51 > %s", EXAMPLE, one);
    cr_assert_eq(s.exit_code, 0);
    zs_run_free(&s);
    r = zs_test_cli("fit %s --grid " SMALL_GRID " -o %s", one, law);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot runs %s --dataset pcfg-0.51 --law %s -o %s", EXAMPLE, law, out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "one-law.json: no fit for dataset \"pcfg-0.51\" (1 fits)"), "%s",
              r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot runs %s --law %s -o %s", EXAMPLE, EXAMPLE, out);
    cr_assert_eq(r.exit_code, 1, "a CSV is not a law.json");
    cr_assert(strstr(r.err, "zipscale: ") && strstr(r.err, "runs.csv"), "%s", r.err);
    zs_run_free(&r);
    cr_assert_null(zs_test_slurp(out, NULL), "nothing written");
}

/* ---- iso-FLOP curves and the frontier ---- */

Test(figures, frontier_has_curves_frontier_and_chinchilla) {
    const char *law = example_law(), *out = zs_test_path("frontier.svg");
    zs_run r =
        zs_test_cli("plot frontier %s --compute 1e13:1e17 --dataset pcfg-0.51 -o %s", law, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *svg = slurp(out);
    cr_assert_eq(count(svg, "<g class=\"series line\""), 6, "5 iso-FLOP curves + the frontier");
    cr_assert_eq(count(svg, "<g class=\"series scatter\""), 2);
    cr_assert_eq(count(svg, "<circle class=\"point\""), 10);
    cr_assert_eq(count(svg, "class=\"legend-label\""), 7);
    const char *labels[] = {
        "C = 1e+13 FLOPs",       "C = 1e+15 FLOPs", "C = 1e+17 FLOPs", "compute-optimal frontier",
        "Chinchilla's N_opt(C)", "parameters N",    "loss (nats)"};
    for (size_t i = 0; i < 7; i++) cr_assert(has_text(svg, labels[i]), "%s", labels[i]);
    free(svg);
}

/* The frontier's markers sit at each iso-FLOP curve's lowest vertex (the curves are
 * sampled symmetrically about N_opt in log N, so the middle vertex is N_opt). */
Test(figures, frontier_points_are_the_minima) {
    zs_chinchilla law = {1.8, 500, 700, 0.32, 0.3};
    double budgets[] = {1e16, 1e18, 1e20};
    zs_plot *fig;
    zs_error err = {0};
    cr_assert_eq(zs_figure_frontier(&law, budgets, 3, NULL, &fig, &err), ZS_OK, "%s", err.msg);
    char *svg = svg_of(fig, "minima.svg");
    const char *marks = strstr(svg, "data-series=\"2\"");
    cr_assert_not_null(marks, "the frontier's line, then its markers");
    char d[8192];
    const char *curve = attr_after(svg, "<path class=\"line\"", "d", d, sizeof d) + 1;
    for (size_t b = 0; b < 3; b++) {
        char cy[32];
        curve = attr_after(curve, "<path class=\"line\"", "d", d, sizeof d) + 1;
        double lowest = INFINITY;
        for (char *p = d; (p = strchr(p, ' ')); p++) lowest = fmin(lowest, -strtod(p, NULL));
        marks = attr_after(marks, "<circle class=\"point\"", "cy", cy, sizeof cy) + 1;
        cr_assert_float_eq(-atof(cy), lowest, 0.011, "budget %zu", b);
    }
    free(svg);
    cr_assert_eq(zs_figure_frontier(&law, budgets, 0, NULL, &fig, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "figure: no compute budgets");
    budgets[1] = -1;
    cr_assert_eq(zs_figure_frontier(&law, budgets, 3, NULL, &fig, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg,
                     "figure: compute budget 2 is -1; expected a positive number of FLOPs");
    cr_assert_null(fig);
}

Test(figures, frontier_errors) {
    const char *law = example_law(), *out = zs_test_path("bad.svg");
    zs_run r = zs_test_cli("plot frontier %s -o %s", law, out);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--compute LO:HI is required"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot frontier %s --compute 1e17:1e13 -o %s", law, out);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--compute 1e17:1e13: expected LO:HI with 0 < LO <= HI (FLOPs)"), "%s",
              r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot frontier %s --compute 1e13:1e17 --budgets 13 -o %s", law, out);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--budgets 13: expected 1 to 12"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot frontier %s --compute 1e13:1e17 --dataset x -o %s", law, out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "law.json: no fit for dataset \"x\" (3 fits)"), "%s", r.err);
    zs_run_free(&r);
    cr_assert_null(zs_test_slurp(out, NULL), "nothing written");
}

/* ---- law parameters against H ---- */

Test(figures, law_from_law_json_draws_five_figures_with_bootstrap_bands) {
    const char *law = example_law();
    const char *out = zs_test_path("params.svg");
    zs_run r = zs_test_cli("plot law %s -o %s", law, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    const char *names[] = {"E", "A", "B", "alpha", "beta"};
    for (size_t p = 0; p < 5; p++) {
        char path[512];
        snprintf(path, sizeof path, "%s/params-%s.svg", zs_test_tmpdir(), names[p]);
        char *svg = slurp(path);
        cr_assert_eq(count(svg, "<g class=\"series band\""), 1, "%s", names[p]);
        cr_assert_eq(count(svg, "<g class=\"series line\""), 1);
        cr_assert_eq(count(svg, "<circle class=\"point\""), 3, "three datasets");
        cr_assert_eq(count(svg, "class=\"legend-label\""), 3);
        cr_assert(has_text(svg, "95% bootstrap band (10 replicates)"), "%s", names[p]);
        cr_assert(has_text(svg, "per-dataset fits"));
        cr_assert(has_text(svg, "gzip compressibility H (compressed / raw bytes)"));
        char title[128], line[32];
        snprintf(title, sizeof title, "%s against H: per-dataset fits and the regression",
                 names[p]);
        cr_assert(has_text(svg, title), "%s", title);
        snprintf(line, sizeof line, ">%s(H) = ", names[p]);
        cr_assert(strstr(svg, line), "%s", line);
        free(svg);
    }
    cr_assert_null(zs_test_slurp(out, NULL), "only the five named figures");
}

/* `regress -o` then `plot law` draws byte-for-byte what `plot law` on the law.json does. */
Test(figures, law_from_regression_json_matches_law_json) {
    const char *law = example_law(), *reg = zs_test_path("reg.json");
    const char *a = zs_test_path("from-law.svg"), *b = zs_test_path("from-reg.svg");
    zs_run r = zs_test_cli("regress %s -o %s", law, reg);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot law %s --param beta -o %s", law, a);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot law %s --param beta -o %s", reg, b);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *sa = slurp(a), *sb = slurp(b);
    cr_assert_str_eq(sa, sb);
    free(sa);
    free(sb);
}

/* Without a bootstrap the band is the OLS confidence band of the line: its half-width at
 * the smallest H, read from the SVG in data units (the line's own ends give the scale),
 * against numpy/scipy. */
Test(figures, ols_band_matches_scipy) {
    const char *py = zs_test_python("numpy scipy");
    const char *law = zs_test_path("law-nb.json"), *out = zs_test_path("band.svg");
    zs_run r = zs_test_cli("fit %s --grid " SMALL_GRID " -o %s", EXAMPLE, law);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot law %s --param B -o %s", law, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_sh(
        "%s -c 'import json, numpy as np, scipy.stats as st; "
        "f = json.load(open(\"%s\"))[\"fits\"]; "
        "h = np.array([x[\"H\"] for x in f]); y = np.array([x[\"law\"][\"B\"] for x in f]); "
        "r = st.linregress(h, y); n = len(h); "
        "s = np.sqrt(np.sum((y - r.intercept - r.slope * h) ** 2) / (n - 2)); "
        "x = h.min(); "
        "w = st.t.ppf(0.975, n - 2) * s * np.sqrt(1 / n + (x - h.mean()) ** 2 / "
        "np.sum((h - h.mean()) ** 2)); "
        "print(repr(w), repr(r.slope * (h.max() - h.min())))'",
        py, law);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    double half_width, rise;
    cr_assert_eq(sscanf(r.out, "%lf %lf", &half_width, &rise), 2);
    zs_run_free(&r);
    char *svg = slurp(out);
    char band[8192], line[8192];
    attr_after(svg, "<path class=\"band\"", "d", band, sizeof band);
    attr_after(svg, "<path class=\"line\"", "d", line, sizeof line);
    /* the band runs lo[0] .. lo[end], then hi[end] .. hi[0], and closes */
    double lo_px, hi_px, y0_px, y1_px;
    cr_assert_eq(sscanf(strchr(band, ' ') + 1, "%lf", &lo_px), 1);
    char *last = strrchr(band, 'L');
    cr_assert_eq(sscanf(strchr(last, ' ') + 1, "%lf", &hi_px), 1);
    cr_assert_eq(sscanf(strchr(line, ' ') + 1, "%lf", &y0_px), 1);
    cr_assert_eq(sscanf(strchr(strrchr(line, 'L'), ' ') + 1, "%lf", &y1_px), 1);
    double px_per_unit = (y0_px - y1_px) / rise;
    double measured = (lo_px - hi_px) / 2 / px_per_unit;
    /* coordinates carry 2 decimals: 0.01 px over a band ~200 px wide */
    cr_assert_float_eq(measured, half_width, 2e-3 * half_width, "%g vs scipy %g", measured,
                       half_width);
    cr_assert(has_text(svg, "95% confidence band (OLS)"));
    free(svg);
}

Test(figures, law_errors) {
    const char *out = zs_test_path("bad.svg");
    zs_run r = zs_test_cli("plot law %s --param gamma -o %s", EXAMPLE, out);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--param gamma: expected E, A, B, alpha or beta"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot law %s -o %s", EXAMPLE, out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale: ") &&
                  strstr(r.err, "runs.csv:1:7: bad JSON: '[' or '{' expected"),
              "%s", r.err);
    zs_run_free(&r);
    /* a law.json of one dataset cannot be regressed */
    const char *one = zs_test_path("one.csv"), *law = zs_test_path("one-law.json");
    zs_run s = zs_test_sh("grep -v pcfg-0.35 %s | grep -v pcfg-0.51 > %s", EXAMPLE, one);
    cr_assert_eq(s.exit_code, 0);
    zs_run_free(&s);
    r = zs_test_cli("fit %s --grid " SMALL_GRID " -o %s", one, law);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot law %s -o %s", law, out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "one-law.json: 1 fit, expected at least 3 datasets (one fit each) "
                            "to regress on H"),
              "%s", r.err);
    zs_run_free(&r);
    /* a table without H */
    const char *noh = zs_test_path("noh.csv"), *lawnoh = zs_test_path("noh-law.json");
    s = zs_test_sh("cut -d, -f1,3- %s > %s", EXAMPLE, noh);
    cr_assert_eq(s.exit_code, 0);
    zs_run_free(&s);
    r = zs_test_cli("fit %s --grid " SMALL_GRID " -o %s", noh, lawnoh);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot law %s -o %s", lawnoh, out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "noh-law.json: fits[0] (dataset pcfg-0.22) has no H"), "%s", r.err);
    zs_run_free(&r);
    zs_regressfile rf = {.n_datasets = 2};
    zs_plot *fig;
    zs_error err = {0};
    cr_assert_eq(zs_figure_params_vs_h(&rf, ZS_LAW_E, NULL, &fig, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "figure: 2 datasets; a regression on H needs 3");
    cr_assert_eq(zs_figure_params_vs_h(&rf, 5, NULL, &fig, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "figure: law parameter 5; expected 0 to 4");
    cr_assert_null(zs_test_slurp(out, NULL), "nothing written");
}

/* ---- training logs ---- */

/* A log of `steps` records every 10 steps, 1000 tokens a step, val every 50 steps
 * (step 0 included, at 0 tokens); the loss falls as 2 + 5 / (1 + step). */
static const char *write_log(const char *name, int steps) {
    const char *path = zs_test_path(name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < steps; i++) {
        int step = 10 * i;
        double loss = 2 + 5.0 / (1 + step);
        fprintf(f,
                "{\"step\": %d, \"tokens\": %d, \"lr\": 0.0006, \"train_loss\": %.6f, "
                "\"grad_norm\": 1.5, \"tok_per_s\": 40000",
                step, 1000 * step, loss);
        if (step % 50 == 0) fprintf(f, ", \"val_loss\": %.6f", loss + 0.1);
        fputs("}\n", f);
        if (i == 3) fputs("\n", f); /* a blank line is skipped */
    }
    fclose(f);
    return path;
}

Test(figures, trainlog_reads_every_column) {
    const char *path = write_log("log.jsonl", 12);
    zs_trainlog log;
    zs_error err = {0};
    cr_assert_eq(zs_trainlog_read(&log, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(log.n, 12);
    cr_assert_eq(log.n_val, 3, "steps 0, 50, 100");
    for (size_t i = 0; i < 12; i++) {
        double step = 10.0 * (double)i;
        cr_assert_eq(log.step[i], step);
        cr_assert_eq(log.tokens[i], 1000 * step);
        cr_assert_float_eq(log.train_loss[i], 2 + 5 / (1 + step), 1e-6);
        cr_assert_eq(isnan(log.val_loss[i]), (int)i % 5 != 0);
        cr_assert_eq(log.lr[i], 0.0006);
        cr_assert_eq(log.grad_norm[i], 1.5);
        cr_assert_eq(log.tok_per_s[i], 40000);
    }
    cr_assert_float_eq(log.val_loss[5], 2 + 5.0 / 51 + 0.1, 1e-6);
    zs_trainlog_free(&log);
}

Test(figures, curves_have_a_train_line_and_val_points_per_log) {
    const char *a = write_log("small-run.jsonl", 40), *b = write_log("big-run.jsonl", 25);
    const char *out = zs_test_path("curves.svg");
    zs_run r = zs_test_cli("plot curves %s %s -o %s", a, b, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *svg = slurp(out);
    cr_assert_eq(count(svg, "<g class=\"series line\""), 2);
    cr_assert_eq(count(svg, "<g class=\"series scatter\""), 2);
    /* val at steps 50..350 (7) and 50..200 (4): step 0 has 0 tokens, off a log axis */
    cr_assert_eq(count(svg, "<circle class=\"point\""), 11);
    const char *labels[] = {"small-run train", "small-run val", "big-run train",
                            "big-run val",     "tokens D",      "loss (nats)"};
    for (size_t i = 0; i < 6; i++) cr_assert(has_text(svg, labels[i]), "%s", labels[i]);
    cr_assert(has_text(svg, "training curves: train loss (lines) and val loss (points)"));
    /* each log's val points take its train line's colour */
    char line[32], point[32];
    attr_after(svg, "<path class=\"line\"", "stroke", line, sizeof line);
    attr_after(svg, "<circle class=\"point\"", "fill", point, sizeof point);
    cr_assert_str_eq(line, point);
    free(svg);
}

static void expect_log_error(const char *text, const char *message) {
    const char *path = zs_test_path("bad.jsonl");
    cr_assert_eq(zs_test_write(path, text, strlen(text)), 0);
    zs_trainlog log;
    zs_error err = {0};
    cr_assert_neq(zs_trainlog_read(&log, path, &err), ZS_OK, "%s", text);
    char expected[512];
    snprintf(expected, sizeof expected, "%s%s", path, message);
    cr_assert_str_eq(err.msg, expected);
    cr_assert_eq(log.n, 0);
    cr_assert_null(log.tokens);
}

#define GOOD "{\"step\": 0, \"tokens\": 0, \"lr\": 0, \"train_loss\": 9, \"grad_norm\": 1, "
Test(figures, trainlog_errors) {
    expect_log_error(GOOD "\"tok_per_s\": 1}\n{\"step\": 1,\n",
                     ":2:11: string or '}' expected near end of file");
    expect_log_error(GOOD "\"tok_per_s\": 1}\n[1, 2]\n", ":2: expected a JSON object");
    expect_log_error(GOOD "\"tok_per_s\": 1}\n\n" GOOD "\"val_loss\": 3}\n",
                     ":3: missing \"tok_per_s\"");
    expect_log_error(GOOD "\"tok_per_s\": \"fast\"}\n",
                     ":1: \"tok_per_s\": expected a finite number");
    expect_log_error(GOOD "\"tok_per_s\": 1, \"val_loss\": \"x\"}\n",
                     ":1: \"val_loss\": expected a finite number");
    expect_log_error("{\"step\": 0, \"tokens\": -5, \"lr\": 0, \"train_loss\": 9, "
                     "\"grad_norm\": 1, \"tok_per_s\": 1}\n",
                     ":1: \"tokens\" is -5; expected >= 0");
    /* found by fuzzing (issue 14; tests/fuzz/crashes/trainlog/) */
    expect_log_error("{\"step\": -1, \"tokens\": 0, \"lr\": 0, \"train_loss\": 9, "
                     "\"grad_norm\": 1, \"tok_per_s\": 1}\n",
                     ":1: \"step\" is -1; expected >= 0");
    expect_log_error("{\"step\": 0, \"tokens\": 0, \"lr\": -0.001, \"train_loss\": 9, "
                     "\"grad_norm\": 1, \"tok_per_s\": 1}\n",
                     ":1: \"lr\" is -0.001; expected >= 0");
    expect_log_error(GOOD "\"tok_per_s\": 1}\n{\"step\": 1, \"tokens\": 0, \"lr\": 0, "
                          "\"train_loss\": -9, \"grad_norm\": 1, \"tok_per_s\": 1}\n",
                     ":2: \"train_loss\" is -9; expected >= 0");
    expect_log_error(GOOD "\"tok_per_s\": 1, \"val_loss\": -2}\n",
                     ":1: \"val_loss\" is -2; expected >= 0");
    expect_log_error("\n  \n", ": no records");
    zs_trainlog log;
    zs_error err = {0};
    cr_assert_neq(zs_trainlog_read(&log, zs_test_path("missing.jsonl"), &err), ZS_OK);
    cr_assert(strstr(err.msg, "missing.jsonl"), "%s", err.msg);
    /* a log whose only step is at 0 tokens cannot be drawn on a log axis */
    const char *zero = zs_test_path("zero.jsonl"), *out = zs_test_path("bad.svg");
    const char *text = GOOD "\"tok_per_s\": 1}\n";
    cr_assert_eq(zs_test_write(zero, text, strlen(text)), 0);
    zs_run r = zs_test_cli("plot curves %s -o %s", zero, out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale: figure: log zero has no step with tokens > 0"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot curves %s", zero);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "-o FIGURE is required"), "%s", r.err);
    zs_run_free(&r);
    cr_assert_null(zs_test_slurp(out, NULL), "nothing written");
}

Test(figures, gzip_ratios_one_box_per_dataset) {
    static const double a[] = {0.30, 0.31, 0.33, 0.35}, b[] = {0.50, 0.52, 0.55};
    const char *names[] = {"low", "high"};
    const double *values[] = {a, b};
    const size_t counts[] = {4, 3};
    zs_plot *fig = NULL;
    zs_error err = {0};
    cr_assert_eq(
        zs_figure_gzip_ratios(names, values, counts, 2, "t", NULL, ZS_PLOT_BOX, NULL, &fig, &err),
        ZS_OK, "%s", err.msg);
    char *svg = svg_of(fig, "gzip_boxes.svg");
    cr_assert(has_text(svg, ZS_FIGURE_GZIP_LABEL));
    cr_assert(has_text(svg, "dataset") && has_text(svg, "low") && has_text(svg, "high"));
    free(svg);
    const size_t empty[] = {4, 0};
    cr_assert_neq(
        zs_figure_gzip_ratios(names, values, empty, 2, NULL, NULL, ZS_PLOT_BOX, NULL, &fig, &err),
        ZS_OK, "a dataset without ratios");
    cr_assert_null(fig);
}

/* The error contract (core.h): frees accept NULL and a zeroed struct; a failed read leaves
 * the log zeroed. */
Test(figures_contract, trainlog_free_and_failed_read) {
    zs_trainlog_free(NULL);
    zs_trainlog log = {0};
    zs_trainlog_free(&log);
    memset(&log, 0xff, sizeof log);
    zs_error err;
    cr_assert_eq(zs_trainlog_read(&log, zs_test_path("missing.jsonl"), &err), ZS_ERR_IO);
    cr_assert_eq(log.n, 0);
    cr_assert_null(log.step);
    cr_assert_null(log.val_loss);
}
