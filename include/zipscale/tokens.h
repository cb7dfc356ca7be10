/* zipscale data: token files. Reads NumPy .npy, llm.c-style .bin shards and raw files
 * (memory-mapped), writes .npy/.bin/raw atomically, and keeps a JSON provenance sidecar
 * `<file>.json` beside each file. Every generator writes through here; every consumer
 * (gzip, training) reads through here. Formats: docs/formats.md. */
#ifndef ZIPSCALE_TOKENS_H
#define ZIPSCALE_TOKENS_H

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ZS_DTYPE_U8,
    ZS_DTYPE_U16,
    ZS_DTYPE_U32,
    ZS_DTYPE_I32,
    ZS_DTYPE_I64,
} zs_dtype;

typedef enum {
    ZS_FORMAT_NPY, /* NumPy .npy v1/v2/v3, little-endian, C order, 1-D or 2-D */
    ZS_FORMAT_BIN, /* llm.c shard: 256 x int32 header (magic, version, count), then tokens */
    ZS_FORMAT_RAW, /* bare little-endian tokens; the dtype must be given */
} zs_token_format;

const char *zs_dtype_name(zs_dtype dtype); /* "uint8", "uint16", "uint32", "int32", "int64" */
size_t zs_dtype_size(zs_dtype dtype);      /* bytes per id; 0 for a value not in zs_dtype */
/* Accepts the names above and NumPy's short forms ("u1", "<u2", "i4", ...).
 * Errors: ZS_ERR_USAGE (not a dtype name). */
zs_status zs_dtype_parse(const char *name, zs_dtype *dtype, zs_error *err);
/* The smallest unsigned dtype that holds ids 0..vocab_size-1. */
zs_dtype zs_dtype_for_vocab(uint64_t vocab_size);
const char *zs_token_format_name(zs_token_format format); /* "npy", "bin", "raw" */
/* By extension: .npy -> npy, .bin -> bin, anything else -> raw. */
zs_token_format zs_token_format_from_path(const char *path);

/* Provenance sidecar, `<data file>.json`. Unknown fields are kept in extra_json. */
typedef struct {
    char *generator;   /* "pcfg", "parity", "bytes", ...; NULL if unknown */
    char *params_json; /* the generator's parameters as a JSON object's text; NULL if none */
    uint64_t seed;
    int has_seed;
    uint64_t vocab_size;  /* 0 = unknown */
    int64_t separator_id; /* -1 = none */
    uint64_t context;     /* tokens per document; 0 = not documents */
    uint64_t n_tokens;
    char *version;    /* zipscale version that wrote the file; filled in by zs_sidecar_write */
    char *extra_json; /* any other fields, as a JSON object's text; NULL if none */
} zs_sidecar;

void zs_sidecar_init(zs_sidecar *sc); /* all unknown: separator -1, strings NULL */
void zs_sidecar_free(zs_sidecar *sc);
/* Reads `<data_path>.json`. *found = 0 (and ZS_OK) when there is none.
 * Errors: ZS_ERR_IO (the sidecar exists but cannot be read), ZS_ERR_FORMAT (not a JSON
 * object, or a known field has the wrong type or value, e.g. a separator_id not below
 * vocab_size: the message names the field). */
zs_status zs_sidecar_read(const char *data_path, zs_sidecar *sc, int *found, zs_error *err);
/* Writes `<data_path>.json` atomically, version set to this library's.
 * Errors: ZS_ERR_USAGE (params_json or extra_json is not a JSON object's text), ZS_ERR_IO
 * (cannot write or rename the sidecar into place). */
zs_status zs_sidecar_write(const char *data_path, const zs_sidecar *sc, zs_error *err);

/* An open, memory-mapped token file. */
typedef struct {
    zs_token_format format;
    zs_dtype dtype;
    int ndim;          /* 1 or 2 */
    uint64_t shape[2]; /* 1-D: shape[0] tokens; 2-D: documents x context */
    uint64_t n_tokens;
    const void *tokens;  /* first token, inside the map; dtype-typed, little-endian */
    uint64_t vocab_size; /* from the options, else the sidecar, else 0 (unknown) */
    int has_sidecar;
    zs_sidecar sidecar;
    zs_mmap map;
    char *path;
} zs_tokens;

typedef struct {
    zs_dtype raw_dtype; /* required for raw files */
    int has_raw_dtype;
    uint64_t raw_context; /* raw files: view as 2-D documents x raw_context (0 = 1-D) */
    uint64_t vocab_size;  /* if > 0, overrides the sidecar's and every id must be below it */
    int skip_id_check;    /* 1 = do not scan ids at open (the caller checks what it reads) */
} zs_tokens_open_opts;

/* Opens and validates: header, dtype, shape against the byte count, and (unless
 * skip_id_check) that every id is >= 0 and < the vocabulary when one is known.
 * opts may be NULL. Errors name the file and what was expected.
 * Errors: ZS_ERR_IO (cannot open or map path or its sidecar), ZS_ERR_USAGE (a raw file and
 * no raw_dtype), ZS_ERR_FORMAT (a bad header, a byte count that does not match the shape,
 * or a sidecar that is malformed or describes other data), ZS_ERR_RANGE (an id < 0 or not
 * below the vocabulary). */
