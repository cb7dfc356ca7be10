/* Byte-level import: any file (text, code) becomes a token file with one token per byte,
 * ids 0..255, so real data can be measured and trained on beside generated data. */
#include "zipscale/tokens.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { BYTE_VOCAB = 256 };

static zs_status byte_sidecar(const char *src_path, const zs_mmap *map, uint64_t dropped_bytes,
                              zs_sidecar *sc, zs_error *err) {
    char hex[65];
    zs_sha256_hex(map->data, map->size, hex);
    json_t *params =
        json_pack("{s:s, s:I, s:s, s:I}", "source", src_path, "source_bytes", (json_int_t)map->size,
                  "source_sha256", hex, "dropped_bytes", (json_int_t)dropped_bytes);
    zs_sidecar_init(sc);
    sc->params_json = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    sc->generator = strdup("bytes");
    if (!sc->params_json || !sc->generator) {
        zs_sidecar_free(sc);
        return zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory building the sidecar", src_path);
    }
    sc->vocab_size = BYTE_VOCAB;
    sc->separator_id = -1;
    return ZS_OK;
}

static zs_status import_mapped(const char *src_path, const zs_mmap *map, const char *out_path,
                               uint64_t context, uint64_t *dropped_bytes, zs_error *err) {
    zs_tokens_layout layout = {zs_token_format_from_path(out_path), ZS_DTYPE_U8, 1, {map->size, 0}};
    if (layout.format == ZS_FORMAT_BIN) layout.dtype = ZS_DTYPE_U16;
    *dropped_bytes = 0;
    if (context) {
        if (layout.format != ZS_FORMAT_NPY)
            return zs_fail_field(err, ZS_ERR_USAGE, "context",
                                 "%s: documents of context = %llu tokens need a .npy output (%s "
                                 "files are flat)",
                                 out_path, (unsigned long long)context,
                                 zs_token_format_name(layout.format));
        layout.ndim = 2;
        layout.shape[0] = map->size / context;
        layout.shape[1] = context;
        *dropped_bytes = map->size % context;
    }
    zs_sidecar sc;
    zs_status s = byte_sidecar(src_path, map, *dropped_bytes, &sc, err);
    if (s) return s;
    static const unsigned char no_bytes[1];
    s = zs_tokens_write_typed(out_path, ZS_DTYPE_U8, map->data ? map->data : no_bytes, &layout, &sc,
                              err);
    zs_sidecar_free(&sc);
    return s;
}

zs_status zs_tokens_import_bytes(const char *src_path, const char *out_path, uint64_t context,
                                 uint64_t *dropped_bytes, zs_error *err) {
    *dropped_bytes = 0;
    zs_mmap map;
    zs_status s = zs_mmap_open(&map, src_path, err);
    if (s) return s;
    s = import_mapped(src_path, &map, out_path, context, dropped_bytes, err);
    zs_mmap_close(&map);
    return s;
}
