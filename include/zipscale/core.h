/* zipscale core: status codes and error messages, deterministic RNG streams, alias
 * sampling, atomic file writes and memory-mapped reads, SHA-256, and small statistics
 * (summaries, quantiles). Every other module builds on this one; it depends on nothing
 * but libc and OpenMP. */
#ifndef ZIPSCALE_CORE_H
#define ZIPSCALE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zipscale/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ZS_VERSION_STRING (version.h), as compiled into the library. */
const char *zs_version(void);

/* ---- status and errors: the contract every public function keeps -------------------
 * 1. A function that can fail returns a zs_status: ZS_OK (0) on success, otherwise one of
 *    the codes below. Its header comment lists the codes it can return beyond ZS_OK;
 *    every such function can also return ZS_ERR_NOMEM (not listed), and ZS_ERR_INTERNAL
 *    only ever reports a bug. A function that cannot fail returns its value or void, and
 *    its comment says what it needs (e.g. "n must be > 0"); breaking that is a bug.
 * 2. On failure, if `err` is non-NULL, err->code is the returned code and err->msg says
 *    what was wrong and where: the file (and line, or byte offset), the field or option
 *    by its name in the library (a struct member, a JSON key, a spec-file field: never a
 *    command-line flag; the CLI maps fields to its flags), and what was expected.
 *    `err` may always be NULL.
 * 3. A failed call leaves nothing to free: any out-pointer is NULL (or the out-struct
 *    zeroed), partial allocations are released, and an output file is not created or
 *    replaced (files are written under a temporary name and renamed into place).
 *    Inputs are never modified unless the comment says so. The few functions that write
 *    several files over a long run (zs_train_run's log and checkpoints, which make a run
 *    resumable; zs_sweep_analyse's finished outputs) keep what they completed, each file
 *    whole, and say so in their comments, as does zs_checkpoint_load, which may have
 *    filled part of the caller's buffers when it fails.
 * 4. `zs_X_free(x)` and `zs_X_close(x)` accept NULL (and a zeroed struct) and do nothing.
 * 5. The library never prints to stdout, never calls exit() or abort(), and reports a
 *    failed allocation as ZS_ERR_NOMEM rather than crashing. */
typedef enum {
    ZS_OK = 0,
    ZS_ERR_USAGE,    /* a bad argument from the caller (the CLI exits 2) */
    ZS_ERR_IO,       /* open, read, write or rename failed */
    ZS_ERR_FORMAT,   /* a malformed input file */
    ZS_ERR_RANGE,    /* a value outside its allowed range */
    ZS_ERR_NOMEM,    /* allocation failed */
    ZS_ERR_NUMERIC,  /* non-convergence, NaN, a process that does not terminate */
    ZS_ERR_INTERNAL, /* a broken invariant: a bug in zipscale */
} zs_status;

#define ZS_ERROR_MSG_MAX 1024
#define ZS_ERROR_FIELD_MAX 64
typedef struct {
    zs_status code;
    char msg[ZS_ERROR_MSG_MAX];
    /* The option or field at fault by its library name ("lr_max", "columns.n_params"),
     * several joined by commas ("tokens,steps"); empty when none. The message names it
     * too; this copy lets a caller (the CLI) map it to its own spelling (a flag). */
    char field[ZS_ERROR_FIELD_MAX];
} zs_error;

/* Records `code` and a printf-style message in err (if non-NULL), with no field;
 * returns code. Errors: none of its own (it returns `code`). */
