/* The JSON helpers every writer of a zipscale file shares (core/json.h): the file text of
 * a document and its atomic write (or stdout). */
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

zs_status zs_json_write_text(const char *path, const char *text, size_t len, zs_error *err) {
    if (path) return zs_write_file_atomic(path, text, len, err);
    if (fwrite(text, 1, len, stdout) != len) return zs_fail(err, ZS_ERR_IO, "stdout: write failed");
    return ZS_OK;
}
