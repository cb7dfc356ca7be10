/* Fuzzes the token sidecar reader: the input is DIR/tok.npy.json beside a small valid
 * DIR/tok.npy; zs_sidecar_read reads it, then zs_tokens_open checks it against the data. */
#include "zipscale/tokens.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char npy[FUZZ_PATH_MAX];
    zs_error err;
    if (!npy[0]) {
        static const uint32_t ids[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U16, 2, {2, 4}};
        fuzz_path(npy, "tok.npy");
        FUZZ_CHECK(zs_tokens_write(npy, ids, &l, NULL, &err) == ZS_OK, "%s", err.msg);
    }
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, "tok.npy.json", data, size);
    zs_sidecar sc;
    int found = 0;
    if (zs_sidecar_read(npy, &sc, &found, &err) == ZS_OK) {
        FUZZ_CHECK(found, "a sidecar that is there is found");
        zs_sidecar_free(&sc);
    }
    zs_tokens t;
    if (zs_tokens_open(&t, npy, NULL, &err) == ZS_OK) zs_tokens_close(&t);
    return 0;
}
