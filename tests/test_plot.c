/* Tests for the plot module (include/zipscale/plot.h): the tick rules, the figure's
 * structure read back from the SVG text (series, ticks, labels, legend), legend
 * placement, box-plot statistics against a brute-force count, PNG and PDF files, errors
 * with their messages, and atomic writes. Pixels are not compared. */
#define _GNU_SOURCE /* memmem: a PDF holds binary streams */
#include <cairo/cairo.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "zipscale/plot.h"

/* ---- helpers ---- */

static size_t count(const char *text, const char *needle) {
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(text, needle); p; p = strstr(p + len, needle)) n++;
    return n;
}

/* Writes fig as SVG to a scratch file and returns its text (caller frees). */
static char *svg_of(const zs_plot *fig, const char *name) {
    zs_error err = {0};
    const char *path = zs_test_path(name);
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    char *svg = zs_test_slurp(path, NULL);
    cr_assert_not_null(svg);
    return svg;
}

static zs_plot *new_fig(void) {
    zs_plot *fig;
    zs_error err = {0};
    cr_assert_eq(zs_plot_create(&fig, 640, 440, &err), ZS_OK, "%s", err.msg);
    return fig;
}

/* The numeric attribute `name="..."` of the element starting at `tag`. */
static double attr(const char *tag, const char *name) {
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *end = strchr(tag, '>');
    const char *p = strstr(tag, key);
    cr_assert(p && p < end, "no %s in %.80s", name, tag);
    return strtod(p + strlen(key), NULL);
}

typedef struct {
    double x, y, w, h;
} box;

static box rect_of_class(const char *svg, const char *cls) {
    char key[64];
    snprintf(key, sizeof key, "<rect class=\"%s\"", cls);
    const char *tag = strstr(svg, key);
    cr_assert_not_null(tag, "no %s rect", cls);
    return (box){attr(tag, "x"), attr(tag, "y"), attr(tag, "width"), attr(tag, "height")};
}

/* Data markers (class "point") whose centre lies in b. */
static size_t points_inside(const char *svg, box b) {
    size_t n = 0;
    for (const char *p = strstr(svg, "<circle class=\"point\""); p;
         p = strstr(p + 1, "<circle class=\"point\"")) {
        double x = attr(p, "cx"), y = attr(p, "cy");
        n += x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h;
    }
    return n;
}

/* ---- ticks ---- */

static void ticks_of(double lo, double hi, zs_plot_scale scale, zs_plot_tick *t, size_t *n) {
    zs_error err = {0};
    cr_assert_eq(zs_plot_ticks(lo, hi, scale, t, n, &err), ZS_OK, "%s", err.msg);
}

Test(plot_ticks, linear_unit_interval) {
    zs_plot_tick t[ZS_PLOT_MAX_TICKS];
    size_t n;
    ticks_of(0, 1, ZS_PLOT_LINEAR, t, &n);
    const char *want[] = {"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"};
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        cr_assert_float_eq(t[i].value, 0.2 * (double)i, 1e-12);
        cr_assert_str_eq(t[i].text, want[i]);
        cr_assert(t[i].major);
    }
}

Test(plot_ticks, linear_integers_and_no_negative_zero) {
    zs_plot_tick t[ZS_PLOT_MAX_TICKS];
    size_t n;
    ticks_of(-3, 17, ZS_PLOT_LINEAR, t, &n);
    const char *want[] = {"0", "5", "10", "15"};
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(t[i].text, want[i]);
    ticks_of(-1e-9, 1e-9, ZS_PLOT_LINEAR, t, &n);
    int zeros = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].value == 0) {
            cr_assert_str_eq(t[i].text, "0");
            zeros++;
        }
    cr_assert_eq(zeros, 1);
}

/* Over many random ranges: steps are 1, 2 or 5 x 10^k, 3-9 ticks cover the range with
 * none missing at either end. */
Test(plot_ticks, linear_nice_on_random_ranges) {
    zs_rng rng;
    zs_rng_seed(&rng, 5, 0);
    for (int trial = 0; trial < 2000; trial++) {
        double lo = (zs_rng_uniform(&rng) - 0.5) * pow(10, 8 * zs_rng_uniform(&rng) - 4);
        double hi = lo + pow(10, 10 * zs_rng_uniform(&rng) - 5);
        zs_plot_tick t[ZS_PLOT_MAX_TICKS];
        size_t n;
        ticks_of(lo, hi, ZS_PLOT_LINEAR, t, &n);
        cr_assert(n >= 3 && n <= 9, "[%g, %g]: %zu ticks", lo, hi, n);
        double step = t[1].value - t[0].value;
        double mantissa = step / pow(10, floor(log10(step) + 1e-6));
        cr_assert(fabs(mantissa - 1) < 1e-6 || fabs(mantissa - 2) < 1e-6 ||
                      fabs(mantissa - 5) < 1e-6,
                  "[%g, %g]: step %g", lo, hi, step);
        cr_assert_geq(t[0].value, lo - 1e-9 * step);
        cr_assert_leq(t[n - 1].value, hi + 1e-9 * step);
        cr_assert_lt(t[0].value - step, lo);
        cr_assert_gt(t[n - 1].value + step, hi);
        for (size_t i = 1; i < n; i++) {
            /* ticks are i x step: exact but for the rounding of each value */
            double tol = 1e-9 * step + 4e-16 * fabs(t[i].value);
            cr_assert_float_eq(t[i].value - t[i - 1].value, step, tol);
            cr_assert_str_neq(t[i].text, t[i - 1].text, "[%g, %g]: labels repeat", lo, hi);
        }
    }
}