zs_status zs_fail(zs_error *err, zs_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* zs_fail that also records the field at fault (err->field): for an option whose value
 * is wrong, so the caller can name it in its own terms. Errors: none of its own. */
zs_status zs_fail_field(zs_error *err, zs_status code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void zs_error_clear(zs_error *err);
const char *zs_status_name(zs_status code);

/* malloc/calloc that record "out of memory (N bytes for WHAT)" on failure. */
void *zs_alloc(size_t bytes, const char *what, zs_error *err);
void *zs_calloc(size_t count, size_t size, const char *what, zs_error *err);

/* ---- deterministic random streams --------------------------------------------------
 * xoshiro256** seeded through splitmix64 from (seed, stream). Give every independent
 * item (document, example, bootstrap replicate) its own stream index so results do not
 * depend on thread count or scheduling. Never derive streams from thread ids or time. */
typedef struct {
    uint64_t s[4];
} zs_rng;

void zs_rng_seed(zs_rng *rng, uint64_t seed, uint64_t stream);
uint64_t zs_rng_u64(zs_rng *rng);
/* Uniform integer in [0, n), unbiased (Lemire's method). n must be > 0. */
uint64_t zs_rng_below(zs_rng *rng, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double zs_rng_uniform(zs_rng *rng);
/* A 64-bit stream tag from a label, so callers can name streams: zs_rng_tag("pcfg.doc"). */
uint64_t zs_rng_tag(const char *label);
/* Mixes two words into one stream index (e.g. a tag and an item index). */
uint64_t zs_rng_mix(uint64_t a, uint64_t b);

/* ---- Walker alias table: O(1) draws from a fixed discrete distribution --------------
 * Each draw consumes exactly one 64-bit random word. */
typedef struct {
    uint32_t n;
    uint64_t *threshold; /* accept column i when the low 64 bits < threshold[i] */
    uint32_t *alias;
} zs_alias;

/* weights need not be normalised; all must be finite and >= 0, with a positive sum.
 * Errors: ZS_ERR_RANGE (n is 0, a weight is negative or not finite, or they sum to 0). */
zs_status zs_alias_init(zs_alias *table, const double *weights, uint32_t n, zs_error *err);
/* table must come from a successful zs_alias_init. */
uint32_t zs_alias_draw(const zs_alias *table, zs_rng *rng);
void zs_alias_free(zs_alias *table);

/* ---- files -------------------------------------------------------------------------
 * Results are written to a temporary name beside the target and renamed into place on
 * commit: a crash never leaves a half-written file that looks whole. */
typedef struct {
    FILE *fp;
    char *path;     /* the final name */
    char *tmp_path; /* where the bytes go until commit */
} zs_atomic_file;

/* Errors: ZS_ERR_IO (cannot create the temporary file beside path). */
zs_status zs_atomic_open(zs_atomic_file *file, const char *path, zs_error *err);
/* Flushes, closes and renames into place; on failure removes the temporary file.
 * Errors: ZS_ERR_IO (a write, flush, close or the rename failed), ZS_ERR_INTERNAL (the file
 * is not open). */
zs_status zs_atomic_commit(zs_atomic_file *file, zs_error *err);
/* Closes and removes the temporary file; the target is untouched. Safe to call twice. */
void zs_atomic_abort(zs_atomic_file *file);
/* Writes a whole buffer to path atomically.
 * Errors: ZS_ERR_IO (cannot create, write or rename the file into place). */
zs_status zs_write_file_atomic(const char *path, const void *data, size_t bytes, zs_error *err);

/* Whether something (a file, a folder) exists at path. */
int zs_path_exists(const char *path);

/* The file's name without its folders and last extension ("runs/a.v2.npy" -> "a.v2"; a
 * leading dot is kept: ".hidden"); malloc'd, NULL when out of memory. */
char *zs_path_stem(const char *path);

/* A read-only memory map of a whole file (an empty file maps to data == NULL, size 0). */
typedef struct {
    const void *data;
    size_t size;
} zs_mmap;

/* Errors: ZS_ERR_IO (cannot open, stat or map path, or it is not a regular file). */
zs_status zs_mmap_open(zs_mmap *map, const char *path, zs_error *err);
void zs_mmap_close(zs_mmap *map);

/* Reads a whole file into a NUL-terminated malloc'd buffer (*len excludes the NUL; len may
 * be NULL). Errors: ZS_ERR_IO (cannot open or read path). */
zs_status zs_read_file(const char *path, char **data, size_t *len, zs_error *err);

/* ---- SHA-256 (FIPS 180-4), for provenance: results name the exact bytes they came from ---- */
typedef struct {
    uint32_t state[8];
    uint64_t length_bytes;
    unsigned char block[64];
    size_t block_used;
} zs_sha256;

void zs_sha256_init(zs_sha256 *h);
void zs_sha256_update(zs_sha256 *h, const void *data, size_t bytes);
void zs_sha256_final(zs_sha256 *h, unsigned char digest[32]);
/* The digest of a buffer as 64 lowercase hex digits and a NUL, as sha256sum prints it. */
void zs_sha256_hex(const void *data, size_t bytes, char hex[65]);
/* The digest of a whole file, as sha256sum prints it (hex is "" on failure).
 * Errors: ZS_ERR_IO (cannot open, stat or map path, or it is not a regular file). */
zs_status zs_sha256_file(const char *path, char hex[65], zs_error *err);

/* ---- statistics ----------------------------------------------------------------------
 * median: the middle value, or the mean of the two middle ones (Python's
 * statistics.median); stdev: sample standard deviation, n-1 in the denominator (Python's
 * statistics.stdev; NaN when n < 2); q1/q3: quantiles 0.25/0.75 by linear interpolation
 * between order statistics at position p*(n-1) (numpy.quantile's default). */
typedef struct {
    uint64_t n;
    double median, mean, stdev, q1, q3, min, max;
} zs_summary;

/* Errors: ZS_ERR_RANGE (n is 0). */
zs_status zs_summarize(const double *values, uint64_t n, zs_summary *out, zs_error *err);
/* Quantile p in [0, 1] of ascending values, numpy's linear interpolation. n > 0. A p below
 * 0 (or NaN) gives the minimum, one above 1 the maximum. */
double zs_quantile_sorted(const double *sorted, uint64_t n, double p);

/* ---- threads -----------------------------------------------------------------------
 * 0 means "all cores"; anything else is taken as is (clamped to >= 1). */
int zs_threads_resolve(int requested);

#ifdef __cplusplus
}
#endif
#endif
