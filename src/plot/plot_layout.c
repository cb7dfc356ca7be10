/* Layout: turns a figure into a display list once. Checks the data against the axis
 * scales, picks the axis limits and ticks, sizes the margins from measured text, draws
 * the series, axes and labels, and places the legend where it covers no data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_internal.h"

#define PAD_PT 10.0
#define GAP_PT 8.0
#define TICK_LABEL_GAP_PT 3.0
#define DATA_MARGIN 0.04 /* of the span, each side */
#define MIN_FRAME_PT 40.0
#define SLANT_DEG 30.0

static const zs_rgba ink = {0, 0, 0, 1}, no_paint = {0, 0, 0, 0};

static const char *kind_name(zs_series_kind kind) {
    static const char *const names[] = {"line",       "scatter", "band",
                                        "error bars", "groups",  "heatmap"};
    return names[kind];
}

/* "'loss (N)'" or "3 (scatter)": how error messages name a series. */
static void series_name(const zs_plot_series *s, size_t index, char *out, size_t size) {
    if (s->label)
        snprintf(out, size, "'%s'", s->label);
    else
        snprintf(out, size, "%zu (%s)", index + 1, kind_name(s->kind));
}

/* The first finite value <= 0 in v[0..n), or n; non-finite values are skipped anyway. */
static size_t first_non_positive(const double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && !(v[i] > 0)) return i;
    return n;
}

/* Fails naming the series, the axis, the value and where it sits ("at point 3"). */
static zs_status check_positive(const zs_plot_series *s, size_t index, char axis, const double *v,
                                size_t n, const char *column, const char *group, zs_error *err) {
    size_t i = v ? first_non_positive(v, n) : n;
    if (i == n) return ZS_OK;
    char name[160], where[160];
    series_name(s, index, name, sizeof name);
    if (group)
        snprintf(where, sizeof where, "in group '%s'", group);
    else if (n == 1)
        snprintf(where, sizeof where, "(%s)", column);
    else
        snprintf(where, sizeof where, "%s%sat point %zu", column, *column ? " " : "", i + 1);
    return zs_fail(err, ZS_ERR_RANGE,
                   "plot: series %s has %c = %g %s; a log10 %c axis needs positive values", name,
                   axis, v[i], where, axis);
}

static zs_status check_log_axes(const zs_plot *fig, const zs_plot_series *s, size_t index,
                                zs_error *err) {
    int logx = fig->xscale == ZS_PLOT_LOG10, logy = fig->yscale == ZS_PLOT_LOG10;
    zs_status st = ZS_OK;
    if (s->kind == ZS_SERIES_GROUPS) {
        if (logx)
            return zs_fail(err, ZS_ERR_USAGE,
                           "plot: groups sit on a categorical x axis; it cannot be log10");
        for (size_t g = 0; !st && logy && g < s->n_groups; g++)
            st = check_positive(s, index, 'y', s->values[g], s->counts[g], "", s->names[g], err);
        return st;
    }
    if (s->kind == ZS_SERIES_HEATMAP) {
        if (logx) st = check_positive(s, index, 'x', &s->x0, 1, "x0", NULL, err);
        if (!st && logy) st = check_positive(s, index, 'y', &s->y0, 1, "y0", NULL, err);
        return st;
    }
    if (logx) st = check_positive(s, index, 'x', s->x, s->n, "", NULL, err);
    if (!st && logy) st = check_positive(s, index, 'y', s->y, s->n, "", NULL, err);
    if (!st && logy) st = check_positive(s, index, 'y', s->lo, s->n, "lo", NULL, err);
    if (!st && logy) st = check_positive(s, index, 'y', s->hi, s->n, "hi", NULL, err);
    return st;
}

typedef struct {
    double lo, hi;
    int any;
} span;

static void extend(span *sp, double v, zs_plot_scale scale) {
    if (!isfinite(v)) return;
    double t = scale == ZS_PLOT_LOG10 ? log10(v) : v;
    if (!sp->any || t < sp->lo) sp->lo = t;
    if (!sp->any || t > sp->hi) sp->hi = t;
    sp->any = 1;
}

