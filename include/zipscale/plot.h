/* zipscale plot: figures as explicit objects (GSL style). Add series (line, scatter,
 * band, error bars, box/violin groups, heatmap), pick linear or log10 axes, then
 * zs_plot_write lays the figure out once and renders SVG, PNG or PDF from the same
 * display list. The module sits under the CLI's `plot` and `report` commands. */
#ifndef ZIPSCALE_PLOT_H
#define ZIPSCALE_PLOT_H

#include <stddef.h>

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct zs_plot zs_plot;

typedef enum { ZS_PLOT_LINEAR = 0, ZS_PLOT_LOG10 } zs_plot_scale;
typedef enum { ZS_PLOT_BOX = 0, ZS_PLOT_VIOLIN } zs_plot_dist_style;

/* A figure of width x height points (1 pt = 1 SVG user unit = 1 PNG pixel = 1/72 in).
 * Errors: ZS_ERR_RANGE (width or height outside [100, 20000]). On failure *fig is NULL. */
zs_status zs_plot_create(zs_plot **fig, double width_pt, double height_pt, zs_error *err);
void zs_plot_free(zs_plot *fig);

/* Texts are copied; NULL clears. Give units in axis labels: "tokens D", "loss (nats)".
 * Errors: only ZS_ERR_NOMEM (the text is then unchanged). */
zs_status zs_plot_set_title(zs_plot *fig, const char *title, zs_error *err);
zs_status zs_plot_set_xlabel(zs_plot *fig, const char *label, zs_error *err);
zs_status zs_plot_set_ylabel(zs_plot *fig, const char *label, zs_error *err);
void zs_plot_set_xscale(zs_plot *fig, zs_plot_scale scale);
void zs_plot_set_yscale(zs_plot *fig, zs_plot_scale scale);

/* ---- series ------------------------------------------------------------------------
 * Arrays are copied. `label` names the series in the legend and in error messages;
 * NULL leaves it out of the legend. Colours follow the Okabe-Ito palette in the order
 * series are added; after 8 the colours repeat with a new dash pattern. Points with a
 * NaN or infinite coordinate are skipped (a line is broken there) and counted
 * (zs_plot_skipped_points). A failed add leaves the figure as it was.
 * Errors: ZS_ERR_USAGE (n is 0). */
zs_status zs_plot_add_line(zs_plot *fig, const char *label, const double *x, const double *y,
                           size_t n, zs_error *err);
zs_status zs_plot_add_scatter(zs_plot *fig, const char *label, const double *x, const double *y,
                              size_t n, zs_error *err);
/* A filled band between lo[i] and hi[i] over x[i] (a confidence band).
 * Errors: ZS_ERR_USAGE (n is 0). */
zs_status zs_plot_add_band(zs_plot *fig, const char *label, const double *x, const double *lo,
                           const double *hi, size_t n, zs_error *err);
/* Points (x[i], y[i]) with vertical error bars from lo[i] to hi[i] (absolute values).
 * Errors: ZS_ERR_USAGE (n is 0). */
zs_status zs_plot_add_errorbars(zs_plot *fig, const char *label, const double *x, const double *y,
                                const double *lo, const double *hi, size_t n, zs_error *err);
/* One box (or violin) per group on a categorical x axis labelled by names[g]; group g
 * holds values[g][0..counts[g]). Boxes: median, quartiles (numpy's linear quantiles),
 * whiskers to the furthest values within 1.5 IQR of the box, outliers beyond as points.
 * Violins: a Gaussian kernel density (Silverman's bandwidth) mirrored about the slot's
 * centre, with the quartile box and median inside. One call per figure; its x axis is
 * then categorical (must stay linear) and other series use the group index 0, 1, ...
 * Errors: ZS_ERR_USAGE (no groups, a group without a name, a second call), ZS_ERR_RANGE
 * (a group with no finite value). A failed call leaves the figure as it was. */
zs_status zs_plot_add_groups(zs_plot *fig, zs_plot_dist_style style, const char *const *names,
                             const double *const *values, const size_t *counts, size_t n_groups,
                             zs_error *err);
