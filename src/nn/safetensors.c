/* safetensors writer: the dtype names and sizes, and one whole file (8-byte length, JSON
 * header padded with spaces so the data starts 8-byte aligned, tensors contiguous in the
 * given order) written atomically. The reader is safetensors_read.c; docs/formats.md. */
#include "zipscale/nn.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "safetensors data is little-endian: written and mapped as the host stores it");

static const struct {
    const char *name;
    size_t bytes;
} dtypes[] = {
    [ZS_SAFETENSORS_F32] = {"F32", 4},   [ZS_SAFETENSORS_F64] = {"F64", 8},
    [ZS_SAFETENSORS_BF16] = {"BF16", 2}, [ZS_SAFETENSORS_I32] = {"I32", 4},
    [ZS_SAFETENSORS_U32] = {"U32", 4},   [ZS_SAFETENSORS_I64] = {"I64", 8},
    [ZS_SAFETENSORS_U64] = {"U64", 8},   [ZS_SAFETENSORS_U8] = {"U8", 1},
};
enum { N_DTYPES = sizeof dtypes / sizeof dtypes[0] };

const char *zs_safetensors_dtype_name(zs_safetensors_dtype dtype) {
    return (unsigned)dtype < N_DTYPES ? dtypes[dtype].name : "?";
}

size_t zs_safetensors_dtype_bytes(zs_safetensors_dtype dtype) {
    return (unsigned)dtype < N_DTYPES ? dtypes[dtype].bytes : 0;
}

/* The tensor's size in bytes, or a usage error when the dtype, rank or size is invalid. */
static zs_status tensor_bytes(const char *path, const zs_safetensors_tensor *t, uint64_t *bytes,
                              zs_error *err) {
    if ((unsigned)t->dtype >= N_DTYPES)
        return zs_fail(err, ZS_ERR_USAGE, "%s: tensor '%s': unknown dtype %d", path, t->name,
                       (int)t->dtype);
    if (t->ndim < 0 || t->ndim > ZS_TENSOR_MAX_DIMS)
        return zs_fail(err, ZS_ERR_USAGE, "%s: tensor '%s': %d dimensions, expected 0 to %d", path,
                       t->name, t->ndim, ZS_TENSOR_MAX_DIMS);
    uint64_t n = dtypes[t->dtype].bytes;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] > (uint64_t)INT64_MAX || (t->shape[d] && n > INT64_MAX / t->shape[d]))
            return zs_fail(err, ZS_ERR_USAGE, "%s: tensor '%s': size overflows 2^63 bytes", path,
                           t->name);
        n *= t->shape[d];
    }
    if (n && !t->data) return zs_fail(err, ZS_ERR_USAGE, "%s: tensor '%s': no data", path, t->name);
    *bytes = n;
    return ZS_OK;
}

static zs_status check_names(const char *path, const zs_safetensors_tensor *tensors,
                             size_t n_tensors, const zs_safetensors_meta *meta, size_t n_meta,
                             zs_error *err) {
    for (size_t i = 0; i < n_tensors; i++) {
        const char *name = tensors[i].name;
        if (!name || !*name || strcmp(name, "__metadata__") == 0)
            return zs_fail(err, ZS_ERR_USAGE, "%s: tensor %zu: name '%s' is empty or reserved",
                           path, i, name ? name : "");
        for (size_t j = 0; j < i; j++)
            if (strcmp(tensors[j].name, name) == 0)
                return zs_fail(err, ZS_ERR_USAGE, "%s: tensor '%s' appears twice", path, name);
    }
    for (size_t i = 0; i < n_meta; i++) {
        if (!meta[i].key || !meta[i].value)
            return zs_fail(err, ZS_ERR_USAGE, "%s: metadata %zu: NULL key or value", path, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(meta[j].key, meta[i].key) == 0)
                return zs_fail(err, ZS_ERR_USAGE, "%s: metadata '%s' appears twice", path,
                               meta[i].key);
    }
    return ZS_OK;
}

