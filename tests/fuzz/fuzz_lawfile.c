/* Fuzzes the law.json reader (zs_lawfile_read on DIR/law.json); what it accepts must
 * format, and the formatted text must read back (one writer, one reader). */
#include "zipscale/fit.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, "law.json", data, size);
    zs_lawfile law;
    zs_error err;
    if (zs_lawfile_read(&law, path, &err)) return 0;
    char *text = NULL;
    FUZZ_CHECK(zs_lawfile_format(&law, &text, &err) == ZS_OK, "format: %s", err.msg);
    zs_lawfile_free(&law);
    fuzz_write(path, "law.json", (const uint8_t *)text, strlen(text));
    FUZZ_CHECK(zs_lawfile_read(&law, path, &err) == ZS_OK, "the written law.json reads back: %s",
               err.msg);
    zs_lawfile_free(&law);
    free(text);
    return 0;
}