Test(plot_ticks, log_four_decades) {
    zs_plot_tick t[ZS_PLOT_MAX_TICKS];
    size_t n;
    ticks_of(1, 1e4, ZS_PLOT_LOG10, t, &n);
    cr_assert_eq(n, 5 + 4 * 8, "majors 10^0..10^4 and 8 minors per decade, got %zu", n);
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].major) {
            char sup[16];
            snprintf(sup, sizeof sup, "%d", k);
            cr_assert_float_eq(t[i].value, pow(10, k), 1e-9 * pow(10, k));
            cr_assert_str_eq(t[i].text, "10");
            cr_assert_str_eq(t[i].sup_text, sup);
            k++;
        } else {
            double m = t[i].value / pow(10, floor(log10(t[i].value) + 1e-12));
            cr_assert(fabs(m - round(m)) < 1e-9 && m >= 2 && m <= 9, "minor %g", t[i].value);
            cr_assert_str_eq(t[i].text, "", "minors are unlabelled");
        }
        if (i) cr_assert_gt(t[i].value, t[i - 1].value);
    }
    cr_assert_eq(k, 5);
}

Test(plot_ticks, log_spanning_one_decade) {
    zs_plot_tick t[ZS_PLOT_MAX_TICKS];
    size_t n;
    ticks_of(0.5, 20, ZS_PLOT_LOG10, t, &n);
    int majors = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].major) {
            cr_assert_str_eq(t[i].text, "10");
            cr_assert_str_eq(t[i].sup_text, majors == 0 ? "0" : "1");
            majors++;
        }
    cr_assert_eq(majors, 2);
    cr_assert_eq(n, 2 + 5 + 8 + 1, "minors 0.5..0.9, 2..9 and 20; got %zu", n);
}

Test(plot_ticks, log_many_decades_thins_labels) {
    zs_plot_tick t[ZS_PLOT_MAX_TICKS];
    size_t n;
    ticks_of(1e-20, 1e20, ZS_PLOT_LOG10, t, &n);
    cr_assert_eq(n, 41, "every decade is a major tick, no minors past 6 decades");
    int labelled = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert(t[i].major);
        if (!t[i].text[0]) continue;
        labelled++;
        cr_assert_eq(atoi(t[i].sup_text) % 6, 0, "stride ceil(41/8) = 6: 10^%s", t[i].sup_text);
    }
    cr_assert(labelled >= 4 && labelled <= 8, "%d labels", labelled);
    ticks_of(1e-300, 1e300, ZS_PLOT_LOG10, t, &n);
    cr_assert_leq(n, 8, "601 decades: only the labelled majors are kept (%zu)", n);
}

Test(plot_ticks, log_inside_one_decade_labels_plain_numbers) {
    zs_plot_tick t[ZS_PLOT_MAX_TICKS];
    size_t n;
    ticks_of(2, 8, ZS_PLOT_LOG10, t, &n);
    const char *want[] = {"2", "3", "4", "5", "6", "7", "8"};
    cr_assert_eq(n, 7);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(t[i].text, want[i]);
        cr_assert_str_eq(t[i].sup_text, "");
    }
}

Test(plot_ticks, bad_ranges) {
    zs_plot_tick t[ZS_PLOT_MAX_TICKS];
    size_t n;
    zs_error err = {0};
    cr_assert_eq(zs_plot_ticks(1, 1, ZS_PLOT_LINEAR, t, &n, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "expected finite lo < hi"), "%s", err.msg);
    cr_assert_eq(zs_plot_ticks(0, 10, ZS_PLOT_LOG10, t, &n, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "log10 axis needs lo > 0"), "%s", err.msg);
}

/* ---- structure, read from the SVG ---- */

Test(plot_svg, log_log_figure_structure) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double n_params[6] = {1e3, 1e4, 1e5, 1e6, 1e7, 1e8}, loss[6], fit[6];
    for (int i = 0; i < 6; i++) {
        loss[i] = 1.7 + 400 / pow(n_params[i], 0.34) * (1 + 0.02 * (i % 2));
        fit[i] = 1.7 + 400 / pow(n_params[i], 0.34);
    }
    cr_assert_eq(zs_plot_set_title(fig, "Loss & parameters", &err), ZS_OK);
    cr_assert_eq(zs_plot_set_xlabel(fig, "parameters N", &err), ZS_OK);
    cr_assert_eq(zs_plot_set_ylabel(fig, "loss (nats)", &err), ZS_OK);
    zs_plot_set_xscale(fig, ZS_PLOT_LOG10);
    zs_plot_set_yscale(fig, ZS_PLOT_LOG10);
    cr_assert_eq(zs_plot_add_scatter(fig, "runs", n_params, loss, 6, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_line(fig, "fit", n_params, fit, 6, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_line(fig, NULL, n_params, loss, 6, &err), ZS_OK);
    char *svg = svg_of(fig, "loglog.svg");
    cr_assert_eq(count(svg, "<g class=\"series"), 3);
    cr_assert_eq(count(svg, "<g class=\"series line\""), 2);
    cr_assert_eq(count(svg, "<circle class=\"point\""), 6);
    cr_assert_eq(count(svg, "<rect class=\"frame\""), 1);
    cr_assert(strstr(svg, "class=\"title\""));
    cr_assert(strstr(svg, ">Loss &amp; parameters</text>"), "the title, escaped");
    cr_assert(strstr(svg, ">parameters N</text>"));
    cr_assert(strstr(svg, ">loss (nats)</text>"));
    for (int k = 3; k <= 8; k++) {
        char label[16];
        snprintf(label, sizeof label, ">%d</tspan>", k);
        cr_assert(strstr(svg, label), "x tick 10^%d", k);
    }
    cr_assert(strstr(svg, ">10<tspan class=\"sup\""), "powers of ten with a superscript");
    cr_assert_gt(count(svg, "class=\"tick minor\""), 20, "unlabelled minor ticks");
    cr_assert_eq(count(svg, "class=\"legend-label\""), 2, "the unlabelled line has no entry");
    cr_assert(strstr(svg, "class=\"legend-label\"") && strstr(svg, ">runs</text>") &&
              strstr(svg, ">fit</text>"));
    free(svg);
    zs_plot_free(fig);
}

Test(plot_svg, series_colours_cycle_with_dashes_after_eight) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[2] = {0, 1}, y[2];
    for (int i = 0; i < 9; i++) {
        y[0] = y[1] = i;
        cr_assert_eq(zs_plot_add_line(fig, NULL, x, y, 2, &err), ZS_OK);
    }
    char *svg = svg_of(fig, "nine.svg");
    cr_assert_eq(count(svg, "<path class=\"line\""), 9);
    cr_assert_eq(count(svg, "stroke=\"#0072b2\""), 2, "Okabe-Ito blue for series 1 and 9");
    cr_assert_eq(count(svg, "stroke=\"#e69f00\""), 1);
    cr_assert_eq(count(svg, "stroke-dasharray"), 1, "only the ninth line is dashed");
    free(svg);
    zs_plot_free(fig);
}

