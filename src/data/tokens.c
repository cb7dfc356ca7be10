/* Token files: open (map, validate header, shape, byte count and ids), random access,
 * id scans, and atomic writes in any format and dtype. Generators write through here;
 * gzip measurement and training read through here. Layouts: docs/formats.md. */
#include "data/token_formats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- element access: memcpy loads, since a mapped array need not be aligned ---- */

static int64_t load_id(zs_dtype dtype, const unsigned char *base, uint64_t i) {
    switch (dtype) {
    case ZS_DTYPE_U8:
        return base[i];
    case ZS_DTYPE_U16: {
        uint16_t v;
        memcpy(&v, base + 2 * i, 2);
        return v;
    }
    case ZS_DTYPE_U32: {
        uint32_t v;
        memcpy(&v, base + 4 * i, 4);
        return v;
    }
    case ZS_DTYPE_I32: {
        int32_t v;
        memcpy(&v, base + 4 * i, 4);
        return v;
    }
    case ZS_DTYPE_I64: {
        int64_t v;
        memcpy(&v, base + 8 * i, 8);
        return v;
    }
    }
    return 0;
}

static void store_id(zs_dtype dtype, unsigned char *base, size_t i, int64_t id) {
    uint16_t u16 = (uint16_t)id;
    uint32_t u32 = (uint32_t)id;
    int32_t i32 = (int32_t)id;
    switch (dtype) {
    case ZS_DTYPE_U8:
        base[i] = (unsigned char)id;
        break;
    case ZS_DTYPE_U16:
        memcpy(base + 2 * i, &u16, 2);
        break;
    case ZS_DTYPE_U32:
        memcpy(base + 4 * i, &u32, 4);
        break;
    case ZS_DTYPE_I32:
        memcpy(base + 4 * i, &i32, 4);
        break;
    case ZS_DTYPE_I64:
        memcpy(base + 8 * i, &id, 8);
        break;
    }
}

static void dtype_limits(zs_dtype dtype, int64_t *lo, int64_t *hi) {
    *lo = *hi = 0;
    switch (dtype) {
    case ZS_DTYPE_U8:
        *lo = 0, *hi = UINT8_MAX;
        return;
    case ZS_DTYPE_U16:
        *lo = 0, *hi = UINT16_MAX;
        return;
    case ZS_DTYPE_U32:
        *lo = 0, *hi = UINT32_MAX;
        return;
    case ZS_DTYPE_I32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        return;
    case ZS_DTYPE_I64:
        *lo = INT64_MIN, *hi = INT64_MAX;
        return;
    }
}

uint64_t zs_tokens_at(const zs_tokens *t, uint64_t i) {
    return (uint64_t)load_id(t->dtype, t->tokens, i);
}

/* ---- scanning ---- */

/* Scans all ids for the range; fails at the first negative id or, when vocab_size > 0,
 * the first id >= vocab_size, naming its index. */
static zs_status scan_ids(const zs_tokens *t, uint64_t vocab_size, const char *vocab_source,
                          uint64_t *min_id, uint64_t *max_id, zs_error *err) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    const unsigned char *base = t->tokens;
    for (uint64_t i = 0; i < t->n_tokens; i++) {
        int64_t id = load_id(t->dtype, base, i);
        if (id < lo) lo = id;
        if (id > hi) hi = id;
        if (id < 0)
            return zs_fail(err, ZS_ERR_RANGE,
                           "%s: token %" PRIu64 " is id %" PRId64 ": ids must be >= 0", t->path, i,
                           id);
        if (vocab_size && (uint64_t)id >= vocab_size)
            return zs_fail(err, ZS_ERR_RANGE,
                           "%s: token %" PRIu64 " is id %" PRId64
                           ", not below the vocabulary size %" PRIu64 " (%s)",
                           t->path, i, id, vocab_size, vocab_source);
    }
    if (min_id) *min_id = t->n_tokens ? (uint64_t)lo : 0;
    if (max_id) *max_id = t->n_tokens ? (uint64_t)hi : 0;
    return ZS_OK;
}

