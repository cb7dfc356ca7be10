/* Tests of what stores and shows a quanta result (zipscale/quanta_experiment.h): quanta.json
 * round trips bit for bit (doubles compared by their bytes, NAN included) and byte for byte;
 * each malformed file fails naming the file and the field (exact messages); the writer
 * refuses a result that does not hold together and writes nothing; every quanta figure
 * renders to SVG with its series, legend entries, labels and colours (read back from the SVG
 * text, with the fitted line's end checked against the law it draws); `zipscale quanta
 * compare` prints its table and JSON, draws its figure, and exits 1 on a bad file (naming
 * it) and 2 on a usage error. The result is testquanta.h's synthetic one. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testjson.h"
#include "testquanta.h"
#include "testutil.h"
#include "zipscale/figures.h"
#include "zipscale/quanta_experiment.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static size_t count(const char *text, const char *needle) {
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(text, needle); p; p = strstr(p + len, needle)) n++;
    return n;
}

/* `>text<` appears: a <text> element holding exactly text. */
static int has_text(const char *svg, const char *text) {
    char key[512];
    snprintf(key, sizeof key, ">%s</text>", text);
    return strstr(svg, key) != NULL;
}

/* The synthetic result written to the tmpdir as name; returns its path. */
static const char *write_synthetic(const char *name) {
    zs_quanta_result r;
    zs_test_quanta_result(&r);
    const char *path = zs_test_path(name);
    zs_error err = {0};
    cr_assert_eq(zs_quanta_result_write(&r, path, &err), ZS_OK, "%s", err.msg);
    zs_quanta_result_free(&r);
    return path;
}

/* n doubles equal bit for bit (so NAN equals NAN, and -0 differs from 0). */
static void same_doubles(const double *a, const double *b, size_t n, const char *what) {
    cr_assert(a && b, "%s: an array is NULL", what);
    for (size_t i = 0; i < n; i++)
        cr_assert(memcmp(&a[i], &b[i], sizeof a[i]) == 0, "%s[%zu]: %.17g != %.17g", what, i, a[i],
                  b[i]);
}

static void same_double(double a, double b, const char *what) {
    same_doubles(&a, &b, 1, what);
}

static void same_result(const zs_quanta_result *a, const zs_quanta_result *b) {
    cr_assert_eq(a->n_tasks, b->n_tasks);
    cr_assert_eq(a->n_bits, b->n_bits);
    cr_assert_eq(a->k, b->k);
    same_double(a->zipf_exponent, b->zipf_exponent, "zipf_exponent");
    same_double(a->threshold_bits, b->threshold_bits, "threshold_bits");
    same_double(a->level, b->level, "level");
    for (int k = 0; k < ZS_QUANTA_N_AXES; k++) {
        const zs_quanta_axis_result *x = &a->axes[k], *y = &b->axes[k];
        cr_assert_eq(x->present, y->present, "axis %d present", k);
        if (!x->present) continue;
        cr_assert_eq(x->n_points, y->n_points);
        cr_assert_eq(x->n_subtasks, y->n_subtasks);
        size_t np = x->n_points, ns = x->n_subtasks;
        same_doubles(x->x, y->x, np, "x");
        same_doubles(x->loss_nats, y->loss_nats, np, "loss_nats");
        same_doubles(x->subtask_loss_nats, y->subtask_loss_nats, ns * np, "subtask_loss_nats");
        same_doubles(x->learning_x, y->learning_x, ns, "learning_x");
        same_doubles(x->fraction_learned, y->fraction_learned, np, "fraction_learned");
        cr_assert_eq(x->n_learned, y->n_learned);
        cr_assert_eq(x->fit_first, y->fit_first);
        cr_assert_eq(x->fit_count, y->fit_count);
        const double u[] = {x->rho,      x->rho_lo,   x->rho_hi, x->alpha,
                            x->alpha_lo, x->alpha_hi, x->log_a,  x->alpha_predicted};
        const double v[] = {y->rho,      y->rho_lo,   y->rho_hi, y->alpha,
                            y->alpha_lo, y->alpha_hi, y->log_a,  y->alpha_predicted};
        same_doubles(u, v, 8, "rho .. alpha_predicted");
    }
}

/* ---- quanta.json: round trip --------------------------------------------------------------- */

