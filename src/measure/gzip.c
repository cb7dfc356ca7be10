/* gzip sizes exactly as [GZ] measures them: token ids as big-endian int32 bytes, then
 * zlib deflate with the gzip wrapper at the requested level, header and trailer counted.
 * A zs_gzip_stream keeps one z_stream alive and rewinds it with deflateReset, so the
 * per-sequence cost is the compression itself, not allocation. */
#include <stdlib.h>
#include <zlib.h>

#include "zipscale/measure.h"

/* 15 window bits + 16 selects the gzip wrapper: a 10-byte header (no name, no extra
 * fields, like Python's GzipFile on a BytesIO) and an 8-byte CRC32/length trailer. */
enum { GZIP_WINDOW_BITS = 15 + 16, GZIP_MEM_LEVEL = 8 };

struct zs_gzip_stream {
    z_stream z;
    int level;
    uint8_t *out;
    uint64_t out_cap_bytes;
};

void zs_measure_encode_be32(const uint32_t *ids, uint64_t n_tokens, uint8_t *out) {
    for (uint64_t i = 0; i < n_tokens; i++) {
        uint32_t v = ids[i];
        out[4 * i + 0] = (uint8_t)(v >> 24);
        out[4 * i + 1] = (uint8_t)(v >> 16);
        out[4 * i + 2] = (uint8_t)(v >> 8);
        out[4 * i + 3] = (uint8_t)v;
    }
}

static zs_status check_level(int level, zs_error *err) {
    if (level < 1 || level > 9)
        return zs_fail(err, ZS_ERR_USAGE, "gzip level %d: expected an integer in 1..9", level);
    return ZS_OK;
}

static zs_status init_deflate(z_stream *z, int level, zs_error *err) {
    *z = (z_stream){0};
    int rc =
        deflateInit2(z, level, Z_DEFLATED, GZIP_WINDOW_BITS, GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY);
    if (rc == Z_MEM_ERROR) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (zlib deflate state)");
    if (rc != Z_OK) return zs_fail(err, ZS_ERR_INTERNAL, "zlib deflateInit2 failed (%d)", rc);
    return ZS_OK;
}

/* Compresses data in one deflate(Z_FINISH) call into out (at least deflateBound bytes). */
static zs_status finish_deflate(z_stream *z, const void *data, uint64_t bytes, uint8_t *out,
                                uint64_t out_cap_bytes, uint64_t *compressed_bytes, zs_error *err) {
    if (bytes > UINT32_MAX)
        return zs_fail(err, ZS_ERR_RANGE, "gzip: %llu bytes in one sequence: expected < 4 GiB",
                       (unsigned long long)bytes);
    z->next_in = (Bytef *)data;
    z->avail_in = (uInt)bytes;
    z->next_out = out;
    z->avail_out = (uInt)out_cap_bytes;
    int rc = deflate(z, Z_FINISH);
    if (rc != Z_STREAM_END)
        return zs_fail(err, ZS_ERR_INTERNAL, "zlib deflate did not finish (%d)", rc);
    *compressed_bytes = z->total_out;
    return ZS_OK;
}

zs_status zs_gzip_stream_create(zs_gzip_stream **stream, int level, zs_error *err) {
    *stream = NULL;
    zs_status s = check_level(level, err);
    if (s) return s;
    zs_gzip_stream *g = zs_calloc(1, sizeof *g, "gzip stream", err);
    if (!g) return ZS_ERR_NOMEM;
    s = init_deflate(&g->z, level, err);
    if (s) {
        free(g);
        return s;
    }
    g->level = level;
    *stream = g;
    return ZS_OK;
}

zs_status zs_gzip_stream_size(zs_gzip_stream *stream, const void *data, uint64_t bytes,
                              uint64_t *compressed_bytes, zs_error *err) {
    /* Reset first: a finished gzip stream flips its wrapper flag, and deflateBound would
     * then leave out the 18 header and trailer bytes. */
    int rc = deflateReset(&stream->z);
    if (rc != Z_OK) return zs_fail(err, ZS_ERR_INTERNAL, "zlib deflateReset failed (%d)", rc);
    uint64_t bound = bytes <= UINT32_MAX ? deflateBound(&stream->z, (uLong)bytes) : 0;
    if (bound > stream->out_cap_bytes) {
        uint8_t *grown = realloc(stream->out, bound);
        if (!grown)
            return zs_fail(err, ZS_ERR_NOMEM, "out of memory (%llu bytes for gzip output)",
                           (unsigned long long)bound);
        stream->out = grown;
        stream->out_cap_bytes = bound;
    }
    return finish_deflate(&stream->z, data, bytes, stream->out, stream->out_cap_bytes,
                          compressed_bytes, err);
}

void zs_gzip_stream_free(zs_gzip_stream *stream) {
    if (!stream) return;
    deflateEnd(&stream->z);
    free(stream->out);
    free(stream);
}

zs_status zs_gzip_compressed_bytes(const void *data, uint64_t bytes, int level,
                                   uint64_t *compressed_bytes, zs_error *err) {
    zs_status s = check_level(level, err);
    if (s) return s;
    z_stream z;
    s = init_deflate(&z, level, err);
    if (s) return s;
    uint64_t bound = bytes <= UINT32_MAX ? deflateBound(&z, (uLong)bytes) : 1;
    uint8_t *out = zs_alloc(bound, "gzip output", err);
    if (out)
        s = finish_deflate(&z, data, bytes, out, bound, compressed_bytes, err);
    else
        s = ZS_ERR_NOMEM;
    free(out);
    deflateEnd(&z);
    return s;
}
