/* Inside the plot module: the figure's series, the display list the layout produces
 * and both backends consume (SVG writer, cairo for PNG and PDF), and the shared text
 * metrics. Nothing here is public; include/zipscale/plot.h is the API. */
#ifndef ZS_PLOT_INTERNAL_H
#define ZS_PLOT_INTERNAL_H

#include <stdio.h>

#include "zipscale/plot.h"

/* ---- colours and line styles (plot_palette.c) ---- */
typedef struct {
    double r, g, b, a; /* a == 0: nothing drawn */
} zs_rgba;

#define ZS_PLOT_PALETTE_SIZE 8
#define ZS_PLOT_DASH_STYLES 4
zs_rgba zs_plot_palette(int style_index);
int zs_plot_dash(int style_index); /* 0 solid, 1 dashed, 2 dotted, 3 dash-dot */
/* The dash pattern in units of the line width; returns how many entries (0 = solid). */
int zs_plot_dash_pattern(int dash, double width_pt, double pattern[4]);
/* viridis at t in [0, 1] (clamped), interpolated between its control points. */
zs_rgba zs_plot_viridis(double t);
zs_rgba zs_plot_rgb(unsigned hex, double alpha);

typedef enum {
    ZS_SERIES_LINE,
    ZS_SERIES_SCATTER,
    ZS_SERIES_BAND,
    ZS_SERIES_ERRORBARS,
    ZS_SERIES_GROUPS,
    ZS_SERIES_HEATMAP,
} zs_series_kind;

typedef struct {
    zs_series_kind kind;
    char *label;     /* NULL: not in the legend */
    int style_index; /* the palette slot: colour style_index % 8, dash style_index / 8; -1
                        for a series without one (unstyled, or coloured by the colour map) */
    int styled;      /* has a colour: colour and dash below are set */
    zs_rgba colour;  /* the palette slot's, a reused series', or the colour map's */
    int dash;        /* 0 solid, 1 dashed, 2 dotted, 3 dash-dot (zs_plot_dash) */
    size_t n;        /* points (line, scatter, band, errorbars) */
    double *x, *y, *lo, *hi;
    /* groups: finite values only, ascending */
    zs_plot_dist_style dist_style;
    size_t n_groups;
    char **names;
    double **values;
    size_t *counts;
    /* heatmap: z[row * nx + col] */
    double *z;
    size_t nx, ny;
    double x0, x1, y0, y1;
} zs_plot_series;

struct zs_plot {
    double width_pt, height_pt;
    char *title, *xlabel, *ylabel;
    zs_plot_scale xscale, yscale;
    zs_plot_series *series;
    size_t n_series, cap_series;
    int n_styled;         /* series that took a palette slot */
    size_t reused_series; /* 1 + the series whose style the next styled series takes; 0: none */
    int next_colormap;    /* the next styled series takes viridis at next_t */
    double next_t;
    int next_dashed; /* the next styled series is drawn dashed */
    size_t skipped_points;
};

/* ---- the display list (plot_display.c) ---- */
typedef enum { ZS_PRIM_PATH, ZS_PRIM_RECT, ZS_PRIM_CIRCLE, ZS_PRIM_TEXT } zs_prim_kind;
typedef enum { ZS_ANCHOR_START, ZS_ANCHOR_MIDDLE, ZS_ANCHOR_END } zs_anchor;

typedef struct {
    zs_prim_kind kind;
    const char *cls; /* the SVG class: "series", "band", "point", "tick", "legend", ... */
    zs_rgba stroke, fill;
    double width_pt;
    int dash;
    int closed; /* PATH: a polygon */
    double *xy; /* PATH: n (x, y) pairs; a NaN x lifts the pen */
    size_t n;
    double x, y; /* RECT: top-left; CIRCLE: centre; TEXT: the anchor point on the baseline */
    double w, h; /* RECT: size; CIRCLE: w = radius */
    char *text, *sup;
    double size_pt;
    zs_anchor anchor;
    double rotate_deg; /* TEXT: counter-clockwise about (x, y) */
    int bold;
    int group;             /* the series this belongs to (1, 2, ...), or 0 */
    const char *group_cls; /* the series' SVG group class: "series line", ... */
} zs_prim;

typedef struct {
    zs_prim *items;
    size_t n, cap;
    double width_pt, height_pt;
    int group; /* stamped on every primitive added (zs_display_add) */
    const char *group_cls;
} zs_display;

void zs_display_free(zs_display *d);
/* Appends a copy of *p (xy, text and sup are copied too). */
zs_status zs_display_add(zs_display *d, const zs_prim *p, zs_error *err);
zs_status zs_display_rect(zs_display *d, const char *cls, double x, double y, double w, double h,
                          zs_rgba stroke, zs_rgba fill, double width_pt, zs_error *err);
zs_status zs_display_segment(zs_display *d, const char *cls, double x0, double y0, double x1,
                             double y1, zs_rgba stroke, double width_pt, int dash, zs_error *err);