static void series_extent(const zs_plot *fig, const zs_plot_series *s, span *x, span *y) {
    if (s->kind == ZS_SERIES_GROUPS) {
        for (size_t g = 0; g < s->n_groups; g++) {
            extend(y, s->values[g][0], fig->yscale);
            extend(y, s->values[g][s->counts[g] - 1], fig->yscale);
        }
        return;
    }
    if (s->kind == ZS_SERIES_HEATMAP) {
        extend(x, s->x0, fig->xscale);
        extend(x, s->x1, fig->xscale);
        extend(y, s->y0, fig->yscale);
        extend(y, s->y1, fig->yscale);
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        const double *cols[3] = {s->y, s->lo, s->hi};
        int finite = isfinite(s->x[i]);
        for (int k = 0; k < 3; k++) finite &= !cols[k] || isfinite(cols[k][i]);
        if (!finite) continue;
        extend(x, s->x[i], fig->xscale);
        for (int k = 0; k < 3; k++)
            if (cols[k]) extend(y, cols[k][i], fig->yscale);
    }
}

/* Axis limits: the data's span plus a margin (none beside a heatmap, which fills its
 * frame). A single value gets a window of +-50% of itself (+-0.5 around zero), or half
 * a decade each side on a log axis. */
static void finish_span(span *sp, int margin, zs_plot_scale scale) {
    if (sp->hi == sp->lo) {
        double pad = scale == ZS_PLOT_LOG10 ? 0.5 : 0.5 * (fabs(sp->lo) > 0 ? fabs(sp->lo) : 1);
        sp->lo -= pad;
        sp->hi += pad;
    } else if (margin) {
        double pad = DATA_MARGIN * (sp->hi - sp->lo);
        sp->lo -= pad;
        sp->hi += pad;
    }
}

typedef struct {
    const zs_plot *fig;
    zs_text_metrics *m;
    const zs_plot_series *groups, *heatmap;
    zs_plot_frame limits; /* axis limits only; the frame's edges come per pass */
    zs_plot_tick xt[ZS_PLOT_MAX_TICKS], yt[ZS_PLOT_MAX_TICKS];
    size_t nxt, nyt;
} layout_ctx;

static zs_status axis_limits(layout_ctx *c, zs_error *err) {
    const zs_plot *fig = c->fig;
    span x = {0}, y = {0};
    for (size_t i = 0; i < fig->n_series; i++) {
        zs_status s = check_log_axes(fig, &fig->series[i], i, err);
        if (s) return s;
        series_extent(fig, &fig->series[i], &x, &y);
        if (fig->series[i].kind == ZS_SERIES_GROUPS) c->groups = &fig->series[i];
        if (fig->series[i].kind == ZS_SERIES_HEATMAP) {
            double zlo, zhi;
            if (!zs_plot_heatmap_range(&fig->series[i], &zlo, &zhi)) {
                char name[160];
                series_name(&fig->series[i], i, name, sizeof name);
                return zs_fail(err, ZS_ERR_RANGE, "plot: heatmap %s has no finite cell", name);
            }
            c->heatmap = &fig->series[i];
        }
    }
    if (c->groups) {
        extend(&x, -0.5, ZS_PLOT_LINEAR);
        extend(&x, (double)c->groups->n_groups - 0.5, ZS_PLOT_LINEAR);
    }
    if (!x.any || !y.any)
        return zs_fail(err, ZS_ERR_RANGE, "plot: no finite data point to draw (%zu skipped)",
                       fig->skipped_points);
    finish_span(&x, !c->heatmap && !c->groups, fig->xscale);
    finish_span(&y, !c->heatmap, fig->yscale);
    c->limits = (zs_plot_frame){.x_lo = x.lo,
                                .x_hi = x.hi,
                                .y_lo = y.lo,
                                .y_hi = y.hi,
                                .xscale = fig->xscale,
                                .yscale = fig->yscale};
    return ZS_OK;
}

