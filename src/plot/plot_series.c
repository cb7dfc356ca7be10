/* Drawing the point series (line, scatter, band, error bars) into the display list in
 * frame coordinates, and recording where their data lands so the legend can avoid it.
 * Groups (plot_groups.c) and heatmaps (plot_heatmap.c) have their own files. */
#include <math.h>
#include <stdlib.h>

#include "plot/plot_internal.h"

#define LINE_WIDTH_PT 1.8
#define MARKER_RADIUS_PT 3.0
#define CAP_HALF_PT 3.5
#define BAND_ALPHA 0.25
#define DENSIFY_STEP_PT 3.0

double zs_frame_x(const zs_plot_frame *f, double x) {
    double t = f->xscale == ZS_PLOT_LOG10 ? log10(x) : x;
    return f->left + (t - f->x_lo) / (f->x_hi - f->x_lo) * (f->right - f->left);
}

double zs_frame_y(const zs_plot_frame *f, double y) {
    double t = f->yscale == ZS_PLOT_LOG10 ? log10(y) : y;
    return f->bottom - (t - f->y_lo) / (f->y_hi - f->y_lo) * (f->bottom - f->top);
}

zs_status zs_points_add(zs_point_set *p, double x, double y, zs_error *err) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        double *xy = realloc(p->xy, 2 * cap * sizeof *xy);
        if (!xy) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (plot data points)");
        p->xy = xy;
        p->cap = cap;
    }
    p->xy[2 * p->n] = x;
    p->xy[2 * p->n + 1] = y;
    p->n++;
    return ZS_OK;
}

zs_status zs_points_add_segment(zs_point_set *p, double x0, double y0, double x1, double y1,
                                zs_error *err) {
    double len = hypot(x1 - x0, y1 - y0);
    size_t steps = (size_t)ceil(len / DENSIFY_STEP_PT);
    if (steps < 1) steps = 1;
    for (size_t i = 0; i <= steps; i++) {
        double t = (double)i / (double)steps;
        zs_status s = zs_points_add(p, x0 + t * (x1 - x0), y0 + t * (y1 - y0), err);
        if (s) return s;
    }
    return ZS_OK;
}

/* A polyline through the finite points; a non-finite one lifts the pen. */
static zs_status draw_line(const zs_plot_series *s, const zs_plot_frame *f, zs_display *d,
                           zs_point_set *points, zs_error *err) {
    double *xy = zs_alloc(2 * s->n * sizeof *xy, "plot line", err);
    if (!xy) return ZS_ERR_NOMEM;
    zs_status st = ZS_OK;
    int have_prev = 0;
    for (size_t i = 0; !st && i < s->n; i++) {
        int ok = isfinite(s->x[i]) && isfinite(s->y[i]);
        xy[2 * i] = ok ? zs_frame_x(f, s->x[i]) : NAN;
        xy[2 * i + 1] = ok ? zs_frame_y(f, s->y[i]) : NAN;
        if (ok && have_prev)
            st = zs_points_add_segment(points, xy[2 * i - 2], xy[2 * i - 1], xy[2 * i],
                                       xy[2 * i + 1], err);
        else if (ok)
            st = zs_points_add(points, xy[2 * i], xy[2 * i + 1], err);
        have_prev = ok;
    }
    zs_prim p = {.kind = ZS_PRIM_PATH,
                 .cls = "line",
                 .stroke = s->colour,
                 .width_pt = LINE_WIDTH_PT,
                 .dash = s->dash,
                 .xy = xy,
                 .n = s->n};
    if (!st) st = zs_display_add(d, &p, err);
    free(xy);
    return st;
}

/* A filled circle, or a hollow one for series past the first 8 (where lines dash). */
static zs_status marker(const zs_plot_series *s, double x, double y, zs_display *d, zs_error *err) {
    zs_rgba colour = s->colour, none = {0, 0, 0, 0};
    int hollow = s->dash != 0;
    zs_prim p = {.kind = ZS_PRIM_CIRCLE,
                 .cls = "point",
                 .stroke = hollow ? colour : none,
                 .fill = hollow ? none : colour,
                 .width_pt = 1.2,
                 .x = x,
                 .y = y,
                 .w = MARKER_RADIUS_PT};
    return zs_display_add(d, &p, err);
}

static zs_status draw_scatter(const zs_plot_series *s, const zs_plot_frame *f, zs_display *d,
                              zs_point_set *points, zs_error *err) {
    zs_status st = ZS_OK;
    for (size_t i = 0; !st && i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) continue;
        double x = zs_frame_x(f, s->x[i]), y = zs_frame_y(f, s->y[i]);
        st = marker(s, x, y, d, err);
        if (!st) st = zs_points_add(points, x, y, err);
    }
    return st;
}

