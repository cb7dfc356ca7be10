/* The measure as a whole: cut the input into windows, draw the sample, compress every
 * sampled window with gzip (and zstd) in parallel, summarise. Each thread owns its own
 * compressors and buffers; each window's ratio lands in its own slot, so the result is
 * the same for every thread count. */
#include <stdlib.h>
#include <string.h>

#include "zipscale/measure.h"

typedef struct {
    const uint32_t *ids;
} array_ctx;

static zs_status read_array(void *ctx, uint64_t start, uint64_t count, uint32_t *out,
                            zs_error *err) {
    (void)err;
    memcpy(out, (const uint32_t *)ctx + start, count * sizeof *out);
    return ZS_OK;
}

void zs_measure_source_array(zs_token_source *src, const uint32_t *ids, uint64_t n_tokens,
                             const char *name) {
    src->n_tokens = n_tokens;
    src->read = read_array;
    src->ctx = (void *)ids;
    src->name = name;
}

void zs_measure_opts_init(zs_measure_opts *opts) {
    opts->sequence_tokens = 256;
    opts->chunk_bytes = 1024;
    opts->sample = 1000;
    opts->seed = 0;
    opts->gzip_level = 9;
    opts->zstd_level = ZS_ZSTD_DEFAULT_LEVEL;
    opts->threads = 0;
}

void zs_measure_result_free(zs_measure_result *result) {
    if (!result) return;
    free(result->window_index);
    free(result->gzip_ratios);
    free(result->zstd_ratios);
    *result = (zs_measure_result){0};
}

/* What one window is: tokens from a source (encoded big-endian), or a slice of bytes. */
typedef struct {
    const zs_token_source *src; /* NULL in bytes mode */
    const uint8_t *bytes;
    uint64_t window_units;
    uint64_t raw_bytes;
} window_job;

typedef struct {
    zs_gzip_stream *gzip;
    zs_zstd_stream *zstd;
    uint32_t *ids;
    uint8_t *raw;
} worker;

static void worker_free(worker *w) {
    zs_gzip_stream_free(w->gzip);
    zs_zstd_stream_free(w->zstd);
    free(w->ids);
    free(w->raw);
}

static zs_status worker_init(worker *w, const window_job *job, const zs_measure_opts *opts,
                             zs_error *err) {
    *w = (worker){0};
    zs_status s = zs_gzip_stream_create(&w->gzip, opts->gzip_level, err);
    if (!s && opts->zstd_level) s = zs_zstd_stream_create(&w->zstd, opts->zstd_level, err);
    if (!s && job->src) {
        w->ids = zs_alloc(job->window_units * sizeof *w->ids, "sequence tokens", err);
        w->raw = w->ids ? zs_alloc(job->raw_bytes, "sequence bytes", err) : NULL;
        if (!w->raw) s = ZS_ERR_NOMEM;
    }
    return s;
}

static zs_status measure_window(worker *w, const window_job *job, uint64_t window,
                                double *gzip_ratio, double *zstd_ratio, zs_error *err) {
    const uint8_t *raw;
    if (!job->src) {
        raw = job->bytes + window * job->window_units;
    } else {
        zs_status s = job->src->read(job->src->ctx, window * job->window_units, job->window_units,
                                     w->ids, err);
        if (s) return s;
        zs_measure_encode_be32(w->ids, job->window_units, w->raw);
        raw = w->raw;
    }
    uint64_t compressed_bytes;
    zs_status s = zs_gzip_stream_size(w->gzip, raw, job->raw_bytes, &compressed_bytes, err);
    if (s) return s;
    *gzip_ratio = (double)compressed_bytes / (double)job->raw_bytes;
    if (!w->zstd) return ZS_OK;
    s = zs_zstd_stream_size(w->zstd, raw, job->raw_bytes, &compressed_bytes, err);
    if (s) return s;
    *zstd_ratio = (double)compressed_bytes / (double)job->raw_bytes;
    return ZS_OK;
}

/* Compresses every sampled window. On failure the error reported is the one of the
 * lowest failing sample position, whatever the thread count: every thread stops at its
 * own first failure, and dynamic scheduling hands each thread increasing positions. */
static zs_status compress_sample(const window_job *job, const zs_measure_opts *opts,
                                 zs_measure_result *r, zs_error *err) {
    uint64_t n = r->gzip.n;
    uint64_t first_failure = UINT64_MAX;
    zs_error first_err = {0};
#pragma omp parallel num_threads(zs_threads_resolve(opts->threads))
    {
        worker w;
        zs_error local_err = {0};
        uint64_t local_failure = worker_init(&w, job, opts, &local_err) ? 0 : UINT64_MAX;
#pragma omp for schedule(dynamic, 8)
        for (uint64_t i = 0; i < n; i++) {
            if (local_failure != UINT64_MAX) continue;
            double *zstd_ratio = r->zstd_ratios ? &r->zstd_ratios[i] : NULL;
            if (measure_window(&w, job, r->window_index[i], &r->gzip_ratios[i], zstd_ratio,
                               &local_err))
                local_failure = i;
        }
#pragma omp critical(zs_measure_failure)
        if (local_failure < first_failure) {
            first_failure = local_failure;
            first_err = local_err;
        }
        worker_free(&w);
    }
    if (first_failure == UINT64_MAX) return ZS_OK;
    if (err) *err = first_err;
    return first_err.code;
}

