/* Fuzzes the regression.json reader (zs_regressfile_read on DIR/regression.json); what it accepts
 * must format, and the formatted text must read back (one writer, one reader). */
#include "zipscale/frontier.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, "regression.json", data, size);
    zs_regressfile rf;
    zs_error err;
    if (zs_regressfile_read(&rf, path, &err)) return 0;
    char *text = NULL;
    FUZZ_CHECK(zs_regressfile_format(&rf, &text, &err) == ZS_OK, "format: %s", err.msg);
    zs_regressfile_free(&rf);
    fuzz_write(path, "regression.json", (const uint8_t *)text, strlen(text));
    FUZZ_CHECK(zs_regressfile_read(&rf, path, &err) == ZS_OK,
               "the written regression.json reads back: %s", err.msg);
    zs_regressfile_free(&rf);
    free(text);
    return 0;
}
