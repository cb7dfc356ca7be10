/* The provenance sidecar `<data file>.json`: which generator made a token file, with what
 * parameters and seed, its vocabulary, separator and context. Fields zipscale does not
 * know are carried through a read/write round trip in extra_json. */
#include "zipscale/tokens.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/json.h"

static const char *const known_fields[] = {"generator",  "params",          "seed",
                                           "vocab_size", "context",         "separator_id",
                                           "n_tokens",   "zipscale_version"};
enum { N_KNOWN = sizeof known_fields / sizeof known_fields[0] };

static int is_known(const char *key) {
    for (int i = 0; i < N_KNOWN; i++)
        if (strcmp(key, known_fields[i]) == 0) return 1;
    return 0;
}

void zs_sidecar_init(zs_sidecar *sc) {
    memset(sc, 0, sizeof *sc);
    sc->separator_id = -1;
}

void zs_sidecar_free(zs_sidecar *sc) {
    if (!sc) return;
    free(sc->generator);
    free(sc->params_json);
    free(sc->version);
    free(sc->extra_json);
    zs_sidecar_init(sc);
}

static char *sidecar_path(const char *data_path, zs_error *err) {
    size_t n = strlen(data_path) + sizeof ".json";
    char *p = zs_alloc(n, "sidecar path", err);
    if (p) snprintf(p, n, "%s.json", data_path);
    return p;
}

/* ---- reading ---- */

/* Every field may be absent or null: unknown. */
enum { OPT = ZS_JSON_OPTIONAL | ZS_JSON_NULLABLE };

/* Seeds are unsigned 64-bit; those above 2^63-1 are written as decimal strings. */
static zs_status get_seed(const zs_json_reader *rd, json_t *obj, zs_sidecar *sc) {
    json_t *v = json_object_get(obj, "seed");
    if (!v || json_is_null(v)) return ZS_OK;
    const char *what = "a non-negative integer, a decimal string or null";
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) return zs_json_fail(rd, NULL, "seed", what);
        sc->seed = (uint64_t)json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *text = json_string_value(v);
        char *end;
        errno = 0;
        sc->seed = strtoull(text, &end, 10);
        /* digits only: strtoull would take a sign or leading spaces (" -1" wraps around) */
        if (!isdigit((unsigned char)*text) || *end || errno)
            return zs_json_fail(rd, NULL, "seed", what);
    } else {
        return zs_json_fail(rd, NULL, "seed", what);
    }
    sc->has_seed = 1;
    return ZS_OK;
}

static zs_status get_separator(const zs_json_reader *rd, json_t *obj, zs_sidecar *sc) {
    json_t *v = json_object_get(obj, "separator_id");
    if (!v || json_is_null(v)) return ZS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < -1)
        return zs_json_fail(rd, NULL, "separator_id", "an integer >= 0, or null for none");
    sc->separator_id = json_integer_value(v);
    return ZS_OK;
}

static zs_status dump_object(const zs_json_reader *rd, json_t *value, char **out) {
    *out = json_dumps(value, JSON_COMPACT);
    return *out ? ZS_OK : zs_json_nomem(rd);
}

static zs_status get_params(const zs_json_reader *rd, json_t *obj, zs_sidecar *sc) {
    json_t *v;
    zs_status s = zs_json_get_object(rd, obj, NULL, "params", "a JSON object", OPT, &v);
    return s || !v ? s : dump_object(rd, v, &sc->params_json);
}

static zs_status get_extra(const zs_json_reader *rd, json_t *obj, zs_sidecar *sc) {
    json_t *extra = json_object();
    if (!extra) return zs_json_nomem(rd);
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        if (!is_known(key)) json_object_set(extra, key, value);
    }
    zs_status s = json_object_size(extra) ? dump_object(rd, extra, &sc->extra_json) : ZS_OK;
    json_decref(extra);
    return s;
}

static zs_status parse_fields(const zs_json_reader *rd, json_t *obj, zs_sidecar *sc) {
    zs_status s = zs_json_get_string(rd, obj, NULL, "generator", OPT, &sc->generator);
    if (!s) s = get_params(rd, obj, sc);
    if (!s) s = get_seed(rd, obj, sc);
    if (!s) s = zs_json_get_uint(rd, obj, NULL, "vocab_size", OPT, &sc->vocab_size);
    if (!s) s = get_separator(rd, obj, sc);
    if (!s && sc->vocab_size && sc->separator_id >= 0 &&
        (uint64_t)sc->separator_id >= sc->vocab_size)
        s = zs_json_fail(rd, NULL, "separator_id", "an id below vocab_size, or null for none");
    if (!s) s = zs_json_get_uint(rd, obj, NULL, "context", OPT, &sc->context);
    if (!s) s = zs_json_get_uint(rd, obj, NULL, "n_tokens", OPT, &sc->n_tokens);
    if (!s) s = zs_json_get_string(rd, obj, NULL, "zipscale_version", OPT, &sc->version);
    if (!s) s = get_extra(rd, obj, sc);
    return s;
}