static zs_status axis_ticks(double lo, double hi, zs_plot_scale scale, zs_plot_tick *ticks,
                            size_t *n, zs_error *err) {
    if (scale == ZS_PLOT_LOG10)
        return zs_plot_ticks(pow(10, lo), pow(10, hi), scale, ticks, n, err);
    return zs_plot_ticks(lo, hi, scale, ticks, n, err);
}

/* The groups' names as the x ticks, one at each group index. */
static void group_ticks(layout_ctx *c) {
    c->nxt = 0;
    for (size_t g = 0; g < c->groups->n_groups && g < ZS_PLOT_MAX_TICKS; g++) {
        zs_plot_tick *t = &c->xt[c->nxt++];
        memset(t, 0, sizeof *t);
        t->value = (double)g;
        t->major = 1;
    }
}

static const char *tick_text(const layout_ctx *c, const zs_plot_tick *ticks, size_t i, int x_axis) {
    if (x_axis && c->groups) return c->groups->names[i];
    return ticks[i].text;
}

static double widest_tick(const layout_ctx *c, const zs_plot_tick *t, size_t n, int x_axis) {
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double tw =
            zs_text_width(c->m, tick_text(c, t, i, x_axis), t[i].sup_text, ZS_PLOT_TICK_FONT_PT, 0);
        if (tw > w) w = tw;
    }
    return w;
}

/* Group names slant when the widest does not fit its slot. */
static int slanted_names(const layout_ctx *c, double frame_width) {
    if (!c->groups) return 0;
    double slot = frame_width / (c->limits.x_hi - c->limits.x_lo);
    return widest_tick(c, c->xt, c->nxt, 1) > 0.9 * slot;
}

/* The left edge that keeps the first slanted name inside the figure: its label ends
 * at the first slot's centre, left + (right_edge - left) / 2G for G groups, and
 * reaches w cos(a) further left. */
static double slanted_left(const layout_ctx *c, double left, double right_edge, double a) {
    double asc, desc;
    zs_text_vertical(c->m, ZS_PLOT_TICK_FONT_PT, &asc, &desc);
    double w0 = zs_text_width(c->m, tick_text(c, c->xt, 0, 1), NULL, ZS_PLOT_TICK_FONT_PT, 0);
    double two_g = 2 * (c->limits.x_hi - c->limits.x_lo);
    double need = (PAD_PT + w0 * cos(a) - asc / 2 - right_edge / two_g) / (1 - 1 / two_g);
    return need > left ? need : left;
}

/* The frame's edges: the figure less the room for title, labels, ticks, colour bar and
 * (outside) legend. */
