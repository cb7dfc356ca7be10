/* The JSON helpers shared by every module that writes or reads JSON with jansson (the
 * library links it privately; the command links it too). Not part of the public API. */
#ifndef ZS_CORE_JSON_H
#define ZS_CORE_JSON_H

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "zipscale/core.h"

/* JSON has no NaN or infinity: a non-finite number becomes null. */
static inline json_t *zs_json_number(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

/* The file text of a JSON document: 2-space indent, reals to 17 significant digits (they
 * read back exactly), a trailing newline. Takes doc (NULL: out of memory); *text is
 * malloc'd, *len its length (len may be NULL). `what` names the file in the message. */
zs_status zs_json_text(json_t *doc, const char *what, char **text, size_t *len, zs_error *err);
/* zs_json_text's text of doc (taken, as there), written atomically to path. */
zs_status zs_json_write_file(json_t *doc, const char *what, const char *path, zs_error *err);

/* ---- reading ----------------------------------------------------------------------------
 * Every reader of a zipscale JSON file names the wrong field in one form:
 *   "PATH: WHEREKEY: expected WHAT"      e.g. "law.json: fits[0].law.E: expected a number"
 * where WHERE is the field's parent ("fits[0].law.", "" or NULL at the top level). A reader
 * with a label puts it after the path ("PATH: LABEL: ..."); one with quote_keys writes
 * the field as "field 'KEY'" (sidecars, checkpoint metadata). */

typedef struct {
    const char *path;  /* the file, first in every message */
    zs_error *err;     /* may be NULL */
    const char *label; /* NULL, or what the fields sit in ("metadata 'model'") */
    int quote_keys;    /* write fields as field 'WHEREKEY' */
} zs_json_reader;

/* Flags of the zs_json_get_* functions. */
enum {
    ZS_JSON_REQUIRED = 0,
    ZS_JSON_OPTIONAL = 1 << 0, /* absent: fine, *out untouched */
    ZS_JSON_NULLABLE = 1 << 1, /* null: fine (a number reads NAN, anything else *out untouched);
                                * the message says "... or null" */
    ZS_JSON_POSITIVE = 1 << 2, /* numbers: > 0 ("a positive number") */
    ZS_JSON_NONEMPTY = 1 << 3, /* arrays: at least one element ("a non-empty array") */
};

/* Loads a file holding one JSON object: ZS_ERR_IO "PATH: ..." when it cannot be read,
 * ZS_ERR_FORMAT "PATH:LINE:COLUMN: bad JSON: ..." when it does not parse, and
 * "PATH: expected a JSON object at the top level". flags are jansson's decoding flags. */
zs_status zs_json_load(const char *path, size_t flags, json_t **root, zs_error *err);

/* Fails with ZS_ERR_FORMAT and "PATH: WHEREKEY: expected WHAT" (where, key may be NULL). */
zs_status zs_json_fail(const zs_json_reader *rd, const char *where, const char *key,
                       const char *what);
/* Fails with ZS_ERR_NOMEM and "out of memory reading PATH". */
zs_status zs_json_nomem(const zs_json_reader *rd);

/* obj's member key, or NULL when obj is not an object or has no such member. */
static inline json_t *zs_json_member(json_t *obj, const char *key) {
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

/* A finite number ("a number", "a positive number"). */
zs_status zs_json_get_number(const zs_json_reader *rd, json_t *obj, const char *where,
                             const char *key, int flags, double *out);
/* An integer >= 0 ("a non-negative integer"). */
zs_status zs_json_get_uint(const zs_json_reader *rd, json_t *obj, const char *where,
                           const char *key, int flags, uint64_t *out);
zs_status zs_json_get_size(const zs_json_reader *rd, json_t *obj, const char *where,
                           const char *key, int flags, size_t *out);
/* A string, strdup'd into *out (null leaves *out as it is). */
zs_status zs_json_get_string(const zs_json_reader *rd, json_t *obj, const char *where,
                             const char *key, int flags, char **out);
/* true or false, as 1 or 0. */
zs_status zs_json_get_bool(const zs_json_reader *rd, json_t *obj, const char *where,
                           const char *key, int flags, int *out);
/* An object (what: how the message describes it; NULL: "an object"); *out is the member, or
 * NULL when it is absent or null and that is allowed. */
zs_status zs_json_get_object(const zs_json_reader *rd, json_t *obj, const char *where,
                             const char *key, const char *what, int flags, json_t **out);
/* An array ("an array", "a non-empty array"); *out as for zs_json_get_object. */
zs_status zs_json_get_array(const zs_json_reader *rd, json_t *obj, const char *where,
                            const char *key, int flags, json_t **out);

/* Element i of the array called `name` in messages: an object, else fails with
 * "PATH: NAME[I]: expected an object". prefix receives "NAME[I].", the parent of its fields. */
zs_status zs_json_get_element(const zs_json_reader *rd, json_t *array, const char *name, size_t i,
                              char *prefix, size_t size, json_t **out);

/* The stamp of a zipscale file: root is an object whose "format" is the string `format` and
 * whose "format_version" is `version`. The hints, when not NULL, follow the expected values
 * in parentheses: "format: expected \"zipscale-law\" (FORMAT_HINT)",
 * "format_version: expected 1 (VERSION_HINT)". */
zs_status zs_json_check_format(const zs_json_reader *rd, json_t *root, const char *format,
                               int version, const char *format_hint, const char *version_hint);

#endif