zs_status zs_tokens_id_range(const zs_tokens *t, uint64_t *min_id, uint64_t *max_id,
                             zs_error *err) {
    if (min_id) *min_id = 0;
    if (max_id) *max_id = 0;
    if (t->n_tokens == 0)
        return zs_fail(err, ZS_ERR_RANGE, "%s: no tokens, so no id range", t->path);
    return scan_ids(t, 0, NULL, min_id, max_id, err);
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Ids up to 2^30 are counted with a bitmap (at most 128 MiB); larger ones by sorting. */
zs_status zs_tokens_count_distinct(const zs_tokens *t, uint64_t *n_distinct, zs_error *err) {
    uint64_t min_id = 0, max_id = 0, count = 0;
    *n_distinct = 0;
    if (t->n_tokens == 0) return ZS_OK;
    zs_status s = scan_ids(t, 0, NULL, &min_id, &max_id, err);
    if (s) return s;
    if (max_id < (1ull << 30)) {
        uint64_t *bits = zs_calloc(max_id / 64 + 1, sizeof *bits, "distinct-id bitmap", err);
        if (!bits) return ZS_ERR_NOMEM;
        for (uint64_t i = 0; i < t->n_tokens; i++) {
            uint64_t id = zs_tokens_at(t, i), mask = 1ull << (id % 64);
            count += !(bits[id / 64] & mask);
            bits[id / 64] |= mask;
        }
        free(bits);
    } else {
        uint64_t *ids = zs_calloc(t->n_tokens, sizeof *ids, "distinct-id sort", err);
        if (!ids) return ZS_ERR_NOMEM;
        for (uint64_t i = 0; i < t->n_tokens; i++) ids[i] = zs_tokens_at(t, i);
        qsort(ids, t->n_tokens, sizeof *ids, compare_u64);
        for (uint64_t i = 0; i < t->n_tokens; i++) count += i == 0 || ids[i] != ids[i - 1];
        free(ids);
    }
    *n_distinct = count;
    return ZS_OK;
}

zs_status zs_tokens_read_u32(const zs_tokens *t, uint64_t start, uint64_t count, uint32_t *out,
                             zs_error *err) {
    if (start > t->n_tokens || count > t->n_tokens - start)
        return zs_fail(err, ZS_ERR_RANGE,
                       "%s: tokens [%" PRIu64 ", %" PRIu64 ") lie outside its %" PRIu64 " tokens",
                       t->path, start, start + count, t->n_tokens);
    for (uint64_t k = 0; k < count; k++) {
        int64_t id = load_id(t->dtype, t->tokens, start + k);
        if (id < 0 || id > (int64_t)UINT32_MAX)
            return zs_fail(err, ZS_ERR_RANGE,
                           "%s: token %" PRIu64 " is id %" PRId64 ", which does not fit uint32",
                           t->path, start + k, id);
        out[k] = (uint32_t)id;
    }
    return ZS_OK;
}

/* ---- opening ---- */

/* "(7,)" or "(3, 4)" */
static void shape_text(char *buf, size_t cap, int ndim, const uint64_t *shape) {
    if (ndim == 1)
        snprintf(buf, cap, "(%" PRIu64 ",)", shape[0]);
    else
        snprintf(buf, cap, "(%" PRIu64 ", %" PRIu64 ")", shape[0], shape[1]);
}

/* The bytes after the header must hold exactly the header's tokens. */
static zs_status check_payload(zs_tokens *t, size_t offset_bytes, zs_error *err) {
    size_t elem = zs_dtype_size(t->dtype), follow = t->map.size - offset_bytes;
    if (t->n_tokens > SIZE_MAX / elem)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: header says %" PRIu64 " tokens: too many", t->path,
                       t->n_tokens);
    size_t need = (size_t)t->n_tokens * elem;
    if (follow < need)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: truncated: header says %" PRIu64 " tokens (%zu bytes) but %zu "
                       "bytes follow",
                       t->path, t->n_tokens, need, follow);
    if (follow > need) {
        char shape[64];
        shape_text(shape, sizeof shape, t->ndim, t->shape);
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: header says shape %s, %" PRIu64 " tokens (%zu bytes), but %zu bytes "
                       "follow",
                       t->path, shape, t->n_tokens, need, follow);
    }
    t->tokens = (const unsigned char *)t->map.data + offset_bytes;
    return ZS_OK;
}