zs_status zs_display_text(zs_display *d, const char *cls, const char *text, const char *sup,
                          double x, double y, double size_pt, zs_anchor anchor, double rotate_deg,
                          int bold, zs_error *err);

/* ---- text metrics, from cairo's toy font API so every backend agrees (plot_text.c) ---- */
#define ZS_PLOT_FONT "DejaVu Sans"
#define ZS_PLOT_SUP_SCALE 0.7 /* superscript size / base size */
#define ZS_PLOT_SUP_RISE 0.4  /* superscript baseline raise / base size */
#define ZS_PLOT_TICK_FONT_PT 10.0
#define ZS_PLOT_LABEL_FONT_PT 12.0
#define ZS_PLOT_TITLE_FONT_PT 14.0
#define ZS_PLOT_TICK_LEN_PT 5.0

typedef struct zs_text_metrics zs_text_metrics;
zs_status zs_text_metrics_create(zs_text_metrics **m, zs_error *err);
void zs_text_metrics_free(zs_text_metrics *m);
/* Advance width of text followed by its superscript (sup may be NULL or ""). */
double zs_text_width(zs_text_metrics *m, const char *text, const char *sup, double size_pt,
                     int bold);
/* The font's ascent and descent (both positive) at size_pt. */
void zs_text_vertical(zs_text_metrics *m, double size_pt, double *ascent, double *descent);

/* ---- layout (plot_layout.c) and its parts ---- */
zs_status zs_plot_layout(const zs_plot *fig, zs_display *d, zs_error *err);

/* The plot area in points and the axis limits in transformed units (log10 on log axes). */
typedef struct {
    double left, right, top, bottom;
    double x_lo, x_hi, y_lo, y_hi;
    zs_plot_scale xscale, yscale;
} zs_plot_frame;

double zs_frame_x(const zs_plot_frame *f, double x);
double zs_frame_y(const zs_plot_frame *f, double y);

/* Where data lands, in points, so the legend can avoid it. */
typedef struct {
    double *xy;
    size_t n, cap;
} zs_point_set;

zs_status zs_points_add(zs_point_set *p, double x, double y, zs_error *err);
/* Adds points every few points along the segment, so a line counts where it runs. */
zs_status zs_points_add_segment(zs_point_set *p, double x0, double y0, double x1, double y1,
                                zs_error *err);

/* Draws one series (not its legend entry) and records where its data lands. */
zs_status zs_plot_draw_series(const zs_plot_series *s, int group, const zs_plot_frame *f,
                              zs_display *d, zs_point_set *points, zs_error *err);
zs_status zs_plot_draw_heatmap(const zs_plot_series *s, const zs_plot_frame *f, zs_display *d,
                               zs_point_set *points, zs_error *err);
/* Box plot and violin statistics and drawing (plot_groups.c). */
zs_status zs_plot_draw_groups(const zs_plot_series *s, const zs_plot_frame *f, zs_display *d,
                              zs_point_set *points, zs_error *err);
/* The heatmap's finite z range; 0 when it has no finite cell. */
int zs_plot_heatmap_range(const zs_plot_series *s, double *zmin, double *zmax);
/* The colour bar right of the frame from x_pt: a viridis strip with linear ticks. */
zs_status zs_plot_draw_colorbar(const zs_plot_series *s, const zs_plot_frame *f, double x_pt,
                                zs_text_metrics *m, zs_display *d, zs_error *err);
/* How much room the colour bar takes right of the frame. */
double zs_plot_colorbar_width(const zs_plot_series *s, zs_text_metrics *m);

/* Legend (plot_legend.c): size, the inside corners it may take, drawing. The layout
 * puts it outside right when no corner is free. */
typedef enum {
    ZS_LEGEND_TOP_RIGHT,
    ZS_LEGEND_TOP_LEFT,
    ZS_LEGEND_BOTTOM_RIGHT,
    ZS_LEGEND_BOTTOM_LEFT,
} zs_legend_place;

int zs_legend_entries(const zs_plot *fig);
void zs_legend_size(const zs_plot *fig, zs_text_metrics *m, double *w, double *h);
/* Whether a w x h legend fits inside the frame with its inset on both sides. */
int zs_legend_fits(const zs_plot_frame *f, double w, double h);
/* The box for an inside corner of the frame. */
void zs_legend_box(const zs_plot_frame *f, zs_legend_place place, double w, double h,
                   double box[4]);
size_t zs_legend_points_inside(const zs_point_set *p, const double box[4]);
zs_status zs_legend_draw(const zs_plot *fig, zs_text_metrics *m, const double box[4], zs_display *d,
                         zs_error *err);

/* ---- backends ---- */
zs_status zs_plot_render_svg(const zs_display *d, FILE *out, const char *path, zs_error *err);
typedef enum { ZS_CAIRO_PNG, ZS_CAIRO_PDF } zs_cairo_format;
zs_status zs_plot_render_cairo(const zs_display *d, zs_cairo_format format, FILE *out,
                               const char *path, zs_error *err);

/* zs_markup_escape (core/markup.h) escapes SVG text. */
#include "core/markup.h"

#endif
