/* The gzip results file ("command": "gzip"): what `zipscale gzip --json` writes and
 * `zipscale plot gzip` and `zipscale report` read. One writer, one reader (zipscale/measure.h,
 * docs/gzip.md). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "zipscale/measure.h"

/* ---- writer ----------------------------------------------------------------------------- */

static json_t *summary_json(const zs_summary *s) {
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "n", (json_int_t)s->n, "median",
                     zs_json_number(s->median), "mean", zs_json_number(s->mean), "stdev",
                     zs_json_number(s->stdev), "q1", zs_json_number(s->q1), "q3",
                     zs_json_number(s->q3), "min", zs_json_number(s->min), "max",
                     zs_json_number(s->max));
}

static void set_int(json_t *obj, const char *key, uint64_t value) {
    json_object_set_new(obj, key, json_integer((json_int_t)value));
}

static json_t *string_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

/* One file's record; the unit words follow the mode ("tokens" or "bytes"). */
static json_t *entry_json(const zs_gzipfile *gf, const zs_gzipfile_entry *e) {
    const zs_measure_result *r = &e->result;
    const char *units = gf->bytes_mode ? "bytes" : "tokens";
    char key[64];
    json_t *f = json_object();
    json_object_set_new(f, "file", json_string(e->file));
    json_object_set_new(f, "sha256", json_string(e->sha256));
    json_object_set_new(f, "format", string_or_null(e->format));
    json_object_set_new(f, "dtype", string_or_null(e->dtype));
    set_int(f, units, r->units_total);
    snprintf(key, sizeof key, "sequence_%s", units);
    set_int(f, key, r->window_units);
    set_int(f, "raw_bytes_per_sequence", r->raw_bytes_per_window);
    set_int(f, "sequences_total", r->windows_total);
    snprintf(key, sizeof key, "tail_%s_ignored", units);
    set_int(f, key, r->tail_units);
    json_object_set_new(f, "H", zs_json_number(r->gzip.median));
    json_object_set_new(f, "gzip", summary_json(&r->gzip));
    json_t *zstd = json_null();
    if (r->zstd.n) {
        zstd = summary_json(&r->zstd);
        json_object_set_new(zstd, "level", json_integer(gf->zstd_level));
    }
    json_object_set_new(f, "zstd", zstd);
    /* Every sampled sequence's ratio, so `zipscale plot gzip` can draw the distribution. */
    json_t *ratios = json_array();
    for (uint64_t i = 0; r->gzip_ratios && i < r->gzip.n; i++)
        json_array_append_new(ratios, json_real(r->gzip_ratios[i]));
    json_object_set_new(f, "gzip_ratios", ratios);
    snprintf(key, sizeof key, "unigram_entropy_bits_per_%s", gf->bytes_mode ? "byte" : "token");
    json_object_set_new(f, key, json_real(r->entropy_bits));
    snprintf(key, sizeof key, "distinct_%s", units);
    set_int(f, key, r->distinct_symbols);
    return f;
}

/* Every option that changes the numbers (not the thread count). */
static json_t *options_json(const zs_gzipfile *gf) {
    json_t *o = json_pack("{s:s, s:I, s:I, s:i, s:i}", "mode", gf->bytes_mode ? "bytes" : "tokens",
                          "sample", (json_int_t)gf->sample, "seed", (json_int_t)gf->seed,
                          "gzip_level", gf->gzip_level, "zstd_level", gf->zstd_level);
    set_int(o, gf->bytes_mode ? "chunk_bytes" : "sequence_length", gf->window);
    return o;
}

zs_status zs_gzipfile_format(const zs_gzipfile *gf, char **text, size_t *len, zs_error *err) {
    json_t *files = json_array();
    for (size_t i = 0; files && i < gf->n_files; i++)
        json_array_append_new(files, entry_json(gf, &gf->files[i]));
    json_t *doc = json_pack("{s:s, s:s, s:o, s:o}", "zipscale_version", zs_version(), "command",
                            "gzip", "options", options_json(gf), "files", files);
    return zs_json_text(doc, "the gzip results", text, len, err);
}

zs_status zs_gzipfile_write(const zs_gzipfile *gf, const char *path, zs_error *err) {
    if (!path) return zs_fail(err, ZS_ERR_USAGE, "gzip results: path is NULL, expected a file");
    char *text;
    size_t len;
    zs_status s = zs_gzipfile_format(gf, &text, &len, err);
    if (s) return s;
    s = zs_json_write_text(path, text, len, err);
    free(text);
    return s;
}