/* viridis's ends (#440154 at 0, #fde725 at 1) and its midpoint (#21918c at 0.5) are control
 * points of plot_palette.c's table; a colour-mapped series takes no palette slot, and a
 * dashed one keeps the colour it would have had. */
Test(plot_svg, colour_map_and_dashed_series) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[2] = {0, 1}, y[2] = {0, 1};
    const double ts[] = {0, 0.5, 7}; /* 7: clamped to 1 */
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(zs_plot_next_colormap(fig, ts[i], &err), ZS_OK, "%s", err.msg);
        cr_assert_eq(zs_plot_add_line(fig, NULL, x, y, 2, &err), ZS_OK);
    }
    cr_assert_eq(zs_plot_add_line(fig, "palette", x, y, 2, &err), ZS_OK);
    zs_plot_next_dashed(fig);
    cr_assert_eq(zs_plot_add_line(fig, "dashed", x, y, 2, &err), ZS_OK);
    cr_assert_eq(zs_plot_reuse_style(fig, 1, &err), ZS_OK, "a colour-mapped series has a colour");
    zs_plot_next_dashed(fig);
    cr_assert_eq(zs_plot_add_line(fig, NULL, x, y, 2, &err), ZS_OK);
    cr_assert_eq(zs_plot_next_colormap(fig, NAN, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "plot: colour map position nan; expected a number in [0, 1]");
    char *svg = svg_of(fig, "colormap.svg");
    cr_assert_eq(count(svg, "<path class=\"line\" d=\"M"), 6);
    cr_assert_eq(count(svg, "stroke=\"#440154\""), 1);
    cr_assert_eq(count(svg, "stroke=\"#21918c\""), 2, "series 2 and its dashed reuse");
    cr_assert_eq(count(svg, "stroke=\"#fde725\""), 1);
    cr_assert_eq(count(svg, "stroke=\"#0072b2\""), 2,
                 "the palette starts after the map: "
                 "the line and its legend swatch");
    cr_assert_eq(count(svg, "stroke=\"#e69f00\""), 2, "the dashed line and its swatch");
    cr_assert_eq(count(svg, "stroke-dasharray"), 3, "dashed, its swatch and the dashed reuse");
    free(svg);
    zs_plot_free(fig);
}

Test(plot_svg, nan_points_are_skipped_counted_and_break_the_line) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[5] = {1, 2, 3, 4, 5}, y[5] = {1, 4, NAN, 16, INFINITY};
    cr_assert_eq(zs_plot_add_line(fig, "l", x, y, 5, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_scatter(fig, "s", x, y, 5, &err), ZS_OK);
    cr_assert_eq(zs_plot_skipped_points(fig), 4);
    char *svg = svg_of(fig, "nan.svg");
    const char *line = strstr(svg, "<path class=\"line\" d=\"");
    cr_assert_not_null(line);
    char d[200];
    sscanf(line + strlen("<path class=\"line\" d=\""), "%199[^\"]", d);
    cr_assert_eq(count(d, "M"), 2, "pen lifted at the NaN: %s", d);
    cr_assert_eq(count(d, "L"), 1, "%s", d);
    cr_assert_eq(count(svg, "<circle class=\"point\""), 3);
    free(svg);
    zs_plot_free(fig);
}

Test(plot_svg, band_and_errorbars) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[4] = {1, 2, 3, 4}, y[4] = {1, 2, 3, 4}, lo[4] = {0.5, 1.5, 2.5, 3.5},
           hi[4] = {1.5, 2.5, 3.5, 4.5};
    cr_assert_eq(zs_plot_add_band(fig, "band", x, lo, hi, 4, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_errorbars(fig, "bars", x, y, lo, hi, 4, &err), ZS_OK);
    char *svg = svg_of(fig, "band.svg");
    cr_assert_eq(count(svg, "<path class=\"band\""), 1);
    cr_assert(strstr(svg, "fill-opacity=\"0.25\""));
    cr_assert_eq(count(svg, "<path class=\"errorbar\""), 3 * 4, "bar and two caps per point");
    cr_assert_eq(count(svg, "class=\"legend-label\""), 2);
    free(svg);
    zs_plot_free(fig);
}

