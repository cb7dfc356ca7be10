/* The figure object: its size, texts, axis scales and the series added to it, copied
 * in and owned until zs_plot_free. Nothing is laid out here; zs_plot_write does that. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_internal.h"

zs_status zs_plot_create(zs_plot **fig, double width_pt, double height_pt, zs_error *err) {
    *fig = NULL;
    if (!(width_pt >= 100 && width_pt <= 20000 && height_pt >= 100 && height_pt <= 20000))
        return zs_fail(err, ZS_ERR_RANGE,
                       "plot: size %g x %g pt; expected width and height in [100, 20000]", width_pt,
                       height_pt);
    *fig = zs_calloc(1, sizeof **fig, "plot figure", err);
    if (!*fig) return ZS_ERR_NOMEM;
    (*fig)->width_pt = width_pt;
    (*fig)->height_pt = height_pt;
    return ZS_OK;
}

zs_status zs_plot_reuse_style(zs_plot *fig, size_t series, zs_error *err) {
    if (series >= fig->n_series || !fig->series[series].styled)
        return zs_fail(err, ZS_ERR_RANGE,
                       "plot: series %zu has no colour to reuse (%zu series added so far)", series,
                       fig->n_series);
    fig->reused_series = series + 1;
    return ZS_OK;
}

zs_status zs_plot_next_colormap(zs_plot *fig, double t, zs_error *err) {
    if (!isfinite(t))
        return zs_fail(err, ZS_ERR_RANGE,
                       "plot: colour map position %g; expected a number in [0, 1]", t);
    fig->next_colormap = 1;
    fig->next_t = t < 0 ? 0 : t > 1 ? 1 : t;
    return ZS_OK;
}

void zs_plot_next_dashed(zs_plot *fig) {
    fig->next_dashed = 1;
}

static void series_free(zs_plot_series *s) {
    free(s->label);
    free(s->x);
    free(s->y);
    free(s->lo);
    free(s->hi);
    for (size_t g = 0; g < s->n_groups; g++) {
        free(s->names[g]);
        free(s->values[g]);
    }
    free(s->names);
    free(s->values);
    free(s->counts);
    free(s->z);
}

void zs_plot_free(zs_plot *fig) {
    if (!fig) return;
    for (size_t i = 0; i < fig->n_series; i++) series_free(&fig->series[i]);
    free(fig->series);
    free(fig->title);
    free(fig->xlabel);
    free(fig->ylabel);
    free(fig);
}

static zs_status set_text(char **slot, const char *text, zs_error *err) {
    char *copy = NULL;
    if (text) {
        size_t len = strlen(text) + 1;
        if (!(copy = zs_alloc(len, "plot text", err))) return ZS_ERR_NOMEM;
        memcpy(copy, text, len);
    }
    free(*slot);
    *slot = copy;
    return ZS_OK;
}

zs_status zs_plot_set_title(zs_plot *fig, const char *title, zs_error *err) {
    return set_text(&fig->title, title, err);
}

zs_status zs_plot_set_xlabel(zs_plot *fig, const char *label, zs_error *err) {
    return set_text(&fig->xlabel, label, err);
}

zs_status zs_plot_set_ylabel(zs_plot *fig, const char *label, zs_error *err) {
    return set_text(&fig->ylabel, label, err);
}

void zs_plot_set_xscale(zs_plot *fig, zs_plot_scale scale) {
    fig->xscale = scale;
}

void zs_plot_set_yscale(zs_plot *fig, zs_plot_scale scale) {
    fig->yscale = scale;
}

size_t zs_plot_skipped_points(const zs_plot *fig) {
    return fig->skipped_points;
}

/* A new zeroed series at the end of the figure (not yet counted until *commit). */
static zs_plot_series *series_begin(zs_plot *fig, zs_series_kind kind, const char *label,
                                    zs_error *err) {
    if (fig->n_series == fig->cap_series) {
        size_t cap = fig->cap_series ? 2 * fig->cap_series : 8;
        zs_plot_series *series = realloc(fig->series, cap * sizeof *series);
        if (!series) {
            zs_fail(err, ZS_ERR_NOMEM, "out of memory (plot series)");
            return NULL;
        }
        fig->series = series;
        fig->cap_series = cap;
    }
    zs_plot_series *s = &fig->series[fig->n_series];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    if (set_text(&s->label, label, err)) return NULL;
    return s;
}

