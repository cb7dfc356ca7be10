/* NumPy .npy headers: the magic and version, and the Python dict literal that gives
 * descr, fortran_order and shape. Reads versions 1.0, 2.0 and 3.0; writes 1.0, padded so
 * the array starts on a 64-byte boundary as numpy.save does. Layout: docs/formats.md. */
#include "data/token_formats.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
enum { NPY_ALIGN_BYTES = 64, NPY_MAX_DIMS = 32 };

/* A cursor over the header dict; errors give the 1-based column within it. */
typedef struct {
    const char *path;
    const char *text;
    size_t len, pos;
    zs_error *err;
    int allow_f32; /* accept '<f4' (zs_npy_read_f32) instead of the token dtypes */
} dict_cursor;

static zs_status expected(dict_cursor *c, const char *what) {
    char found[24];
    if (c->pos >= c->len)
        snprintf(found, sizeof found, "end of header");
    else
        snprintf(found, sizeof found, "'%c'", c->text[c->pos]);
    return zs_fail(c->err, ZS_ERR_FORMAT, "%s: npy header, column %zu: expected %s, found %s",
                   c->path, c->pos + 1, what, found);
}

static void skip_space(dict_cursor *c) {
    while (c->pos < c->len && isspace((unsigned char)c->text[c->pos])) c->pos++;
}

static int accept(dict_cursor *c, char ch) {
    skip_space(c);
    if (c->pos < c->len && c->text[c->pos] == ch) {
        c->pos++;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes (all the header ever holds). */
static zs_status parse_string(dict_cursor *c, char *out, size_t cap) {
    skip_space(c);
    char quote = c->pos < c->len ? c->text[c->pos] : 0;
    if (quote != '\'' && quote != '"') return expected(c, "a quoted string");
    size_t start = ++c->pos;
    while (c->pos < c->len && c->text[c->pos] != quote) c->pos++;
    if (c->pos >= c->len) return expected(c, "a closing quote");
    size_t n = c->pos - start;
    if (n >= cap) return expected(c, "a shorter string");
    memcpy(out, c->text + start, n);
    out[n] = '\0';
    c->pos++;
    return ZS_OK;
}

static zs_status parse_bool(dict_cursor *c, int *value) {
    skip_space(c);
    const char *p = c->text + c->pos;
    size_t left = c->len - c->pos;
    if (left >= 4 && memcmp(p, "True", 4) == 0)
        *value = 1, c->pos += 4;
    else if (left >= 5 && memcmp(p, "False", 5) == 0)
        *value = 0, c->pos += 5;
    else
        return expected(c, "True or False");
    return ZS_OK;
}

/* A tuple of non-negative integers: (), (7,), (3, 4), with an optional trailing comma. */
static zs_status parse_shape(dict_cursor *c, uint64_t *dims, int *ndim) {
    if (!accept(c, '(')) return expected(c, "'(' starting the shape tuple");
    *ndim = 0;
    while (!accept(c, ')')) {
        skip_space(c);
        if (c->pos >= c->len || !isdigit((unsigned char)c->text[c->pos]))
            return expected(c, "a non-negative integer dimension");
        uint64_t v = 0;
        while (c->pos < c->len && isdigit((unsigned char)c->text[c->pos])) {
            unsigned digit = (unsigned)(c->text[c->pos] - '0');
            if (v > (UINT64_MAX - digit) / 10) return expected(c, "a dimension below 2^64");
            v = v * 10 + digit;
            c->pos++;
        }
        if (*ndim == NPY_MAX_DIMS) return expected(c, "at most 32 dimensions");
        dims[(*ndim)++] = v;
        if (!accept(c, ',')) {
            if (!accept(c, ')')) return expected(c, "',' or ')' in the shape tuple");
            break;
        }
    }
    return ZS_OK;
}

static void format_shape(char *buf, size_t cap, const uint64_t *dims, int ndim) {
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %llu" : "%llu", (unsigned long long)dims[i]);
    if (n < cap) snprintf(buf + n, cap - n, ndim == 1 ? ",)" : ")");
}

/* Maps a descr to our dtype, or explains why not: byte order, or a kind we do not read. */
static zs_status check_descr(const char *path, const char *descr, zs_dtype *dtype, zs_error *err) {
    if (zs_dtype_parse(descr, dtype, NULL) == ZS_OK) return ZS_OK;
    if (descr[0] == '>')
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: unsupported dtype '%s': big-endian (expected little-endian '<')", path,
                       descr);
    return zs_fail(err, ZS_ERR_FORMAT,
                   "%s: unsupported dtype '%s' (expected uint8, uint16, uint32, int32 or int64: "
                   "'|u1', '<u2', '<u4', '<i4' or '<i8')",
                   path, descr);
}

/* The dict: exactly the keys descr, fortran_order and shape, in any order. */
static zs_status parse_dict(dict_cursor *c, zs_npy_header *h) {
    char descr[32] = "";
    int fortran = 0, seen[3] = {0, 0, 0}, ndim = 0;
    uint64_t dims[NPY_MAX_DIMS];
    zs_status s;
    if (!accept(c, '{')) return expected(c, "'{' starting the header dict");
    while (!accept(c, '}')) {
        char key[32];
        size_t key_pos = c->pos;
        if ((s = parse_string(c, key, sizeof key))) return s;
        if (!accept(c, ':')) return expected(c, "':' after a key");
        int which = strcmp(key, "descr") == 0           ? 0
                    : strcmp(key, "fortran_order") == 0 ? 1
                    : strcmp(key, "shape") == 0         ? 2
                                                        : -1;
        if (which < 0 || seen[which]) {
            c->pos = key_pos;
            skip_space(c);
            return expected(c, which < 0 ? "one of the keys 'descr', 'fortran_order', 'shape'"
                                         : "each key once");
        }
        seen[which] = 1;
        if (which == 0)
            s = parse_string(c, descr, sizeof descr);
        else if (which == 1)
            s = parse_bool(c, &fortran);
        else
            s = parse_shape(c, dims, &ndim);
        if (s) return s;
        if (!accept(c, ',')) {
            if (!accept(c, '}')) return expected(c, "',' or '}' after a value");
            break;
        }
    }
    if (!seen[0] || !seen[1] || !seen[2])
        return zs_fail(c->err, ZS_ERR_FORMAT, "%s: npy header lacks the key '%s'", c->path,
                       !seen[0]   ? "descr"
                       : !seen[1] ? "fortran_order"
                                  : "shape");
    h->float32 = 0;
    if (c->allow_f32) {
        if (strcmp(descr, "<f4") != 0)
            return zs_fail(c->err, ZS_ERR_FORMAT,
                           "%s: unsupported dtype '%s' (expected float32, '<f4')", c->path, descr);
        h->float32 = 1;
    } else if ((s = check_descr(c->path, descr, &h->dtype, c->err))) {
        return s;
    }
    if (fortran)
        return zs_fail(c->err, ZS_ERR_FORMAT,
                       "%s: unsupported layout: fortran_order is True (expected C order)", c->path);
    if (ndim < 1 || ndim > 2) {
        char shape[256];
        format_shape(shape, sizeof shape, dims, ndim);
        return zs_fail(c->err, ZS_ERR_FORMAT, "%s: unsupported shape %s: %d-D (expected %s)",
                       c->path, shape, ndim,
                       c->allow_f32 ? "1-D or 2-D" : "1-D tokens or 2-D documents x context");
    }
    h->ndim = ndim;
    h->shape[0] = dims[0];
    h->shape[1] = ndim == 2 ? dims[1] : 0;
    return ZS_OK;
}

zs_status zs_npy_header_parse(const char *path, const unsigned char *data, size_t size,
                              zs_npy_header *h, zs_error *err) {
    return zs_npy_header_parse_as(path, data, size, 0, h, err);
}

zs_status zs_npy_header_parse_as(const char *path, const unsigned char *data, size_t size,
                                 int float32, zs_npy_header *h, zs_error *err) {
    if (size < 10 || memcmp(data, npy_magic, sizeof npy_magic) != 0)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: bad magic: not a NumPy .npy file", path);
    h->major = data[6];
    h->minor = data[7];
    if (h->major < 1 || h->major > 3 || h->minor != 0)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: unsupported npy format version %d.%d (expected 1.0, 2.0 or 3.0)", path,
                       h->major, h->minor);
    size_t prefix_bytes = h->major == 1 ? 10 : 12;
    if (size < prefix_bytes)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: truncated: %zu bytes, shorter than the header",
                       path, size);
    size_t header_bytes = h->major == 1 ? (size_t)data[8] | (size_t)data[9] << 8
                                        : (size_t)data[8] | (size_t)data[9] << 8 |
                                              (size_t)data[10] << 16 | (size_t)data[11] << 24;
    if (header_bytes > size - prefix_bytes)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: truncated: the header says it is %zu bytes but %zu bytes follow", path,
                       header_bytes, size - prefix_bytes);
    dict_cursor c = {path, (const char *)data + prefix_bytes, header_bytes, 0, err, float32};
    zs_status s = parse_dict(&c, h);
    if (s) return s;
    /* The element count must fit in 64 bits; an empty array may not claim more rows than the
     * file has bytes ((0, C) is fine, (R, 0) with R that large is not). */
    uint64_t count = 1;
    for (int i = 0; i < h->ndim; i++) {
        if (h->shape[i] && count > UINT64_MAX / h->shape[i])
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: shape: %" PRIu64 " x %" PRIu64 " overflows 64 bits, expected a "
                           "shape the file can hold",
                           path, h->shape[0], h->shape[1]);
        count *= h->shape[i];
    }
    for (int i = 0; count == 0 && i < h->ndim && h->shape[i]; i++)
        if (h->shape[i] > size)
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: shape: dimension %d is %" PRIu64 " in an empty array of a %zu-byte "
                           "file, expected at most the file's size",
                           path, i, h->shape[i], size);
    h->data_offset_bytes = prefix_bytes + header_bytes;
    return ZS_OK;
}

