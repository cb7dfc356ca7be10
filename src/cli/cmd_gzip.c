/* `zipscale gzip`: gzip compressibility H of token files (or raw bytes), with the zstd
 * ratio and unigram entropy beside it, as a table or JSON. A thin client of the measure
 * module (include/zipscale/measure.h); token files are read through zipscale/tokens.h. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/measure.h"
#include "zipscale/tokens.h"

typedef struct {
    uint64_t sequence_tokens, sample, seed, chunk_bytes;
    int bytes_mode, level, zstd_level, threads, json;
    const char *dtype, *output;
} gzip_args;

static gzip_args args;

/* The library's defaults (zs_measure_opts_init), which the help shows. */
static void gzip_defaults(void) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    memset(&args, 0, sizeof args);
    args.sequence_tokens = o.sequence_tokens;
    args.sample = o.sample;
    args.seed = o.seed;
    args.chunk_bytes = o.chunk_bytes;
    args.level = o.gzip_level;
    args.zstd_level = o.zstd_level;
    args.threads = o.threads;
}

static const zs_opt gzip_opts[] = {
    {"sequence-length", 0, ZS_OPT_U64, &args.sequence_tokens, "L",
     "tokens per sequence: consecutive windows of the stream"},
    {"sample", 0, ZS_OPT_U64, &args.sample, "N", "sequences sampled without replacement; 0 = all"},
    ZS_OPT_SEED(&args.seed),
    {"bytes", 0, ZS_OPT_FLAG, &args.bytes_mode, NULL,
     "measure the file's raw bytes in chunks (text, code) instead of tokens"},
    {"chunk-bytes", 0, ZS_OPT_U64, &args.chunk_bytes, "B",
     "bytes per chunk with --bytes (4 bytes per token)"},
    {"level", 0, ZS_OPT_INT, &args.level, "1..9", "gzip level ([GZ]'s is 9)"},
    {"zstd-level", 0, ZS_OPT_INT, &args.zstd_level, "0..22",
     "zstd level for the second ratio; 0 = skip"},
    {"dtype", 0, ZS_OPT_STRING, &args.dtype, "D",
     "token dtype of raw files: uint8, uint16, uint32, int32, int64"},
    ZS_OPT_THREADS(&args.threads),
    ZS_OPT_JSON(&args.json),
    ZS_OPT_OUTPUT(&args.output, "write the table (or JSON) to FILE instead of stdout"),
    ZS_OPT_END,
};

static const zs_cli_spec gzip_spec = {
    "gzip",
    "FILE... [--sequence-length L] [--sample N] [--seed S] [--bytes] [--level 1..9] [options]",
    "gzip compressibility H of token files, with zstd ratio and unigram entropy",
    "Cuts each file's token stream into consecutive windows of L tokens (the rows of a\n"
    "documents x 256 file), samples N of them, writes each token as 4 bytes big-endian\n"
    "signed and compresses it with gzip: ratio = compressed / raw bytes, H = the median\n"
    "ratio (as [GZ]'s code; see docs/gzip.md). A tail shorter than L is ignored.",
    gzip_opts,
    1,
    -1,
    .defaults = gzip_defaults,
};

/* Measures one file; fills *format_name and *dtype_name (static strings). */
static zs_status measure_file(const char *path, const zs_measure_opts *opts, zs_measure_result *r,
                              const char **format_name, const char **dtype_name, zs_error *err) {
    if (args.bytes_mode) {
        zs_mmap map;
        zs_status s = zs_mmap_open(&map, path, err);
        if (s) return s;
        s = zs_measure_bytes(map.data, map.size, path, opts, r, err);
        zs_mmap_close(&map);
        *format_name = "bytes";
        *dtype_name = "uint8";
        return s;
    }
    zs_token_format format = ZS_FORMAT_RAW;
    zs_dtype dtype = ZS_DTYPE_U8;
    zs_status s = zs_measure_token_file(path, args.dtype, opts, r, &format, &dtype, err);
    *format_name = zs_token_format_name(format);
    *dtype_name = zs_dtype_name(dtype);
    return s;
}

static void print_table_header(FILE *out, int zstd) {
    fprintf(out, "%-32s %8s %8s %8s %8s %8s %7s %8s", "file", "H", "mean", "stdev", "q1", "q3", "n",
            args.bytes_mode ? "bits/B" : "bits/tok");
    if (zstd) fprintf(out, " %8s", "zstd");
    fputc('\n', out);
}

