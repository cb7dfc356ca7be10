/* llm.c-style .bin token shards: a 256 x int32 little-endian header ([0] magic,
 * [1] version, [2] token count), then the tokens from byte 1024. Magic 20240520 with
 * version 1 holds uint16 tokens; magic 20240801 with version 7 holds uint32 tokens. */
#include "data/token_formats.h"

#include <string.h>

static int32_t header_int(const unsigned char *data, int i) {
    int32_t v;
    memcpy(&v, data + 4 * i, sizeof v);
    return v;
}

zs_status zs_llmc_header_parse(const char *path, const unsigned char *data, size_t size,
                               zs_dtype *dtype, uint64_t *n_tokens, zs_error *err) {
    if (size < ZS_LLMC_HEADER_BYTES)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: truncated: %zu bytes, shorter than the %d-byte llm.c header", path,
                       size, ZS_LLMC_HEADER_BYTES);
    int32_t magic = header_int(data, 0), version = header_int(data, 1), count = header_int(data, 2);
    int32_t want_version;
    if (magic == ZS_LLMC_MAGIC_U16)
        *dtype = ZS_DTYPE_U16, want_version = ZS_LLMC_VERSION_U16;
    else if (magic == ZS_LLMC_MAGIC_U32)
        *dtype = ZS_DTYPE_U32, want_version = ZS_LLMC_VERSION_U32;
    else
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: bad magic %d (expected %d for uint16 tokens or %d for uint32 "
                       "tokens)",
                       path, magic, ZS_LLMC_MAGIC_U16, ZS_LLMC_MAGIC_U32);
    if (version != want_version)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: magic %d expects version %d, the header says %d",
                       path, magic, want_version, version);
    if (count < 0)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: header field 2 (token count) is %d (expected >= 0)",
                       path, count);
    *n_tokens = (uint64_t)count;
    return ZS_OK;
}

zs_status zs_llmc_header_format(const char *path, zs_dtype dtype, uint64_t n_tokens,
                                int32_t header[ZS_LLMC_HEADER_INTS], zs_error *err) {
    memset(header, 0, ZS_LLMC_HEADER_BYTES);
    if (dtype == ZS_DTYPE_U16)
        header[0] = ZS_LLMC_MAGIC_U16, header[1] = ZS_LLMC_VERSION_U16;
    else if (dtype == ZS_DTYPE_U32)
        header[0] = ZS_LLMC_MAGIC_U32, header[1] = ZS_LLMC_VERSION_U32;
    else
        return zs_fail(err, ZS_ERR_USAGE,
                       "%s: llm.c .bin shards hold uint16 or uint32 tokens, not %s", path,
                       zs_dtype_name(dtype));
    if (n_tokens > INT32_MAX)
        return zs_fail(err, ZS_ERR_RANGE,
                       "%s: %llu tokens do not fit an llm.c shard (at most 2147483647)", path,
                       (unsigned long long)n_tokens);
    header[2] = (int32_t)n_tokens;
    return ZS_OK;
}
