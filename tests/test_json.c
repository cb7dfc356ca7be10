/* Tests for the JSON reader helpers every file reader shares (src/core/json.h): each
 * failure names the file and the field and says what was expected. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "testutil.h"

static json_t *doc(const char *text) {
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    cr_assert(j, "bad test JSON: %s", jerr.text);
    return j;
}

/* The message must be exactly `want`. */
static void expect_msg(zs_status s, const zs_error *err, const char *want) {
    cr_assert_eq(s, ZS_ERR_FORMAT, "status %d, message \"%s\"", s, err->msg);
    cr_assert_str_eq(err->msg, want);
}

Test(json_reader, number_present_absent_null) {
    zs_error err;
    zs_json_reader rd = {.path = "f.json", .err = &err};
    json_t *j = doc("{\"x\": 2.5, \"n\": null, \"s\": \"text\", \"i\": 3}");
    double x = 0;
    cr_assert_eq(zs_json_get_number(&rd, j, NULL, "x", 0, &x), ZS_OK);
    cr_assert_eq(x, 2.5);
    cr_assert_eq(zs_json_get_number(&rd, j, NULL, "i", 0, &x), ZS_OK); /* integers are numbers */
    cr_assert_eq(x, 3);
    expect_msg(zs_json_get_number(&rd, j, NULL, "missing", 0, &x), &err,
               "f.json: missing: expected a number");
    expect_msg(zs_json_get_number(&rd, j, "a.b[0].", "s", 0, &x), &err,
               "f.json: a.b[0].s: expected a number");
    /* null: refused unless allowed, and then NAN; the message says null would do */
    expect_msg(zs_json_get_number(&rd, j, NULL, "n", 0, &x), &err, "f.json: n: expected a number");
    cr_assert_eq(zs_json_get_number(&rd, j, NULL, "n", ZS_JSON_NULLABLE, &x), ZS_OK);
    cr_assert(isnan(x));
    expect_msg(zs_json_get_number(&rd, j, NULL, "s", ZS_JSON_NULLABLE, &x), &err,
               "f.json: s: expected a number or null");
    /* absent: refused unless optional, and then *out is untouched */
    x = 7;
    cr_assert_eq(zs_json_get_number(&rd, j, NULL, "missing", ZS_JSON_OPTIONAL, &x), ZS_OK);
    cr_assert_eq(x, 7);
    json_decref(j);
}

Test(json_reader, positive_and_non_finite_numbers) {
    zs_error err;
    zs_json_reader rd = {.path = "law.json", .err = &err};
    json_t *j = doc("{\"zero\": 0, \"neg\": -1.5, \"one\": 1}");
    double x = 0;
    cr_assert_eq(zs_json_get_number(&rd, j, "", "one", ZS_JSON_POSITIVE, &x), ZS_OK);
    expect_msg(zs_json_get_number(&rd, j, "", "zero", ZS_JSON_POSITIVE, &x), &err,
               "law.json: zero: expected a positive number");
    expect_msg(zs_json_get_number(&rd, j, "", "neg", ZS_JSON_POSITIVE | ZS_JSON_NULLABLE, &x), &err,
               "law.json: neg: expected a positive number or null");
    /* jansson holds no NaN or infinity: json_real refuses them, and a number too large for
     * a double does not parse, so a non-finite value never reaches a reader... */
    cr_assert_null(json_real(INFINITY));
    cr_assert_null(json_real(NAN));
    json_error_t jerr;
    cr_assert_null(json_loads("{\"x\": 1e999}", 0, &jerr));
    /* ...and zs_json_load names the place: */
    const char *path = zs_test_path("huge.json");
    cr_assert_eq(zs_test_write(path, "{\"x\": 1e999}", 12), 0);
    json_t *root;
    zs_status s = zs_json_load(path, 0, &root, &err);
    cr_assert_eq(s, ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "huge.json:1:") && strstr(err.msg, ": bad JSON: "), "%s", err.msg);
    json_decref(j);
}

