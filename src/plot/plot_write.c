/* zs_plot_write and zs_plot_svg: lay the figure out, pick the backend (from the file's
 * extension) and write through a temporary file renamed into place, so a failure leaves
 * nothing, or into memory for callers that inline the SVG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plot/plot_internal.h"

typedef enum { FORMAT_SVG, FORMAT_PNG, FORMAT_PDF } plot_format;

static const struct {
    const char *ext;
    plot_format format;
} formats[] = {{".svg", FORMAT_SVG}, {".png", FORMAT_PNG}, {".pdf", FORMAT_PDF}};

static zs_status format_of(const char *path, plot_format *format, zs_error *err) {
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    for (size_t i = 0; dot && i < sizeof formats / sizeof formats[0]; i++) {
        if (strcasecmp(dot, formats[i].ext) == 0) {
            *format = formats[i].format;
            return ZS_OK;
        }
    }
    return zs_fail(err, ZS_ERR_USAGE,
                   "%s: unknown plot format '%s'; expected a name ending in .svg, .png or .pdf",
                   path, dot ? dot : "");
}

zs_status zs_plot_svg(const zs_plot *fig, char **text, size_t *len, zs_error *err) {
    *text = NULL;
    *len = 0;
    zs_display d;
    zs_status s = zs_plot_layout(fig, &d, err);
    if (s) return s;
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out) {
        zs_display_free(&d);
        return zs_fail(err, ZS_ERR_NOMEM, "svg: out of memory");
    }
    s = zs_plot_render_svg(&d, out, "svg", err);
    if (fclose(out) != 0 && !s) s = zs_fail(err, ZS_ERR_NOMEM, "svg: out of memory");
    zs_display_free(&d);
    if (s) {
        free(buf);
        return s;
    }
    *text = buf;
    *len = n;
    return ZS_OK;
}

zs_status zs_plot_write(const zs_plot *fig, const char *path, zs_error *err) {
    plot_format format = FORMAT_SVG;
    zs_status s = format_of(path, &format, err);
    if (s) return s;
    if (format == FORMAT_SVG) {
        char *text = NULL;
        size_t len = 0;
        s = zs_plot_svg(fig, &text, &len, err);
        if (s) return s;
        s = zs_write_file_atomic(path, text, len, err);
        free(text);
        return s;
    }
    zs_display d;
    s = zs_plot_layout(fig, &d, err);
    if (s) return s;
    zs_atomic_file file;
    s = zs_atomic_open(&file, path, err);
    if (!s) {
        s = zs_plot_render_cairo(&d, format == FORMAT_PNG ? ZS_CAIRO_PNG : ZS_CAIRO_PDF, file.fp,
                                 path, err);
        if (s)
            zs_atomic_abort(&file);
        else
            s = zs_atomic_commit(&file, err);
    }
    zs_display_free(&d);
    return s;
}