Test(quanta_file, round_trip_is_bit_exact) {
    zs_quanta_result r, back;
    zs_test_quanta_result(&r);
    const char *a = zs_test_path("a.json"), *b = zs_test_path("b.json");
    zs_error err = {0};
    cr_assert_eq(zs_quanta_result_write(&r, a, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_quanta_result_read(&back, a, &err), ZS_OK, "%s", err.msg);
    same_result(&r, &back);
    cr_assert(isnan(back.axes[ZS_QUANTA_AXIS_PARAMS].subtask_loss_nats[3 * 7 + 2]));
    cr_assert_eq(back.axes[ZS_QUANTA_AXIS_PARAMS].n_learned, 18);
    cr_assert_eq(back.axes[ZS_QUANTA_AXIS_STEPS].n_learned, 20);
    cr_assert_eq(zs_quanta_result_write(&back, b, &err), ZS_OK, "%s", err.msg);
    zs_run cmp = zs_test_sh("cmp %s %s", a, b);
    cr_assert_eq(cmp.exit_code, 0, "written, read and written again: the same bytes");
    zs_run_free(&cmp);
    zs_quanta_result_free(&r);
    zs_quanta_result_free(&back);
    for (int k = 0; k < ZS_QUANTA_N_AXES; k++) cr_assert_null(back.axes[k].x, "free zeroes");
}

/* The layout docs/quanta.md describes: the stamp, the task, an object per present axis only,
 * NAN as null, a row of subtask losses per subtask. */
Test(quanta_file, layout_and_nulls) {
    const char *path = write_synthetic("layout.json");
    char *text = zs_test_slurp(path, NULL);
    json_t *doc = parse_json(text);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "format")), "zipscale-quanta");
    cr_assert_eq(json_integer_value(json_object_get(doc, "format_version")), 1);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(doc, "task"), "n_tasks")), 100);
    cr_assert_float_eq(json_num(doc, "threshold_bits"), 0.1, 0);
    json_t *axes = json_object_get(doc, "axes");
    cr_assert_eq(json_object_size(axes), 2, "params and steps only");
    cr_assert_null(json_object_get(axes, "data"));
    json_t *params = json_object_get(axes, "params"), *steps = json_object_get(axes, "steps");
    json_t *m = json_object_get(params, "subtask_loss_nats");
    cr_assert_eq(json_array_size(m), 20);
    cr_assert_eq(json_array_size(json_array_get(m, 0)), 7);
    cr_assert(json_is_null(json_array_get(json_array_get(m, 3), 2)));
    cr_assert(json_is_null(json_array_get(json_object_get(params, "learning_x"), 19)));
    cr_assert(json_is_null(json_object_get(steps, "rho")));
    cr_assert(json_is_null(json_object_get(steps, "rho_hi")));
    cr_assert_eq(json_integer_value(json_object_get(params, "fit_count")), 5);
    cr_assert_eq(text[strlen(text) - 1], '\n');
    json_decref(doc);
    free(text);
}

/* ---- quanta.json: validation ------------------------------------------------------------- */

typedef void (*mutation)(json_t *doc);

static json_t *axis(json_t *doc, const char *name) {
    return json_object_get(json_object_get(doc, "axes"), name);
}

static json_t *params(json_t *doc) {
    return axis(doc, "params");
}

/* Writes the synthetic file changed by f, reads it and checks the failure: ZS_ERR_FORMAT,
 * "PATH: " + message, and the result zeroed. */
static void expect_error(mutation f, const char *message) {
    const char *path = write_synthetic("bad.json");
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert_not_null(doc, "%s", jerr.text);
    f(doc);
    cr_assert_eq(json_dump_file(doc, path, JSON_INDENT(2) | JSON_REAL_PRECISION(17)), 0);
    json_decref(doc);
    zs_quanta_result r;
    memset(&r, 0xa5, sizeof r);
    zs_error err = {0};
    cr_assert_eq(zs_quanta_result_read(&r, path, &err), ZS_ERR_FORMAT, "read: %s", err.msg);
    char expected[2048];
    snprintf(expected, sizeof expected, "%s: %s", path, message);
    cr_assert_str_eq(err.msg, expected);
    zs_quanta_result zero;
    memset(&zero, 0, sizeof zero);
    cr_assert(memcmp(&r, &zero, sizeof r) == 0, "a failed read leaves the result zeroed");
}

