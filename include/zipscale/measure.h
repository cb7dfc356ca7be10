/* zipscale measure: how complex a token stream is. gzip compressibility H exactly as
 * [GZ] computes it (docs/science.md §5), plus a second compressor (zstd) and the unigram
 * entropy, so a user can judge whether gzip is a good proxy. Sits between data (token
 * files) and fit (regressions on H); the definitions are in docs/gzip.md. */
#ifndef ZIPSCALE_MEASURE_H
#define ZIPSCALE_MEASURE_H

#include "zipscale/core.h"
#include "zipscale/tokens.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- token sources ------------------------------------------------------------------
 * The measure reads tokens through a callback so it works on arrays, memory-mapped
 * token files (zs_tokens_read_u32) or anything else. `read` copies tokens
 * [start, start+count) as uint32 and must be safe to call from several threads. */
typedef zs_status (*zs_token_reader)(void *ctx, uint64_t start, uint64_t count, uint32_t *out,
                                     zs_error *err);
typedef struct {
    uint64_t n_tokens;
    zs_token_reader read;
    void *ctx;
    const char *name; /* named in error messages ("data.npy"); may be NULL */
} zs_token_source;

/* A source over an in-memory array (the array must outlive the source). */
void zs_measure_source_array(zs_token_source *src, const uint32_t *ids, uint64_t n_tokens,
                             const char *name);

/* ---- gzip and zstd sizes -------------------------------------------------------------
 * [GZ]'s byte layout: each token id becomes 4 bytes, big-endian, signed int32, so ids
 * must be <= INT32_MAX (Python's int.to_bytes(4, "big", signed=True) rejects larger). */
#define ZS_GZIP_MAX_ID 2147483647u
/* out holds 4 * n_tokens bytes; ids above ZS_GZIP_MAX_ID wrap (callers check first). */
void zs_measure_encode_be32(const uint32_t *ids, uint64_t n_tokens, uint8_t *out);

/* One reusable gzip compressor: zlib deflate with the gzip wrapper (window bits 15+16,
 * memory level 8, default strategy), header and trailer counted; the size equals
 * Python's gzip.GzipFile(fileobj=BytesIO(), mode="wb") to the byte. Not thread-safe:
 * one per thread. */
typedef struct zs_gzip_stream zs_gzip_stream;
/* Errors: ZS_ERR_USAGE (level is not 1..9). */
zs_status zs_gzip_stream_create(zs_gzip_stream **stream, int level, zs_error *err);
/* Errors: ZS_ERR_RANGE (bytes is 4 GiB or more). */
zs_status zs_gzip_stream_size(zs_gzip_stream *stream, const void *data, uint64_t bytes,
                              uint64_t *compressed_bytes, zs_error *err);
void zs_gzip_stream_free(zs_gzip_stream *stream);
/* One-shot: deflateInit2 + deflate(Z_FINISH) + deflateEnd.
 * Errors: ZS_ERR_USAGE (level is not 1..9), ZS_ERR_RANGE (bytes is 4 GiB or more). */
zs_status zs_gzip_compressed_bytes(const void *data, uint64_t bytes, int level,
                                   uint64_t *compressed_bytes, zs_error *err);

/* One reusable zstd compressor (libzstd, one frame, its default frame parameters). */
#define ZS_ZSTD_DEFAULT_LEVEL 19
typedef struct zs_zstd_stream zs_zstd_stream;
/* Errors: ZS_ERR_USAGE (level is not 1..ZSTD_maxCLevel()). */
zs_status zs_zstd_stream_create(zs_zstd_stream **stream, int level, zs_error *err);
/* Errors: only ZS_ERR_NOMEM. */
zs_status zs_zstd_stream_size(zs_zstd_stream *stream, const void *data, uint64_t bytes,
                              uint64_t *compressed_bytes, zs_error *err);
void zs_zstd_stream_free(zs_zstd_stream *stream);

/* ---- sampling ------------------------------------------------------------------------
 * `sample` distinct indices out of [0, total), without replacement, ascending; all of
 * them when sample == 0 or sample >= total. Depends only on (total, sample, seed).
 * Errors: ZS_ERR_RANGE (total is 0). */
zs_status zs_measure_sample_indices(uint64_t total, uint64_t sample, uint64_t seed,
                                    uint64_t **indices, uint64_t *n_indices, zs_error *err);

/* ---- unigram entropy -----------------------------------------------------------------
 * H = -sum_x p(x) log2 p(x) over the empirical distribution of symbols, in bits per
 * symbol (token, or byte for the byte version). The token version also rejects ids
 * above ZS_GZIP_MAX_ID, naming the first such token.
 * Errors: ZS_ERR_FORMAT (no tokens, or no bytes), ZS_ERR_RANGE (tokens: an id above
 * ZS_GZIP_MAX_ID), and for tokens whatever src->read returns. */
zs_status zs_measure_entropy_tokens(const zs_token_source *src, double *bits_per_token,
                                    uint64_t *distinct_tokens, zs_error *err);
zs_status zs_measure_entropy_bytes(const void *data, uint64_t bytes, double *bits_per_byte,
                                   uint64_t *distinct_bytes, zs_error *err);

/* ---- the whole measure ----------------------------------------------------------------
 * Sequences are consecutive non-overlapping windows (sequence_tokens tokens, or
 * chunk_bytes bytes in bytes mode); a shorter tail is ignored. `sample` windows are
 * drawn without replacement with `seed`; each is compressed by gzip (and zstd unless
 * zstd_level == 0); ratio = compressed bytes / raw bytes; H = the median gzip ratio.
 * Results are identical for every thread count. */
