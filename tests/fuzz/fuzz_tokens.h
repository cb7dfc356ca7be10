/* The token-file harnesses' one body (fuzz_npy.c, fuzz_llmc_bin.c): zs_tokens_open on the
 * input written as DIR/<name> (the extension picks the format), then the accessors on what
 * it accepted. */
#ifndef ZS_FUZZ_TOKENS_H
#define ZS_FUZZ_TOKENS_H

#include "zipscale/tokens.h"

#include "fuzz_util.h"

static inline int fuzz_token_file(const char *name, const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, name, data, size);
    zs_tokens t;
    zs_error err;
    if (zs_tokens_open(&t, path, NULL, &err) == ZS_OK) {
        FUZZ_CHECK(t.n_tokens == t.shape[0] * (t.ndim == 2 ? t.shape[1] : 1), "n_tokens");
        uint64_t lo, hi;
        (void)zs_tokens_id_range(&t, &lo, &hi, &err);
        uint32_t buf[64];
        uint64_t n = t.n_tokens < 64 ? t.n_tokens : 64;
        (void)zs_tokens_read_u32(&t, 0, n, buf, &err);
        if (t.n_tokens) (void)zs_tokens_at(&t, t.n_tokens - 1);
        zs_tokens_close(&t);
    }
    return 0;
}

#endif
