/* Status codes, error messages and checked allocation: the failure path every module
 * reports through. */
#include "zipscale/core.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *zs_version(void) {
    return ZS_VERSION_STRING;
}

static void record(zs_error *err, zs_status code, const char *field, const char *fmt, va_list ap) {
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    err->code = code;
}

zs_status zs_fail(zs_error *err, zs_status code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        record(err, code, NULL, fmt, ap);
        va_end(ap);
    }
    return code;
}

zs_status zs_fail_field(zs_error *err, zs_status code, const char *field, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        record(err, code, field, fmt, ap);
        va_end(ap);
    }
    return code;
}

void zs_error_clear(zs_error *err) {
    if (err) {
        err->code = ZS_OK;
        err->msg[0] = '\0';
        err->field[0] = '\0';
    }
}

const char *zs_status_name(zs_status code) {
    static const char *const names[] = {
        [ZS_OK] = "ok",
        [ZS_ERR_USAGE] = "usage error",
        [ZS_ERR_IO] = "i/o error",
        [ZS_ERR_FORMAT] = "format error",
        [ZS_ERR_RANGE] = "range error",
        [ZS_ERR_NOMEM] = "out of memory",
        [ZS_ERR_NUMERIC] = "numerical error",
        [ZS_ERR_INTERNAL] = "internal error",
    };
    if ((unsigned)code < sizeof names / sizeof names[0] && names[code]) return names[code];
    return "unknown error";
}

void *zs_alloc(size_t bytes, const char *what, zs_error *err) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) zs_fail(err, ZS_ERR_NOMEM, "out of memory (%zu bytes for %s)", bytes, what);
    return p;
}

void *zs_calloc(size_t count, size_t size, const char *what, zs_error *err) {
    if (size && count > SIZE_MAX / size) {
        zs_fail(err, ZS_ERR_NOMEM, "out of memory (%zu x %zu bytes for %s)", count, size, what);
        return NULL;
    }
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) zs_fail(err, ZS_ERR_NOMEM, "out of memory (%zu x %zu bytes for %s)", count, size, what);
    return p;
}