zs_status zs_sidecar_read(const char *data_path, zs_sidecar *sc, int *found, zs_error *err) {
    zs_sidecar_init(sc);
    *found = 0;
    char *path = sidecar_path(data_path, err);
    if (!path) return ZS_ERR_NOMEM;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        free(path);
        return ZS_OK;
    }
    json_t *root;
    zs_status s = zs_json_load(path, JSON_REJECT_DUPLICATES, &root, err);
    zs_json_reader rd = {.path = path, .err = err, .quote_keys = 1};
    if (!s) s = parse_fields(&rd, root, sc);
    json_decref(root);
    free(path);
    if (s)
        zs_sidecar_free(sc);
    else
        *found = 1;
    return s;
}

/* ---- writing ---- */

static json_t *count_or_null(uint64_t v, int known) {
    return known ? json_integer((json_int_t)v) : json_null();
}

static json_t *seed_value(const zs_sidecar *sc) {
    if (!sc->has_seed) return json_null();
    if (sc->seed <= INT64_MAX) return json_integer((json_int_t)sc->seed);
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, sc->seed);
    return json_string(text);
}

/* Parses params_json or extra_json, which must hold a JSON object. */
static zs_status load_object(const char *path, const char *field, const char *text, json_t **out,
                             zs_error *err) {
    json_error_t jerr;
    *out = json_loads(text, 0, &jerr);
    if (*out && json_is_object(*out)) return ZS_OK;
    json_decref(*out);
    *out = NULL;
    return zs_fail(err, ZS_ERR_USAGE, "%s: sidecar %s is not a JSON object's text (%s)", path,
                   field, jerr.text[0] ? jerr.text : "another JSON value");
}

static zs_status build(const char *path, const zs_sidecar *sc, json_t *root, zs_error *err) {
    json_t *params = NULL, *extra = NULL;
    zs_status s;
    if (sc->params_json && (s = load_object(path, "params_json", sc->params_json, &params, err)))
        return s;
    if (sc->extra_json && (s = load_object(path, "extra_json", sc->extra_json, &extra, err))) {
        json_decref(params);
        return s;
    }
    int bad = 0;
    bad |= json_object_set_new(root, "generator",
                               sc->generator ? json_string(sc->generator) : json_null());
    bad |= json_object_set_new(root, "params", params ? params : json_null());
    bad |= json_object_set_new(root, "seed", seed_value(sc));
    bad |=
        json_object_set_new(root, "vocab_size", count_or_null(sc->vocab_size, sc->vocab_size > 0));
    bad |= json_object_set_new(root, "separator_id",
                               count_or_null((uint64_t)sc->separator_id, sc->separator_id >= 0));
    bad |= json_object_set_new(root, "context", json_integer((json_int_t)sc->context));
    bad |= json_object_set_new(root, "n_tokens", json_integer((json_int_t)sc->n_tokens));
    bad |= json_object_set_new(root, "zipscale_version", json_string(zs_version()));
    const char *key;
    json_t *value;
    if (extra) {
        json_object_foreach(extra, key, value) {
            if (!is_known(key)) bad |= json_object_set(root, key, value);
        }
        json_decref(extra);
    }
    return bad ? zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory building the sidecar", path) : ZS_OK;
}

zs_status zs_sidecar_write(const char *data_path, const zs_sidecar *sc, zs_error *err) {
    char *path = sidecar_path(data_path, err);
    if (!path) return ZS_ERR_NOMEM;
    json_t *root = json_object();
    zs_status s =
        root ? build(path, sc, root, err) : zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory", path);
    char *text = s ? NULL : json_dumps(root, JSON_INDENT(2));
    if (!s && !text) s = zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory", path);
    if (!s) {
        size_t len = strlen(text);
        text[len] = '\n'; /* written as len+1 bytes, never used as a string again */
        s = zs_write_file_atomic(path, text, len + 1, err);
    }
    free(text);
    json_decref(root);
    free(path);
    return s;
}