/* ---- reader ----------------------------------------------------------------------------- */

/* Fails with "PATH: FIELD: expected WHAT"; field is printf-formatted by the callers. */
static zs_status bad(zs_error *err, const char *path, const char *field, const char *what) {
    return zs_fail(err, ZS_ERR_FORMAT, "%s: %s: expected %s", path, field, what);
}

/* A non-negative integer member; absent is fine unless required. */
static zs_status get_count(json_t *obj, const char *key, int required, const char *path,
                           const char *where, uint64_t *out, zs_error *err) {
    json_t *v = json_object_get(obj, key);
    if (!v && !required) return ZS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        char field[192];
        snprintf(field, sizeof field, "%s%s", where, key);
        return bad(err, path, field, "a non-negative integer");
    }
    *out = (uint64_t)json_integer_value(v);
    return ZS_OK;
}

/* A string member, copied; absent or null leaves *out NULL. */
static zs_status get_string(json_t *obj, const char *key, const char *path, const char *where,
                            char **out, zs_error *err) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return ZS_OK;
    char field[192];
    snprintf(field, sizeof field, "%s%s", where, key);
    if (!json_is_string(v)) return bad(err, path, field, "a string");
    if (!(*out = strdup(json_string_value(v))))
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory reading %s", path);
    return ZS_OK;
}

static zs_status read_options(zs_gzipfile *gf, json_t *o, const char *path, zs_error *err) {
    if (!o) return ZS_OK;
    if (!json_is_object(o)) return bad(err, path, "options", "an object");
    json_t *mode = json_object_get(o, "mode");
    if (mode && (!json_is_string(mode) || (strcmp(json_string_value(mode), "tokens") != 0 &&
                                           strcmp(json_string_value(mode), "bytes") != 0)))
        return bad(err, path, "options.mode", "\"tokens\" or \"bytes\"");
    gf->bytes_mode = mode && strcmp(json_string_value(mode), "bytes") == 0;
    uint64_t level = 9, zstd = 0;
    zs_status s = get_count(o, "sample", 0, path, "options.", &gf->sample, err);
    if (!s) s = get_count(o, "seed", 0, path, "options.", &gf->seed, err);
    if (!s) s = get_count(o, "gzip_level", 0, path, "options.", &level, err);
    if (!s) s = get_count(o, "zstd_level", 0, path, "options.", &zstd, err);
    if (!s)
        s = get_count(o, gf->bytes_mode ? "chunk_bytes" : "sequence_length", 0, path, "options.",
                      &gf->window, err);
    gf->gzip_level = (int)level;
    gf->zstd_level = (int)zstd;
    return s;
}

