/* Token dtypes and file formats: names, sizes, parsing (ours and NumPy's short forms),
 * and the choice of format by file extension. Shared by every token reader and writer. */
#include "zipscale/tokens.h"

#include <string.h>
#include <strings.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error                                                                                             \
    "zipscale's token files are little-endian and are mapped as is: a little-endian host is required"
#endif

typedef struct {
    zs_dtype dtype;
    const char *name;
    size_t size;
    const char *aliases[4]; /* NumPy descr forms */
} dtype_info;

static const dtype_info dtypes[] = {
    {ZS_DTYPE_U8, "uint8", 1, {"u1", "|u1", "<u1", "=u1"}},
    {ZS_DTYPE_U16, "uint16", 2, {"u2", "<u2", "=u2", NULL}},
    {ZS_DTYPE_U32, "uint32", 4, {"u4", "<u4", "=u4", NULL}},
    {ZS_DTYPE_I32, "int32", 4, {"i4", "<i4", "=i4", NULL}},
    {ZS_DTYPE_I64, "int64", 8, {"i8", "<i8", "=i8", NULL}},
};
enum { N_DTYPES = sizeof dtypes / sizeof dtypes[0] };

static const dtype_info *info_of(zs_dtype dtype) {
    return (unsigned)dtype < N_DTYPES ? &dtypes[dtype] : NULL;
}

const char *zs_dtype_name(zs_dtype dtype) {
    const dtype_info *d = info_of(dtype);
    return d ? d->name : "invalid";
}

size_t zs_dtype_size(zs_dtype dtype) {
    const dtype_info *d = info_of(dtype);
    return d ? d->size : 0;
}

zs_status zs_dtype_parse(const char *name, zs_dtype *dtype, zs_error *err) {
    for (int i = 0; i < N_DTYPES; i++) {
        int match = strcmp(name, dtypes[i].name) == 0;
        for (int a = 0; a < 4 && dtypes[i].aliases[a] && !match; a++)
            match = strcmp(name, dtypes[i].aliases[a]) == 0;
        if (match) {
            *dtype = dtypes[i].dtype;
            return ZS_OK;
        }
    }
    return zs_fail(err, ZS_ERR_USAGE,
                   "unsupported dtype '%s' (expected uint8, uint16, uint32, int32 or int64, "
                   "little-endian)",
                   name);
}

zs_dtype zs_dtype_for_vocab(uint64_t vocab_size) {
    if (vocab_size <= 1ull << 8) return ZS_DTYPE_U8;
    if (vocab_size <= 1ull << 16) return ZS_DTYPE_U16;
    return ZS_DTYPE_U32;
}

const char *zs_token_format_name(zs_token_format format) {
    switch (format) {
    case ZS_FORMAT_NPY:
        return "npy";
    case ZS_FORMAT_BIN:
        return "bin";
    case ZS_FORMAT_RAW:
        return "raw";
    }
    return "invalid";
}

zs_token_format zs_token_format_from_path(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return ZS_FORMAT_RAW;
    if (strcasecmp(dot, ".npy") == 0) return ZS_FORMAT_NPY;
    if (strcasecmp(dot, ".bin") == 0) return ZS_FORMAT_BIN;
    return ZS_FORMAT_RAW;
}
