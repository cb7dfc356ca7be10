/* zs_report_html and zs_report_write: load the inputs, then write the page (head,
 * sections, provenance) into memory, and from there atomically to a file. */
#include <stdlib.h>

#include "report/report_internal.h"

void zs_report_opts_init(zs_report_opts *opts) {
    *opts = (zs_report_opts){.title = "zipscale report", .sample = 1000};
}

zs_status zs_report_html(const char *const *paths, size_t n_paths, const zs_report_opts *opts,
                         char **html, size_t *len, zs_error *err) {
    *html = NULL;
    *len = 0;
    zs_report_data data;
    zs_status s = zs_report_load(&data, paths, n_paths, opts, err);
    if (s) return s;
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out) {
        zs_report_data_free(&data);
        return zs_fail(err, ZS_ERR_NOMEM, "report: out of memory");
    }
    zs_html_head(out, opts->title ? opts->title : "zipscale report");
    s = zs_report_sections(out, &data, err);
    if (!s) s = zs_report_provenance(out, &data, opts, err);
    zs_html_tail(out);
    if (ferror(out) && !s) s = zs_fail(err, ZS_ERR_NOMEM, "report: out of memory");
    if (fclose(out) != 0 && !s) s = zs_fail(err, ZS_ERR_NOMEM, "report: out of memory");
    zs_report_data_free(&data);
    if (s) {
        free(buf);
        return s;
    }
    *html = buf;
    *len = n;
    return ZS_OK;
}

zs_status zs_report_write(const char *const *paths, size_t n_paths, const zs_report_opts *opts,
                          const char *out_path, zs_error *err) {
    char *html = NULL;
    size_t len = 0;
    zs_status s = zs_report_html(paths, n_paths, opts, &html, &len, err);
    if (!s) s = zs_write_file_atomic(out_path, html, len, err);
    free(html);
    return s;
}
