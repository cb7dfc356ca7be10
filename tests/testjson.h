/* JSON helpers for tests that read a command's --json output: parse it, or read a number
 * out of it, failing the test with the text when it is not what was expected. */
#ifndef ZS_TESTJSON_H
#define ZS_TESTJSON_H

#include <criterion/criterion.h>
#include <jansson.h>

static inline json_t *parse_json(const char *text) {
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    cr_assert(doc, "not JSON (%s): %s", jerr.text, text);
    return doc;
}

static inline double json_num(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

#endif