/* Brute force: quartiles by numpy's rule, whiskers and outliers at 1.5 IQR. */
Test(plot_svg, box_plot_outliers_match_a_brute_force_count) {
    enum { N = 103 };
    double v[N];
    for (int i = 0; i < 100; i++) v[i] = i;
    v[100] = 300, v[101] = 400, v[102] = -250;
    /* sorted: -250, 0..99, 300, 400 -> positions p(n-1) = 25.5, 76.5 */
    double q1 = 24.5, q3 = 75.5, iqr = q3 - q1;
    int outliers = 0;
    for (int i = 0; i < N; i++) outliers += v[i] < q1 - 1.5 * iqr || v[i] > q3 + 1.5 * iqr;
    cr_assert_eq(outliers, 3);
    zs_plot *fig = new_fig();
    zs_error err = {0};
    const char *names[2] = {"wide", "narrow"};
    double narrow[3] = {10, 11, 12};
    const double *values[2] = {v, narrow};
    size_t counts[2] = {N, 3};
    cr_assert_eq(zs_plot_add_groups(fig, ZS_PLOT_BOX, names, values, counts, 2, &err), ZS_OK);
    char *svg = svg_of(fig, "box.svg");
    cr_assert_eq(count(svg, "<circle class=\"outlier\""), outliers);
    cr_assert_eq(count(svg, "<rect class=\"box\""), 2);
    cr_assert_eq(count(svg, "<path class=\"median\""), 2);
    cr_assert_eq(count(svg, "<path class=\"whisker\""), 2 * 4);
    cr_assert(strstr(svg, ">wide</text>") && strstr(svg, ">narrow</text>"), "group names");
    /* the median bar sits inside the box */
    box b = rect_of_class(svg, "box");
    const char *median = strstr(svg, "<path class=\"median\" d=\"M");
    double mx, my;
    cr_assert_eq(sscanf(median + strlen("<path class=\"median\" d=\"M"), "%lf %lf", &mx, &my), 2);
    cr_assert(my > b.y && my < b.y + b.h);
    free(svg);
    zs_plot_free(fig);
}

Test(plot_svg, violins_one_per_group) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double a[50], b[80];
    for (int i = 0; i < 50; i++) a[i] = 0.3 + 0.01 * (i % 7);
    for (int i = 0; i < 80; i++) b[i] = 0.5 + 0.02 * (i % 5);
    const char *names[2] = {"a", "b"};
    const double *values[2] = {a, b};
    size_t counts[2] = {50, 80};
    cr_assert_eq(zs_plot_add_groups(fig, ZS_PLOT_VIOLIN, names, values, counts, 2, &err), ZS_OK);
    char *svg = svg_of(fig, "violin.svg");
    cr_assert_eq(count(svg, "<path class=\"violin\""), 2);
    cr_assert_eq(count(svg, "<g class=\"series distribution\""), 1);
    free(svg);
    zs_plot_free(fig);
}

Test(plot_svg, heatmap_with_colour_bar) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double z[12];
    for (int i = 0; i < 12; i++) z[i] = i;
    z[5] = NAN;
    cr_assert_eq(zs_plot_add_heatmap(fig, "loss (nats)", z, 4, 3, 0, 4, 0, 3, &err), ZS_OK);
    cr_assert_eq(zs_plot_skipped_points(fig), 1);
    char *svg = svg_of(fig, "heat.svg");
    cr_assert_eq(count(svg, "<rect class=\"cell\""), 11);
    cr_assert_eq(count(svg, "<rect class=\"colorbar\""), 64);
    cr_assert(strstr(svg, "#440154") && strstr(svg, "#fde725"),
              "viridis ends at the smallest and largest z");
    cr_assert(strstr(svg, "class=\"colorbar-label\"") && strstr(svg, ">loss (nats)</text>"));
    free(svg);
    zs_plot_free(fig);
}

/* ---- legend placement ---- */

/* Data along the bottom and the left edge: the top-right corner is free. */
Test(plot_legend, avoids_data_when_a_corner_is_free) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[40], y[40];
    for (int i = 0; i < 20; i++) {
        x[i] = i, y[i] = 0;
        x[20 + i] = 0, y[20 + i] = i;
    }
    cr_assert_eq(zs_plot_add_scatter(fig, "edge points", x, y, 40, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_scatter(fig, "one more series", x, y, 1, &err), ZS_OK);
    char *svg = svg_of(fig, "legend.svg");
    box legend = rect_of_class(svg, "legend"), frame = rect_of_class(svg, "frame");
    cr_assert_eq(points_inside(svg, legend), 0);
    cr_assert_gt(legend.x, frame.x + frame.w / 2, "top right");
    cr_assert_lt(legend.y + legend.h, frame.y + frame.h / 2);
    cr_assert_leq(legend.x + legend.w, frame.x + frame.w, "inside the frame");
    free(svg);
    zs_plot_free(fig);
}

/* The top-right corner holds data; the others do not: the legend moves. */
Test(plot_legend, moves_off_a_covered_corner) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[3] = {0, 10, 9.5}, y[3] = {0, 10, 9.5};
    cr_assert_eq(zs_plot_add_scatter(fig, "corner points", x, y, 3, &err), ZS_OK);
    char *svg = svg_of(fig, "legend2.svg");
    box legend = rect_of_class(svg, "legend"), frame = rect_of_class(svg, "frame");
    cr_assert_eq(points_inside(svg, legend), 0);
    cr_assert_lt(legend.x, frame.x + frame.w / 2, "top left, the next corner in order");
    free(svg);
    zs_plot_free(fig);
}