static zs_status frame_edges(const layout_ctx *c, double legend_w, zs_plot_frame *f,
                             zs_error *err) {
    const zs_plot *fig = c->fig;
    double tasc, tdesc, lasc, ldesc, kasc, kdesc;
    zs_text_vertical(c->m, ZS_PLOT_TITLE_FONT_PT, &tasc, &tdesc);
    zs_text_vertical(c->m, ZS_PLOT_LABEL_FONT_PT, &lasc, &ldesc);
    zs_text_vertical(c->m, ZS_PLOT_TICK_FONT_PT, &kasc, &kdesc);
    double rise = fig->xscale == ZS_PLOT_LOG10 ? ZS_PLOT_SUP_RISE * ZS_PLOT_TICK_FONT_PT : 0;
    double left = PAD_PT + (fig->ylabel ? lasc + ldesc + GAP_PT : 0) +
                  widest_tick(c, c->yt, c->nyt, 0) + TICK_LABEL_GAP_PT + ZS_PLOT_TICK_LEN_PT;
    double right = PAD_PT + (c->heatmap ? zs_plot_colorbar_width(c->heatmap, c->m) : 0) +
                   (legend_w > 0 ? GAP_PT + legend_w : 0);
    double last_half = c->nxt ? zs_text_width(c->m, tick_text(c, c->xt, c->nxt - 1, 1),
                                              c->xt[c->nxt - 1].sup_text, ZS_PLOT_TICK_FONT_PT, 0) /
                                    2
                              : 0;
    if (!c->heatmap && legend_w == 0 && last_half + 2 > right) right = last_half + 2;
    double tick_h = kasc + kdesc + rise;
    if (slanted_names(c, fig->width_pt - left - right)) {
        double w = widest_tick(c, c->xt, c->nxt, 1), a = SLANT_DEG * M_PI / 180;
        tick_h = w * sin(a) + (kasc + kdesc) * cos(a);
        left = slanted_left(c, left, fig->width_pt - right, a);
    }
    double bottom = ZS_PLOT_TICK_LEN_PT + TICK_LABEL_GAP_PT + tick_h +
                    (fig->xlabel ? GAP_PT + lasc + ldesc : 0) + PAD_PT;
    double top = PAD_PT + (fig->title ? tasc + tdesc + GAP_PT : kasc / 2);
    *f = c->limits;
    f->left = left;
    f->right = fig->width_pt - right;
    f->top = top;
    f->bottom = fig->height_pt - bottom;
    if (f->right - f->left < MIN_FRAME_PT || f->bottom - f->top < MIN_FRAME_PT)
        return zs_fail(err, ZS_ERR_RANGE,
                       "plot: a %g x %g pt figure leaves no room to draw inside its labels; make "
                       "it larger",
                       fig->width_pt, fig->height_pt);
    return ZS_OK;
}

static zs_status draw_grid(const layout_ctx *c, const zs_plot_frame *f, zs_display *d,
                           zs_error *err) {
    zs_rgba grid = {0.88, 0.88, 0.88, 1};
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && !c->groups && i < c->nxt; i++) {
        if (!c->xt[i].major) continue;
        double x = zs_frame_x(f, c->xt[i].value);
        s = zs_display_segment(d, "grid", x, f->top, x, f->bottom, grid, 0.6, 0, err);
    }
    for (size_t i = 0; !s && i < c->nyt; i++) {
        if (!c->yt[i].major) continue;
        double y = zs_frame_y(f, c->yt[i].value);
        s = zs_display_segment(d, "grid", f->left, y, f->right, y, grid, 0.6, 0, err);
    }
    return s;
}

/* Kinds drawn from back to front: fills under lines, markers on top. */
static int depth(zs_series_kind kind) {
    static const int order[] = {
        [ZS_SERIES_HEATMAP] = 0,   [ZS_SERIES_BAND] = 1, [ZS_SERIES_GROUPS] = 2,
        [ZS_SERIES_ERRORBARS] = 3, [ZS_SERIES_LINE] = 4, [ZS_SERIES_SCATTER] = 5};
    return order[kind];
}

static zs_status draw_all_series(const layout_ctx *c, const zs_plot_frame *f, zs_display *d,
                                 zs_point_set *points, zs_error *err) {
    zs_status s = ZS_OK;
    for (int level = 0; !s && level <= 5; level++)
        for (size_t i = 0; !s && i < c->fig->n_series; i++)
            if (depth(c->fig->series[i].kind) == level)
                s = zs_plot_draw_series(&c->fig->series[i], (int)i + 1, f, d, points, err);
    return s;
}

