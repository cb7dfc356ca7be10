/* Distributions on a categorical x axis: one box plot (median, quartiles, whiskers at
 * 1.5 IQR, outliers) or violin (Gaussian kernel density, Silverman's bandwidth) per
 * group at x = 0, 1, ..., each in its own Okabe-Ito colour. */
#include <math.h>
#include <stdlib.h>

#include "plot/plot_internal.h"

#define BOX_HALF_SLOT 0.25   /* box half-width / slot width */
#define VIOLIN_HALF_SLOT 0.4 /* widest violin half-width / slot width */
#define MAX_BOX_HALF_PT 40.0
#define VIOLIN_POINTS 64
#define OUTLIER_RADIUS_PT 2.5

typedef struct {
    double q1, median, q3, whisker_lo, whisker_hi;
} box_stats;

/* Quartiles as numpy.quantile; whiskers at the furthest values within 1.5 IQR. */
static box_stats box_of(const double *sorted, size_t n) {
    box_stats b;
    b.q1 = zs_quantile_sorted(sorted, n, 0.25);
    b.median = zs_quantile_sorted(sorted, n, 0.5);
    b.q3 = zs_quantile_sorted(sorted, n, 0.75);
    double iqr = b.q3 - b.q1, lo_fence = b.q1 - 1.5 * iqr, hi_fence = b.q3 + 1.5 * iqr;
    size_t i = 0, j = n - 1;
    while (sorted[i] < lo_fence) i++;
    while (sorted[j] > hi_fence) j--;
    b.whisker_lo = sorted[i];
    b.whisker_hi = sorted[j];
    return b;
}

static zs_status outline_rect(zs_point_set *p, double x0, double y0, double x1, double y1,
                              zs_error *err) {
    zs_status s = zs_points_add_segment(p, x0, y0, x1, y0, err);
    if (!s) s = zs_points_add_segment(p, x1, y0, x1, y1, err);
    if (!s) s = zs_points_add_segment(p, x1, y1, x0, y1, err);
    if (!s) s = zs_points_add_segment(p, x0, y1, x0, y0, err);
    return s;
}

/* The quartile box with its median bar, from x - half to x + half. */
static zs_status draw_box_body(const box_stats *b, double x, double half, const zs_plot_frame *f,
                               zs_rgba colour, zs_rgba fill, zs_display *d, zs_point_set *points,
                               zs_error *err) {
    double top = zs_frame_y(f, b->q3), bottom = zs_frame_y(f, b->q1);
    zs_status s =
        zs_display_rect(d, "box", x - half, top, 2 * half, bottom - top, colour, fill, 1.2, err);
    double my = zs_frame_y(f, b->median);
    zs_rgba dark = {0, 0, 0, 1};
    if (!s) s = zs_display_segment(d, "median", x - half, my, x + half, my, dark, 2.0, 0, err);
    if (!s) s = outline_rect(points, x - half, top, x + half, bottom, err);
    return s;
}

static zs_status draw_whiskers_outliers(const double *v, size_t n, const box_stats *b, double x,
                                        double half, const zs_plot_frame *f, zs_rgba colour,
                                        zs_display *d, zs_point_set *points, zs_error *err) {
    double ys[4] = {zs_frame_y(f, b->whisker_lo), zs_frame_y(f, b->q1), zs_frame_y(f, b->q3),
                    zs_frame_y(f, b->whisker_hi)};
    zs_status s = ZS_OK;
    for (int k = 0; !s && k < 4; k += 2) {
        s = zs_display_segment(d, "whisker", x, ys[k], x, ys[k + 1], colour, 1.2, 0, err);
        double cap_y = ys[k == 0 ? 0 : 3];
        if (!s)
            s = zs_display_segment(d, "whisker", x - half / 2, cap_y, x + half / 2, cap_y, colour,
                                   1.2, 0, err);
        if (!s) s = zs_points_add_segment(points, x, ys[k], x, ys[k + 1], err);
    }
    zs_rgba none = {0, 0, 0, 0};
    for (size_t i = 0; !s && i < n; i++) {
        if (v[i] >= b->whisker_lo && v[i] <= b->whisker_hi) continue;
        double y = zs_frame_y(f, v[i]);
        zs_prim p = {.kind = ZS_PRIM_CIRCLE,
                     .cls = "outlier",
                     .stroke = colour,
                     .fill = none,
                     .width_pt = 1.0,
                     .x = x,
                     .y = y,
                     .w = OUTLIER_RADIUS_PT};
        s = zs_display_add(d, &p, err);
        if (!s) s = zs_points_add(points, x, y, err);
    }
    return s;
}