/* A line counts along its length, not only at its vertices. */
Test(plot_legend, avoids_a_line_between_vertices) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    /* two vertices: a diagonal through the top-right and bottom-left corners */
    double x[2] = {0, 1}, y[2] = {0, 1}, x2[2] = {0, 1}, y2[2] = {1, 0.9};
    cr_assert_eq(zs_plot_add_line(fig, "diagonal", x, y, 2, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_line(fig, "top", x2, y2, 2, &err), ZS_OK);
    char *svg = svg_of(fig, "legend3.svg");
    box legend = rect_of_class(svg, "legend"), frame = rect_of_class(svg, "frame");
    cr_assert_gt(legend.x, frame.x + frame.w / 2, "bottom right: the only free corner");
    cr_assert_gt(legend.y, frame.y + frame.h / 2);
    free(svg);
    zs_plot_free(fig);
}

/* Data in every corner: the legend goes outside, right of the frame. */
Test(plot_legend, outside_right_when_every_corner_is_taken) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[400], y[400];
    for (int i = 0; i < 400; i++) x[i] = i % 20, y[i] = i / 20;
    cr_assert_eq(zs_plot_add_scatter(fig, "grid", x, y, 400, &err), ZS_OK);
    char *svg = svg_of(fig, "legend4.svg");
    box legend = rect_of_class(svg, "legend"), frame = rect_of_class(svg, "frame");
    cr_assert_gt(legend.x, frame.x + frame.w);
    cr_assert_leq(legend.x + legend.w, 640);
    cr_assert_eq(points_inside(svg, legend), 0);
    free(svg);
    zs_plot_free(fig);
}

/* ---- PNG and PDF ---- */

static unsigned be32(const unsigned char *p) {
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

static zs_plot *simple_fig(void) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[3] = {1, 10, 100}, y[3] = {3, 2, 1.5};
    zs_plot_set_xscale(fig, ZS_PLOT_LOG10);
    cr_assert_eq(zs_plot_set_title(fig, "simple", &err), ZS_OK);
    cr_assert_eq(zs_plot_add_line(fig, "loss", x, y, 3, &err), ZS_OK);
    return fig;
}

Test(plot_files, png_has_signature_and_figure_size) {
    zs_plot *fig = simple_fig();
    zs_error err = {0};
    const char *path = zs_test_path("fig.PNG");
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    size_t len;
    unsigned char *png = (unsigned char *)zs_test_slurp(path, &len);
    cr_assert_gt(len, 1000);
    cr_assert_eq(memcmp(png, "\x89PNG\r\n\x1a\n", 8), 0);
    cr_assert_eq(memcmp(png + 12, "IHDR", 4), 0);
    cr_assert_eq(be32(png + 16), 640);
    cr_assert_eq(be32(png + 20), 440);
    free(png);
    zs_plot_free(fig);
}

Test(plot_files, pdf_has_header_and_trailer) {
    zs_plot *fig = simple_fig();
    zs_error err = {0};
    const char *path = zs_test_path("fig.pdf");
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    size_t len;
    char *pdf = zs_test_slurp(path, &len);
    cr_assert_gt(len, 500);
    cr_assert_eq(memcmp(pdf, "%PDF-1.", 7), 0);
    cr_assert(memmem(pdf + len - 16, 16, "%%EOF", 5), "trailer");
    const char *media = "/MediaBox [ 0 0 640 440 ]";
    cr_assert(memmem(pdf, len, media, strlen(media)), "page size in points");
    free(pdf);
    zs_plot_free(fig);
}

Test(plot_files, same_figure_same_bytes) {
    zs_plot *fig = simple_fig();
    zs_error err = {0};
    const char *exts[2] = {"svg", "png"};
    for (int e = 0; e < 2; e++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "same1.%s", exts[e]);
        snprintf(b, sizeof b, "same2.%s", exts[e]);
        const char *pa = zs_test_path(a), *pb = zs_test_path(b);
        cr_assert_eq(zs_plot_write(fig, pa, &err), ZS_OK);
        cr_assert_eq(zs_plot_write(fig, pb, &err), ZS_OK);
        size_t la, lb;
        char *da = zs_test_slurp(pa, &la), *db = zs_test_slurp(pb, &lb);
        cr_assert(la == lb && memcmp(da, db, la) == 0, "%s differs between writes", exts[e]);
        free(da);
        free(db);
    }
    zs_plot_free(fig);
}

/* ---- errors, and nothing written on failure ---- */

static int exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

Test(plot_errors, log_axis_with_zero_names_the_series) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[4] = {1, 2, 3, 4}, y[4] = {1, 0.5, 0, 2};
    cr_assert_eq(zs_plot_add_line(fig, "loss D=1e9", x, y, 4, &err), ZS_OK);
    zs_plot_set_yscale(fig, ZS_PLOT_LOG10);
    const char *path = zs_test_path("zero.svg");
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "plot: series 'loss D=1e9' has y = 0 at point 3; a log10 y axis "
                              "needs positive values");
    cr_assert_not(exists(path));
    zs_plot_free(fig);
}

Test(plot_errors, log_axis_negative_x_unlabelled_series) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[2] = {-1, 2}, y[2] = {1, 2};
    cr_assert_eq(zs_plot_add_scatter(fig, NULL, x, y, 2, &err), ZS_OK);
    zs_plot_set_xscale(fig, ZS_PLOT_LOG10);
    cr_assert_eq(zs_plot_write(fig, zs_test_path("neg.svg"), &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "plot: series 1 (scatter) has x = -1 at point 1; a log10 x axis "
                              "needs positive values");
    zs_plot_free(fig);
}

Test(plot_errors, empty_figure) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    const char *path = zs_test_path("empty.svg");
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "plot: the figure has no series"), "%s", err.msg);
    cr_assert_not(exists(path));
    zs_plot_free(fig);
}