static zs_status draw_x_ticks(const layout_ctx *c, const zs_plot_frame *f, zs_display *d,
                              zs_error *err) {
    double asc, desc;
    zs_text_vertical(c->m, ZS_PLOT_TICK_FONT_PT, &asc, &desc);
    double rise = c->fig->xscale == ZS_PLOT_LOG10 ? ZS_PLOT_SUP_RISE * ZS_PLOT_TICK_FONT_PT : 0;
    int slant = slanted_names(c, f->right - f->left);
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < c->nxt; i++) {
        const zs_plot_tick *t = &c->xt[i];
        double x = zs_frame_x(f, t->value);
        double len = t->major ? ZS_PLOT_TICK_LEN_PT : ZS_PLOT_TICK_LEN_PT / 2;
        s = zs_display_segment(d, t->major ? "tick" : "tick minor", x, f->bottom, x,
                               f->bottom + len, ink, 0.8, 0, err);
        const char *text = tick_text(c, c->xt, i, 1);
        if (s || !*text) continue;
        double y = f->bottom + ZS_PLOT_TICK_LEN_PT + TICK_LABEL_GAP_PT + rise + asc;
        if (slant)
            s = zs_display_text(d, "tick-label", text, NULL, x + asc / 2, y - asc / 2,
                                ZS_PLOT_TICK_FONT_PT, ZS_ANCHOR_END, SLANT_DEG, 0, err);
        else
            s = zs_display_text(d, "tick-label", text, t->sup_text, x, y, ZS_PLOT_TICK_FONT_PT,
                                ZS_ANCHOR_MIDDLE, 0, 0, err);
    }
    return s;
}

static zs_status draw_y_ticks(const layout_ctx *c, const zs_plot_frame *f, zs_display *d,
                              zs_error *err) {
    double asc, desc;
    zs_text_vertical(c->m, ZS_PLOT_TICK_FONT_PT, &asc, &desc);
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < c->nyt; i++) {
        const zs_plot_tick *t = &c->yt[i];
        double y = zs_frame_y(f, t->value);
        double len = t->major ? ZS_PLOT_TICK_LEN_PT : ZS_PLOT_TICK_LEN_PT / 2;
        s = zs_display_segment(d, t->major ? "tick" : "tick minor", f->left - len, y, f->left, y,
                               ink, 0.8, 0, err);
        if (!s && t->text[0])
            s = zs_display_text(d, "tick-label", t->text, t->sup_text,
                                f->left - ZS_PLOT_TICK_LEN_PT - TICK_LABEL_GAP_PT,
                                y + (asc - desc) / 2, ZS_PLOT_TICK_FONT_PT, ZS_ANCHOR_END, 0, 0,
                                err);
    }
    return s;
}

static zs_status draw_texts(const layout_ctx *c, const zs_plot_frame *f, zs_display *d,
                            zs_error *err) {
    const zs_plot *fig = c->fig;
    double tasc, tdesc, lasc, ldesc;
    zs_text_vertical(c->m, ZS_PLOT_TITLE_FONT_PT, &tasc, &tdesc);
    zs_text_vertical(c->m, ZS_PLOT_LABEL_FONT_PT, &lasc, &ldesc);
    double cx = (f->left + f->right) / 2, cy = (f->top + f->bottom) / 2;
    zs_status s = ZS_OK;
    if (fig->title)
        s = zs_display_text(d, "title", fig->title, NULL, cx, PAD_PT + tasc, ZS_PLOT_TITLE_FONT_PT,
                            ZS_ANCHOR_MIDDLE, 0, 1, err);
    if (!s && fig->xlabel)
        s = zs_display_text(d, "xlabel", fig->xlabel, NULL, cx, fig->height_pt - PAD_PT - ldesc,
                            ZS_PLOT_LABEL_FONT_PT, ZS_ANCHOR_MIDDLE, 0, 0, err);
    if (!s && fig->ylabel)
        s = zs_display_text(d, "ylabel", fig->ylabel, NULL, PAD_PT + lasc, cy,
                            ZS_PLOT_LABEL_FONT_PT, ZS_ANCHOR_MIDDLE, 90, 0, err);
    return s;
}