static void x_truncated(json_t *d) {
    json_array_remove(json_object_get(params(d), "x"), 6);
}
static void row_truncated(json_t *d) {
    json_array_remove(json_array_get(json_object_get(params(d), "subtask_loss_nats"), 4), 0);
}
static void rows_missing(json_t *d) {
    json_array_remove(json_object_get(params(d), "subtask_loss_nats"), 19);
}
static void learning_truncated(json_t *d) {
    json_array_remove(json_object_get(axis(d, "steps"), "learning_x"), 0);
}
static void fractions_truncated(json_t *d) {
    json_array_remove(json_object_get(params(d), "fraction_learned"), 0);
}
static void loss_not_a_list(json_t *d) {
    json_object_set_new(params(d), "loss_nats", json_real(1));
}
static void x_not_increasing(json_t *d) {
    json_t *x = json_object_get(params(d), "x");
    json_array_set(x, 3, json_array_get(x, 2));
}
static void x_zero(json_t *d) {
    json_array_set_new(json_object_get(params(d), "x"), 0, json_real(0));
}
static void x_null(json_t *d) {
    json_array_set_new(json_object_get(params(d), "x"), 2, json_null());
}
static void x_string(json_t *d) {
    json_array_set_new(json_object_get(params(d), "x"), 1, json_string("12"));
}
static void level_one(json_t *d) {
    json_object_set_new(d, "level", json_real(1));
}
static void level_missing(json_t *d) {
    json_object_del(d, "level");
}
static void wrong_format(json_t *d) {
    json_object_set_new(d, "format", json_string("zipscale-law"));
}
static void wrong_version(json_t *d) {
    json_object_set_new(d, "format_version", json_integer(2));
}
static void negative_loss(json_t *d) {
    json_array_set_new(json_object_get(params(d), "loss_nats"), 1, json_real(-0.5));
}
static void negative_subtask_loss(json_t *d) {
    json_array_set_new(json_array_get(json_object_get(params(d), "subtask_loss_nats"), 2), 5,
                       json_real(-1e-9));
}
static void fraction_above_one(json_t *d) {
    json_array_set_new(json_object_get(params(d), "fraction_learned"), 6, json_real(1.25));
}
static void fit_past_the_end(json_t *d) {
    json_object_set_new(params(d), "fit_count", json_integer(7));
}
static void fit_too_short(json_t *d) {
    json_object_set_new(params(d), "fit_count", json_integer(2));
}
static void too_many_learned(json_t *d) {
    json_object_set_new(params(d), "n_learned", json_integer(21));
}
static void rho_above_one(json_t *d) {
    json_object_set_new(params(d), "rho", json_real(1.5));
}
static void rho_interval_reversed(json_t *d) {
    json_object_set_new(params(d), "rho_lo", json_real(0.999));
}
static void alpha_interval_reversed(json_t *d) {
    json_object_set_new(params(d), "alpha_hi", json_real(-1));
}
static void learning_outside(json_t *d) {
    json_array_set_new(json_object_get(params(d), "learning_x"), 0, json_real(1));
}
static void predicted_missing(json_t *d) {
    json_object_del(params(d), "alpha_predicted");
}
static void unknown_axis(json_t *d) {
    json_object_set(json_object_get(d, "axes"), "param", params(d));
}
static void no_axes(json_t *d) {
    json_object_clear(json_object_get(d, "axes"));
}
static void too_many_subtasks(json_t *d) {
    json_object_set_new(json_object_get(d, "task"), "n_tasks", json_integer(19));
}
static void k_above_bits(json_t *d) {
    json_object_set_new(json_object_get(d, "task"), "k", json_integer(51));
}
static void threshold_zero(json_t *d) {
    json_object_set_new(d, "threshold_bits", json_real(0));
}

