/* The SVG backend: writes the display list as plain SVG 1.1 with real <text> elements
 * (so labels stay searchable and selectable), each series wrapped in
 * <g class="series KIND" data-series="N">. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot/plot_internal.h"

/* A coordinate with two decimals and no trailing zeros ("12.5", "300"). */
static void num(FILE *out, double v) {
    char buf[48];
    snprintf(buf, sizeof buf, "%.2f", fabs(v) < 0.005 ? 0.0 : v);
    size_t len = strlen(buf);
    while (len > 0 && buf[len - 1] == '0') buf[--len] = '\0';
    if (len > 0 && buf[len - 1] == '.') buf[--len] = '\0';
    fputs(buf, out);
}

static void paint(FILE *out, const char *attr, zs_rgba c) {
    if (c.a <= 0) {
        fprintf(out, " %s=\"none\"", attr);
        return;
    }
    fprintf(out, " %s=\"#%02x%02x%02x\"", attr, (unsigned)lround(c.r * 255),
            (unsigned)lround(c.g * 255), (unsigned)lround(c.b * 255));
    if (c.a < 1) {
        fprintf(out, " %s-opacity=\"", attr);
        num(out, c.a);
        fputc('"', out);
    }
}

static void stroke_attrs(FILE *out, const zs_prim *p) {
    paint(out, "fill", p->fill);
    paint(out, "stroke", p->stroke);
    if (p->stroke.a <= 0) return;
    fputs(" stroke-width=\"", out);
    num(out, p->width_pt);
    fputc('"', out);
    double pattern[4];
    int n = zs_plot_dash_pattern(p->dash, p->width_pt, pattern);
    if (n) {
        fputs(" stroke-dasharray=\"", out);
        for (int i = 0; i < n; i++) {
            if (i) fputc(',', out);
            num(out, pattern[i]);
        }
        fputc('"', out);
    }
}

static void path(FILE *out, const zs_prim *p) {
    fprintf(out, "<path class=\"%s\" d=\"", p->cls);
    int pen_down = 0;
    for (size_t i = 0; i < p->n; i++) {
        double x = p->xy[2 * i], y = p->xy[2 * i + 1];
        if (isnan(x)) {
            pen_down = 0;
            continue;
        }
        fputs(pen_down ? " L" : (i ? " M" : "M"), out);
        num(out, x);
        fputc(' ', out);
        num(out, y);
        pen_down = 1;
    }
    if (p->closed) fputs(" Z", out);
    fputc('"', out);
    stroke_attrs(out, p);
    fputs(" stroke-linejoin=\"round\"/>\n", out);
}

static void text(FILE *out, const zs_prim *p) {
    static const char *const anchors[] = {"start", "middle", "end"};
    fprintf(out, "<text class=\"%s\" x=\"", p->cls);
    num(out, p->x);
    fputs("\" y=\"", out);
    num(out, p->y);
    fputs("\" font-size=\"", out);
    num(out, p->size_pt);
    fprintf(out, "\" text-anchor=\"%s\"", anchors[p->anchor]);
    if (p->bold) fputs(" font-weight=\"bold\"", out);
    if (p->rotate_deg != 0) {
        fputs(" transform=\"rotate(", out);
        num(out, -p->rotate_deg);
        fputc(' ', out);
        num(out, p->x);
        fputc(' ', out);
        num(out, p->y);
        fputs(")\"", out);
    }
    fputc('>', out);
    zs_markup_escape(out, p->text, 0);
    if (p->sup) {
        /* dy rather than baseline-shift: every SVG renderer honours dy. */
        fputs("<tspan class=\"sup\" dy=\"", out);
        num(out, -ZS_PLOT_SUP_RISE * p->size_pt);
        fputs("\" font-size=\"", out);
        num(out, ZS_PLOT_SUP_SCALE * p->size_pt);
        fputs("\">", out);
        zs_markup_escape(out, p->sup, 0);
        fputs("</tspan>", out);
    }
    fputs("</text>\n", out);
}

static void primitive(FILE *out, const zs_prim *p) {
    switch (p->kind) {
    case ZS_PRIM_PATH:
        path(out, p);
        break;
    case ZS_PRIM_RECT:
        fprintf(out, "<rect class=\"%s\" x=\"", p->cls);
        num(out, p->x);
        fputs("\" y=\"", out);
        num(out, p->y);
        fputs("\" width=\"", out);
        num(out, p->w);
        fputs("\" height=\"", out);
        num(out, p->h);
        fputc('"', out);
        stroke_attrs(out, p);
        fputs("/>\n", out);
        break;
    case ZS_PRIM_CIRCLE:
        fprintf(out, "<circle class=\"%s\" cx=\"", p->cls);
        num(out, p->x);
        fputs("\" cy=\"", out);
        num(out, p->y);
        fputs("\" r=\"", out);
        num(out, p->w);
        fputc('"', out);
        stroke_attrs(out, p);
        fputs("/>\n", out);
        break;
    case ZS_PRIM_TEXT:
        text(out, p);
        break;
    }
}

zs_status zs_plot_render_svg(const zs_display *d, FILE *out, const char *path, zs_error *err) {
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"", out);
    num(out, d->width_pt);
    fputs("\" height=\"", out);
    num(out, d->height_pt);
    fputs("\" viewBox=\"0 0 ", out);
    num(out, d->width_pt);
    fputc(' ', out);
    num(out, d->height_pt);
    fprintf(out, "\" font-family=\"%s, sans-serif\">\n", ZS_PLOT_FONT);
    int open_group = 0;
    for (size_t i = 0; i < d->n; i++) {
        const zs_prim *p = &d->items[i];
        if (p->group != open_group) {
            if (open_group) fputs("</g>\n", out);
            if (p->group)
                fprintf(out, "<g class=\"%s\" data-series=\"%d\">\n", p->group_cls, p->group);
            open_group = p->group;
        }
        primitive(out, p);
    }
    if (open_group) fputs("</g>\n", out);
    fputs("</svg>\n", out);
    if (ferror(out)) return zs_fail(err, ZS_ERR_IO, "%s: write failed", path);
    return ZS_OK;
}
