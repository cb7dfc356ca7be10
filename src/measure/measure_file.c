/* Measuring a token file on disk: open it (any format zipscale/tokens.h reads), measure
 * its token stream, close it. What `gzip`, `plot gzip`, `predict --data` and the report
 * share. */
#include "zipscale/measure.h"

static zs_status read_tokens(void *ctx, uint64_t start, uint64_t count, uint32_t *out,
                             zs_error *err) {
    return zs_tokens_read_u32(ctx, start, count, out, err);
}

zs_status zs_measure_token_file(const char *path, const char *raw_dtype,
                                const zs_measure_opts *opts, zs_measure_result *result,
                                zs_token_format *format, zs_dtype *dtype, zs_error *err) {
    /* The measure rejects ids it cannot encode itself, naming the token; a vocabulary
     * scan at open would only read the file twice. */
    *result = (zs_measure_result){0};
    zs_tokens_open_opts open_opts = {.skip_id_check = 1};
    if (raw_dtype) {
        zs_status s = zs_dtype_parse(raw_dtype, &open_opts.raw_dtype, err);
        if (s) return s;
        open_opts.has_raw_dtype = 1;
    }
    zs_tokens t;
    zs_status s = zs_tokens_open(&t, path, &open_opts, err);
    if (s) return s;
    zs_token_source src = {t.n_tokens, read_tokens, &t, path};
    s = zs_measure_tokens(&src, opts, result, err);
    if (format) *format = t.format;
    if (dtype) *dtype = t.dtype;
    zs_tokens_close(&t);
    return s;
}
