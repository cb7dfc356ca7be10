/* Reads a float32 .npy array (zs_npy_read_f32): the per-token losses the trainer dumps,
 * for `zipscale quanta tokens`. The header is the token files' parser in its float32 mode. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "data/token_formats.h"

zs_status zs_npy_read_f32(const char *path, zs_npy_f32 *out, zs_error *err) {
    memset(out, 0, sizeof *out);
    zs_mmap map;
    zs_status s = zs_mmap_open(&map, path, err);
    if (s) return s;
    zs_npy_header h = {0};
    s = zs_npy_header_parse_as(path, map.data, map.size, 1, &h, err);
    uint64_t count = s ? 0 : h.ndim == 2 ? h.shape[0] * h.shape[1] : h.shape[0];
    if (!s && (count > (map.size - h.data_offset_bytes) / sizeof(float) ||
               count * sizeof(float) != map.size - h.data_offset_bytes))
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: %zu bytes of data after the header, expected %" PRIu64
                    " (the shape's %" PRIu64 " float32 values)",
                    path, map.size - h.data_offset_bytes, count * sizeof(float), count);
    float *data = NULL;
    if (!s && count) {
        data = zs_alloc((size_t)count * sizeof *data, "float32 array", err);
        if (!data)
            s = ZS_ERR_NOMEM;
        else
            memcpy(data, (const unsigned char *)map.data + h.data_offset_bytes,
                   (size_t)count * sizeof *data);
    }
    zs_mmap_close(&map);
    if (s) return s;
    out->data = data;
    out->ndim = h.ndim;
    out->shape[0] = h.shape[0];
    out->shape[1] = h.ndim == 2 ? h.shape[1] : 1;
    out->count = count;
    return ZS_OK;
}

void zs_npy_f32_free(zs_npy_f32 *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}
