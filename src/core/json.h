/* A small JSON helper shared by every module that writes JSON with jansson (the library
 * links it privately; the command links it too). Not part of the public API. */
#ifndef ZS_CORE_JSON_H
#define ZS_CORE_JSON_H

#include <jansson.h>
#include <math.h>

/* JSON has no NaN or infinity: a non-finite number becomes null. */
static inline json_t *zs_json_number(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

#endif