zs_status zs_tokens_open(zs_tokens *t, const char *path, const zs_tokens_open_opts *opts,
                         zs_error *err);
void zs_tokens_close(zs_tokens *t);

/* Token i (0-based, row-major over the whole file). No range check: i < n_tokens. */
uint64_t zs_tokens_at(const zs_tokens *t, uint64_t i);
/* Copies tokens [start, start+count) as uint32. Fails on an id that does not fit.
 * Errors: ZS_ERR_RANGE (the span lies outside the file, or an id does not fit uint32). */
zs_status zs_tokens_read_u32(const zs_tokens *t, uint64_t start, uint64_t count, uint32_t *out,
                             zs_error *err);
/* Smallest and largest id (scans the file; also rejects negative ids). An empty file
 * has no range: ZS_ERR_RANGE. min_id and max_id may be NULL; both are 0 on failure.
 * Errors: ZS_ERR_RANGE (no tokens, or a negative id). */
zs_status zs_tokens_id_range(const zs_tokens *t, uint64_t *min_id, uint64_t *max_id, zs_error *err);

/* Writing: ids are uint32 in memory, converted to dtype on the way out (an id that
 * does not fit dtype is an error). Written atomically; the sidecar (if non-NULL) goes
 * to `<path>.json`, also atomically, before the data is renamed into place, with n_tokens
 * (and, for 2-D, context) filled in from the layout. With a NULL sidecar a stale `<path>.json` is
 * removed, so a sidecar never describes other data than its file's. */
typedef struct {
    zs_token_format format;
    zs_dtype dtype;
    int ndim;          /* 1 or 2 (2 is npy only; bin and raw are flat) */
    uint64_t shape[2]; /* 2-D: documents x context */
} zs_tokens_layout;

/* Errors: ZS_ERR_USAGE (a layout with a bad dtype, ndim, a 2-D non-npy format, a .bin not of
 * uint16 or uint32, or a shape that overflows; a sidecar whose params_json or extra_json is
 * not an object's text), ZS_ERR_RANGE (an id does not fit the dtype, or a .bin of 2^31
 * tokens or more), ZS_ERR_IO (cannot write or rename a file, or
 * remove a stale sidecar). A failure leaves the old file and sidecar as they were, except
 * that a failed final rename removes the new sidecar. */
zs_status zs_tokens_write(const char *path, const uint32_t *ids, const zs_tokens_layout *layout,
                          const zs_sidecar *sidecar, zs_error *err);
/* A float32 .npy array read whole (the trainer's --dump-token-losses files): 1-D (shape[1]
 * is 1) or 2-D, C order, little-endian '<f4'; versions 1.0-3.0. */
typedef struct {
    float *data;
    int ndim;
    uint64_t shape[2];
    uint64_t count; /* shape[0] * shape[1] */
} zs_npy_f32;

/* Errors: ZS_ERR_IO (cannot open or map path), ZS_ERR_FORMAT (not a .npy file, another dtype,
 * Fortran order, more than 2 dimensions, or a data size that does not match the shape: the
 * message names the path). On failure *out is zeroed. */
zs_status zs_npy_read_f32(const char *path, zs_npy_f32 *out, zs_error *err);
void zs_npy_f32_free(zs_npy_f32 *a);

/* Writes any array already in `dtype` (e.g. int32 rule labels) as .npy, without a sidecar
 * (a stale one is left alone). Errors: ZS_ERR_USAGE (a bad dtype or ndim, or a shape that
 * overflows), ZS_ERR_IO (cannot write or rename the file into place). */
zs_status zs_npy_write(const char *path, zs_dtype dtype, int ndim, const uint64_t *shape,
                       const void *data, zs_error *err);
/* Like zs_tokens_write, but the ids are an array of src_dtype (e.g. bytes as uint8):
 * converted to layout->dtype on the way out, with the same checks.
 * Errors: as zs_tokens_write. */
zs_status zs_tokens_write_typed(const char *path, zs_dtype src_dtype, const void *src,
                                const zs_tokens_layout *layout, const zs_sidecar *sidecar,
                                zs_error *err);

/* How many distinct ids the file uses (scans it; rejects negative ids; 0 for no tokens).
 * Errors: ZS_ERR_RANGE (a negative id). */
zs_status zs_tokens_count_distinct(const zs_tokens *t, uint64_t *n_distinct, zs_error *err);

/* Byte-level import: every byte of src_path becomes one token (ids 0..255, vocabulary
 * 256, no separator), written to out_path in the format its extension names (.npy:
 * uint8; .bin: uint16 shard; raw otherwise: uint8). context > 0 makes a 2-D .npy of
 * documents of `context` tokens; the tail that does not fill one is dropped and counted
 * in *dropped_bytes. The sidecar records generator "bytes" and params {source,
 * source_bytes, source_sha256, dropped_bytes}.
 * Errors: ZS_ERR_IO (cannot open or map src_path, or write out_path or its sidecar),
 * ZS_ERR_USAGE (context > 0 with an output that is not .npy), ZS_ERR_RANGE (a .bin output
 * of 2^31 bytes or more). */
zs_status zs_tokens_import_bytes(const char *src_path, const char *out_path, uint64_t context,
                                 uint64_t *dropped_bytes, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