Test(plot_svg, in_memory_matches_file) {
    zs_plot *fig = simple_fig();
    zs_error err = {0};
    char *svg = svg_of(fig, "memory.svg");
    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(zs_plot_svg(fig, &text, &len, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(len, strlen(svg));
    cr_assert_str_eq(text, svg, "zs_plot_svg gives the bytes zs_plot_write writes");
    free(text);
    free(svg);
    zs_plot_free(fig);
}

Test(plot_errors, empty_figure_in_memory) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    char *text = (char *)"untouched";
    size_t len = 7;
    cr_assert_eq(zs_plot_svg(fig, &text, &len, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "plot: the figure has no series"), "%s", err.msg);
    cr_assert_null(text);
    cr_assert_eq(len, 0);
    zs_plot_free(fig);
}

Test(plot_errors, unknown_extension) {
    zs_plot *fig = simple_fig();
    zs_error err = {0};
    const char *path = zs_test_path("fig.jpg");
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "fig.jpg: unknown plot format '.jpg'; expected a name ending in "
                              ".svg, .png or .pdf"),
              "%s", err.msg);
    cr_assert_not(exists(path));
    zs_plot_free(fig);
}

Test(plot_errors, all_points_non_finite) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[2] = {NAN, 1}, y[2] = {1, NAN};
    cr_assert_eq(zs_plot_add_line(fig, "void", x, y, 2, &err), ZS_OK);
    cr_assert_eq(zs_plot_write(fig, zs_test_path("void.svg"), &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "plot: no finite data point to draw (2 skipped)");
    zs_plot_free(fig);
}

Test(plot_errors, groups_on_log_x_and_twice) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    const char *names[1] = {"g"};
    double v[2] = {1, 2};
    const double *values[1] = {v};
    size_t counts[1] = {2};
    cr_assert_eq(zs_plot_add_groups(fig, ZS_PLOT_BOX, names, values, counts, 1, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_groups(fig, ZS_PLOT_BOX, names, values, counts, 1, &err),
                 ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "plot: a figure holds one set of groups");
    zs_plot_set_xscale(fig, ZS_PLOT_LOG10);
    cr_assert_eq(zs_plot_write(fig, zs_test_path("glog.svg"), &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "plot: groups sit on a categorical x axis; it cannot be log10");
    zs_plot_free(fig);
}

Test(plot_errors, group_without_finite_values) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    const char *names[1] = {"nan only"};
    double v[1] = {NAN};
    const double *values[1] = {v};
    size_t counts[1] = {1};
    cr_assert_eq(zs_plot_add_groups(fig, ZS_PLOT_BOX, names, values, counts, 1, &err),
                 ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "plot: group 'nan only' has no finite values");
    cr_assert_eq(zs_plot_skipped_points(fig), 0, "a refused series counts nothing");
    zs_plot_free(fig);
}

Test(plot_errors, figure_too_small_or_too_large) {
    zs_plot *fig;
    zs_error err = {0};
    cr_assert_eq(zs_plot_create(&fig, 50, 400, &err), ZS_ERR_RANGE);
    cr_assert_null(fig);
    cr_assert(strstr(err.msg, "expected width and height in [100, 20000]"), "%s", err.msg);
}

/* A failed write leaves the old file as it was, and no temporary file beside it. */
Test(plot_errors, failed_write_leaves_old_file_and_no_temporary) {
    const char *dir = zs_test_path("atomic");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/fig.svg", dir);
    cr_assert_eq(zs_test_write(path, "old", 3), 0);
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[2] = {1, 2}, y[2] = {0, 1};
    cr_assert_eq(zs_plot_add_line(fig, "l", x, y, 2, &err), ZS_OK);
    zs_plot_set_yscale(fig, ZS_PLOT_LOG10);
    cr_assert_neq(zs_plot_write(fig, path, &err), ZS_OK);
    char *text = zs_test_slurp(path, NULL);
    cr_assert_str_eq(text, "old");
    free(text);
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    cr_assert_eq(entries, 1, "only fig.svg in the directory");
    /* and into a missing directory: an I/O error naming the path */
    snprintf(path, sizeof path, "%s/missing/fig.png", dir);
    zs_plot_set_yscale(fig, ZS_PLOT_LINEAR);
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, "missing/fig.png"), "%s", err.msg);
    zs_plot_free(fig);
}

/* ---- zipscale plot gzip ---- */

/* Two raw uint32 token files: ids from 4 values (compressible) and from 60000 (not). */
static void write_token_files(const char **low, const char **high) {
    enum { N = 256 * 80 + 17 };
    static uint32_t ids[N];
    zs_rng rng;
    zs_rng_seed(&rng, 11, 0);
    for (int i = 0; i < N; i++) ids[i] = (uint32_t)zs_rng_below(&rng, 4);
    *low = zs_test_path("low.u32");
    cr_assert_eq(zs_test_write(*low, ids, sizeof ids), 0);
    for (int i = 0; i < N; i++) ids[i] = (uint32_t)zs_rng_below(&rng, 60000);
    *high = zs_test_path("high.u32");
    cr_assert_eq(zs_test_write(*high, ids, sizeof ids), 0);
}

static char *cli_svg(const char *path, const char *fmt_args, const char *a, const char *b) {
    zs_run r = zs_test_cli(fmt_args, a, b, path);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    zs_run_free(&r);
    char *svg = zs_test_slurp(path, NULL);
    cr_assert_not_null(svg);
    return svg;
}