static zs_status open_npy(zs_tokens *t, zs_error *err) {
    zs_npy_header h;
    zs_status s = zs_npy_header_parse(t->path, t->map.data, t->map.size, &h, err);
    if (s) return s;
    t->dtype = h.dtype;
    t->ndim = h.ndim;
    t->shape[0] = h.shape[0];
    t->shape[1] = h.shape[1];
    if (h.ndim == 2 && h.shape[1] && h.shape[0] > UINT64_MAX / h.shape[1])
        return zs_fail(err, ZS_ERR_FORMAT, "%s: shape too large", t->path);
    t->n_tokens = h.ndim == 2 ? h.shape[0] * h.shape[1] : h.shape[0];
    return check_payload(t, h.data_offset_bytes, err);
}

static zs_status open_bin(zs_tokens *t, zs_error *err) {
    zs_status s =
        zs_llmc_header_parse(t->path, t->map.data, t->map.size, &t->dtype, &t->n_tokens, err);
    if (s) return s;
    t->ndim = 1;
    t->shape[0] = t->n_tokens;
    return check_payload(t, ZS_LLMC_HEADER_BYTES, err);
}

static zs_status open_raw(zs_tokens *t, const zs_tokens_open_opts *opts, zs_error *err) {
    if (!opts || !opts->has_raw_dtype)
        return zs_fail_field(err, ZS_ERR_USAGE, "raw_dtype",
                             "%s: a raw token file needs its dtype given (raw_dtype, e.g. uint16)",
                             t->path);
    t->dtype = opts->raw_dtype;
    size_t elem = zs_dtype_size(t->dtype);
    if (t->map.size % elem)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: %zu bytes is not a multiple of the %s size (%zu bytes)", t->path,
                       t->map.size, zs_dtype_name(t->dtype), elem);
    t->n_tokens = t->map.size / elem;
    t->ndim = 1;
    t->shape[0] = t->n_tokens;
    if (opts->raw_context) {
        if (t->n_tokens % opts->raw_context)
            return zs_fail(err, ZS_ERR_FORMAT,
                           "%s: %" PRIu64 " tokens do not fill whole documents of %" PRIu64
                           " tokens",
                           t->path, t->n_tokens, opts->raw_context);
        t->ndim = 2;
        t->shape[0] = t->n_tokens / opts->raw_context;
        t->shape[1] = opts->raw_context;
    }
    t->tokens = t->map.data;
    return ZS_OK;
}

/* A sidecar that describes other data (a file replaced by hand, say) would lend the
 * file a false provenance: refuse it rather than trust it. */
static zs_status check_sidecar_matches(const zs_tokens *t, zs_error *err) {
    if (!t->has_sidecar) return ZS_OK;
    if (t->sidecar.n_tokens && t->sidecar.n_tokens != t->n_tokens)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s.json: n_tokens is %llu but %s holds %llu tokens: the sidecar "
                       "describes other data (regenerate the file, or remove the stale sidecar)",
                       t->path, (unsigned long long)t->sidecar.n_tokens, t->path,
                       (unsigned long long)t->n_tokens);
    if (t->ndim == 2 && t->sidecar.context && t->sidecar.context != t->shape[1])
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s.json: context is %llu but %s has rows of %llu tokens: the sidecar "
                       "describes other data (regenerate the file, or remove the stale sidecar)",
                       t->path, (unsigned long long)t->sidecar.context, t->path,
                       (unsigned long long)t->shape[1]);
    return ZS_OK;
}

static zs_status open_parts(zs_tokens *t, const zs_tokens_open_opts *opts, zs_error *err) {
    zs_status s = zs_mmap_open(&t->map, t->path, err);
    if (s) return s;
    switch (t->format) {
    case ZS_FORMAT_NPY:
        s = open_npy(t, err);
        break;
    case ZS_FORMAT_BIN:
        s = open_bin(t, err);
        break;
    case ZS_FORMAT_RAW:
        s = open_raw(t, opts, err);
        break;
    }
    if (s) return s;
    if ((s = zs_sidecar_read(t->path, &t->sidecar, &t->has_sidecar, err))) return s;
    if ((s = check_sidecar_matches(t, err))) return s;
    const char *vocab_source = "given";
    if (opts && opts->vocab_size) {
        t->vocab_size = opts->vocab_size;
    } else {
        t->vocab_size = t->sidecar.vocab_size;
        vocab_source = "declared by the sidecar";
    }
    if (opts && opts->skip_id_check) return ZS_OK;
    return scan_ids(t, t->vocab_size, vocab_source, NULL, NULL, err);
}

