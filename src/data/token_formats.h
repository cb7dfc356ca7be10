/* Internal to module data: the headers of the token file formats (npy, llm.c .bin),
 * parsed from a mapped file and formatted for writing. tokens.c puts them together. */
#ifndef ZS_DATA_TOKEN_FORMATS_H
#define ZS_DATA_TOKEN_FORMATS_H

#include "zipscale/tokens.h"

/* ---- NumPy .npy ---- */
typedef struct {
    int major, minor; /* format version: 1.0, 2.0 or 3.0 */
    zs_dtype dtype;   /* when float32 is 0 */
    int float32;      /* 1: the array is float32 ('<f4'; zs_npy_header_parse_as only) */
    int ndim;
    uint64_t shape[2];
    size_t data_offset_bytes; /* where the array starts */
} zs_npy_header;

/* Parses the magic, version and header dict of a mapped .npy file; rejects dtypes,
 * byte orders, Fortran order and ranks zipscale does not read. Messages name the path. */
zs_status zs_npy_header_parse(const char *path, const unsigned char *data, size_t size,
                              zs_npy_header *header, zs_error *err);
/* The same; with float32 set, reads a float32 array ('<f4') instead of token ids. */
zs_status zs_npy_header_parse_as(const char *path, const unsigned char *data, size_t size,
                                 int float32, zs_npy_header *header, zs_error *err);
/* Formats a version 1.0 header, padded with spaces to a multiple of 64 bytes as NumPy
 * does, into buf. Returns its length in bytes (0 if cap is too small). */
size_t zs_npy_header_format(char *buf, size_t cap, zs_dtype dtype, int ndim, const uint64_t *shape);

/* ---- llm.c .bin shards ---- */
enum {
    ZS_LLMC_HEADER_INTS = 256,
    ZS_LLMC_HEADER_BYTES = 1024,
    ZS_LLMC_MAGIC_U16 = 20240520,
    ZS_LLMC_VERSION_U16 = 1,
    ZS_LLMC_MAGIC_U32 = 20240801,
    ZS_LLMC_VERSION_U32 = 7,
};

/* Reads magic, version and token count from a mapped shard. */
zs_status zs_llmc_header_parse(const char *path, const unsigned char *data, size_t size,
                               zs_dtype *dtype, uint64_t *n_tokens, zs_error *err);
/* Fills a 256-int header; only uint16 and uint32 shards exist, with < 2^31 tokens. */
zs_status zs_llmc_header_format(const char *path, zs_dtype dtype, uint64_t n_tokens,
                                int32_t header[ZS_LLMC_HEADER_INTS], zs_error *err);

/* ---- writing ---- */
/* zs_npy_write without the final rename: the array is written under f's temporary name
 * and the caller commits (zs_atomic_commit) or aborts (zs_atomic_abort) it, so two files
 * can be put in place together. On failure f needs no abort. */
zs_status zs_npy_write_uncommitted(zs_atomic_file *f, const char *path, zs_dtype dtype, int ndim,
                                   const uint64_t *shape, const void *data, zs_error *err);

#endif
