/* Text metrics for layout, from cairo's toy font API with ZS_PLOT_FONT: the PNG and
 * PDF renderers draw with the same font, and the SVG names it, so the boxes computed
 * here fit the text in every backend. */
#include <cairo.h>
#include <stdlib.h>

#include "plot/plot_internal.h"

/* AddressSanitizer: gcc says so with __SANITIZE_ADDRESS__, clang 14 (the fuzz build) only
 * through __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define ZS_PLOT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZS_PLOT_ASAN 1
#endif
#endif

#ifdef ZS_PLOT_ASAN
/* Sanitizer builds only: fontconfig (under cairo's toy font API) keeps its font-match
 * results for the life of the process, which LeakSanitizer reports as leaks at exit.
 * They are fontconfig's, not ours; every cairo object here is destroyed. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\n";
}
/* ...and without a "Suppressions used" table on stderr, which tests read. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) {
    return "print_suppressions=0";
}
#endif

struct zs_text_metrics {
    cairo_surface_t *surface;
    cairo_t *cr;
};

zs_status zs_text_metrics_create(zs_text_metrics **m, zs_error *err) {
    *m = zs_calloc(1, sizeof **m, "text metrics", err);
    if (!*m) return ZS_ERR_NOMEM;
    (*m)->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    (*m)->cr = cairo_create((*m)->surface);
    if (cairo_status((*m)->cr) != CAIRO_STATUS_SUCCESS) {
        zs_text_metrics_free(*m);
        *m = NULL;
        return zs_fail(err, ZS_ERR_NOMEM, "cairo: cannot create a context to measure text");
    }
    return ZS_OK;
}

void zs_text_metrics_free(zs_text_metrics *m) {
    if (!m) return;
    cairo_destroy(m->cr);
    cairo_surface_destroy(m->surface);
    free(m);
}

static double advance(zs_text_metrics *m, const char *text, double size_pt, int bold) {
    if (!text || !*text) return 0;
    cairo_select_font_face(m->cr, ZS_PLOT_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(m->cr, size_pt);
    cairo_text_extents_t e;
    cairo_text_extents(m->cr, text, &e);
    return e.x_advance;
}

double zs_text_width(zs_text_metrics *m, const char *text, const char *sup, double size_pt,
                     int bold) {
    return advance(m, text, size_pt, bold) + advance(m, sup, size_pt * ZS_PLOT_SUP_SCALE, bold);
}

void zs_text_vertical(zs_text_metrics *m, double size_pt, double *ascent, double *descent) {
    cairo_select_font_face(m->cr, ZS_PLOT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(m->cr, size_pt);
    cairo_font_extents_t e;
    cairo_font_extents(m->cr, &e);
    *ascent = e.ascent;
    *descent = e.descent;
}
