/* zs_plot_write: lays the figure out, picks the backend from the file's extension and
 * writes through a temporary file renamed into place, so a failure leaves nothing. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report/plot_internal.h"

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

zs_status zs_plot_write(const zs_plot *fig, const char *path, zs_error *err) {
    plot_format format = FORMAT_SVG;
    zs_status s = format_of(path, &format, err);
    if (s) return s;
    zs_display d;
    s = zs_plot_layout(fig, &d, err);
    if (s) return s;
    zs_atomic_file file;
    s = zs_atomic_open(&file, path, err);
    if (!s) {
        if (format == FORMAT_SVG)
            s = zs_plot_render_svg(&d, file.fp, path, err);
        else
            s = zs_plot_render_cairo(&d, format == FORMAT_PNG ? ZS_CAIRO_PNG : ZS_CAIRO_PDF,
                                     file.fp, path, err);
        if (s)
            zs_atomic_abort(&file);
        else
            s = zs_atomic_commit(&file, err);
    }
    zs_display_free(&d);
    return s;
}
