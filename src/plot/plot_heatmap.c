/* Heatmaps: cells coloured by viridis over the finite z range, and the colour bar beside
 * the frame that reads the colours back as numbers (linear nice ticks). */
#include <math.h>

#include "plot/plot_internal.h"

#define BAR_WIDTH_PT 14.0
#define BAR_GAP_PT 12.0
#define BAR_STRIPS 64

int zs_plot_heatmap_range(const zs_plot_series *s, double *zmin, double *zmax) {
    int found = 0;
    for (size_t i = 0; i < s->nx * s->ny; i++) {
        double z = s->z[i];
        if (!isfinite(z)) continue;
        if (!found || z < *zmin) *zmin = z;
        if (!found || z > *zmax) *zmax = z;
        found = 1;
    }
    return found;
}

/* The colour scale's ends: the z range, widened when it is a single value. */
static void scale_range(const zs_plot_series *s, double *lo, double *hi) {
    zs_plot_heatmap_range(s, lo, hi);
    if (*hi > *lo) return;
    double pad = 0.5 * (fabs(*lo) > 0 ? fabs(*lo) : 1);
    *lo -= pad;
    *hi += pad;
}

zs_status zs_plot_draw_heatmap(const zs_plot_series *s, const zs_plot_frame *f, zs_display *d,
                               zs_point_set *points, zs_error *err) {
    double lo, hi;
    scale_range(s, &lo, &hi);
    double left = zs_frame_x(f, s->x0), right = zs_frame_x(f, s->x1);
    double bottom = zs_frame_y(f, s->y0), top = zs_frame_y(f, s->y1);
    double cw = (right - left) / (double)s->nx, ch = (bottom - top) / (double)s->ny;
    zs_status st = ZS_OK;
    for (size_t r = 0; !st && r < s->ny; r++) {
        for (size_t c = 0; !st && c < s->nx; c++) {
            double z = s->z[r * s->nx + c];
            if (!isfinite(z)) continue;
            double x = left + (double)c * cw, y = bottom - (double)(r + 1) * ch;
            /* stroked in its own colour, so anti-aliasing shows no seams between cells */
            zs_rgba colour = zs_plot_viridis((z - lo) / (hi - lo));
            st = zs_display_rect(d, "cell", x, y, cw, ch, colour, colour, 0.5, err);
            if (!st) st = zs_points_add(points, x + cw / 2, y + ch / 2, err);
        }
    }
    return st;
}

/* The widest colour-bar tick label. */
static double tick_labels_width(const zs_plot_series *s, zs_text_metrics *m) {
    double lo, hi, w = 0;
    scale_range(s, &lo, &hi);
    zs_plot_tick ticks[ZS_PLOT_MAX_TICKS];
    size_t n;
    if (zs_plot_ticks(lo, hi, ZS_PLOT_LINEAR, ticks, &n, NULL)) return 0;
    for (size_t i = 0; i < n; i++) {
        double tw = zs_text_width(m, ticks[i].text, NULL, ZS_PLOT_TICK_FONT_PT, 0);
        if (tw > w) w = tw;
    }
    return w;
}

double zs_plot_colorbar_width(const zs_plot_series *s, zs_text_metrics *m) {
    double asc, desc;
    zs_text_vertical(m, ZS_PLOT_LABEL_FONT_PT, &asc, &desc);
    return BAR_GAP_PT + BAR_WIDTH_PT + ZS_PLOT_TICK_LEN_PT + 3 + tick_labels_width(s, m) +
           (s->label ? 8 + asc + desc : 0);
}

zs_status zs_plot_draw_colorbar(const zs_plot_series *s, const zs_plot_frame *f, double x_pt,
                                zs_text_metrics *m, zs_display *d, zs_error *err) {
    double lo, hi;
    scale_range(s, &lo, &hi);
    double x = x_pt + BAR_GAP_PT, height = f->bottom - f->top;
    zs_rgba none = {0, 0, 0, 0}, ink = {0, 0, 0, 1};
    zs_status st = ZS_OK;
    for (int k = 0; !st && k < BAR_STRIPS; k++) {
        double y = f->bottom - (k + 1) * height / BAR_STRIPS;
        /* a hair taller than the strip, so no seam shows between neighbours */
        st = zs_display_rect(d, "colorbar", x, y, BAR_WIDTH_PT, height / BAR_STRIPS + 0.3, none,
                             zs_plot_viridis((k + 0.5) / BAR_STRIPS), 0, err);
    }
    if (!st)
        st = zs_display_rect(d, "colorbar-frame", x, f->top, BAR_WIDTH_PT, height, ink, none, 0.8,
                             err);
    zs_plot_tick ticks[ZS_PLOT_MAX_TICKS];
    size_t n = 0;
    if (!st) st = zs_plot_ticks(lo, hi, ZS_PLOT_LINEAR, ticks, &n, err);
    double asc, desc;
    zs_text_vertical(m, ZS_PLOT_TICK_FONT_PT, &asc, &desc);
    double right = x + BAR_WIDTH_PT;
    for (size_t i = 0; !st && i < n; i++) {
        double y = f->bottom - (ticks[i].value - lo) / (hi - lo) * height;
        st = zs_display_segment(d, "tick", right, y, right + ZS_PLOT_TICK_LEN_PT, y, ink, 0.8, 0,
                                err);
        if (!st)
            st = zs_display_text(d, "tick-label", ticks[i].text, NULL,
                                 right + ZS_PLOT_TICK_LEN_PT + 3, y + (asc - desc) / 2,
                                 ZS_PLOT_TICK_FONT_PT, ZS_ANCHOR_START, 0, 0, err);
    }
    if (!st && s->label) {
        double lasc, ldesc;
        zs_text_vertical(m, ZS_PLOT_LABEL_FONT_PT, &lasc, &ldesc);
        double lx = right + ZS_PLOT_TICK_LEN_PT + 3 + tick_labels_width(s, m) + 8 + lasc;
        st = zs_display_text(d, "colorbar-label", s->label, NULL, lx, (f->top + f->bottom) / 2,
                             ZS_PLOT_LABEL_FONT_PT, ZS_ANCHOR_MIDDLE, 90, 0, err);
    }
    return st;
}
