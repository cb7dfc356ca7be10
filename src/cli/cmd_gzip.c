/* `zipscale gzip`: gzip compressibility H of token files (or raw bytes), with the zstd
 * ratio and unigram entropy beside it, as a table or JSON. A thin client of the measure
 * module (include/zipscale/measure.h); token files are read through zipscale/tokens.h. */
#include <math.h>
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

static gzip_args args = {
    .sequence_tokens = 256,
    .sample = 1000,
    .chunk_bytes = 1024,
    .level = 9,
    .zstd_level = ZS_ZSTD_DEFAULT_LEVEL,
};

static const zs_opt gzip_opts[] = {
    {"sequence-length", 0, ZS_OPT_U64, &args.sequence_tokens, "L",
     "tokens per sequence: consecutive windows of the stream (default 256)"},
    {"sample", 0, ZS_OPT_U64, &args.sample, "N",
     "sequences sampled without replacement; 0 = all (default 1000)"},
    ZS_OPT_SEED(&args.seed),
    {"bytes", 0, ZS_OPT_FLAG, &args.bytes_mode, NULL,
     "measure the file's raw bytes in chunks (text, code) instead of tokens"},
    {"chunk-bytes", 0, ZS_OPT_U64, &args.chunk_bytes, "B",
     "bytes per chunk with --bytes (default 1024 = 256 tokens x 4 bytes)"},
    {"level", 0, ZS_OPT_INT, &args.level, "1..9", "gzip level (default 9, as [GZ])"},
    {"zstd-level", 0, ZS_OPT_INT, &args.zstd_level, "0..22",
     "zstd level for the second ratio; 0 = skip (default 19)"},
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

/* NaN (the stdev of one ratio) is not JSON: it becomes null. */
static json_t *json_number(double x) {
    return isnan(x) ? json_null() : json_real(x);
}

static json_t *summary_json(const zs_summary *s) {
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "n", (json_int_t)s->n, "median",
                     json_number(s->median), "mean", json_number(s->mean), "stdev",
                     json_number(s->stdev), "q1", json_number(s->q1), "q3", json_number(s->q3),
                     "min", json_number(s->min), "max", json_number(s->max));
}

static void set_int(json_t *obj, const char *key, uint64_t value) {
    json_object_set_new(obj, key, json_integer((json_int_t)value));
}

/* One file's record; the unit words follow the mode ("tokens" or "bytes"). */
static json_t *file_json(const char *path, const char *sha256, const char *format,
                         const char *dtype, const zs_measure_result *r) {
    const char *units = args.bytes_mode ? "bytes" : "tokens";
    char key[64];
    json_t *f = json_object();
    json_object_set_new(f, "file", json_string(path));
    json_object_set_new(f, "sha256", json_string(sha256));
    json_object_set_new(f, "format", json_string(format));
    json_object_set_new(f, "dtype", json_string(dtype));
    set_int(f, units, r->units_total);
    snprintf(key, sizeof key, "sequence_%s", units);
    set_int(f, key, r->window_units);
    set_int(f, "raw_bytes_per_sequence", r->raw_bytes_per_window);
    set_int(f, "sequences_total", r->windows_total);
    snprintf(key, sizeof key, "tail_%s_ignored", units);
    set_int(f, key, r->tail_units);
    json_object_set_new(f, "H", json_number(r->gzip.median));
    json_object_set_new(f, "gzip", summary_json(&r->gzip));
    json_t *zstd = json_null();
    if (r->zstd.n) {
        zstd = summary_json(&r->zstd);
        json_object_set_new(zstd, "level", json_integer(args.zstd_level));
    }
    json_object_set_new(f, "zstd", zstd);
    /* Every sampled sequence's ratio, so `zipscale plot gzip` can draw the distribution. */
    json_t *ratios = json_array();
    for (uint64_t i = 0; i < r->gzip.n; i++)
        json_array_append_new(ratios, json_real(r->gzip_ratios[i]));
    json_object_set_new(f, "gzip_ratios", ratios);
    snprintf(key, sizeof key, "unigram_entropy_bits_per_%s", args.bytes_mode ? "byte" : "token");
    json_object_set_new(f, key, json_real(r->entropy_bits));
    snprintf(key, sizeof key, "distinct_%s", units);
    set_int(f, key, r->distinct_symbols);
    return f;
}

/* Every option that changes the numbers; --threads does not, so it is left out and the
 * output is byte-identical for any thread count. */
static json_t *options_json(void) {
    json_t *o = json_pack("{s:s, s:I, s:I, s:i, s:i}", "mode", args.bytes_mode ? "bytes" : "tokens",
                          "sample", (json_int_t)args.sample, "seed", (json_int_t)args.seed,
                          "gzip_level", args.level, "zstd_level", args.zstd_level);
    if (args.bytes_mode)
        json_object_set_new(o, "chunk_bytes", json_integer((json_int_t)args.chunk_bytes));
    else
        json_object_set_new(o, "sequence_length", json_integer((json_int_t)args.sequence_tokens));
    return o;
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

static zs_status emit_table(char **paths, const zs_measure_result *results, int n, zs_error *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return zs_fail(err, ZS_ERR_NOMEM, "out of memory formatting the table");
    print_table_header(out, args.zstd_level != 0);
    for (int i = 0; i < n; i++) print_table_row(out, paths[i], &results[i]);
    for (int i = 0; i < n; i++) print_table_note(out, paths[i], &results[i]);
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
    zs_measure_result *results = calloc((size_t)npos, sizeof *results);
    zs_error err = {0};
    zs_status s = results ? ZS_OK : zs_fail(&err, ZS_ERR_NOMEM, "out of memory");
    json_t *files = json_array();
    for (int i = 0; !s && i < npos; i++) {
        const char *format, *dtype;
        char sha256[65];
        s = measure_file(pos[i], &opts, &results[i], &format, &dtype, &err);
        /* The file's digest is provenance for the JSON record; the table has no room. */
        if (!s && args.json) s = zs_sha256_file(pos[i], sha256, &err);
        if (!s && args.json)
            json_array_append_new(files, file_json(pos[i], sha256, format, dtype, &results[i]));
    }
    if (!s && args.json) {
        json_t *doc = json_pack("{s:s, s:s, s:o, s:o}", "zipscale_version", zs_version(), "command",
                                "gzip", "options", options_json(), "files", files);
        files = NULL;
        s = zs_cli_emit_json(doc, args.output, &err);
    } else if (!s) {
        s = emit_table(pos, results, npos, &err);
    }
    json_decref(files);
    for (int i = 0; results && i < npos; i++) zs_measure_result_free(&results[i]);
    free(results);
    return s ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_gzip = {&gzip_spec, gzip_run};
