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

static json_t *gzipfile_json(const zs_gzipfile *gf) {
    json_t *files = json_array();
    for (size_t i = 0; files && i < gf->n_files; i++)
        json_array_append_new(files, entry_json(gf, &gf->files[i]));
    return json_pack("{s:s, s:s, s:o, s:o}", "zipscale_version", zs_version(), "command", "gzip",
                     "options", options_json(gf), "files", files);
}

zs_status zs_gzipfile_format(const zs_gzipfile *gf, char **text, size_t *len, zs_error *err) {
    return zs_json_text(gzipfile_json(gf), "the gzip results", text, len, err);
}

zs_status zs_gzipfile_write(const zs_gzipfile *gf, const char *path, zs_error *err) {
    if (!path) return zs_fail(err, ZS_ERR_USAGE, "gzip results: path is NULL, expected a file");
    return zs_json_write_file(gzipfile_json(gf), "the gzip results", path, err);
}

/* ---- reader ----------------------------------------------------------------------------- */

typedef zs_json_reader ctx;

enum { OPT = ZS_JSON_OPTIONAL };

static zs_status read_options(zs_gzipfile *gf, const ctx *c, json_t *doc) {
    json_t *o;
    zs_status s = zs_json_get_object(c, doc, NULL, "options", NULL, OPT, &o);
    if (s || !o) return s;
    json_t *mode = json_object_get(o, "mode");
    if (mode && (!json_is_string(mode) || (strcmp(json_string_value(mode), "tokens") != 0 &&
                                           strcmp(json_string_value(mode), "bytes") != 0)))
        return zs_json_fail(c, "options.", "mode", "\"tokens\" or \"bytes\"");
    gf->bytes_mode = mode && strcmp(json_string_value(mode), "bytes") == 0;
    uint64_t level = 9, zstd = 0;
    const char *p = "options.";
    s = zs_json_get_uint(c, o, p, "sample", OPT, &gf->sample);
    if (!s) s = zs_json_get_uint(c, o, p, "seed", OPT, &gf->seed);
    if (!s) s = zs_json_get_uint(c, o, p, "gzip_level", OPT, &level);
    if (!s) s = zs_json_get_uint(c, o, p, "zstd_level", OPT, &zstd);
    if (!s)
        s = zs_json_get_uint(c, o, p, gf->bytes_mode ? "chunk_bytes" : "sequence_length", OPT,
                             &gf->window);
    gf->gzip_level = (int)level;
    gf->zstd_level = (int)zstd;
    return s;
}

/* Every sampled sequence's gzip ratio (absent or null: none). */
static zs_status read_ratios(const ctx *c, json_t *obj, const char *where, zs_measure_result *r,
                             zs_error *err) {
    json_t *ratios = json_object_get(obj, "gzip_ratios");
    if (!ratios || json_is_null(ratios)) return ZS_OK;
    if (!json_is_array(ratios)) return zs_json_fail(c, where, "gzip_ratios", "an array of numbers");
    size_t n = json_array_size(ratios);
    if (n == 0) return ZS_OK;
    if (!(r->gzip_ratios = zs_alloc(n * sizeof(double), "gzip ratios", err))) return ZS_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        json_t *v = json_array_get(ratios, k);
        if (!json_is_number(v)) {
            char field[64];
            snprintf(field, sizeof field, "gzip_ratios[%zu]", k);
            return zs_json_fail(c, where, field, "a number");
        }
        r->gzip_ratios[k] = json_number_value(v);
    }
    r->gzip.n = n;
    return ZS_OK;
}

static zs_status read_entry(zs_gzipfile *gf, zs_gzipfile_entry *e, json_t *files, size_t i,
                            const ctx *c) {
    char where[64];
    e->result.entropy_bits = NAN;
    e->result.gzip.median = NAN;
    zs_measure_result *r = &e->result;
    int opt_null = OPT | ZS_JSON_NULLABLE;
    char *sha = NULL;
    json_t *obj;
    zs_status s = zs_json_get_element(c, files, "files", i, where, sizeof where, &obj);
    if (!s) s = zs_json_get_string(c, obj, where, "file", 0, &e->file);
    if (!s) s = zs_json_get_string(c, obj, where, "sha256", opt_null, &sha);
    if (sha) snprintf(e->sha256, sizeof e->sha256, "%s", sha);
    free(sha);
    if (!s) s = zs_json_get_string(c, obj, where, "format", opt_null, &e->format);
    if (!s) s = zs_json_get_string(c, obj, where, "dtype", opt_null, &e->dtype);
    if (!s) s = zs_json_get_number(c, obj, where, "H", 0, &r->gzip.median);
    /* the size is in tokens, or in bytes for `zipscale gzip --bytes` */
    const char *units = gf->bytes_mode ? "bytes" : "tokens";
    if (!s) s = zs_json_get_uint(c, obj, where, units, 0, &r->units_total);
    /* the optional counts, checked when present */
    char key[64];
    snprintf(key, sizeof key, "sequence_%s", units);
    if (!s) s = zs_json_get_uint(c, obj, where, key, OPT, &r->window_units);
    if (!s)
        s = zs_json_get_uint(c, obj, where, "raw_bytes_per_sequence", OPT,
                             &r->raw_bytes_per_window);
    if (!s) s = zs_json_get_uint(c, obj, where, "sequences_total", OPT, &r->windows_total);
    snprintf(key, sizeof key, "tail_%s_ignored", units);
    if (!s) s = zs_json_get_uint(c, obj, where, key, OPT, &r->tail_units);
    snprintf(key, sizeof key, "distinct_%s", units);
    if (!s) s = zs_json_get_uint(c, obj, where, key, OPT, &r->distinct_symbols);
    snprintf(key, sizeof key, "unigram_entropy_bits_per_%s", gf->bytes_mode ? "byte" : "token");
    if (!s) s = zs_json_get_number(c, obj, where, key, OPT, &r->entropy_bits);
    if (!s) s = read_ratios(c, obj, where, r, c->err);
    return s;
}

static zs_status read_doc(zs_gzipfile *gf, json_t *doc, const ctx *c) {
    const char *path = c->path;
    zs_error *err = c->err;
    const char *command = json_string_value(json_object_get(doc, "command"));
    if (!command || strcmp(command, "gzip") != 0)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: not a gzip results file (expected \"command\": \"gzip\")", path);
    json_t *files = NULL;
    zs_status s = read_options(gf, c, doc);
    if (!s) s = zs_json_get_array(c, doc, NULL, "files", ZS_JSON_NONEMPTY, &files);
    if (s) return s;
    /* without options, the size key tells the mode */
    if (!json_object_get(doc, "options"))
        gf->bytes_mode = json_object_get(json_array_get(files, 0), "bytes") != NULL;
    size_t n = json_array_size(files);
    if (!(gf->files = calloc(n, sizeof *gf->files))) return zs_json_nomem(c);
    for (size_t i = 0; !s && i < n; i++) {
        gf->n_files = i + 1;
        s = read_entry(gf, &gf->files[i], files, i, c);
    }
    return s;
}

zs_status zs_gzipfile_read(zs_gzipfile *gf, const char *path, zs_error *err) {
    memset(gf, 0, sizeof *gf);
    json_t *doc;
    zs_status s = zs_json_load(path, 0, &doc, err);
    if (s) return s;
    gf->gzip_level = 9;
    ctx c = {.path = path, .err = err};
    s = read_doc(gf, doc, &c);
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