/* Counts the series in, giving a styled one its colour and dash: a reused series' style, the
 * colour map's, or the next palette slot; then dashed if asked. */
static void series_commit(zs_plot *fig, zs_plot_series *s, int styled) {
    s->styled = styled;
    s->style_index = -1;
    if (styled && fig->reused_series) {
        const zs_plot_series *from = &fig->series[fig->reused_series - 1];
        s->style_index = from->style_index;
        s->colour = from->colour;
        s->dash = from->dash;
    } else if (styled && fig->next_colormap) {
        s->colour = zs_plot_viridis(fig->next_t);
        s->dash = 0;
    } else if (styled) {
        s->style_index = fig->n_styled++;
        s->colour = zs_plot_palette(s->style_index);
        s->dash = zs_plot_dash(s->style_index);
    }
    if (styled && fig->next_dashed && s->dash == 0) s->dash = 1;
    if (styled) {
        fig->reused_series = 0;
        fig->next_colormap = 0;
        fig->next_dashed = 0;
    }
    fig->n_series++;
}

static zs_status copy_array(double **dst, const double *src, size_t n, zs_error *err) {
    if (!src) return ZS_OK;
    *dst = zs_alloc(n * sizeof **dst, "plot series data", err);
    if (!*dst) return ZS_ERR_NOMEM;
    memcpy(*dst, src, n * sizeof **dst);
    return ZS_OK;
}

/* Copies up to four columns of n points and counts the points with a non-finite one. */
static zs_status add_points(zs_plot *fig, zs_series_kind kind, const char *label, const double *x,
                            const double *y, const double *lo, const double *hi, size_t n,
                            zs_error *err) {
    if (n == 0)
        return zs_fail(err, ZS_ERR_USAGE, "plot: series '%s' has no points",
                       label ? label : "(unlabelled)");
    zs_plot_series *s = series_begin(fig, kind, label, err);
    if (!s) return err ? err->code : ZS_ERR_NOMEM;
    s->n = n;
    zs_status st = copy_array(&s->x, x, n, err);
    if (!st) st = copy_array(&s->y, y, n, err);
    if (!st) st = copy_array(&s->lo, lo, n, err);
    if (!st) st = copy_array(&s->hi, hi, n, err);
    if (st) {
        series_free(s);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        int finite = isfinite(x[i]) && (!y || isfinite(y[i])) && (!lo || isfinite(lo[i])) &&
                     (!hi || isfinite(hi[i]));
        fig->skipped_points += !finite;
    }
    series_commit(fig, s, 1);
    return ZS_OK;
}

zs_status zs_plot_add_line(zs_plot *fig, const char *label, const double *x, const double *y,
                           size_t n, zs_error *err) {
    return add_points(fig, ZS_SERIES_LINE, label, x, y, NULL, NULL, n, err);
}

zs_status zs_plot_add_scatter(zs_plot *fig, const char *label, const double *x, const double *y,
                              size_t n, zs_error *err) {
    return add_points(fig, ZS_SERIES_SCATTER, label, x, y, NULL, NULL, n, err);
}

zs_status zs_plot_add_band(zs_plot *fig, const char *label, const double *x, const double *lo,
                           const double *hi, size_t n, zs_error *err) {
    return add_points(fig, ZS_SERIES_BAND, label, x, NULL, lo, hi, n, err);
}

