/* Fuzzes the gzip results reader (zs_gzipfile_read on DIR/gzip.json); what it
 * accepts must format and read back, and the report's loader must take it. */
#include "zipscale/measure.h"
#include "report/report_internal.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, "gzip.json", data, size);
    zs_gzipfile gf;
    zs_error err;
    if (zs_gzipfile_read(&gf, path, &err)) return 0;
    char *text = NULL;
    size_t len = 0;
    FUZZ_CHECK(zs_gzipfile_format(&gf, &text, &len, &err) == ZS_OK, "format: %s", err.msg);
    zs_gzipfile_free(&gf);
    zs_report_opts opts;
    zs_report_opts_init(&opts);
    zs_report_data rd;
    const char *paths[1] = {path};
    if (zs_report_load(&rd, paths, 1, &opts, &err) == ZS_OK) zs_report_data_free(&rd);
    fuzz_write(path, "gzip.json", (const uint8_t *)text, len);
    FUZZ_CHECK(zs_gzipfile_read(&gf, path, &err) == ZS_OK, "the written gzip JSON reads back: %s",
               err.msg);
    zs_gzipfile_free(&gf);
    free(text);
    return 0;
}