static zs_status read_entry(zs_gzipfile *gf, zs_gzipfile_entry *e, json_t *obj, size_t i,
                            const char *path, zs_error *err) {
    char where[64], field[160];
    snprintf(where, sizeof where, "files[%zu].", i);
    e->result.entropy_bits = NAN;
    e->result.gzip.median = NAN;
    if (!json_is_object(obj)) {
        snprintf(field, sizeof field, "files[%zu]", i);
        return bad(err, path, field, "an object");
    }
    json_t *file = json_object_get(obj, "file");
    snprintf(field, sizeof field, "%sfile", where);
    if (!json_is_string(file)) return bad(err, path, field, "a string");
    if (!(e->file = strdup(json_string_value(file))))
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory reading %s", path);
    char *sha = NULL;
    zs_status s = get_string(obj, "sha256", path, where, &sha, err);
    if (sha) snprintf(e->sha256, sizeof e->sha256, "%s", sha);
    free(sha);
    if (!s) s = get_string(obj, "format", path, where, &e->format, err);
    if (!s) s = get_string(obj, "dtype", path, where, &e->dtype, err);
    if (s) return s;
    json_t *h = json_object_get(obj, "H");
    snprintf(field, sizeof field, "%sH", where);
    if (!json_is_number(h)) return bad(err, path, field, "a number");
    e->result.gzip.median = json_number_value(h);
    /* the size is in tokens, or in bytes for `zipscale gzip --bytes` */
    s = get_count(obj, gf->bytes_mode ? "bytes" : "tokens", 1, path, where, &e->result.units_total,
                  err);
    if (s) return s;
    /* the optional counts, checked when present */
    const char *units = gf->bytes_mode ? "bytes" : "tokens";
    char key[64];
    snprintf(key, sizeof key, "sequence_%s", units);
    s = get_count(obj, key, 0, path, where, &e->result.window_units, err);
    if (!s)
        s = get_count(obj, "raw_bytes_per_sequence", 0, path, where,
                      &e->result.raw_bytes_per_window, err);
    if (!s) s = get_count(obj, "sequences_total", 0, path, where, &e->result.windows_total, err);
    snprintf(key, sizeof key, "tail_%s_ignored", units);
    if (!s) s = get_count(obj, key, 0, path, where, &e->result.tail_units, err);
    snprintf(key, sizeof key, "distinct_%s", units);
    if (!s) s = get_count(obj, key, 0, path, where, &e->result.distinct_symbols, err);
    if (s) return s;
    snprintf(key, sizeof key, "unigram_entropy_bits_per_%s", gf->bytes_mode ? "byte" : "token");
    json_t *entropy = json_object_get(obj, key);
    snprintf(field, sizeof field, "%s%s", where, key);
    if (entropy && !json_is_number(entropy)) return bad(err, path, field, "a number");
    if (entropy) e->result.entropy_bits = json_number_value(entropy);
    json_t *ratios = json_object_get(obj, "gzip_ratios");
    if (!ratios || json_is_null(ratios)) return ZS_OK;
    snprintf(field, sizeof field, "%sgzip_ratios", where);
    if (!json_is_array(ratios)) return bad(err, path, field, "an array of numbers");
    size_t n = json_array_size(ratios);
    if (n == 0) return ZS_OK;
    if (!(e->result.gzip_ratios = zs_alloc(n * sizeof(double), "gzip ratios", err)))
        return ZS_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        json_t *v = json_array_get(ratios, k);
        if (!json_is_number(v)) {
            snprintf(field, sizeof field, "%sgzip_ratios[%zu]", where, k);
            return bad(err, path, field, "a number");
        }
        e->result.gzip_ratios[k] = json_number_value(v);
    }
    e->result.gzip.n = n;
    return ZS_OK;
}

static zs_status read_doc(zs_gzipfile *gf, json_t *doc, const char *path, zs_error *err) {
    const char *command = json_string_value(json_object_get(doc, "command"));
    if (!command || strcmp(command, "gzip") != 0)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: not a `zipscale gzip --json` result (expected \"command\": \"gzip\")",
                       path);
    zs_status s = read_options(gf, json_object_get(doc, "options"), path, err);
    if (s) return s;
    json_t *files = json_object_get(doc, "files");
    if (!json_is_array(files) || json_array_size(files) == 0)
        return bad(err, path, "files", "a non-empty array");
    /* without options, the size key tells the mode */
    if (!json_object_get(doc, "options"))
        gf->bytes_mode = json_object_get(json_array_get(files, 0), "bytes") != NULL;
    size_t n = json_array_size(files);
    if (!(gf->files = calloc(n, sizeof *gf->files)))
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory reading %s", path);
    for (size_t i = 0; !s && i < n; i++) {
        gf->n_files = i + 1;
        s = read_entry(gf, &gf->files[i], json_array_get(files, i), i, path, err);
    }
    return s;
}

zs_status zs_gzipfile_read(zs_gzipfile *gf, const char *path, zs_error *err) {
    memset(gf, 0, sizeof *gf);
    gf->gzip_level = 9;
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc && json_error_code(&jerr) == json_error_cannot_open_file)
        return zs_fail(err, ZS_ERR_IO, "%s: cannot read: %s", path, jerr.text);
    if (!doc)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%d:%d: bad JSON: %s", path, jerr.line, jerr.column,
                       jerr.text);
    zs_status s = json_is_object(doc) ? read_doc(gf, doc, path, err)
                                      : bad(err, path, "the document", "a JSON object");
    json_decref(doc);
    if (s) zs_gzipfile_free(gf);
    return s;
}

void zs_gzipfile_free(zs_gzipfile *gf) {
    if (!gf) return;
    for (size_t i = 0; gf->files && i < gf->n_files; i++) {
        free(gf->files[i].file);
        free(gf->files[i].format);
        free(gf->files[i].dtype);
        zs_measure_result_free(&gf->files[i].result);
    }
    free(gf->files);
    memset(gf, 0, sizeof *gf);
}
