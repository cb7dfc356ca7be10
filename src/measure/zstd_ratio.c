/* zstd sizes for the same sequences gzip measures: a second opinion on compressibility.
 * One ZSTD_CCtx per stream, reused for every sequence; one frame per sequence with
 * libzstd's default frame parameters (content size in the header, no checksum). */
#include <stdlib.h>
#include <zstd.h>

#include "zipscale/measure.h"

struct zs_zstd_stream {
    ZSTD_CCtx *cctx;
    int level;
    uint8_t *out;
    uint64_t out_cap_bytes;
};

zs_status zs_zstd_stream_create(zs_zstd_stream **stream, int level, zs_error *err) {
    *stream = NULL;
    if (level < 1 || level > ZSTD_maxCLevel())
        return zs_fail(err, ZS_ERR_USAGE, "zstd level %d: expected an integer in 1..%d", level,
                       ZSTD_maxCLevel());
    zs_zstd_stream *z = zs_calloc(1, sizeof *z, "zstd stream", err);
    if (!z) return ZS_ERR_NOMEM;
    z->cctx = ZSTD_createCCtx();
    if (!z->cctx) {
        free(z);
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory (zstd compression context)");
    }
    z->level = level;
    *stream = z;
    return ZS_OK;
}

zs_status zs_zstd_stream_size(zs_zstd_stream *stream, const void *data, uint64_t bytes,
                              uint64_t *compressed_bytes, zs_error *err) {
    size_t bound = ZSTD_compressBound((size_t)bytes);
    if (bound > stream->out_cap_bytes) {
        uint8_t *grown = realloc(stream->out, bound);
        if (!grown)
            return zs_fail(err, ZS_ERR_NOMEM, "out of memory (%zu bytes for zstd output)", bound);
        stream->out = grown;
        stream->out_cap_bytes = bound;
    }
    size_t n = ZSTD_compressCCtx(stream->cctx, stream->out, stream->out_cap_bytes, data,
                                 (size_t)bytes, stream->level);
    if (ZSTD_isError(n))
        return zs_fail(err, ZS_ERR_INTERNAL, "zstd compression failed: %s", ZSTD_getErrorName(n));
    *compressed_bytes = n;
    return ZS_OK;
}

void zs_zstd_stream_free(zs_zstd_stream *stream) {
    if (!stream) return;
    ZSTD_freeCCtx(stream->cctx);
    free(stream->out);
    free(stream);
}