typedef struct {
    uint64_t sequence_tokens; /* tokens mode window; default 256 */
    uint64_t chunk_bytes;     /* bytes mode window; default 1024 (= 256 tokens x 4 bytes) */
    uint64_t sample;          /* windows to sample; 0 = all; default 1000 */
    uint64_t seed;            /* default 0 */
    int gzip_level;           /* 1..9; default 9 */
    int zstd_level;           /* 1..22, or 0 to skip zstd; default ZS_ZSTD_DEFAULT_LEVEL */
    int threads;              /* 0 = all cores (default) */
} zs_measure_opts;

void zs_measure_opts_init(zs_measure_opts *opts); /* the defaults above */

typedef struct {
    uint64_t units_total;          /* tokens (bytes in bytes mode) in the input */
    uint64_t window_units;         /* tokens (bytes) per sequence */
    uint64_t raw_bytes_per_window; /* 4 x window in tokens mode; the window in bytes mode */
    uint64_t windows_total;        /* complete windows in the input */
    uint64_t tail_units;           /* tokens (bytes) after the last complete window, ignored */
    zs_summary gzip;               /* gzip ratios; gzip.median is H */
    zs_summary zstd;               /* zstd ratios; n == 0 when skipped */
    double entropy_bits;           /* unigram entropy, bits per token (per byte) */
    uint64_t distinct_symbols;     /* distinct tokens (bytes) in the input */
    uint64_t *window_index;        /* the gzip.n sampled windows, ascending */
    double *gzip_ratios;           /* ratio of window_index[i] */
    double *zstd_ratios;           /* NULL when zstd is skipped */
} zs_measure_result;

/* The measure of a token source, or of bytes (name is used in error messages; may be NULL).
 * Errors: ZS_ERR_USAGE (an option out of range: the message names it), ZS_ERR_FORMAT (no
 * input), ZS_ERR_RANGE (shorter than one window, or a token id above ZS_GZIP_MAX_ID), and
 * for tokens whatever src->read returns. */
zs_status zs_measure_tokens(const zs_token_source *src, const zs_measure_opts *opts,
                            zs_measure_result *result, zs_error *err);
zs_status zs_measure_bytes(const void *data, uint64_t bytes, const char *name,
                           const zs_measure_opts *opts, zs_measure_result *result, zs_error *err);
void zs_measure_result_free(zs_measure_result *result);

/* Measures a token file (.npy, .bin or raw; raw files need raw_dtype, a dtype name such as
 * "uint16", else NULL). format and dtype (may be NULL) receive the file's.
 * Errors: ZS_ERR_USAGE (raw_dtype is not a dtype name), those of zs_tokens_open (ZS_ERR_IO,
 * ZS_ERR_USAGE, ZS_ERR_FORMAT) and of zs_measure_tokens. */
zs_status zs_measure_token_file(const char *path, const char *raw_dtype,
                                const zs_measure_opts *opts, zs_measure_result *result,
                                zs_token_format *format, zs_dtype *dtype, zs_error *err);

/* ---- the gzip results file -------------------------------------------------------------
 * What `zipscale gzip --json` writes and `zipscale plot gzip` and `zipscale report` read
 * ("command": "gzip"; docs/gzip.md). One writer (zs_gzipfile_format/write) and one reader
 * (zs_gzipfile_read); the measure module owns the format. */
typedef struct {
    char *file;               /* the measured file, as given */
    char sha256[65];          /* "" when absent */
    char *format, *dtype;     /* token format and dtype names; NULL when absent */
    zs_measure_result result; /* the numbers; gzip.median is "H" */
} zs_gzipfile_entry;

typedef struct {
    int bytes_mode; /* "mode": "bytes" (sizes in bytes), else tokens */
    uint64_t sample, seed;
    uint64_t window; /* sequence_length in tokens, or chunk_bytes in bytes mode */
    int gzip_level, zstd_level;
    size_t n_files;
    zs_gzipfile_entry *files;
} zs_gzipfile;

/* The JSON text (2-space indent, reals to 17 digits, trailing newline); free() it.
 * Errors: only ZS_ERR_NOMEM. */
zs_status zs_gzipfile_format(const zs_gzipfile *gf, char **text, size_t *len, zs_error *err);
/* Writes the JSON text atomically to path (the caller prints zs_gzipfile_format's text for
 * stdout). Errors: ZS_ERR_USAGE (path is NULL), ZS_ERR_IO (cannot write or rename it). */
zs_status zs_gzipfile_write(const zs_gzipfile *gf, const char *path, zs_error *err);
/* Reads and validates a gzip results file, with "FILE: files[2].H: expected a number" style
 * messages. Required per file: "file", "H" and the size ("tokens", or "bytes" in bytes
 * mode, a non-negative integer); optional, checked when present: "gzip_ratios" (numbers),
 * the other counts (sequence_tokens, raw_bytes_per_sequence, sequences_total,
 * tail_tokens_ignored, distinct_tokens; "bytes" for "tokens" in bytes mode) and the
 * unigram entropy (a number; NAN when absent). Not read back: the gzip and zstd
 * summaries other than H. Errors: ZS_ERR_IO (cannot open path), ZS_ERR_FORMAT (bad JSON or
 * a field that is missing or of the wrong type: the message names it). */
zs_status zs_gzipfile_read(zs_gzipfile *gf, const char *path, zs_error *err);
/* Frees every entry's strings and result. */
void zs_gzipfile_free(zs_gzipfile *gf);

#ifdef __cplusplus
}
#endif
#endif