static zs_status check_opts(const zs_measure_opts *opts, int bytes_mode, zs_error *err) {
    if (opts->gzip_level < 1 || opts->gzip_level > 9)
        return zs_fail(err, ZS_ERR_USAGE, "gzip level %d: expected an integer in 1..9",
                       opts->gzip_level);
    if (opts->zstd_level < 0 || opts->zstd_level > 22)
        return zs_fail(err, ZS_ERR_USAGE, "zstd level %d: expected 0 (skip) or 1..22",
                       opts->zstd_level);
    if (bytes_mode && opts->chunk_bytes == 0)
        return zs_fail(err, ZS_ERR_USAGE, "chunk size 0 bytes: expected at least 1 byte");
    if (!bytes_mode && opts->sequence_tokens == 0)
        return zs_fail(err, ZS_ERR_USAGE, "sequence length 0: expected at least 1 token");
    if (!bytes_mode && opts->sequence_tokens > UINT32_MAX / 4)
        return zs_fail(err, ZS_ERR_USAGE,
                       "sequence length %llu tokens: expected at most %u (4 GiB per sequence)",
                       (unsigned long long)opts->sequence_tokens, UINT32_MAX / 4);
    return ZS_OK;
}

/* Windows, sample, compression and summaries: everything after the entropy pass. */
static zs_status run_measure(const window_job *job, const zs_measure_opts *opts,
                             zs_measure_result *r, zs_error *err) {
    r->window_units = job->window_units;
    r->raw_bytes_per_window = job->raw_bytes;
    r->windows_total = r->units_total / job->window_units;
    r->tail_units = r->units_total % job->window_units;
    uint64_t n;
    zs_status s = zs_measure_sample_indices(r->windows_total, opts->sample, opts->seed,
                                            &r->window_index, &n, err);
    if (s) return s;
    r->gzip.n = n;
    r->gzip_ratios = zs_alloc(n * sizeof *r->gzip_ratios, "gzip ratios", err);
    if (!r->gzip_ratios) return ZS_ERR_NOMEM;
    if (opts->zstd_level) {
        r->zstd_ratios = zs_alloc(n * sizeof *r->zstd_ratios, "zstd ratios", err);
        if (!r->zstd_ratios) return ZS_ERR_NOMEM;
    }
    s = compress_sample(job, opts, r, err);
    if (!s) s = zs_summarize(r->gzip_ratios, n, &r->gzip, err);
    if (!s && r->zstd_ratios) s = zs_summarize(r->zstd_ratios, n, &r->zstd, err);
    return s;
}

static zs_status check_size(const char *name, uint64_t units, uint64_t window, const char *unit,
                            zs_error *err) {
    if (units == 0)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: empty: expected at least one sequence of %llu %s",
                       name, (unsigned long long)window, unit);
    if (units < window)
        return zs_fail(err, ZS_ERR_RANGE,
                       "%s: %llu %s, fewer than one sequence of %llu %s (use a shorter sequence)",
                       name, (unsigned long long)units, unit, (unsigned long long)window, unit);
    return ZS_OK;
}

zs_status zs_measure_tokens(const zs_token_source *src, const zs_measure_opts *opts,
                            zs_measure_result *result, zs_error *err) {
    *result = (zs_measure_result){0};
    const char *name = src->name ? src->name : "tokens";
    zs_status s = check_opts(opts, 0, err);
    if (!s) s = check_size(name, src->n_tokens, opts->sequence_tokens, "tokens", err);
    if (s) return s;
    result->units_total = src->n_tokens;
    s = zs_measure_entropy_tokens(src, &result->entropy_bits, &result->distinct_symbols, err);
    window_job job = {src, NULL, opts->sequence_tokens, 4 * opts->sequence_tokens};
    if (!s) s = run_measure(&job, opts, result, err);
    if (s) zs_measure_result_free(result);
    return s;
}

zs_status zs_measure_bytes(const void *data, uint64_t bytes, const char *name,
                           const zs_measure_opts *opts, zs_measure_result *result, zs_error *err) {
    *result = (zs_measure_result){0};
    if (!name) name = "bytes";
    zs_status s = check_opts(opts, 1, err);
    if (!s) s = check_size(name, bytes, opts->chunk_bytes, "bytes", err);
    if (s) return s;
    result->units_total = bytes;
    s = zs_measure_entropy_bytes(data, bytes, &result->entropy_bits, &result->distinct_symbols,
                                 err);
    window_job job = {NULL, data, opts->chunk_bytes, opts->chunk_bytes};
    if (!s) s = run_measure(&job, opts, result, err);
    if (s) zs_measure_result_free(result);
    return s;
}