/* Silverman's rule of thumb: 0.9 min(sd, IQR/1.34) n^(-1/5); a positive fallback when
 * the values (nearly) coincide. */
static double silverman_bandwidth(const double *v, size_t n, const box_stats *b) {
    double mean = 0, ss = 0;
    for (size_t i = 0; i < n; i++) mean += v[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
    double spread = (b->q3 - b->q1) / 1.34;
    double scale = spread > 0 && spread < sd ? spread : sd;
    double h = 0.9 * scale * pow((double)n, -0.2);
    double floor_h = 1e-3 * (fabs(mean) > 0 ? fabs(mean) : 1);
    return h > floor_h ? h : floor_h;
}

static zs_status draw_violin(const double *v, size_t n, const box_stats *b, double x, double slot,
                             const zs_plot_frame *f, zs_rgba colour, zs_rgba fill, zs_display *d,
                             zs_point_set *points, zs_error *err) {
    double h = silverman_bandwidth(v, n, b);
    double lo = v[0], hi = v[n - 1];
    if (hi - lo < h) {
        lo -= h;
        hi += h;
    }
    double density[VIOLIN_POINTS], peak = 0;
    for (int k = 0; k < VIOLIN_POINTS; k++) {
        double y = lo + (hi - lo) * k / (VIOLIN_POINTS - 1), sum = 0;
        for (size_t i = 0; i < n; i++) sum += exp(-0.5 * pow((y - v[i]) / h, 2));
        density[k] = sum;
        if (sum > peak) peak = sum;
    }
    double xy[4 * VIOLIN_POINTS], half = VIOLIN_HALF_SLOT * slot;
    for (int k = 0; k < VIOLIN_POINTS; k++) {
        double y = zs_frame_y(f, lo + (hi - lo) * k / (VIOLIN_POINTS - 1));
        double w = half * density[k] / peak;
        xy[2 * k] = x + w;
        xy[2 * k + 1] = y;
        xy[4 * VIOLIN_POINTS - 2 * k - 2] = x - w;
        xy[4 * VIOLIN_POINTS - 2 * k - 1] = y;
    }
    zs_prim p = {.kind = ZS_PRIM_PATH,
                 .cls = "violin",
                 .stroke = colour,
                 .fill = fill,
                 .width_pt = 1.2,
                 .closed = 1,
                 .xy = xy,
                 .n = 2 * VIOLIN_POINTS};
    zs_status s = zs_display_add(d, &p, err);
    for (int k = 0; !s && k + 1 < 2 * VIOLIN_POINTS; k++)
        s = zs_points_add_segment(points, xy[2 * k], xy[2 * k + 1], xy[2 * k + 2], xy[2 * k + 3],
                                  err);
    /* Inside: the quartiles as a dark bar and the median as a white dot. */
    zs_rgba ink = {0.15, 0.15, 0.15, 1}, white = {1, 1, 1, 1};
    double top = zs_frame_y(f, b->q3), bottom = zs_frame_y(f, b->q1);
    if (!s) s = zs_display_rect(d, "box", x - 3, top, 6, bottom - top, ink, ink, 1.0, err);
    zs_prim dot = {.kind = ZS_PRIM_CIRCLE,
                   .cls = "median",
                   .stroke = ink,
                   .fill = white,
                   .width_pt = 1.0,
                   .x = x,
                   .y = zs_frame_y(f, b->median),
                   .w = 3.0};
    if (!s) s = zs_display_add(d, &dot, err);
    return s;
}

zs_status zs_plot_draw_groups(const zs_plot_series *s, const zs_plot_frame *f, zs_display *d,
                              zs_point_set *points, zs_error *err) {
    double slot = zs_frame_x(f, 1) - zs_frame_x(f, 0);
    double half = BOX_HALF_SLOT * slot;
    if (half > MAX_BOX_HALF_PT) half = MAX_BOX_HALF_PT;
    zs_status st = ZS_OK;
    for (size_t g = 0; !st && g < s->n_groups; g++) {
        const double *v = s->values[g];
        size_t n = s->counts[g];
        box_stats b = box_of(v, n);
        double x = zs_frame_x(f, (double)g);
        zs_rgba colour = zs_plot_palette((int)g), fill = colour;
        fill.a = 0.35;
        if (s->dist_style == ZS_PLOT_VIOLIN) {
            st = draw_violin(v, n, &b, x, slot, f, colour, fill, d, points, err);
        } else {
            st = draw_whiskers_outliers(v, n, &b, x, half, f, colour, d, points, err);
            if (!st) st = draw_box_body(&b, x, half, f, colour, fill, d, points, err);
        }
    }
    return st;
}
