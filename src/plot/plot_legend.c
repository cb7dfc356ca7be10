/* The legend: one entry per labelled line, scatter, band or error-bar series, in a box
 * placed in the inside corner that covers the fewest data points (the layout moves it
 * outside right when every corner covers some). */
#include "plot/plot_internal.h"

#define LEGEND_FONT_PT 10.0
#define LEGEND_PAD_PT 6.0
#define LEGEND_INSET_PT 8.0
#define SWATCH_PT 22.0
#define SWATCH_GAP_PT 6.0
#define ROW_SCALE 1.4
#define CLEARANCE_PT 2.0

static int has_entry(const zs_plot_series *s) {
    return s->label && s->kind != ZS_SERIES_GROUPS && s->kind != ZS_SERIES_HEATMAP;
}

int zs_legend_entries(const zs_plot *fig) {
    int n = 0;
    for (size_t i = 0; i < fig->n_series; i++) n += has_entry(&fig->series[i]);
    return n;
}

void zs_legend_size(const zs_plot *fig, zs_text_metrics *m, double *w, double *h) {
    double text_w = 0;
    for (size_t i = 0; i < fig->n_series; i++) {
        if (!has_entry(&fig->series[i])) continue;
        double tw = zs_text_width(m, fig->series[i].label, NULL, LEGEND_FONT_PT, 0);
        if (tw > text_w) text_w = tw;
    }
    *w = 2 * LEGEND_PAD_PT + SWATCH_PT + SWATCH_GAP_PT + text_w;
    *h = 2 * LEGEND_PAD_PT + zs_legend_entries(fig) * ROW_SCALE * LEGEND_FONT_PT;
}

int zs_legend_fits(const zs_plot_frame *f, double w, double h) {
    return w + 2 * LEGEND_INSET_PT < f->right - f->left &&
           h + 2 * LEGEND_INSET_PT < f->bottom - f->top;
}

void zs_legend_box(const zs_plot_frame *f, zs_legend_place place, double w, double h,
                   double box[4]) {
    int right = place == ZS_LEGEND_TOP_RIGHT || place == ZS_LEGEND_BOTTOM_RIGHT;
    int top = place == ZS_LEGEND_TOP_RIGHT || place == ZS_LEGEND_TOP_LEFT;
    box[0] = right ? f->right - LEGEND_INSET_PT - w : f->left + LEGEND_INSET_PT;
    box[1] = top ? f->top + LEGEND_INSET_PT : f->bottom - LEGEND_INSET_PT - h;
    box[2] = w;
    box[3] = h;
}

size_t zs_legend_points_inside(const zs_point_set *p, const double box[4]) {
    size_t inside = 0;
    for (size_t i = 0; i < p->n; i++) {
        double x = p->xy[2 * i], y = p->xy[2 * i + 1];
        inside += x >= box[0] - CLEARANCE_PT && x <= box[0] + box[2] + CLEARANCE_PT &&
                  y >= box[1] - CLEARANCE_PT && y <= box[1] + box[3] + CLEARANCE_PT;
    }
    return inside;
}

/* The entry's sample: a line, a marker, a filled patch or a bar with its marker. */
static zs_status swatch(const zs_plot_series *s, double x, double y, zs_display *d, zs_error *err) {
    zs_rgba colour = s->colour, none = {0, 0, 0, 0};
    int dash = s->dash;
    double mid = x + SWATCH_PT / 2;
    zs_prim dot = {.kind = ZS_PRIM_CIRCLE,
                   .cls = "legend-swatch",
                   .stroke = dash ? colour : none,
                   .fill = dash ? none : colour,
                   .width_pt = 1.2,
                   .x = mid,
                   .y = y,
                   .w = 3.0};
    switch (s->kind) {
    case ZS_SERIES_LINE:
        return zs_display_segment(d, "legend-swatch", x, y, x + SWATCH_PT, y, colour, 1.8, dash,
                                  err);
    case ZS_SERIES_BAND: {
        zs_rgba fill = colour;
        fill.a = 0.25;
        return zs_display_rect(d, "legend-swatch", x, y - 4, SWATCH_PT, 8, none, fill, 0, err);
    }
    case ZS_SERIES_ERRORBARS: {
        zs_status st =
            zs_display_segment(d, "legend-swatch", mid, y - 5, mid, y + 5, colour, 1.2, 0, err);
        return st ? st : zs_display_add(d, &dot, err);
    }
    default:
        return zs_display_add(d, &dot, err);
    }
}

zs_status zs_legend_draw(const zs_plot *fig, zs_text_metrics *m, const double box[4], zs_display *d,
                         zs_error *err) {
    zs_rgba border = {0.6, 0.6, 0.6, 1}, paper = {1, 1, 1, 1};
    zs_status st =
        zs_display_rect(d, "legend", box[0], box[1], box[2], box[3], border, paper, 0.8, err);
    double asc, desc;
    zs_text_vertical(m, LEGEND_FONT_PT, &asc, &desc);
    double row = ROW_SCALE * LEGEND_FONT_PT;
    double y = box[1] + LEGEND_PAD_PT + row / 2;
    for (size_t i = 0; !st && i < fig->n_series; i++) {
        const zs_plot_series *s = &fig->series[i];
        if (!has_entry(s)) continue;
        double x = box[0] + LEGEND_PAD_PT;
        st = swatch(s, x, y, d, err);
        if (!st)
            st = zs_display_text(d, "legend-label", s->label, NULL, x + SWATCH_PT + SWATCH_GAP_PT,
                                 y + (asc - desc) / 2, LEGEND_FONT_PT, ZS_ANCHOR_START, 0, 0, err);
        y += row;
    }
    return st;
}