Test(quanta_file, each_error_names_the_field) {
    static const struct {
        mutation f;
        const char *message;
    } cases[] = {
        {x_truncated, "axes.params.x: expected an array of n_points (7) numbers"},
        {row_truncated, "axes.params.subtask_loss_nats[4]: expected an array of n_points (7) "
                        "numbers or nulls"},
        {rows_missing, "axes.params.subtask_loss_nats: expected an array of n_subtasks (20) "
                       "arrays, one per subtask"},
        {learning_truncated,
         "axes.steps.learning_x: expected an array of n_subtasks (20) numbers or nulls"},
        {fractions_truncated,
         "axes.params.fraction_learned: expected an array of n_points (7) numbers or nulls"},
        {loss_not_a_list, "axes.params.loss_nats: expected an array of n_points (7) numbers or "
                          "nulls"},
        {x_not_increasing, "axes.params.x[3]: expected a number > x[2] (x strictly increasing)"},
        {x_zero, "axes.params.x[0]: expected a positive number"},
        {x_null, "axes.params.x[2]: expected a number"},
        {x_string, "axes.params.x[1]: expected a number"},
        {level_one, "level: expected a number in (0, 1)"},
        {level_missing, "level: expected a number"},
        {wrong_format, "format: expected \"zipscale-quanta\" (is this a quanta.json of the "
                       "quantization model's experiments?)"},
        {wrong_version, "format_version: expected 1 (this zipscale reads quanta.json version 1)"},
        {negative_loss, "axes.params.loss_nats[1]: expected a number >= 0 or null"},
        {negative_subtask_loss,
         "axes.params.subtask_loss_nats[2][5]: expected a number >= 0 or null"},
        {fraction_above_one, "axes.params.fraction_learned[6]: expected a number in [0, 1] or "
                             "null"},
        {fit_past_the_end, "axes.params.fit_count: expected an integer at most n_points - "
                           "fit_first (6)"},
        {fit_too_short, "axes.params.fit_count: expected at least 3 with a fitted alpha (alpha "
                        "not null)"},
        {too_many_learned, "axes.params.n_learned: expected an integer at most n_subtasks (20)"},
        {rho_above_one, "axes.params.rho: expected a number in [-1, 1] or null"},
        {rho_interval_reversed, "axes.params.rho_hi: expected a number >= rho_lo"},
        {alpha_interval_reversed, "axes.params.alpha_hi: expected a number >= alpha_lo"},
        {learning_outside, "axes.params.learning_x[0]: expected a number in [x[0], x[6]] = "
                           "[333.33333333333331, 170666.66666666674] or null"},
        {predicted_missing, "axes.params.alpha_predicted: expected a number or null"},
        {unknown_axis, "axes.param: expected no other member than params, data and steps"},
        {no_axes, "axes: expected at least one experiment: params, data or steps"},
        {too_many_subtasks, "axes.params.n_subtasks: expected an integer in 1..task.n_tasks (19)"},
        {k_above_bits, "task.k: expected an integer in 1..n_bits (50)"},
        {threshold_zero, "threshold_bits: expected a positive number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].f, cases[i].message);
}

Test(quanta_file, missing_and_bad_json) {
    zs_quanta_result r;
    zs_error err = {0};
    const char *missing = zs_test_path("none.json");
    cr_assert_eq(zs_quanta_result_read(&r, missing, &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, missing), "%s", err.msg);
    const char *bad = zs_test_path("bad-syntax.json");
    cr_assert_eq(zs_test_write(bad, "{\"format\": ", 11), 0);
    cr_assert_eq(zs_quanta_result_read(&r, bad, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "bad-syntax.json:1:") && strstr(err.msg, "bad JSON"), "%s", err.msg);
    const char *dup = zs_test_path("dup.json");
    const char *text = "{\"format\": \"zipscale-quanta\", \"format\": \"zipscale-quanta\"}";
    cr_assert_eq(zs_test_write(dup, text, strlen(text)), 0);
    cr_assert_eq(zs_quanta_result_read(&r, dup, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "duplicate"), "%s", err.msg);
}

/* The writer applies the reader's check to the result in memory: ZS_ERR_RANGE, the field in
 * err->field, and no file. */
Test(quanta_file, writer_refuses_a_result_that_does_not_hold_together) {
    zs_quanta_result r;
    zs_test_quanta_result(&r);
    zs_quanta_axis_result *steps = &r.axes[ZS_QUANTA_AXIS_STEPS];
    steps->x[4] = steps->x[3];
    const char *path = zs_test_path("refused.json");
    zs_error err = {0};
    cr_assert_eq(zs_quanta_result_write(&r, path, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "quanta result: axes.steps.x[4]: expected a number > x[3] (x "
                              "strictly increasing)");
    cr_assert_str_eq(err.field, "axes.steps.x[4]");
    struct stat st;
    cr_assert_neq(stat(path, &st), 0, "nothing written");
    steps->x[4] = 2 * steps->x[3];
    steps->loss_nats[0] = INFINITY;
    cr_assert_eq(zs_quanta_result_check(&r, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "axes.steps.loss_nats[0]");
    steps->loss_nats[0] = 1;
    r.axes[ZS_QUANTA_AXIS_DATA].present = 1; /* present, but no arrays */
    r.axes[ZS_QUANTA_AXIS_DATA].n_points = 3;
    r.axes[ZS_QUANTA_AXIS_DATA].n_subtasks = 2;
    cr_assert_eq(zs_quanta_result_check(&r, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "quanta result: axes.data.x: expected n_points values (the array "
                              "is NULL)");
    r.axes[ZS_QUANTA_AXIS_DATA].present = 0;
    cr_assert_eq(zs_quanta_result_check(&r, &err), ZS_OK, "%s", err.msg);
    zs_quanta_result_free(&r);
    zs_quanta_result empty = {0};
    cr_assert_eq(zs_quanta_result_write(&empty, path, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "quanta result: task.n_tasks: expected a positive integer");
}

/* ---- figures ------------------------------------------------------------------------------- */

/* The figure as SVG text (the plot freed). */
static char *svg_of(zs_plot *fig) {
    char *svg = NULL;
    size_t len = 0;
    zs_error err = {0};
    cr_assert_eq(zs_plot_svg(fig, &svg, &len, &err), ZS_OK, "%s", err.msg);
    zs_plot_free(fig);
    return svg;
}

typedef zs_status (*axis_figure)(const zs_quanta_result *, zs_quanta_axis, const zs_figure_size *,
                                 zs_plot **, zs_error *);

static char *figure_of(axis_figure f, const zs_quanta_result *r, zs_quanta_axis axis) {
    zs_plot *fig = NULL;
    zs_error err = {0};
    cr_assert_eq(f(r, axis, NULL, &fig, &err), ZS_OK, "%s", err.msg);
    return svg_of(fig);
}

Test(quanta_figures, subtask_losses_one_line_per_subtask_by_rank) {
    zs_quanta_result r;
    zs_test_quanta_result(&r);
    char *svg = figure_of(zs_figure_quanta_subtask_losses, &r, ZS_QUANTA_AXIS_PARAMS);
    cr_assert_eq(count(svg, "<g class=\"series line\""), 21, "20 subtasks and the threshold");
    cr_assert(has_text(svg, "loss of each subtask against parameters N (20 subtasks)"));
    cr_assert(has_text(svg, "parameters N") && has_text(svg, "loss (bits)"));
    cr_assert(has_text(svg, "subtask 1 (most frequent)"));
    cr_assert(has_text(svg, "subtask 20 (least frequent)"));
    cr_assert(has_text(svg, "threshold 0.1 bits"));
    cr_assert_eq(count(svg, "class=\"legend-label\""), 3, "first, last and the threshold");
    cr_assert_eq(count(svg, "stroke=\"#440154\""), 2, "rank 1 darkest: its line and swatch");
    cr_assert_eq(count(svg, "stroke-dasharray"), 2, "the threshold and its swatch");
    cr_assert(count(svg, "class=\"sup\"") >= 2, "a log x axis");
    free(svg);
    zs_quanta_result_free(&r);
}

Test(quanta_figures, emergence_heatmap) {
    zs_quanta_result r;
    zs_test_quanta_result(&r);
    char *svg = figure_of(zs_figure_quanta_emergence, &r, ZS_QUANTA_AXIS_STEPS);
    cr_assert_eq(count(svg, "<g class=\"series heatmap\""), 1);
    cr_assert(has_text(svg, "emergence: each subtask's loss along steps S"));
    cr_assert(has_text(svg, "point along steps S (1: 33.3, 8: 36.6k)"), "%s", svg);
    cr_assert(has_text(svg, "subtask frequency rank (1 = most frequent)"));
    cr_assert(has_text(svg, "loss (bits)"), "the colour bar's label");
    free(svg);
    zs_quanta_result_free(&r);
}

/* The fitted line's first vertex is the law A x^-alpha (in bits) at the fit's first point:
 * checked against a marker drawn there on the same axes. */
Test(quanta_figures, scaling_curve_fit_and_prediction) {
    zs_quanta_result r;
    zs_test_quanta_result(&r);
    const zs_quanta_axis_result *a = &r.axes[ZS_QUANTA_AXIS_PARAMS];
    zs_plot *fig = NULL;
    zs_error err = {0};
    cr_assert_eq(zs_figure_quanta_scaling(&r, ZS_QUANTA_AXIS_PARAMS, NULL, &fig, &err), ZS_OK, "%s",
                 err.msg);
    double cx[] = {a->x[1]}, cy[] = {exp(a->log_a) * pow(a->x[1], -a->alpha) / M_LN2};
    cr_assert_eq(zs_plot_add_scatter(fig, "check", cx, cy, 1, &err), ZS_OK);
    char *svg = svg_of(fig);
    cr_assert_eq(count(svg, "<g class=\"series scatter\""), 2);
    cr_assert_eq(count(svg, "<g class=\"series line\""), 2, "the fit and the prediction");
    cr_assert_eq(count(svg, "<circle class=\"point\""), 7 + 1);
    cr_assert(has_text(svg, "scaling: test loss against parameters N"));
    char label[160];
    snprintf(label, sizeof label, "fit: alpha = %.3g [%.3g, %.3g] over points 2-6", a->alpha,
             a->alpha_lo, a->alpha_hi);
    cr_assert(has_text(svg, label), "%s", label);
    cr_assert(has_text(svg, "predicted slope: alpha = 0.4 (quantization model)"));
    cr_assert(has_text(svg, "test loss"));
    cr_assert_eq(count(svg, "stroke-dasharray"), 2, "the prediction and its swatch");
    const char *line = strstr(svg, "<path class=\"line\" d=\"M");
    const char *check = strstr(svg, "data-series=\"4\""); /* points, fit, prediction, check */
    cr_assert(line && check);
    double px, py, mx, my;
    cr_assert_eq(sscanf(line, "<path class=\"line\" d=\"M%lf %lf", &px, &py), 2);
    const char *circle = strstr(check, "<circle class=\"point\"");
    cr_assert_eq(sscanf(strstr(circle, "cx=\""), "cx=\"%lf\" cy=\"%lf\"", &mx, &my), 2);
    cr_assert_float_eq(px, mx, 0.011);
    cr_assert_float_eq(py, my, 0.011);
    free(svg);
    /* no fit: the prediction alone, through the middle point over every point */
    r.axes[ZS_QUANTA_AXIS_STEPS].alpha = NAN;
    svg = figure_of(zs_figure_quanta_scaling, &r, ZS_QUANTA_AXIS_STEPS);
    cr_assert_eq(count(svg, "<g class=\"series line\""), 1);
    cr_assert(has_text(svg, "predicted slope: alpha = 0.286 (quantization model)"));
    free(svg);
    zs_quanta_result_free(&r);
}

Test(quanta_figures, learning_points_leave_out_the_unlearned) {
    zs_quanta_result r;
    zs_test_quanta_result(&r);
    char *svg = figure_of(zs_figure_quanta_learning_points, &r, ZS_QUANTA_AXIS_PARAMS);
    cr_assert_eq(count(svg, "<circle class=\"point\""), 18, "18 learned of 20");
    cr_assert(has_text(svg, "learned: 18 of 20 (2 never learned, not shown)"));
    cr_assert(has_text(svg, "learning point against rank: Spearman rho = 0.933 "
                            "[0.814, 0.997]"));
    cr_assert(has_text(svg, "learning point: parameters N"));
    free(svg);
    svg = figure_of(zs_figure_quanta_learning_points, &r, ZS_QUANTA_AXIS_STEPS);
    cr_assert_eq(count(svg, "<circle class=\"point\""), 20);
    cr_assert(has_text(svg, "learning point against rank (Spearman rho undefined)"));
    free(svg);
    zs_quanta_result_free(&r);
}

Test(quanta_figures, compare_fitted_beside_predicted) {
    zs_quanta_result r;
    zs_test_quanta_result(&r);
    zs_plot *fig = NULL;
    zs_error err = {0};
    cr_assert_eq(zs_figure_quanta_compare(&r, NULL, &fig, &err), ZS_OK, "%s", err.msg);
    char *svg = svg_of(fig);
    cr_assert_eq(count(svg, "<g class=\"series errorbars\""), 2, "params and steps");
    cr_assert_eq(count(svg, "<g class=\"series scatter\""), 1);
    cr_assert_eq(count(svg, "<circle class=\"point\""), 2 + 2);
    char label[128];
    const zs_quanta_axis_result *a = &r.axes[ZS_QUANTA_AXIS_PARAMS];
    snprintf(label, sizeof label, "params: fitted %.3g [%.3g, %.3g]", a->alpha, a->alpha_lo,
             a->alpha_hi);
    cr_assert(has_text(svg, label), "%s", label);
    cr_assert(has_text(svg, "predicted (quantization model)"));
    cr_assert(has_text(svg, "fitted exponents (95% t intervals) and the predicted ones"));
    cr_assert(has_text(svg, "experiment: 1 params N, 2 data D, 3 steps S"));
    free(svg);
    zs_quanta_result_free(&r);
}

Test(quanta_figures, errors) {
    zs_quanta_result r;
    zs_test_quanta_result(&r);
    zs_plot *fig = (zs_plot *)&r; /* not NULL: each failure must set it to NULL */
    zs_error err = {0};
    cr_assert_eq(zs_figure_quanta_scaling(&r, ZS_QUANTA_AXIS_DATA, NULL, &fig, &err), ZS_ERR_RANGE);
    cr_assert_null(fig);
    cr_assert_str_eq(err.msg, "figure: the result has no data experiment");
    cr_assert_eq(zs_figure_quanta_emergence(&r, (zs_quanta_axis)7, NULL, &fig, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "figure: experiment axis 7; expected 0 to 2");
    zs_quanta_axis_result *p = &r.axes[ZS_QUANTA_AXIS_PARAMS];
    for (size_t s = 0; s < p->n_subtasks; s++) p->learning_x[s] = NAN;
    cr_assert_eq(zs_figure_quanta_learning_points(&r, ZS_QUANTA_AXIS_PARAMS, NULL, &fig, &err),
                 ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "figure: no subtask is learned in the params experiment");
    for (size_t i = 0; i < p->n_points * p->n_subtasks; i++) p->subtask_loss_nats[i] = NAN;
    cr_assert_eq(zs_figure_quanta_emergence(&r, ZS_QUANTA_AXIS_PARAMS, NULL, &fig, &err),
                 ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "figure: no subtask loss measured in the params experiment");
    for (int k = 0; k < ZS_QUANTA_N_AXES; k++) r.axes[k].alpha = r.axes[k].alpha_predicted = NAN;
    cr_assert_eq(zs_figure_quanta_compare(&r, NULL, &fig, &err), ZS_ERR_RANGE);
    cr_assert_null(fig);
    zs_figure_size tiny = {10, 10};
    cr_assert_eq(zs_figure_quanta_scaling(&r, ZS_QUANTA_AXIS_STEPS, &tiny, &fig, &err),
                 ZS_ERR_RANGE);
    zs_quanta_result_free(&r);
}

/* ---- zipscale quanta compare ----------------------------------------------------------- */

Test(quanta_cli, compare_table) {
    const char *path = write_synthetic("quanta.json");
    zs_run r = zs_test_cli("quanta compare %s", path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_quanta_result q;
    zs_test_quanta_result(&q);
    const zs_quanta_axis_result *a = &q.axes[ZS_QUANTA_AXIS_PARAMS];
    char row[512], head[512];
    snprintf(head, sizeof head,
             "# %s: 100 subtasks, 50 bits, k 3, Zipf exponent 1.4; threshold 0.1 bits; 95%% "
             "intervals\n"
             "axis    points  fitted alpha [lo, hi]         predicted  rho [lo, hi]         "
             "          learned\n",
             path);
    cr_assert(strncmp(r.out, head, strlen(head)) == 0, "%s", r.out);
    char alpha[96];
    snprintf(alpha, sizeof alpha, "%.4f [%.4f, %.4f]", a->alpha, a->alpha_lo, a->alpha_hi);
    snprintf(row, sizeof row, "params       7  %-28s     0.4000  %-28s     18/20\n", alpha,
             "0.9333 [0.8143, 0.9967]");
    cr_assert(strstr(r.out, row), "expected\n%s\nin\n%s", row, r.out);
    a = &q.axes[ZS_QUANTA_AXIS_STEPS];
    snprintf(alpha, sizeof alpha, "%.4f [%.4f, %.4f]", a->alpha, a->alpha_lo, a->alpha_hi);
    snprintf(row, sizeof row, "steps        8  %-28s     0.2857  %-28s     20/20\n", alpha, "-");
    cr_assert(strstr(r.out, row), "expected\n%s\nin\n%s", row, r.out);
    cr_assert_null(strstr(r.out, "data"), "no data experiment, no row");
    zs_run_free(&r);
    /* DIR means DIR/quanta.json */
    r = zs_test_cli("quanta compare %s", zs_test_tmpdir());
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "/quanta.json: 100 subtasks"), "%s", r.out);
    zs_run_free(&r);
    zs_quanta_result_free(&q);
}

Test(quanta_cli, compare_json_and_figure) {
    const char *path = write_synthetic("q.json"), *svg = zs_test_path("compare.svg");
    zs_run r = zs_test_cli("quanta compare %s --json -o %s", path, svg);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "command")), "quanta compare");
    json_t *axes = json_object_get(doc, "axes");
    cr_assert_eq(json_array_size(axes), 2);
    json_t *params = json_array_get(axes, 0), *steps = json_array_get(axes, 1);
    cr_assert_str_eq(json_string_value(json_object_get(params, "axis")), "params");
    zs_quanta_result q;
    zs_test_quanta_result(&q);
    cr_assert_eq(json_num(params, "alpha"), q.axes[ZS_QUANTA_AXIS_PARAMS].alpha, "exact");
    cr_assert_eq(json_num(params, "alpha_predicted"), 0.4);
    cr_assert_eq(json_num(params, "n_learned"), 18);
    cr_assert(json_is_null(json_object_get(steps, "rho")));
    char sha[65];
    zs_error err = {0};
    cr_assert_eq(zs_sha256_file(path, sha, &err), ZS_OK);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "input"), "sha256")),
                     sha);
    json_decref(doc);
    zs_run_free(&r);
    char *text = zs_test_slurp(svg, NULL);
    cr_assert_not_null(text, "the figure was written");
    cr_assert_eq(count(text, "<g class=\"series errorbars\""), 2);
    free(text);
    zs_quanta_result_free(&q);
}