zs_status zs_tokens_open(zs_tokens *t, const char *path, const zs_tokens_open_opts *opts,
                         zs_error *err) {
    memset(t, 0, sizeof *t);
    zs_sidecar_init(&t->sidecar);
    t->format = zs_token_format_from_path(path);
    t->path = strdup(path);
    if (!t->path) return zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory", path);
    zs_status s = open_parts(t, opts, err);
    if (s) zs_tokens_close(t);
    return s;
}

void zs_tokens_close(zs_tokens *t) {
    if (!t) return;
    zs_mmap_close(&t->map);
    zs_sidecar_free(&t->sidecar);
    free(t->path);
    memset(t, 0, sizeof *t);
}

/* ---- writing ---- */

static zs_status check_layout(const char *path, const zs_tokens_layout *layout, uint64_t *n,
                              zs_error *err) {
    if (zs_dtype_size(layout->dtype) == 0)
        return zs_fail(err, ZS_ERR_USAGE, "%s: invalid dtype %d", path, (int)layout->dtype);
    if (layout->ndim != 1 && layout->ndim != 2)
        return zs_fail(err, ZS_ERR_USAGE, "%s: layout has %d dimensions (expected 1 or 2)", path,
                       layout->ndim);
    if (layout->ndim == 2 && layout->format != ZS_FORMAT_NPY)
        return zs_fail(err, ZS_ERR_USAGE,
                       "%s: 2-D documents x context is for .npy only; %s files are flat", path,
                       zs_token_format_name(layout->format));
    *n = layout->shape[0];
    if (layout->ndim == 2) {
        if (layout->shape[1] && *n > UINT64_MAX / layout->shape[1])
            return zs_fail(err, ZS_ERR_USAGE, "%s: shape too large", path);
        *n *= layout->shape[1];
    }
    return ZS_OK;
}