/* A heatmap of z[row * nx + col] over [x0, x1] x [y0, y1] (row 0 at y0; cells are equal
 * steps of the axis's scale, so of log10 on a log axis), coloured by
 * viridis from the smallest to the largest finite z, with a colour bar labelled
 * `label` (may be NULL). Non-finite cells are left blank and counted as skipped.
 * Errors: ZS_ERR_USAGE (nx or ny is 0), ZS_ERR_RANGE (bounds not finite, x0 >= x1 or
 * y0 >= y1). */
zs_status zs_plot_add_heatmap(zs_plot *fig, const char *label, const double *z, size_t nx,
                              size_t ny, double x0, double x1, double y0, double y1, zs_error *err);

/* The next series with a colour (any but groups and heatmaps) takes the colour and dash
 * of series number `series` (0-based, in the order added) instead of a new palette slot:
 * a fitted curve drawn in the colour of its data. Later series go on from the palette
 * where they were. Errors: ZS_ERR_RANGE (a series not yet added or without a colour). */
zs_status zs_plot_reuse_style(zs_plot *fig, size_t series, zs_error *err);

/* The next series with a colour takes viridis at t (0 dark purple .. 1 yellow; clamped to
 * [0, 1]) instead of a palette slot, drawn solid: many curves coloured by an ordered
 * quantity (a rank, a size). Later series go on from the palette where they were; a
 * pending zs_plot_reuse_style wins over it. Errors: ZS_ERR_RANGE (t is not finite). */
zs_status zs_plot_next_colormap(zs_plot *fig, double t, zs_error *err);
/* The next series with a colour is drawn dashed (its markers hollow), in the colour it
 * takes otherwise: a reference line (a threshold, a predicted slope). */
void zs_plot_next_dashed(zs_plot *fig);

/* Points skipped so far because a coordinate was NaN or infinite. */
size_t zs_plot_skipped_points(const zs_plot *fig);

/* Lays the figure out and writes it atomically; the format comes from the extension
 * (.svg, .png, .pdf, any case). Fails, writing nothing, on an empty figure, on a
 * non-positive value on a log axis (naming the series) or an unknown extension.
 * Errors: ZS_ERR_USAGE (an unknown extension, no series, groups on a log x axis),
 * ZS_ERR_RANGE (a value <= 0 on a log axis, no finite point, a figure too small for its
 * labels), ZS_ERR_IO (cannot write, render or rename into path). */
zs_status zs_plot_write(const zs_plot *fig, const char *path, zs_error *err);

/* The same SVG document zs_plot_write writes to a .svg file, in memory (NUL-terminated,
 * *len bytes without the NUL; free it with free()): for callers that inline figures.
 * Errors: ZS_ERR_USAGE, ZS_ERR_RANGE (as zs_plot_write). On failure *text is NULL. */
zs_status zs_plot_svg(const zs_plot *fig, char **text, size_t *len, zs_error *err);

/* ---- ticks (exposed for tests and for callers that draw their own axes) ----------------
 * Linear: "nice" steps 1, 2 or 5 x 10^k, about 4-8 ticks, all labelled. Log10: majors
 * at 10^k labelled "10" with superscript "k", minors at 2..9 x 10^k unlabelled (left out
 * when the axis spans more than 6 decades; majors are labelled every m-th decade so no
 * more than 8 labels show); an axis spanning less than one full decade labels its
 * minors as plain numbers instead. */
#define ZS_PLOT_MAX_TICKS 128
typedef struct {
    double value;     /* in data units */
    int major;        /* 1: a long tick; 0: a short one */
    char text[24];    /* the label ("" when unlabelled); "10" for a power of ten */
    char sup_text[8]; /* the exponent drawn as a superscript, or "" */
} zs_plot_tick;

/* ticks has room for ZS_PLOT_MAX_TICKS. Errors: ZS_ERR_RANGE (lo, hi not finite with
 * lo < hi, or lo <= 0 on a log10 axis). */
zs_status zs_plot_ticks(double lo, double hi, zs_plot_scale scale, zs_plot_tick *ticks,
                        size_t *n_ticks, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