zs_status zs_plot_add_errorbars(zs_plot *fig, const char *label, const double *x, const double *y,
                                const double *lo, const double *hi, size_t n, zs_error *err) {
    return add_points(fig, ZS_SERIES_ERRORBARS, label, x, y, lo, hi, n, err);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Group g's finite values, sorted ascending; the others are counted as skipped. */
static zs_status copy_group(zs_plot *fig, zs_plot_series *s, size_t g, const char *name,
                            const double *values, size_t count, zs_error *err) {
    if (set_text(&s->names[g], name, err)) return ZS_ERR_NOMEM;
    s->values[g] = zs_alloc((count ? count : 1) * sizeof(double), "plot group values", err);
    if (!s->values[g]) return ZS_ERR_NOMEM;
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (isfinite(values[i]))
            s->values[g][kept++] = values[i];
        else
            fig->skipped_points++;
    }
    if (kept == 0) return zs_fail(err, ZS_ERR_RANGE, "plot: group '%s' has no finite values", name);
    qsort(s->values[g], kept, sizeof(double), cmp_double);
    s->counts[g] = kept;
    return ZS_OK;
}

zs_status zs_plot_add_groups(zs_plot *fig, zs_plot_dist_style style, const char *const *names,
                             const double *const *values, const size_t *counts, size_t n_groups,
                             zs_error *err) {
    if (n_groups == 0) return zs_fail(err, ZS_ERR_USAGE, "plot: no groups to draw");
    for (size_t i = 0; i < fig->n_series; i++)
        if (fig->series[i].kind == ZS_SERIES_GROUPS)
            return zs_fail(err, ZS_ERR_USAGE, "plot: a figure holds one set of groups");
    for (size_t g = 0; g < n_groups; g++)
        if (!names[g]) return zs_fail(err, ZS_ERR_USAGE, "plot: group %zu has no name", g);
    zs_plot_series *s = series_begin(fig, ZS_SERIES_GROUPS, NULL, err);
    if (!s) return err ? err->code : ZS_ERR_NOMEM;
    s->dist_style = style;
    s->names = zs_calloc(n_groups, sizeof *s->names, "plot group names", err);
    s->values = zs_calloc(n_groups, sizeof *s->values, "plot groups", err);
    s->counts = zs_calloc(n_groups, sizeof *s->counts, "plot group counts", err);
    zs_status st = (s->names && s->values && s->counts) ? ZS_OK : ZS_ERR_NOMEM;
    if (!st) s->n_groups = n_groups;
    size_t skipped_before = fig->skipped_points;
    for (size_t g = 0; !st && g < n_groups; g++)
        st = copy_group(fig, s, g, names[g], values[g], counts[g], err);
    if (st) {
        fig->skipped_points = skipped_before;
        series_free(s);
        return st;
    }
    series_commit(fig, s, 1);
    return ZS_OK;
}

zs_status zs_plot_add_heatmap(zs_plot *fig, const char *label, const double *z, size_t nx,
                              size_t ny, double x0, double x1, double y0, double y1,
                              zs_error *err) {
    if (nx == 0 || ny == 0)
        return zs_fail(err, ZS_ERR_USAGE, "plot: heatmap '%s' has %zu x %zu cells",
                       label ? label : "(unlabelled)", nx, ny);
    if (!(isfinite(x0) && isfinite(x1) && isfinite(y0) && isfinite(y1) && x0 < x1 && y0 < y1))
        return zs_fail(err, ZS_ERR_RANGE,
                       "plot: heatmap '%s' covers [%g, %g] x [%g, %g]; expected finite x0 < x1, "
                       "y0 < y1",
                       label ? label : "(unlabelled)", x0, x1, y0, y1);
    zs_plot_series *s = series_begin(fig, ZS_SERIES_HEATMAP, label, err);
    if (!s) return err ? err->code : ZS_ERR_NOMEM;
    if (copy_array(&s->z, z, nx * ny, err)) {
        series_free(s);
        return ZS_ERR_NOMEM;
    }
    s->nx = nx;
    s->ny = ny;
    s->x0 = x0;
    s->x1 = x1;
    s->y0 = y0;
    s->y1 = y1;
    for (size_t i = 0; i < nx * ny; i++) fig->skipped_points += !isfinite(z[i]);
    series_commit(fig, s, 0);
    return ZS_OK;
}