/* One header entry {"dtype", "shape", "data_offsets"}; NULL when out of memory. */
static json_t *tensor_entry(const zs_safetensors_tensor *t, uint64_t begin, uint64_t end) {
    json_t *shape = json_array();
    for (int d = 0; shape && d < t->ndim; d++)
        json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
    return json_pack("{s:s, s:o, s:[I,I]}", "dtype", dtypes[t->dtype].name, "shape", shape,
                     "data_offsets", (json_int_t)begin, (json_int_t)end);
}

/* The header JSON, its tensors' offsets assigned in order; *header is a malloc'd string. */
static zs_status build_header(const char *path, const zs_safetensors_tensor *tensors,
                              size_t n_tensors, const zs_safetensors_meta *meta, size_t n_meta,
                              char **header, zs_error *err) {
    json_t *root = json_object();
    json_t *md = n_meta ? json_object() : NULL;
    zs_status s = ZS_OK;
    if (!root || (n_meta && (!md || json_object_set(root, "__metadata__", md) != 0))) {
        s = zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory building the header", path);
        goto done;
    }
    for (size_t i = 0; i < n_meta; i++) {
        json_t *value = json_string(meta[i].value);
        if (!value || json_object_set_new(md, meta[i].key, value) != 0) {
            s = zs_fail(err, ZS_ERR_USAGE, "%s: metadata '%s': key and value must be UTF-8", path,
                        meta[i].key);
            goto done;
        }
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < n_tensors; i++) {
        uint64_t bytes;
        if ((s = tensor_bytes(path, &tensors[i], &bytes, err))) goto done;
        if (bytes > (uint64_t)INT64_MAX - offset) {
            s = zs_fail(err, ZS_ERR_USAGE, "%s: the tensors' data overflows 2^63 bytes", path);
            goto done;
        }
        json_t *entry = tensor_entry(&tensors[i], offset, offset + bytes);
        if (!entry) {
            s = zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory building the header", path);
            goto done;
        }
        if (json_object_set_new(root, tensors[i].name, entry) != 0) {
            s = zs_fail(err, ZS_ERR_USAGE, "%s: tensor '%s': the name must be UTF-8", path,
                        tensors[i].name);
            goto done;
        }
        offset += bytes;
    }
    *header = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!*header) s = zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory building the header", path);
done:
    json_decref(md);
    json_decref(root);
    return s;
}

static zs_status write_all(zs_atomic_file *f, const void *data, size_t bytes, zs_error *err) {
    if (bytes && fwrite(data, 1, bytes, f->fp) != bytes)
        return zs_fail(err, ZS_ERR_IO, "%s: write failed: %s", f->path, strerror(errno));
    return ZS_OK;
}

static zs_status write_file(const char *path, const char *header,
                            const zs_safetensors_tensor *tensors, size_t n_tensors, zs_error *err) {
    size_t header_bytes = strlen(header);
    size_t padded = (header_bytes + 7) / 8 * 8; /* 8 + padded is a multiple of 8 */
    unsigned char length[8];
    for (int i = 0; i < 8; i++) length[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    static const char spaces[8] = "        ";
    zs_atomic_file f;
    zs_status s = zs_atomic_open(&f, path, err);
    if (s) return s;
    s = write_all(&f, length, sizeof length, err);
    if (!s) s = write_all(&f, header, header_bytes, err);
    if (!s) s = write_all(&f, spaces, padded - header_bytes, err);
    for (size_t i = 0; i < n_tensors && !s; i++) {
        uint64_t bytes = 0;
        s = tensor_bytes(path, &tensors[i], &bytes, err);
        if (!s) s = write_all(&f, tensors[i].data, (size_t)bytes, err);
    }
    if (s) {
        zs_atomic_abort(&f);
        return s;
    }
    return zs_atomic_commit(&f, err);
}

zs_status zs_safetensors_write(const char *path, const zs_safetensors_tensor *tensors,
                               size_t n_tensors, const zs_safetensors_meta *meta, size_t n_meta,
                               zs_error *err) {
    zs_status s = check_names(path, tensors, n_tensors, meta, n_meta, err);
    if (s) return s;
    char *header = NULL;
    s = build_header(path, tensors, n_tensors, meta, n_meta, &header, err);
    if (!s) s = write_file(path, header, tensors, n_tensors, err);
    free(header);
    return s;
}