static int band_ok(const zs_plot_series *s, size_t i) {
    return isfinite(s->x[i]) && isfinite(s->lo[i]) && isfinite(s->hi[i]);
}

/* One polygon per run of finite points: along lo, then back along hi. */
static zs_status draw_band(const zs_plot_series *s, const zs_plot_frame *f, zs_display *d,
                           zs_point_set *points, zs_error *err) {
    double *xy = zs_alloc(4 * s->n * sizeof *xy, "plot band", err);
    if (!xy) return ZS_ERR_NOMEM;
    zs_status st = ZS_OK;
    zs_rgba fill = s->colour;
    fill.a = BAND_ALPHA;
    for (size_t i = 0; !st && i < s->n;) {
        if (!band_ok(s, i)) {
            i++;
            continue;
        }
        size_t end = i;
        while (end < s->n && band_ok(s, end)) end++;
        size_t k = 0;
        for (size_t j = i; j < end; j++, k++) {
            xy[2 * k] = zs_frame_x(f, s->x[j]);
            xy[2 * k + 1] = zs_frame_y(f, s->lo[j]);
        }
        for (size_t j = end; j-- > i; k++) {
            xy[2 * k] = zs_frame_x(f, s->x[j]);
            xy[2 * k + 1] = zs_frame_y(f, s->hi[j]);
        }
        for (size_t j = 0; !st && j + 1 < k; j++)
            st = zs_points_add_segment(points, xy[2 * j], xy[2 * j + 1], xy[2 * j + 2],
                                       xy[2 * j + 3], err);
        zs_prim p = {
            .kind = ZS_PRIM_PATH, .cls = "band", .fill = fill, .closed = 1, .xy = xy, .n = k};
        if (!st) st = zs_display_add(d, &p, err);
        i = end;
    }
    free(xy);
    return st;
}

static zs_status draw_errorbars(const zs_plot_series *s, const zs_plot_frame *f, zs_display *d,
                                zs_point_set *points, zs_error *err) {
    zs_rgba colour = s->colour;
    zs_status st = ZS_OK;
    for (size_t i = 0; !st && i < s->n; i++) {
        if (!band_ok(s, i) || !isfinite(s->y[i])) continue;
        double x = zs_frame_x(f, s->x[i]), lo = zs_frame_y(f, s->lo[i]),
               hi = zs_frame_y(f, s->hi[i]);
        st = zs_display_segment(d, "errorbar", x, lo, x, hi, colour, 1.2, 0, err);
        if (!st)
            st = zs_display_segment(d, "errorbar", x - CAP_HALF_PT, lo, x + CAP_HALF_PT, lo, colour,
                                    1.2, 0, err);
        if (!st)
            st = zs_display_segment(d, "errorbar", x - CAP_HALF_PT, hi, x + CAP_HALF_PT, hi, colour,
                                    1.2, 0, err);
        if (!st) st = marker(s, x, zs_frame_y(f, s->y[i]), d, err);
        if (!st) st = zs_points_add_segment(points, x, lo, x, hi, err);
    }
    return st;
}

static const char *group_class(zs_series_kind kind) {
    static const char *const classes[] = {
        [ZS_SERIES_LINE] = "series line",           [ZS_SERIES_SCATTER] = "series scatter",
        [ZS_SERIES_BAND] = "series band",           [ZS_SERIES_ERRORBARS] = "series errorbars",
        [ZS_SERIES_GROUPS] = "series distribution", [ZS_SERIES_HEATMAP] = "series heatmap",
    };
    return classes[kind];
}

zs_status zs_plot_draw_series(const zs_plot_series *s, int group, const zs_plot_frame *f,
                              zs_display *d, zs_point_set *points, zs_error *err) {
    typedef zs_status (*draw_fn)(const zs_plot_series *, const zs_plot_frame *, zs_display *,
                                 zs_point_set *, zs_error *);
    static const draw_fn draw[] = {
        [ZS_SERIES_LINE] = draw_line,
        [ZS_SERIES_SCATTER] = draw_scatter,
        [ZS_SERIES_BAND] = draw_band,
        [ZS_SERIES_ERRORBARS] = draw_errorbars,
        [ZS_SERIES_GROUPS] = zs_plot_draw_groups,
        [ZS_SERIES_HEATMAP] = zs_plot_draw_heatmap,
    };
    d->group = group;
    d->group_cls = group_class(s->kind);
    zs_status st = draw[s->kind](s, f, d, points, err);
    d->group = 0;
    d->group_cls = NULL;
    return st;
}
