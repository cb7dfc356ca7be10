/* The cairo backend: draws the display list on an image surface (PNG) or a PDF surface,
 * with the same font the layout measured, streaming the bytes to an open file. */
#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>

#include "plot/plot_internal.h"

static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int length) {
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

static void set_colour(cairo_t *cr, zs_rgba c) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

/* Fills (if painted) then strokes (if painted) the current path. */
static void fill_stroke(cairo_t *cr, const zs_prim *p) {
    if (p->fill.a > 0) {
        set_colour(cr, p->fill);
        cairo_fill_preserve(cr);
    }
    if (p->stroke.a > 0) {
        double pattern[4];
        int n = zs_plot_dash_pattern(p->dash, p->width_pt, pattern);
        cairo_set_dash(cr, pattern, n, 0);
        cairo_set_line_width(cr, p->width_pt);
        set_colour(cr, p->stroke);
        cairo_stroke_preserve(cr);
    }
    cairo_new_path(cr);
}

static void path(cairo_t *cr, const zs_prim *p) {
    int pen_down = 0;
    for (size_t i = 0; i < p->n; i++) {
        double x = p->xy[2 * i], y = p->xy[2 * i + 1];
        if (isnan(x)) {
            pen_down = 0;
            continue;
        }
        if (pen_down)
            cairo_line_to(cr, x, y);
        else
            cairo_move_to(cr, x, y);
        pen_down = 1;
    }
    if (p->closed) cairo_close_path(cr);
    fill_stroke(cr, p);
}

static void select_font(cairo_t *cr, const zs_prim *p, double size_pt) {
    cairo_select_font_face(cr, ZS_PLOT_FONT, CAIRO_FONT_SLANT_NORMAL,
                           p->bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size_pt);
}

static double advance(cairo_t *cr, const zs_prim *p, const char *s, double size_pt) {
    if (!s) return 0;
    select_font(cr, p, size_pt);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* The text, then its superscript smaller and raised, anchored and rotated as laid out. */
static void text(cairo_t *cr, const zs_prim *p) {
    double sup_pt = ZS_PLOT_SUP_SCALE * p->size_pt;
    double width = advance(cr, p, p->text, p->size_pt) + advance(cr, p, p->sup, sup_pt);
    double shift = p->anchor == ZS_ANCHOR_MIDDLE ? width / 2
                   : p->anchor == ZS_ANCHOR_END  ? width
                                                 : 0;
    cairo_save(cr);
    cairo_translate(cr, p->x, p->y);
    cairo_rotate(cr, -p->rotate_deg * M_PI / 180);
    set_colour(cr, p->fill);
    select_font(cr, p, p->size_pt);
    cairo_move_to(cr, -shift, 0);
    cairo_show_text(cr, p->text);
    if (p->sup) {
        select_font(cr, p, sup_pt);
        cairo_rel_move_to(cr, 0, -ZS_PLOT_SUP_RISE * p->size_pt);
        cairo_show_text(cr, p->sup);
    }
    cairo_restore(cr);
}

static void draw(cairo_t *cr, const zs_display *d) {
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0; i < d->n; i++) {
        const zs_prim *p = &d->items[i];
        switch (p->kind) {
        case ZS_PRIM_PATH:
            path(cr, p);
            break;
        case ZS_PRIM_RECT:
            cairo_rectangle(cr, p->x, p->y, p->w, p->h);
            fill_stroke(cr, p);
            break;
        case ZS_PRIM_CIRCLE:
            cairo_new_sub_path(cr);
            cairo_arc(cr, p->x, p->y, p->w, 0, 2 * M_PI);
            fill_stroke(cr, p);
            break;
        case ZS_PRIM_TEXT:
            text(cr, p);
            break;
        }
    }
}

zs_status zs_plot_render_cairo(const zs_display *d, zs_cairo_format format, FILE *out,
                               const char *path, zs_error *err) {
    cairo_surface_t *surface;
    if (format == ZS_CAIRO_PDF)
        surface = cairo_pdf_surface_create_for_stream(write_stream, out, d->width_pt, d->height_pt);
    else
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)ceil(d->width_pt),
                                             (int)ceil(d->height_pt));
    cairo_t *cr = cairo_create(surface);
    draw(cr, d);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status == CAIRO_STATUS_SUCCESS && format == ZS_CAIRO_PNG)
        status = cairo_surface_write_to_png_stream(surface, write_stream, out);
    cairo_surface_finish(surface);
    if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS)
        return zs_fail(err, ZS_ERR_IO, "%s: cairo could not render the plot: %s", path,
                       cairo_status_to_string(status));
    return ZS_OK;
}
