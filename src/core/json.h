/* A small JSON helper shared by every module that writes JSON with jansson (the library
 * links it privately; the command links it too). Not part of the public API. */
#ifndef ZS_CORE_JSON_H
#define ZS_CORE_JSON_H

#include <jansson.h>
#include <math.h>
#include <stddef.h>

#include "zipscale/core.h"

/* JSON has no NaN or infinity: a non-finite number becomes null. */
static inline json_t *zs_json_number(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

/* The file text of a JSON document: 2-space indent, reals to 17 significant digits (they
 * read back exactly), a trailing newline. Takes doc (NULL: out of memory); *text is
 * malloc'd, *len its length (len may be NULL). `what` names the file in the message. */
zs_status zs_json_text(json_t *doc, const char *what, char **text, size_t *len, zs_error *err);
/* Writes text atomically to path, or to stdout when path is NULL. */
zs_status zs_json_write_text(const char *path, const char *text, size_t len, zs_error *err);

#endif