/* Everything but the legend, in a frame that leaves legend_w for it outside right. */
static zs_status layout_pass(const layout_ctx *c, double legend_w, zs_plot_frame *f, zs_display *d,
                             zs_point_set *points, zs_error *err) {
    zs_status s = frame_edges(c, legend_w, f, err);
    zs_rgba paper = {1, 1, 1, 1};
    if (!s)
        s = zs_display_rect(d, "background", 0, 0, c->fig->width_pt, c->fig->height_pt, no_paint,
                            paper, 0, err);
    if (!s) s = draw_grid(c, f, d, err);
    if (!s) s = draw_all_series(c, f, d, points, err);
    if (!s)
        s = zs_display_rect(d, "frame", f->left, f->top, f->right - f->left, f->bottom - f->top,
                            ink, no_paint, 0.8, err);
    if (!s) s = draw_x_ticks(c, f, d, err);
    if (!s) s = draw_y_ticks(c, f, d, err);
    if (!s) s = draw_texts(c, f, d, err);
    if (!s && c->heatmap) s = zs_plot_draw_colorbar(c->heatmap, f, f->right, c->m, d, err);
    return s;
}

/* The inside corner covering the fewest data points; ties go to the earlier corner. */
static zs_legend_place best_corner(const zs_plot_frame *f, const zs_point_set *points, double w,
                                   double h, size_t *covered) {
    zs_legend_place best = ZS_LEGEND_TOP_RIGHT;
    *covered = (size_t)-1;
    for (int p = ZS_LEGEND_TOP_RIGHT; p <= ZS_LEGEND_BOTTOM_LEFT; p++) {
        double box[4];
        zs_legend_box(f, (zs_legend_place)p, w, h, box);
        size_t n = zs_legend_points_inside(points, box);
        if (n < *covered) {
            *covered = n;
            best = (zs_legend_place)p;
        }
    }
    return best;
}

static zs_status layout_with_legend(const layout_ctx *c, zs_display *d, zs_error *err) {
    zs_plot_frame f;
    zs_point_set points = {0};
    zs_status s = layout_pass(c, 0, &f, d, &points, err);
    if (s || zs_legend_entries(c->fig) == 0) {
        free(points.xy);
        return s;
    }
    double w, h, box[4];
    zs_legend_size(c->fig, c->m, &w, &h);
    size_t covered;
    zs_legend_place place = best_corner(&f, &points, w, h, &covered);
    if (covered == 0 && zs_legend_fits(&f, w, h)) {
        zs_legend_box(&f, place, w, h, box);
    } else {
        zs_display_free(d);
        points.n = 0;
        s = layout_pass(c, w, &f, d, &points, err);
        double colorbar = c->heatmap ? zs_plot_colorbar_width(c->heatmap, c->m) : 0;
        box[0] = f.right + colorbar + GAP_PT;
        box[1] = f.top;
        box[2] = w;
        box[3] = h;
    }
    free(points.xy);
    return s ? s : zs_legend_draw(c->fig, c->m, box, d, err);
}

zs_status zs_plot_layout(const zs_plot *fig, zs_display *d, zs_error *err) {
    memset(d, 0, sizeof *d);
    d->width_pt = fig->width_pt;
    d->height_pt = fig->height_pt;
    if (fig->n_series == 0)
        return zs_fail(err, ZS_ERR_USAGE,
                       "plot: the figure has no series; add a line, scatter, band, error bars, "
                       "groups or a heatmap first");
    layout_ctx *c = zs_calloc(1, sizeof *c, "plot layout", err);
    if (!c) return ZS_ERR_NOMEM;
    c->fig = fig;
    zs_status s = axis_limits(c, err);
    if (!s && c->groups)
        group_ticks(c);
    else if (!s)
        s = axis_ticks(c->limits.x_lo, c->limits.x_hi, fig->xscale, c->xt, &c->nxt, err);
    if (!s) s = axis_ticks(c->limits.y_lo, c->limits.y_hi, fig->yscale, c->yt, &c->nyt, err);
    if (!s) s = zs_text_metrics_create(&c->m, err);
    if (!s) s = layout_with_legend(c, d, err);
    zs_text_metrics_free(c->m);
    free(c);
    if (s) zs_display_free(d);
    return s;
}