size_t zs_npy_header_format(char *buf, size_t cap, zs_dtype dtype, int ndim,
                            const uint64_t *shape) {
    static const char *const descr[] = {[ZS_DTYPE_U8] = "|u1",
                                        [ZS_DTYPE_U16] = "<u2",
                                        [ZS_DTYPE_U32] = "<u4",
                                        [ZS_DTYPE_I32] = "<i4",
                                        [ZS_DTYPE_I64] = "<i8"};
    char shape_text[128], dict[256];
    format_shape(shape_text, sizeof shape_text, shape, ndim);
    int dict_len =
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                 descr[dtype], shape_text);
    /* 10 bytes of magic, version and length, then the dict, spaces, and '\n'. */
    size_t unpadded = 10 + (size_t)dict_len + 1;
    size_t total = (unpadded + NPY_ALIGN_BYTES - 1) / NPY_ALIGN_BYTES * NPY_ALIGN_BYTES;
    if (total > cap) return 0;
    size_t header_bytes = total - 10;
    memcpy(buf, npy_magic, sizeof npy_magic);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)(header_bytes & 0xff);
    buf[9] = (char)(header_bytes >> 8);
    memcpy(buf + 10, dict, (size_t)dict_len);
    memset(buf + 10 + dict_len, ' ', total - 1 - 10 - (size_t)dict_len);
    buf[total - 1] = '\n';
    return total;
}
