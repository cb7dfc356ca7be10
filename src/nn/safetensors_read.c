/* safetensors reader: maps the file, validates every header field, offset and size on open
 * (a truncated or hand-damaged file is refused with a message naming the file and the
 * tensor or field), then serves tensors in file order, by name, and typed copies. */
#include "zipscale/nn.h"
#include "nn/safetensors_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

typedef struct {
    zs_safetensors_tensor t;
    uint64_t begin, end; /* data_offsets, relative to the data start */
    size_t order;        /* position in the header */
} entry;

struct zs_safetensors {
    char *path;
    zs_mmap map;
    json_t *root;     /* owns the names and metadata strings */
    json_t *metadata; /* borrowed from root; NULL when the file has none */
    entry *entries;   /* sorted by data offset */
    size_t n;
};

const char *zs_safetensors_shape_text(char *buf, size_t cap, int ndim, const uint64_t *shape) {
    size_t used = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && used < cap; d++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%" PRIu64, d ? ", " : "", shape[d]);
    if (used < cap) snprintf(buf + used, cap - used, "]");
    return buf;
}

/* Fails with "PATH: tensor 'NAME': field 'FIELD': expected WHAT". */
static zs_status bad_field(const zs_safetensors *st, const char *name, const char *field,
                           const char *what, zs_error *err) {
    char label[ZS_ERROR_MSG_MAX];
    snprintf(label, sizeof label, "tensor '%s'", name);
    zs_json_reader rd = {st->path, err, label, 1};
    return zs_json_fail(&rd, NULL, field, what);
}

static zs_status parse_dtype(const zs_safetensors *st, const char *name, json_t *obj,
                             zs_safetensors_dtype *out, zs_error *err) {
    json_t *v = json_object_get(obj, "dtype");
    if (!json_is_string(v)) return bad_field(st, name, "dtype", "a string", err);
    /* the enum runs from ZS_SAFETENSORS_F32 to ZS_SAFETENSORS_U8 */
    for (int d = ZS_SAFETENSORS_F32; d <= ZS_SAFETENSORS_U8; d++) {
        if (strcmp(json_string_value(v), zs_safetensors_dtype_name((zs_safetensors_dtype)d)) == 0) {
            *out = (zs_safetensors_dtype)d;
            return ZS_OK;
        }
    }
    return zs_fail(err, ZS_ERR_FORMAT,
                   "%s: tensor '%s': unknown dtype '%s' (expected F32, F64, BF16, I32, U32, I64, "
                   "U64 or U8)",
                   st->path, name, json_string_value(v));
}

static zs_status parse_shape(const zs_safetensors *st, const char *name, json_t *obj,
                             zs_safetensors_tensor *t, zs_error *err) {
    json_t *v = json_object_get(obj, "shape");
    if (!json_is_array(v)) return bad_field(st, name, "shape", "an array of integers", err);
    if (json_array_size(v) > ZS_TENSOR_MAX_DIMS)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: tensor '%s': field 'shape': %zu dimensions, at most %d supported",
                       st->path, name, json_array_size(v), ZS_TENSOR_MAX_DIMS);
    t->ndim = (int)json_array_size(v);
    for (int d = 0; d < t->ndim; d++) {
        json_t *dim = json_array_get(v, (size_t)d);
        if (!json_is_integer(dim) || json_integer_value(dim) < 0)
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: tensor '%s': field 'shape': dimension %d: expected a "
                           "non-negative integer",
                           st->path, name, d);
        t->shape[d] = (uint64_t)json_integer_value(dim);
    }
    return ZS_OK;
}

static zs_status parse_offsets(const zs_safetensors *st, const char *name, json_t *obj, entry *e,
                               zs_error *err) {
    json_t *v = json_object_get(obj, "data_offsets");
    json_t *b = json_array_get(v, 0), *en = json_array_get(v, 1);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(b) ||
        !json_is_integer(en) || json_integer_value(b) < 0 ||
        json_integer_value(en) < json_integer_value(b))
        return bad_field(st, name, "data_offsets", "[begin, end] with 0 <= begin <= end", err);
    e->begin = (uint64_t)json_integer_value(b);
    e->end = (uint64_t)json_integer_value(en);
    return ZS_OK;
}

