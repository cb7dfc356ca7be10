/* The JSON helpers every writer and reader of a zipscale file shares (core/json.h): the
 * file text of a document; loading a file and reading its
 * members, with one form of message for a wrong field. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

zs_status zs_json_text(json_t *doc, const char *what, char **text, size_t *len, zs_error *err) {
    *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(doc);
    if (!*text) return zs_fail(err, ZS_ERR_NOMEM, "out of memory formatting %s", what);
    size_t n = strlen(*text);
    char *grown = realloc(*text, n + 2);
    if (!grown) {
        free(*text);
        *text = NULL;
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory formatting %s", what);
    }
    grown[n] = '\n';
    grown[n + 1] = '\0';
    *text = grown;
    if (len) *len = n + 1;
    return ZS_OK;
}

zs_status zs_json_write_file(json_t *doc, const char *what, const char *path, zs_error *err) {
    char *text;
    size_t len;
    zs_status s = zs_json_text(doc, what, &text, &len, err);
    if (s) return s;
    s = zs_write_file_atomic(path, text, len, err);
    free(text);
    return s;
}

/* ---- reading ---------------------------------------------------------------------------- */

zs_status zs_json_load(const char *path, size_t flags, json_t **root, zs_error *err) {
    json_error_t jerr;
    *root = json_load_file(path, flags, &jerr);
    if (!*root && jerr.line < 0) return zs_fail(err, ZS_ERR_IO, "%s: %s", path, jerr.text);
    if (!*root)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%d:%d: bad JSON: %s", path, jerr.line, jerr.column,
                       jerr.text);
    if (json_is_object(*root)) return ZS_OK;
    json_decref(*root);
    *root = NULL;
    return zs_fail(err, ZS_ERR_FORMAT, "%s: expected a JSON object at the top level", path);
}

zs_status zs_json_fail(const zs_json_reader *rd, const char *where, const char *key,
                       const char *what) {
    const char *open = rd->quote_keys ? "field '" : "", *close = rd->quote_keys ? "'" : "";
    return zs_fail(rd->err, ZS_ERR_FORMAT, "%s: %s%s%s%s%s%s: expected %s", rd->path,
                   rd->label ? rd->label : "", rd->label ? ": " : "", open, where ? where : "",
                   key ? key : "", close, what);
}

zs_status zs_json_nomem(const zs_json_reader *rd) {
    return zs_fail(rd->err, ZS_ERR_NOMEM, "out of memory reading %s", rd->path);
}

/* WHAT, or "WHAT or null" when null is allowed. */
static zs_status fail_type(const zs_json_reader *rd, const char *where, const char *key, int flags,
                           const char *what) {
    char text[160];
    snprintf(text, sizeof text, "%s%s", what, (flags & ZS_JSON_NULLABLE) ? " or null" : "");
    return zs_json_fail(rd, where, key, text);
}

/* Looks key up in obj: 1 when the caller should read *v, 0 when absent or null and allowed
 * (then *v is the member, NULL when absent). */
static int present(json_t *obj, const char *key, int flags, json_t **v) {
    *v = zs_json_member(obj, key);
    if (!*v) return !(flags & ZS_JSON_OPTIONAL);
    return !(json_is_null(*v) && (flags & ZS_JSON_NULLABLE));
}

zs_status zs_json_get_number(const zs_json_reader *rd, json_t *obj, const char *where,
                             const char *key, int flags, double *out) {
    json_t *v;
    if (!present(obj, key, flags, &v)) {
        if (v) *out = NAN;
        return ZS_OK;
    }
    int positive = flags & ZS_JSON_POSITIVE;
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(x) || (positive && !(x > 0)))
        return fail_type(rd, where, key, flags, positive ? "a positive number" : "a number");
    *out = x;
    return ZS_OK;
}

zs_status zs_json_get_uint(const zs_json_reader *rd, json_t *obj, const char *where,
                           const char *key, int flags, uint64_t *out) {
    json_t *v;
    if (!present(obj, key, flags, &v)) return ZS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail_type(rd, where, key, flags, "a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return ZS_OK;
}

zs_status zs_json_get_size(const zs_json_reader *rd, json_t *obj, const char *where,
                           const char *key, int flags, size_t *out) {
    uint64_t x = *out;
    zs_status s = zs_json_get_uint(rd, obj, where, key, flags, &x);
    if (!s && x > SIZE_MAX) return fail_type(rd, where, key, flags, "a smaller integer");
    if (!s) *out = (size_t)x;
    return s;
}

zs_status zs_json_get_string(const zs_json_reader *rd, json_t *obj, const char *where,
                             const char *key, int flags, char **out) {
    json_t *v;
    if (!present(obj, key, flags, &v)) return ZS_OK;
    if (!json_is_string(v)) return fail_type(rd, where, key, flags, "a string");
    *out = strdup(json_string_value(v));
    return *out ? ZS_OK : zs_json_nomem(rd);
}

zs_status zs_json_get_bool(const zs_json_reader *rd, json_t *obj, const char *where,
                           const char *key, int flags, int *out) {
    json_t *v;
    if (!present(obj, key, flags, &v)) return ZS_OK;
    if (!json_is_boolean(v)) return fail_type(rd, where, key, flags, "true or false");
    *out = json_is_true(v);
    return ZS_OK;
}

zs_status zs_json_get_object(const zs_json_reader *rd, json_t *obj, const char *where,
                             const char *key, const char *what, int flags, json_t **out) {
    json_t *v;
    *out = NULL;
    if (!present(obj, key, flags, &v)) return ZS_OK;
    if (!json_is_object(v)) return fail_type(rd, where, key, flags, what ? what : "an object");
    *out = v;
    return ZS_OK;
}

zs_status zs_json_get_array(const zs_json_reader *rd, json_t *obj, const char *where,
                            const char *key, int flags, json_t **out) {
    json_t *v;
    *out = NULL;
    if (!present(obj, key, flags, &v)) return ZS_OK;
    int nonempty = flags & ZS_JSON_NONEMPTY;
    if (!json_is_array(v) || (nonempty && json_array_size(v) == 0))
        return fail_type(rd, where, key, flags, nonempty ? "a non-empty array" : "an array");
    *out = v;
    return ZS_OK;
}

zs_status zs_json_get_element(const zs_json_reader *rd, json_t *array, const char *name, size_t i,
                              char *prefix, size_t size, json_t **out) {
    *out = json_array_get(array, i);
    snprintf(prefix, size, "%s[%zu]", name, i);
    if (!json_is_object(*out)) return zs_json_fail(rd, NULL, prefix, "an object");
    snprintf(prefix, size, "%s[%zu].", name, i);
    return ZS_OK;
}

zs_status zs_json_check_format(const zs_json_reader *rd, json_t *root, const char *format,
                               int version, const char *format_hint, const char *version_hint) {
    char what[256];
    const char *name = json_string_value(zs_json_member(root, "format"));
    if (!name || strcmp(name, format) != 0) {
        snprintf(what, sizeof what, "\"%s\"%s%s%s", format, format_hint ? " (" : "",
                 format_hint ? format_hint : "", format_hint ? ")" : "");
        return zs_json_fail(rd, NULL, "format", what);
    }
    json_t *v = zs_json_member(root, "format_version");
    if (!json_is_integer(v) || json_integer_value(v) != version) {
        snprintf(what, sizeof what, "%d%s%s%s", version, version_hint ? " (" : "",
                 version_hint ? version_hint : "", version_hint ? ")" : "");
        return zs_json_fail(rd, NULL, "format_version", what);
    }
    return ZS_OK;
}