static zs_status write_header(zs_atomic_file *f, const char *path, const zs_tokens_layout *layout,
                              uint64_t n, zs_error *err) {
    if (layout->format == ZS_FORMAT_NPY) {
        char header[256];
        size_t bytes =
            zs_npy_header_format(header, sizeof header, layout->dtype, layout->ndim, layout->shape);
        if (bytes == 0) return zs_fail(err, ZS_ERR_INTERNAL, "%s: npy header too long", path);
        if (fwrite(header, 1, bytes, f->fp) != bytes) goto failed;
    } else if (layout->format == ZS_FORMAT_BIN) {
        int32_t header[ZS_LLMC_HEADER_INTS];
        zs_status s = zs_llmc_header_format(path, layout->dtype, n, header, err);
        if (s) return s;
        if (fwrite(header, 1, ZS_LLMC_HEADER_BYTES, f->fp) != ZS_LLMC_HEADER_BYTES) goto failed;
    }
    return ZS_OK;
failed:
    return zs_fail(err, ZS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
}

enum { CHUNK_TOKENS = 1 << 16 };

/* Converts src (src_dtype) to layout->dtype chunk by chunk, checking each id fits. */
static zs_status write_payload(zs_atomic_file *f, const char *path, zs_dtype src_dtype,
                               const void *src, zs_dtype dtype, uint64_t n, zs_error *err) {
    size_t elem = zs_dtype_size(dtype);
    if (src_dtype == dtype) {
        if (n && fwrite(src, elem, n, f->fp) != n)
            return zs_fail(err, ZS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        return ZS_OK;
    }
    unsigned char *buf = zs_alloc(CHUNK_TOKENS * elem, "token write buffer", err);
    if (!buf) return ZS_ERR_NOMEM;
    int64_t lo, hi;
    dtype_limits(dtype, &lo, &hi);
    zs_status s = ZS_OK;
    for (uint64_t start = 0; start < n && !s; start += CHUNK_TOKENS) {
        size_t count = n - start < CHUNK_TOKENS ? (size_t)(n - start) : CHUNK_TOKENS;
        for (size_t k = 0; k < count && !s; k++) {
            int64_t id = load_id(src_dtype, src, start + k);
            if (id < lo || id > hi)
                s = zs_fail(err, ZS_ERR_RANGE,
                            "%s: token %" PRIu64 " is id %" PRId64 ", which does not fit %s", path,
                            start + k, id, zs_dtype_name(dtype));
            store_id(dtype, buf, k, id);
        }
        if (!s && fwrite(buf, elem, count, f->fp) != count)
            s = zs_fail(err, ZS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    free(buf);
    return s;
}

static zs_status write_sidecar(const char *path, const zs_tokens_layout *layout, uint64_t n,
                               const zs_sidecar *sidecar, zs_error *err) {
    if (!sidecar) {
        size_t len = strlen(path) + sizeof ".json";
        char *json_path = zs_alloc(len, "sidecar path", err);
        if (!json_path) return ZS_ERR_NOMEM;
        snprintf(json_path, len, "%s.json", path);
        int gone = unlink(json_path) == 0 || errno == ENOENT;
        zs_status s = gone ? ZS_OK
                           : zs_fail(err, ZS_ERR_IO, "%s: cannot remove the stale sidecar: %s",
                                     json_path, strerror(errno));
        free(json_path);
        return s;
    }
    zs_sidecar filled = *sidecar;
    filled.n_tokens = n;
    if (layout->ndim == 2) filled.context = layout->shape[1];
    return zs_sidecar_write(path, &filled, err);
}

/* The data file alone, header and converted payload, under its temporary name: the
 * caller commits or aborts f. On failure f is closed and its temporary file removed. */
static zs_status write_data(zs_atomic_file *f, const char *path, zs_dtype src_dtype,
                            const void *src, const zs_tokens_layout *layout, uint64_t *n,
                            zs_error *err) {
    f->fp = NULL;
    f->path = f->tmp_path = NULL;
    zs_status s = check_layout(path, layout, n, err);
    if (s) return s;
    if ((s = zs_atomic_open(f, path, err))) return s;
    if ((s = write_header(f, path, layout, *n, err)) ||
        (s = write_payload(f, path, src_dtype, src, layout->dtype, *n, err)))
        zs_atomic_abort(f);
    return s;
}

zs_status zs_tokens_write_typed(const char *path, zs_dtype src_dtype, const void *src,
                                const zs_tokens_layout *layout, const zs_sidecar *sidecar,
                                zs_error *err) {
    uint64_t n;
    zs_atomic_file f;
    zs_status s = write_data(&f, path, src_dtype, src, layout, &n, err);
    if (s) return s;
    /* The sidecar before the data is renamed into place: if it fails, the old data file
     * and its old sidecar are both left as they were. */
    if ((s = write_sidecar(path, layout, n, sidecar, err))) {
        zs_atomic_abort(&f);
        return s;
    }
    if ((s = zs_atomic_commit(&f, err)) && sidecar) {
        /* A rename that fails after the sidecar was written: the new sidecar describes data
         * that is not there, so remove it rather than lend the old file its provenance. */
        size_t len = strlen(path) + sizeof ".json";
        char *json_path = malloc(len);
        if (json_path) {
            snprintf(json_path, len, "%s.json", path);
            unlink(json_path);
            free(json_path);
        }
    }
    return s;
}

zs_status zs_npy_write_uncommitted(zs_atomic_file *f, const char *path, zs_dtype dtype, int ndim,
                                   const uint64_t *shape, const void *data, zs_error *err) {
    zs_tokens_layout layout = {ZS_FORMAT_NPY, dtype, ndim, {shape[0], ndim == 2 ? shape[1] : 0}};
    uint64_t n;
    return write_data(f, path, dtype, data, &layout, &n, err);
}

zs_status zs_tokens_write(const char *path, const uint32_t *ids, const zs_tokens_layout *layout,
                          const zs_sidecar *sidecar, zs_error *err) {
    return zs_tokens_write_typed(path, ZS_DTYPE_U32, ids, layout, sidecar, err);
}

zs_status zs_npy_write(const char *path, zs_dtype dtype, int ndim, const uint64_t *shape,
                       const void *data, zs_error *err) {
    zs_atomic_file f;
    zs_status s = zs_npy_write_uncommitted(&f, path, dtype, ndim, shape, data, err);
    return s ? s : zs_atomic_commit(&f, err);
}