Test(json_reader, uint_string_bool) {
    zs_error err;
    zs_json_reader rd = {.path = "f.json", .err = &err};
    json_t *j = doc("{\"k\": 12, \"neg\": -1, \"real\": 1.5, \"s\": \"hi\", \"t\": true, "
                    "\"f\": false, \"n\": null}");
    uint64_t k = 0;
    cr_assert_eq(zs_json_get_uint(&rd, j, NULL, "k", 0, &k), ZS_OK);
    cr_assert_eq(k, 12);
    expect_msg(zs_json_get_uint(&rd, j, NULL, "neg", 0, &k), &err,
               "f.json: neg: expected a non-negative integer");
    expect_msg(zs_json_get_uint(&rd, j, "o.", "real", 0, &k), &err,
               "f.json: o.real: expected a non-negative integer");
    size_t size = 0;
    cr_assert_eq(zs_json_get_size(&rd, j, NULL, "k", 0, &size), ZS_OK);
    cr_assert_eq(size, 12);
    char *text = NULL;
    cr_assert_eq(zs_json_get_string(&rd, j, NULL, "s", 0, &text), ZS_OK);
    cr_assert_str_eq(text, "hi");
    free(text);
    text = NULL;
    expect_msg(zs_json_get_string(&rd, j, NULL, "k", 0, &text), &err,
               "f.json: k: expected a string");
    expect_msg(zs_json_get_string(&rd, j, NULL, "n", 0, &text), &err,
               "f.json: n: expected a string");
    cr_assert_eq(zs_json_get_string(&rd, j, NULL, "n", ZS_JSON_NULLABLE, &text), ZS_OK);
    cr_assert_null(text);
    int b = -1;
    cr_assert_eq(zs_json_get_bool(&rd, j, NULL, "t", 0, &b), ZS_OK);
    cr_assert_eq(b, 1);
    cr_assert_eq(zs_json_get_bool(&rd, j, NULL, "f", 0, &b), ZS_OK);
    cr_assert_eq(b, 0);
    expect_msg(zs_json_get_bool(&rd, j, NULL, "k", 0, &b), &err,
               "f.json: k: expected true or false");
    expect_msg(zs_json_get_bool(&rd, j, NULL, "missing", 0, &b), &err,
               "f.json: missing: expected true or false");
    b = 5;
    cr_assert_eq(zs_json_get_bool(&rd, j, NULL, "missing", ZS_JSON_OPTIONAL, &b), ZS_OK);
    cr_assert_eq(b, 5);
    json_decref(j);
}

Test(json_reader, objects_and_arrays) {
    zs_error err;
    zs_json_reader rd = {.path = "f.json", .err = &err};
    json_t *j = doc("{\"o\": {\"a\": 1}, \"e\": [], \"l\": [1], \"n\": null}");
    json_t *v;
    cr_assert_eq(zs_json_get_object(&rd, j, NULL, "o", NULL, 0, &v), ZS_OK);
    cr_assert(json_is_object(v));
    expect_msg(zs_json_get_object(&rd, j, "x.", "l", NULL, 0, &v), &err,
               "f.json: x.l: expected an object");
    expect_msg(zs_json_get_object(&rd, j, NULL, "l", "an object {a, b}", ZS_JSON_NULLABLE, &v),
               &err, "f.json: l: expected an object {a, b} or null");
    cr_assert_eq(zs_json_get_object(&rd, j, NULL, "n", NULL, ZS_JSON_NULLABLE, &v), ZS_OK);
    cr_assert_null(v);
    cr_assert_eq(zs_json_get_array(&rd, j, NULL, "e", 0, &v), ZS_OK);
    cr_assert_eq(zs_json_get_array(&rd, j, NULL, "l", ZS_JSON_NONEMPTY, &v), ZS_OK);
    cr_assert_eq(json_array_size(v), 1);
    expect_msg(zs_json_get_array(&rd, j, NULL, "e", ZS_JSON_NONEMPTY, &v), &err,
               "f.json: e: expected a non-empty array");
    expect_msg(zs_json_get_array(&rd, j, NULL, "o", 0, &v), &err, "f.json: o: expected an array");
    /* members of something that is not an object are absent */
    cr_assert_null(zs_json_member(json_object_get(j, "l"), "a"));
    expect_msg(zs_json_get_number(&rd, json_object_get(j, "l"), "l.", "a", 0, &(double){0}), &err,
               "f.json: l.a: expected a number");
    json_decref(j);
}