Test(quanta_cli, compare_errors_and_exit_codes) {
    zs_run r = zs_test_cli("quanta compare");
    cr_assert_eq(r.exit_code, 2, "missing argument: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta compare a.json b.json");
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta compare --bogus x.json");
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    zs_run_free(&r);
    const char *missing = zs_test_path("missing.json");
    r = zs_test_cli("quanta compare %s", missing);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, missing), "names the file: %s", r.err);
    zs_run_free(&r);
    const char *bad = zs_test_path("bad-level.json");
    const char *text = "{\"format\": \"zipscale-quanta\", \"format_version\": 1, \"task\": "
                       "{\"n_tasks\": 10, \"n_bits\": 20, \"k\": 3, \"zipf_exponent\": 1.4}, "
                       "\"threshold_bits\": 0.1, \"level\": 95, \"axes\": {}}";
    cr_assert_eq(zs_test_write(bad, text, strlen(text)), 0);
    r = zs_test_cli("quanta compare %s", bad);
    cr_assert_eq(r.exit_code, 1);
    char expected[1024];
    snprintf(expected, sizeof expected, "zipscale: %s: level: expected a number in (0, 1)\n", bad);
    cr_assert_str_eq(r.err, expected);
    cr_assert_str_eq(r.out, "", "nothing printed");
    zs_run_free(&r);
    /* a figure with nothing to draw: exit 1, no table */
    zs_quanta_result q;
    zs_test_quanta_result(&q);
    for (int k = 0; k < ZS_QUANTA_N_AXES; k++) q.axes[k].alpha = q.axes[k].alpha_predicted = NAN;
    const char *none = zs_test_path("none.json");
    zs_error err = {0};
    cr_assert_eq(zs_quanta_result_write(&q, none, &err), ZS_OK, "%s", err.msg);
    zs_quanta_result_free(&q);
    r = zs_test_cli("quanta compare %s -o %s", none, zs_test_path("none.svg"));
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    cr_assert(strstr(r.err, "no experiment with a fitted or a predicted exponent"), "%s", r.err);
    cr_assert_str_eq(r.out, "");
    zs_run_free(&r);
    r = zs_test_cli("quanta compare %s -o %s", none, zs_test_path("x.gif"));
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("help quanta compare");
    cr_assert_eq(r.exit_code, 0);
    cr_assert(strstr(r.out, "QUANTA.json|DIR [--json] [-o FIGURE]"), "%s", r.out);
    zs_run_free(&r);
}