static void print_table_row(FILE *out, const char *path, const zs_measure_result *r) {
    fprintf(out, "%-32s %8.4f %8.4f %8.4f %8.4f %8.4f %7llu %8.3f", path, r->gzip.median,
            r->gzip.mean, r->gzip.stdev, r->gzip.q1, r->gzip.q3, (unsigned long long)r->gzip.n,
            r->entropy_bits);
    if (r->zstd.n) fprintf(out, " %8.4f", r->zstd.median);
    fputc('\n', out);
}

static void print_table_note(FILE *out, const char *path, const zs_measure_result *r) {
    const char *unit = args.bytes_mode ? "bytes" : "tokens";
    fprintf(out,
            "# %s: %llu %s, %llu sequences of %llu %s, %llu sampled, tail of %llu %s ignored\n",
            path, (unsigned long long)r->units_total, unit, (unsigned long long)r->windows_total,
            (unsigned long long)r->window_units, unit, (unsigned long long)r->gzip.n,
            (unsigned long long)r->tail_units, unit);
}

/* The results file's text to -o FILE, or to stdout (the library never prints). */
static zs_status emit_json(const zs_gzipfile *gf, const char *path, zs_error *err) {
    if (path) return zs_gzipfile_write(gf, path, err);
    char *text;
    size_t len;
    zs_status s = zs_gzipfile_format(gf, &text, &len, err);
    if (s) return s;
    if (fwrite(text, 1, len, stdout) != len) s = zs_fail(err, ZS_ERR_IO, "stdout: write failed");
    free(text);
    return s;
}

static zs_status emit_table(const zs_gzipfile *gf, zs_error *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return zs_fail(err, ZS_ERR_NOMEM, "out of memory formatting the table");
    print_table_header(out, args.zstd_level != 0);
    for (size_t i = 0; i < gf->n_files; i++)
        print_table_row(out, gf->files[i].file, &gf->files[i].result);
    for (size_t i = 0; i < gf->n_files; i++)
        print_table_note(out, gf->files[i].file, &gf->files[i].result);
    fprintf(out, "# H = median gzip-%d ratio (compressed/raw bytes)", args.level);
    if (args.zstd_level) fprintf(out, "; zstd = median zstd-%d ratio", args.zstd_level);
    fputc('\n', out);
    fclose(out);
    zs_status s = ZS_OK;
    if (args.output)
        s = zs_write_file_atomic(args.output, text, len, err);
    else if (fwrite(text, 1, len, stdout) != len)
        s = zs_fail(err, ZS_ERR_IO, "stdout: write failed");
    free(text);
    return s;
}

/* zs_tokens_open_opts.raw_dtype comes from --dtype. */
static const zs_cli_field dtype_fields[] = {{"raw_dtype", "dtype"}, {NULL, NULL}};

static int gzip_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&gzip_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (args.dtype && args.bytes_mode)
        return zs_cli_usage_error(&gzip_spec, "--dtype reads token files; --bytes reads bytes");
    zs_measure_opts opts;
    zs_measure_opts_init(&opts);
    opts.sequence_tokens = args.sequence_tokens;
    opts.chunk_bytes = args.chunk_bytes;
    opts.sample = args.sample;
    opts.seed = args.seed;
    opts.gzip_level = args.level;
    opts.zstd_level = args.zstd_level;
    opts.threads = args.threads;
    zs_gzipfile gf = {.bytes_mode = args.bytes_mode,
                      .sample = args.sample,
                      .seed = args.seed,
                      .window = args.bytes_mode ? args.chunk_bytes : args.sequence_tokens,
                      .gzip_level = args.level,
                      .zstd_level = args.zstd_level};
    zs_error err = {0};
    gf.files = calloc((size_t)npos, sizeof *gf.files);
    zs_status s = gf.files ? ZS_OK : zs_fail(&err, ZS_ERR_NOMEM, "out of memory");
    for (int i = 0; !s && i < npos; i++) {
        zs_gzipfile_entry *e = &gf.files[gf.n_files++];
        const char *format, *dtype;
        s = measure_file(pos[i], &opts, &e->result, &format, &dtype, &err);
        if (!s && !((e->file = strdup(pos[i])) && (e->format = strdup(format)) &&
                    (e->dtype = strdup(dtype))))
            s = zs_fail(&err, ZS_ERR_NOMEM, "out of memory");
        /* The file's digest is provenance for the JSON record; the table has no room. */
        if (!s && args.json) s = zs_sha256_file(pos[i], e->sha256, &err);
    }
    if (!s) s = args.json ? emit_json(&gf, args.output, &err) : emit_table(&gf, &err);
    zs_gzipfile_free(&gf);
    return s ? zs_cli_fail_cmd(&gzip_spec, dtype_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_gzip = {&gzip_spec, gzip_run};