/* The shape's size in bytes must be what data_offsets span, and lie inside the data. */
static zs_status check_extent(const zs_safetensors *st, const char *name, const entry *e,
                              uint64_t data_bytes, zs_error *err) {
    char buf[160];
    uint64_t bytes = zs_safetensors_dtype_bytes(e->t.dtype);
    for (int d = 0; d < e->t.ndim; d++) {
        if (e->t.shape[d] && bytes > UINT64_MAX / e->t.shape[d])
            return zs_fail(err, ZS_ERR_FORMAT, "%s: tensor '%s': shape %s is too large", st->path,
                           name, zs_safetensors_shape_text(buf, sizeof buf, e->t.ndim, e->t.shape));
        bytes *= e->t.shape[d];
    }
    if (e->end - e->begin != bytes)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] span %" PRIu64
                       " bytes, but %s shape %s needs %" PRIu64,
                       st->path, name, e->begin, e->end, e->end - e->begin,
                       zs_safetensors_dtype_name(e->t.dtype),
                       zs_safetensors_shape_text(buf, sizeof buf, e->t.ndim, e->t.shape), bytes);
    if (e->end > data_bytes)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
                       "] run past the end of the data (%" PRIu64 " bytes): truncated file?",
                       st->path, name, e->begin, e->end, data_bytes);
    return ZS_OK;
}

static zs_status parse_metadata(zs_safetensors *st, json_t *md, zs_error *err) {
    if (!json_is_object(md))
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: '__metadata__': expected an object of string values", st->path);
    const char *key;
    json_t *value;
    json_object_foreach(md, key, value) {
        if (!json_is_string(value))
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: '__metadata__': key '%s': expected a string value", st->path, key);
    }
    st->metadata = md;
    return ZS_OK;
}

static zs_status parse_entry(zs_safetensors *st, const char *name, json_t *obj, uint64_t data_bytes,
                             zs_error *err) {
    if (!json_is_object(obj))
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: tensor '%s': expected an object {dtype, shape, data_offsets}", st->path,
                       name);
    entry *e = &st->entries[st->n];
    memset(e, 0, sizeof *e);
    e->t.name = name;
    e->order = st->n;
    zs_status s;
    if ((s = parse_dtype(st, name, obj, &e->t.dtype, err))) return s;
    if ((s = parse_shape(st, name, obj, &e->t, err))) return s;
    if ((s = parse_offsets(st, name, obj, e, err))) return s;
    if ((s = check_extent(st, name, e, data_bytes, err))) return s;
    st->n++;
    return ZS_OK;
}

static int by_offset(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1; /* empty tensors first */
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorted by offset, the tensors must tile the data exactly: no overlap, gap or tail. */
static zs_status check_tiling(const zs_safetensors *st, uint64_t data_bytes, zs_error *err) {
    uint64_t at = 0;
    for (size_t i = 0; i < st->n; i++) {
        const entry *e = &st->entries[i];
        if (e->begin < at)
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
                           "] overlap tensor '%s' [%" PRIu64 ", %" PRIu64 "]",
                           st->path, e->t.name, e->begin, e->end, st->entries[i - 1].t.name,
                           st->entries[i - 1].begin, st->entries[i - 1].end);
        if (e->begin > at)
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: tensor '%s': a gap of %" PRIu64
                           " bytes before its data_offsets [%" PRIu64 ", %" PRIu64 "]",
                           st->path, e->t.name, e->begin - at, e->begin, e->end);
        at = e->end;
    }
    if (at != data_bytes)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: %" PRIu64
                       " bytes after the last tensor's data (the tensors end at %" PRIu64 ")",
                       st->path, data_bytes - at, at);
    return ZS_OK;
}

