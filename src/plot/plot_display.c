/* The display list: the figure laid out once as primitives (paths, rectangles, circles,
 * text) in points, which the SVG writer and the cairo renderer both draw. */
#include <stdlib.h>
#include <string.h>

#include "plot/plot_internal.h"

void zs_display_free(zs_display *d) {
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].xy);
        free(d->items[i].text);
        free(d->items[i].sup);
    }
    free(d->items);
    d->items = NULL;
    d->n = d->cap = 0;
}

static char *copy_text(const char *s, zs_error *err) {
    if (!s) return NULL;
    size_t len = strlen(s) + 1;
    char *c = zs_alloc(len, "plot text", err);
    if (c) memcpy(c, s, len);
    return c;
}

zs_status zs_display_add(zs_display *d, const zs_prim *p, zs_error *err) {
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        zs_prim *items = realloc(d->items, cap * sizeof *items);
        if (!items) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (plot display list)");
        d->items = items;
        d->cap = cap;
    }
    zs_prim c = *p;
    c.group = d->group;
    c.group_cls = d->group_cls;
    c.xy = NULL;
    c.text = c.sup = NULL;
    if (p->n) {
        c.xy = zs_alloc(2 * p->n * sizeof *c.xy, "plot path", err);
        if (!c.xy) return ZS_ERR_NOMEM;
        memcpy(c.xy, p->xy, 2 * p->n * sizeof *c.xy);
    }
    if ((p->text && !(c.text = copy_text(p->text, err))) ||
        (p->sup && !(c.sup = copy_text(p->sup, err)))) {
        free(c.xy);
        free(c.text);
        return ZS_ERR_NOMEM;
    }
    d->items[d->n++] = c;
    return ZS_OK;
}

zs_status zs_display_rect(zs_display *d, const char *cls, double x, double y, double w, double h,
                          zs_rgba stroke, zs_rgba fill, double width_pt, zs_error *err) {
    zs_prim p = {.kind = ZS_PRIM_RECT,
                 .cls = cls,
                 .stroke = stroke,
                 .fill = fill,
                 .width_pt = width_pt,
                 .x = x,
                 .y = y,
                 .w = w,
                 .h = h};
    return zs_display_add(d, &p, err);
}

zs_status zs_display_segment(zs_display *d, const char *cls, double x0, double y0, double x1,
                             double y1, zs_rgba stroke, double width_pt, int dash, zs_error *err) {
    double xy[4] = {x0, y0, x1, y1};
    zs_prim p = {.kind = ZS_PRIM_PATH,
                 .cls = cls,
                 .stroke = stroke,
                 .width_pt = width_pt,
                 .dash = dash,
                 .xy = xy,
                 .n = 2};
    return zs_display_add(d, &p, err);
}

zs_status zs_display_text(zs_display *d, const char *cls, const char *text, const char *sup,
                          double x, double y, double size_pt, zs_anchor anchor, double rotate_deg,
                          int bold, zs_error *err) {
    zs_prim p = {.kind = ZS_PRIM_TEXT,
                 .cls = cls,
                 .fill = {0, 0, 0, 1},
                 .x = x,
                 .y = y,
                 .text = (char *)text,
                 .sup = (sup && *sup) ? (char *)sup : NULL,
                 .size_pt = size_pt,
                 .anchor = anchor,
                 .rotate_deg = rotate_deg,
                 .bold = bold};
    return zs_display_add(d, &p, err);
}