/* Outliers beyond 1.5 IQR by numpy's quartiles, counted from the ratios in the JSON. */
static int brute_force_outliers(json_t *ratios) {
    size_t n = json_array_size(ratios);
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = json_number_value(json_array_get(ratios, i));
    for (size_t i = 1; i < n; i++) /* insertion sort: the reference stays obvious */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    double pos1 = 0.25 * (double)(n - 1), pos3 = 0.75 * (double)(n - 1);
    size_t i1 = (size_t)pos1, i3 = (size_t)pos3;
    double q1 = v[i1] + (pos1 - (double)i1) * (i1 + 1 < n ? v[i1 + 1] - v[i1] : 0);
    double q3 = v[i3] + (pos3 - (double)i3) * (i3 + 1 < n ? v[i3 + 1] - v[i3] : 0);
    int outliers = 0;
    for (size_t i = 0; i < n; i++)
        outliers += v[i] < q1 - 1.5 * (q3 - q1) || v[i] > q3 + 1.5 * (q3 - q1);
    free(v);
    return outliers;
}

/* Token files and the `zipscale gzip --json` result of the same files draw the same
 * figure; the outliers drawn are the brute-force count from the recorded ratios; the
 * figure does not depend on --threads. */
Test(plot_cli, gzip_from_tokens_equals_from_json) {
    const char *low, *high;
    write_token_files(&low, &high);
    const char *json_path = zs_test_path("h.json");
    zs_run r = zs_test_cli("gzip '%s' '%s' --dtype uint32 --sample 60 --seed 4 --json -o '%s'", low,
                           high, json_path);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    zs_run_free(&r);
    char *from_tokens = cli_svg(zs_test_path("t.svg"),
                                "plot gzip '%s' '%s' --dtype uint32 --sample 60 --seed 4 "
                                "--threads 1 --names low,high --title 'H per set' -o '%s'",
                                low, high);
    char *threads2 = cli_svg(zs_test_path("t2.svg"),
                             "plot gzip '%s' '%s' --dtype uint32 --sample 60 --seed 4 "
                             "--threads 2 --names low,high --title 'H per set' -o '%s'",
                             low, high);
    char *from_json =
        cli_svg(zs_test_path("j.svg"), "plot gzip '%s' --names %s --title 'H per set' -o '%s'",
                json_path, "low,high");
    cr_assert_str_eq(from_tokens, from_json);
    cr_assert_str_eq(from_tokens, threads2);
    cr_assert_eq(count(from_tokens, "<rect class=\"box\""), 2);
    cr_assert(strstr(from_tokens, ">low</text>") && strstr(from_tokens, ">high</text>"));
    cr_assert(strstr(from_tokens, ">H per set</text>"));
    cr_assert(strstr(from_tokens, ">gzip compressibility H (compressed / raw bytes)</text>"));
    json_t *doc = json_load_file(json_path, 0, NULL);
    json_t *files = json_object_get(doc, "files");
    int outliers = 0;
    for (size_t i = 0; i < 2; i++) {
        json_t *ratios = json_object_get(json_array_get(files, i), "gzip_ratios");
        cr_assert_eq(json_array_size(ratios), 60);
        outliers += brute_force_outliers(ratios);
    }
    cr_assert_eq(count(from_tokens, "<circle class=\"outlier\""), (size_t)outliers);
    json_decref(doc);
    free(from_tokens);
    free(threads2);
    free(from_json);
}

Test(plot_cli, gzip_violins_and_default_names) {
    const char *low, *high;
    write_token_files(&low, &high);
    char *svg =
        cli_svg(zs_test_path("v.svg"),
                "plot gzip '%s' '%s' --dtype uint32 --sample 30 --violin -o '%s'", low, high);
    cr_assert_eq(count(svg, "<path class=\"violin\""), 2);
    cr_assert(strstr(svg, ">low</text>") && strstr(svg, ">high</text>"), "file stems");
    free(svg);
}

Test(plot_cli, gzip_json_without_ratios) {
    const char *path = zs_test_path("old.json");
    const char *text =
        "{\"command\": \"gzip\", \"files\": [{\"file\": \"a.npy\", \"H\": 0.3, \"tokens\": 100}]}";
    cr_assert_eq(zs_test_write(path, text, strlen(text)), 0);
    zs_run r = zs_test_cli("plot gzip '%s' -o '%s'", path, zs_test_path("x.svg"));
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale: ") && strstr(r.err, "old.json: files[0] (a.npy) has no "
                                                           "per-sequence \"gzip_ratios\""),
              "%s", r.err);
    zs_run_free(&r);
}

Test(plot_cli, gzip_json_of_another_command) {
    const char *path = zs_test_path("sidecar.json");
    const char *text = "{\"format\": \"npy\", \"tokens\": 10}";
    cr_assert_eq(zs_test_write(path, text, strlen(text)), 0);
    zs_run r = zs_test_cli("plot gzip '%s' -o '%s'", path, zs_test_path("x.svg"));
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "sidecar.json: not a gzip results file"), "%s", r.err);
    zs_run_free(&r);
}

Test(plot_cli, gzip_usage_errors) {
    const char *low, *high;
    write_token_files(&low, &high);
    zs_run r = zs_test_cli("plot gzip '%s' --dtype uint32", low);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "-o FIGURE is required"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot gzip '%s' '%s' --dtype uint32 --names a -o '%s'", low, high,
                    zs_test_path("n.svg"));
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--names lists 1, but there are 2 datasets"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("plot gzip '%s' --dtype uint32 -o '%s'", low, zs_test_path("h.gif"));
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "h.gif: unknown plot format '.gif'"), "%s", r.err);
    zs_run_free(&r);
    cr_assert_eq(access(zs_test_path("h.gif"), F_OK), -1, "nothing written");
}

/* Every kind of series and a title that needs escaping: the SVG is well-formed XML
 * (checked by Python's parser, independent of our writer). */