static zs_status parse_header(zs_safetensors *st, zs_error *err) {
    const unsigned char *bytes = st->map.data;
    if (st->map.size < 8)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: %zu bytes, shorter than the 8-byte header length: truncated file?",
                       st->path, st->map.size);
    uint64_t header_bytes = 0;
    for (int i = 0; i < 8; i++) header_bytes |= (uint64_t)bytes[i] << (8 * i);
    if (header_bytes > st->map.size - 8)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: a header of %" PRIu64
                       " bytes runs past the end of the file (%zu bytes): truncated file?",
                       st->path, header_bytes, st->map.size);
    json_error_t jerr;
    st->root =
        json_loadb((const char *)bytes + 8, (size_t)header_bytes, JSON_REJECT_DUPLICATES, &jerr);
    if (!st->root)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: header JSON line %d column %d: %s", st->path,
                       jerr.line, jerr.column, jerr.text);
    if (!json_is_object(st->root))
        return zs_fail(err, ZS_ERR_FORMAT, "%s: header: expected a JSON object", st->path);
    st->entries =
        zs_calloc(json_object_size(st->root) + 1, sizeof *st->entries, "safetensors entries", err);
    if (!st->entries) return ZS_ERR_NOMEM;
    uint64_t data_bytes = st->map.size - 8 - header_bytes;
    const unsigned char *data = bytes + 8 + header_bytes;
    const char *key;
    json_t *value;
    json_object_foreach(st->root, key, value) {
        zs_status s = strcmp(key, "__metadata__") == 0
                          ? parse_metadata(st, value, err)
                          : parse_entry(st, key, value, data_bytes, err);
        if (s) return s;
    }
    qsort(st->entries, st->n, sizeof *st->entries, by_offset);
    for (size_t i = 0; i < st->n; i++) st->entries[i].t.data = data + st->entries[i].begin;
    return check_tiling(st, data_bytes, err);
}

zs_status zs_safetensors_open(zs_safetensors **out, const char *path, zs_error *err) {
    *out = NULL;
    zs_safetensors *st = zs_calloc(1, sizeof *st, "safetensors file", err);
    if (!st) return ZS_ERR_NOMEM;
    st->path = strdup(path);
    if (!st->path) {
        free(st);
        return zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory", path);
    }
    zs_status s = zs_mmap_open(&st->map, path, err);
    if (!s) s = parse_header(st, err);
    if (s) {
        zs_safetensors_close(st);
        return s;
    }
    *out = st;
    return ZS_OK;
}

void zs_safetensors_close(zs_safetensors *st) {
    if (!st) return;
    json_decref(st->root);
    zs_mmap_close(&st->map);
    free(st->entries);
    free(st->path);
    free(st);
}

size_t zs_safetensors_count(const zs_safetensors *st) {
    return st->n;
}

const zs_safetensors_tensor *zs_safetensors_tensor_at(const zs_safetensors *st, size_t i) {
    return i < st->n ? &st->entries[i].t : NULL;
}

const zs_safetensors_tensor *zs_safetensors_find(const zs_safetensors *st, const char *name) {
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->entries[i].t.name, name) == 0) return &st->entries[i].t;
    return NULL;
}

const char *zs_safetensors_meta_value(const zs_safetensors *st, const char *key) {
    return st->metadata ? json_string_value(json_object_get(st->metadata, key)) : NULL;
}

const char *zs_safetensors_path(const zs_safetensors *st) {
    return st->path;
}

zs_status zs_safetensors_read(const zs_safetensors *st, const char *name,
                              zs_safetensors_dtype dtype, int ndim, const uint64_t *shape,
                              void *dst, zs_error *err) {
    if (ndim < 0 || ndim > ZS_TENSOR_MAX_DIMS)
        return zs_fail(err, ZS_ERR_USAGE,
                       "%s: tensor '%s': %d dimensions requested, expected 0 to %d", st->path, name,
                       ndim, ZS_TENSOR_MAX_DIMS);
    const zs_safetensors_tensor *t = zs_safetensors_find(st, name);
    if (!t) return zs_fail(err, ZS_ERR_FORMAT, "%s: no tensor '%s'", st->path, name);
    int same = t->dtype == dtype && t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same) {
        char want[160], found[160];
        return zs_fail(err, ZS_ERR_FORMAT, "%s: tensor '%s': expected %s shape %s, found %s %s",
                       st->path, name, zs_safetensors_dtype_name(dtype),
                       zs_safetensors_shape_text(want, sizeof want, ndim, shape),
                       zs_safetensors_dtype_name(t->dtype),
                       zs_safetensors_shape_text(found, sizeof found, t->ndim, t->shape));
    }
    size_t bytes = zs_safetensors_dtype_bytes(dtype);
    for (int d = 0; d < ndim; d++) bytes *= (size_t)shape[d];
    if (bytes) memcpy(dst, t->data, bytes);
    return ZS_OK;
}