Test(json_reader, format_stamp) {
    zs_error err;
    zs_json_reader rd = {.path = "law.json", .err = &err};
    json_t *good = doc("{\"format\": \"zipscale-law\", \"format_version\": 1}");
    cr_assert_eq(zs_json_check_format(&rd, good, "zipscale-law", 1, NULL, NULL), ZS_OK);
    expect_msg(
        zs_json_check_format(&rd, good, "zipscale-regression", 1, "written by regress", NULL), &err,
        "law.json: format: expected \"zipscale-regression\" (written by regress)");
    expect_msg(zs_json_check_format(&rd, good, "zipscale-law", 2, NULL, "this reads version 2"),
               &err, "law.json: format_version: expected 2 (this reads version 2)");
    json_t *none = doc("{\"format_version\": 1}");
    expect_msg(zs_json_check_format(&rd, none, "zipscale-law", 1, NULL, NULL), &err,
               "law.json: format: expected \"zipscale-law\"");
    json_t *text = doc("{\"format\": \"zipscale-law\", \"format_version\": \"1\"}");
    expect_msg(zs_json_check_format(&rd, text, "zipscale-law", 1, NULL, NULL), &err,
               "law.json: format_version: expected 1");
    json_decref(good);
    json_decref(none);
    json_decref(text);
}

Test(json_reader, label_and_quoted_keys) {
    zs_error err;
    zs_json_reader rd = {.path = "ckpt", .err = &err, .label = "metadata 'model'", .quote_keys = 1};
    json_t *j = doc("{\"depth\": \"x\"}");
    uint64_t depth;
    expect_msg(zs_json_get_uint(&rd, j, NULL, "depth", 0, &depth), &err,
               "ckpt: metadata 'model': field 'depth': expected a non-negative integer");
    zs_json_reader plain = {.path = "a.json", .err = &err, .quote_keys = 1};
    expect_msg(zs_json_get_uint(&plain, j, NULL, "depth", ZS_JSON_NULLABLE, &depth), &err,
               "a.json: field 'depth': expected a non-negative integer or null");
    json_decref(j);
}

Test(json_reader, load_names_the_file) {
    zs_error err;
    json_t *root = NULL;
    const char *missing = zs_test_path("absent.json");
    cr_assert_eq(zs_json_load(missing, 0, &root, &err), ZS_ERR_IO);
    cr_assert_null(root);
    cr_assert(strncmp(err.msg, missing, strlen(missing)) == 0 && strstr(err.msg, "unable to open"),
              "%s", err.msg);
    const char *broken = zs_test_path("broken.json");
    cr_assert_eq(zs_test_write(broken, "{\n  \"a\": ,\n}", 12), 0);
    cr_assert_eq(zs_json_load(broken, 0, &root, &err), ZS_ERR_FORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s:2:", broken);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0 && strstr(err.msg, ": bad JSON: "), "%s",
              err.msg);
    const char *array = zs_test_path("array.json");
    cr_assert_eq(zs_test_write(array, "[1, 2]", 6), 0);
    cr_assert_eq(zs_json_load(array, 0, &root, &err), ZS_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: expected a JSON object at the top level", array);
    cr_assert_str_eq(err.msg, want);
    const char *dup = zs_test_path("dup.json");
    cr_assert_eq(zs_test_write(dup, "{\"a\": 1, \"a\": 2}", 16), 0);
    cr_assert_eq(zs_json_load(dup, 0, &root, &err), ZS_OK); /* jansson keeps the last */
    json_decref(root);
    cr_assert_eq(zs_json_load(dup, JSON_REJECT_DUPLICATES, &root, &err), ZS_ERR_FORMAT);
}

Test(json_reader, array_elements) {
    zs_error err;
    zs_json_reader rd = {.path = "f.json", .err = &err};
    json_t *j = doc("{\"fits\": [{\"H\": 1}, 3]}");
    json_t *fits = json_object_get(j, "fits"), *fit;
    char prefix[64];
    cr_assert_eq(zs_json_get_element(&rd, fits, "fits", 0, prefix, sizeof prefix, &fit), ZS_OK);
    cr_assert_str_eq(prefix, "fits[0].");
    double h;
    cr_assert_eq(zs_json_get_number(&rd, fit, prefix, "H", 0, &h), ZS_OK);
    expect_msg(zs_json_get_number(&rd, fit, prefix, "D", 0, &h), &err,
               "f.json: fits[0].D: expected a number");
    expect_msg(zs_json_get_element(&rd, fits, "fits", 1, prefix, sizeof prefix, &fit), &err,
               "f.json: fits[1]: expected an object");
    json_decref(j);
}