Test(plot_svg, well_formed_xml) {
    const char *py = zs_test_python("xml");
    zs_plot *fig = new_fig();
    zs_error err = {0};
    double x[3] = {1, 2, 3}, y[3] = {1, 2, 3}, lo[3] = {0.5, 1.5, 2.5}, hi[3] = {1.5, 2.5, 3.5};
    double z[4] = {1, 2, 3, 4};
    cr_assert_eq(zs_plot_set_title(fig, "<a> & \"b\" 'c'", &err), ZS_OK);
    cr_assert_eq(zs_plot_add_heatmap(fig, "z", z, 2, 2, 1, 3, 0, 2, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_band(fig, "b", x, lo, hi, 3, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_errorbars(fig, "e<", x, y, lo, hi, 3, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_line(fig, "l&", x, y, 3, &err), ZS_OK);
    cr_assert_eq(zs_plot_add_scatter(fig, "s", x, y, 3, &err), ZS_OK);
    zs_plot_set_xscale(fig, ZS_PLOT_LOG10);
    const char *path = zs_test_path("all.svg");
    cr_assert_eq(zs_plot_write(fig, path, &err), ZS_OK, "%s", err.msg);
    zs_run r = zs_test_sh("%s -c 'import sys, xml.etree.ElementTree as E; "
                          "t = E.parse(sys.argv[1]); "
                          "print(sum(1 for e in t.iter() if e.get(\"class\", \"\").startswith("
                          "\"series\")))' '%s'",
                          py, path);
    cr_assert_eq(r.exit_code, 0, "not well-formed: %s", r.err);
    cr_assert_str_eq(r.out, "5\n", "five series groups");
    zs_run_free(&r);
    zs_plot_free(fig);
}

/* The violin's outline against the density computed here from its definition: a sum of
 * Gaussian kernels with Silverman's bandwidth 0.9 min(sd, IQR/1.34) n^(-1/5), at 64
 * points from the smallest to the largest value, widest at 0.4 of the slot. */
Test(plot_svg, violin_outline_is_the_kernel_density) {
    enum { N = 9, K = 64 };
    const double v[N] = {0, 0, 0, 1, 1, 2, 3, 5, 8};
    double mean = 0, ss = 0;
    for (int i = 0; i < N; i++) mean += v[i] / N;
    for (int i = 0; i < N; i++) ss += (v[i] - mean) * (v[i] - mean);
    double sd = sqrt(ss / (N - 1));
    double q1 = 0, q3 = 3; /* numpy: positions 2 and 6 of the sorted values */
    double h = 0.9 * fmin(sd, (q3 - q1) / 1.34) * pow(N, -0.2);
    double density[K], peak = 0;
    for (int k = 0; k < K; k++) {
        double y = 8.0 * k / (K - 1);
        density[k] = 0;
        for (int i = 0; i < N; i++) density[k] += exp(-0.5 * pow((y - v[i]) / h, 2));
        peak = fmax(peak, density[k]);
    }
    zs_plot *fig = new_fig();
    zs_error err = {0};
    const char *names[1] = {"v"};
    const double *values[1] = {v};
    size_t counts[1] = {N};
    cr_assert_eq(zs_plot_add_groups(fig, ZS_PLOT_VIOLIN, names, values, counts, 1, &err), ZS_OK);
    char *svg = svg_of(fig, "kde.svg");
    box frame = rect_of_class(svg, "frame");
    double centre = frame.x + frame.w / 2, slot = frame.w; /* one group: x from -0.5 to 0.5 */
    const char *p = strstr(svg, "<path class=\"violin\" d=\"");
    cr_assert_not_null(p);
    p += strlen("<path class=\"violin\" d=\"");
    for (int k = 0; k < K; k++) {
        double x, y;
        cr_assert_eq(sscanf(p, "%*c%lf %lf", &x, &y), 2, "point %d", k);
        double want = 0.4 * slot * density[k] / peak;
        cr_assert_float_eq(x - centre, want, 0.02, "k = %d: half-width %g, density says %g", k,
                           x - centre, want);
        p = strchr(p + 1, 'L');
        cr_assert_not_null(p);
    }
    free(svg);
    zs_plot_free(fig);
}

/* Names too wide for their slots slant by 30 degrees, and the first one stays inside
 * the figure: the label ends at its anchor and runs w cos 30 to the left (w measured
 * here with cairo, in the font the plot names), plus a little for the descent. */
Test(plot_svg, slanted_group_names_stay_inside) {
    zs_plot *fig = new_fig();
    zs_error err = {0};
    const char *first = "a very long dataset name of forty chars.";
    const char *names[6] = {first, "b", "c", "d", "e", "f"};
    double v[2] = {1, 2};
    const double *values[6] = {v, v, v, v, v, v};
    size_t counts[6] = {2, 2, 2, 2, 2, 2};
    cr_assert_eq(zs_plot_add_groups(fig, ZS_PLOT_BOX, names, values, counts, 6, &err), ZS_OK);
    char *svg = svg_of(fig, "slant.svg");
    char closing[64];
    snprintf(closing, sizeof closing, ">%s</text>", first);
    const char *end = strstr(svg, closing), *label = end;
    cr_assert_not_null(end);
    while (label > svg && strncmp(label, "<text ", 6) != 0) label--;
    const char *rotate = strstr(label, "transform=\"rotate(-30 ");
    cr_assert(rotate && rotate < end, "slanted");
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(surface);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, attr(label, "font-size"));
    cairo_text_extents_t e;
    cairo_text_extents(cr, first, &e);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    cr_assert_gt(e.x_advance, 150, "40 characters at 10 pt");
    cr_assert_geq(attr(label, "x") - e.x_advance * cos(M_PI / 6) - 3, 0);
    free(svg);
    zs_plot_free(fig);
}
