/* The YAML side of the sweep spec parser: loading one document with libyaml, located
 * error messages, and typed readers for mappings, lists and scalars (integers, numbers,
 * booleans, strings) that name the field and what was expected. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sweep/spec_internal.h"

/* ---- loading ------------------------------------------------------------------------ */

static zs_status syntax_error(const char *file, const yaml_parser_t *p, zs_error *err) {
    if (p->error == YAML_MEMORY_ERROR)
        return zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory parsing YAML", file);
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_READER_ERROR)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: YAML syntax error: %s at byte %zu", file, problem,
                       p->problem_offset);
    size_t line = p->problem_mark.line + 1, column = p->problem_mark.column + 1;
    if (p->context)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu)",
                       file, line, column, problem, p->context, p->context_mark.line + 1);
    return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu:%zu: YAML syntax error: %s", file, line, column,
                   problem);
}

/* A spec is one document: anything after it but the end of the stream is an error. */
static zs_status check_single(zs_spec_doc *d, yaml_parser_t *p) {
    if (!yaml_document_get_root_node(&d->doc))
        return zs_fail(d->err, ZS_ERR_FORMAT, "%s:1: expected a mapping, got an empty spec",
                       d->file);
    yaml_document_t next;
    if (!yaml_parser_load(p, &next)) return syntax_error(d->file, p, d->err);
    int second = yaml_document_get_root_node(&next) != NULL;
    size_t line = next.start_mark.line + 1;
    yaml_document_delete(&next);
    if (second)
        return zs_fail(d->err, ZS_ERR_FORMAT,
                       "%s:%zu: expected one YAML document, found a second one", d->file, line);
    return ZS_OK;
}

zs_status zs_spec__load(zs_spec_doc *d, const char *text, size_t len, const char *file,
                        zs_error *err) {
    memset(d, 0, sizeof *d);
    d->file = file;
    d->err = err;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory (YAML parser)", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    zs_status st;
    if (!yaml_parser_load(&parser, &d->doc)) {
        st = syntax_error(file, &parser, err);
    } else {
        d->loaded = 1;
        st = check_single(d, &parser);
    }
    yaml_parser_delete(&parser);
    if (st != ZS_OK) zs_spec__unload(d);
    return st;
}

void zs_spec__unload(zs_spec_doc *d) {
    if (d->loaded) yaml_document_delete(&d->doc);
    d->loaded = 0;
}

yaml_node_t *zs_spec__root(zs_spec_doc *d) {
    return yaml_document_get_root_node(&d->doc);
}

/* ---- messages and field paths ------------------------------------------------------- */

int zs_spec__line(const yaml_node_t *node) {
    return (int)node->start_mark.line + 1;
}

zs_status zs_spec__fail(const zs_spec_doc *d, const yaml_node_t *node, const char *field,
                        const char *fmt, ...) {
    char what[ZS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (field && *field)
        return zs_fail(d->err, ZS_ERR_FORMAT, "%s:%d: %s: %s", d->file, zs_spec__line(node), field,
                       what);
    return zs_fail(d->err, ZS_ERR_FORMAT, "%s:%d: %s", d->file, zs_spec__line(node), what);
}

void zs_spec__field(char *out, const char *prefix, const char *key) {
    if (*prefix)
        snprintf(out, ZS_SPEC_FIELD_MAX, "%s.%s", prefix, key);
    else
        snprintf(out, ZS_SPEC_FIELD_MAX, "%s", key);
}

void zs_spec__index(char *out, const char *prefix, size_t i) {
    snprintf(out, ZS_SPEC_FIELD_MAX, "%s[%zu]", prefix, i);
}

static const char *node_kind(const yaml_node_t *node) {
    return node->type == YAML_MAPPING_NODE ? "a mapping" : "a list";
}

/* ---- mappings and lists ------------------------------------------------------------- */

static const char *key_text(zs_spec_doc *d, const yaml_node_pair_t *pair) {
    yaml_node_t *key = yaml_document_get_node(&d->doc, pair->key);
    return key->type == YAML_SCALAR_NODE ? (const char *)key->data.scalar.value : NULL;
}

static int is_allowed(const char *key, const char *const *allowed) {
    for (; *allowed; allowed++)
        if (strcmp(key, *allowed) == 0) return 1;
    return 0;
}

static zs_status unknown_key(zs_spec_doc *d, yaml_node_t *key, const char *prefix, const char *name,
                             const char *const *allowed, const char *kind) {
    char list[512] = "", field[ZS_SPEC_FIELD_MAX];
    for (const char *const *a = allowed; *a; a++) {
        if (a != allowed) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, *a, sizeof list - strlen(list) - 1);
    }
    zs_spec__field(field, prefix, name);
    return zs_spec__fail(d, key, field, "unknown key%s%s; allowed: %s", kind ? " " : "",
                         kind ? kind : "", list);
}

static zs_status check_pair(zs_spec_doc *d, yaml_node_t *map, yaml_node_pair_t *pair,
                            const char *field, const char *const *allowed, const char *kind) {
    yaml_node_t *key = yaml_document_get_node(&d->doc, pair->key);
    const char *name = key_text(d, pair);
    if (!name) return zs_spec__fail(d, key, field, "expected a plain key, got %s", node_kind(key));
    if (!is_allowed(name, allowed)) return unknown_key(d, key, field, name, allowed, kind);
    for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
        const char *other = key_text(d, q);
        if (other && strcmp(other, name) == 0) {
            char sub[ZS_SPEC_FIELD_MAX];
            zs_spec__field(sub, field, name);
            yaml_node_t *first = yaml_document_get_node(&d->doc, q->key);
            return zs_spec__fail(d, key, sub, "duplicate key (first on line %d)",
                                 zs_spec__line(first));
        }
    }
    return ZS_OK;
}

zs_status zs_spec__check_map(zs_spec_doc *d, yaml_node_t *node, const char *field,
                             const char *const *allowed, const char *kind) {
    if (node->type != YAML_MAPPING_NODE)
        return zs_spec__fail(d, node, field, "expected a mapping, got %s",
                             node->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar");
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        zs_status st = check_pair(d, node, p, field, allowed, kind);
        if (st != ZS_OK) return st;
    }
    return ZS_OK;
}

yaml_node_t *zs_spec__get(zs_spec_doc *d, yaml_node_t *map, const char *key) {
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *name = key_text(d, p);
        if (name && strcmp(name, key) == 0) return yaml_document_get_node(&d->doc, p->value);
    }
    return NULL;
}

zs_status zs_spec__require(zs_spec_doc *d, yaml_node_t *map, const char *prefix,
                           const char *const *keys, const char *why) {
    for (; *keys; keys++) {
        if (zs_spec__get(d, map, *keys)) continue;
        char field[ZS_SPEC_FIELD_MAX];
        zs_spec__field(field, prefix, *keys);
        return zs_spec__fail(d, map, field, "missing (required%s%s)", why ? " " : "",
                             why ? why : "");
    }
    return ZS_OK;
}

zs_status zs_spec__list(zs_spec_doc *d, yaml_node_t *node, const char *field, size_t *n) {
    if (node->type != YAML_SEQUENCE_NODE)
        return zs_spec__fail(d, node, field, "expected a list, got %s",
                             node->type == YAML_MAPPING_NODE ? "a mapping" : "a scalar");
    *n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (*n == 0) return zs_spec__fail(d, node, field, "expected a non-empty list");
    return ZS_OK;
}

yaml_node_t *zs_spec__item(zs_spec_doc *d, yaml_node_t *seq, size_t i) {
    return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

/* ---- scalars ------------------------------------------------------------------------ */

/* The scalar's text, or NULL (with *what set to a description) for a list, a mapping, an
 * empty value or text with a NUL byte in it. */
static const char *scalar_text(const yaml_node_t *node, const char **what) {
    if (node->type != YAML_SCALAR_NODE) {
        *what = node_kind(node);
        return NULL;
    }
    const char *text = (const char *)node->data.scalar.value;
    if (node->data.scalar.length == 0 && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        *what = "nothing";
        return NULL;
    }
    if (strlen(text) != node->data.scalar.length) {
        *what = "text with a NUL byte";
        return NULL;
    }
    return text;
}

zs_status zs_spec__string(zs_spec_doc *d, yaml_node_t *node, const char *field, const char **out) {
    const char *what, *text = scalar_text(node, &what);
    if (!text) return zs_spec__fail(d, node, field, "expected a string, got %s", what);
    *out = text;
    return ZS_OK;
}

/* Decimal digits with single '_' between digits, into buf (NUL-terminated); the number of
 * characters consumed, 0 if none. */
static size_t take_digits(const char *s, char *buf, size_t cap, size_t *used) {
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9') {
        if (*used + 1 < cap) buf[(*used)++] = s[i];
        i++;
        if (s[i] == '_' && s[i + 1] >= '0' && s[i + 1] <= '9') i++;
    }
    buf[*used] = '\0';
    return i;
}

/* Exact: digits x 10^exp must be a whole number below 2^64. */
static int scale_exact(const char *digits, long exp, uint64_t *out) {
    size_t n = strlen(digits);
    while (exp < 0 && n > 0 && digits[n - 1] == '0') n--, exp++;
    if (exp < 0 && n > 0) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned digit = (unsigned)(digits[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    for (; exp > 0 && v != 0; exp--) {
        if (v > UINT64_MAX / 10) return 0;
        v *= 10;
    }
    *out = v;
    return 1;
}

/* [+]DIGITS[.DIGITS][(e|E)[+|-]DIGITS] naming a whole number below 2^64. */
static int parse_u64(const char *s, uint64_t *out) {
    char digits[64];
    size_t used = 0;
    if (*s == '+') s++;
    size_t whole = take_digits(s, digits, sizeof digits, &used);
    s += whole;
    long frac = 0;
    if (*s == '.') {
        size_t before = used, n = take_digits(s + 1, digits, sizeof digits, &used);
        frac = (long)(used - before);
        s += 1 + n;
        if (whole == 0 && n == 0) return 0;
    } else if (whole == 0) {
        return 0;
    }
    if (used + 1 >= sizeof digits) return 0; /* too many digits to be below 2^64 */
    long exp = 0;
    if (*s == 'e' || *s == 'E') {
        char *end;
        exp = strtol(s + 1, &end, 10);
        if (end == s + 1 || !(s[1] == '+' || s[1] == '-' || (s[1] >= '0' && s[1] <= '9')) ||
            exp > 40 || exp < -40)
            return 0;
        s = end;
    }
    return *s == '\0' && scale_exact(digits, exp - frac, out);
}

static void describe_u64(char *out, size_t size, uint64_t min, uint64_t max) {
    if (max == UINT64_MAX && min <= 1)
        snprintf(out, size, "%s", min == 0 ? "a non-negative integer" : "a positive integer");
    else if (max == UINT64_MAX)
        snprintf(out, size, "an integer >= %" PRIu64, min);
    else
        snprintf(out, size, "an integer in %" PRIu64 "..%" PRIu64, min, max);
}

zs_status zs_spec__u64(zs_spec_doc *d, yaml_node_t *node, const char *field, uint64_t min,
                       uint64_t max, uint64_t *out) {
    char expected[96];
    describe_u64(expected, sizeof expected, min, max);
    const char *what, *text = scalar_text(node, &what);
    if (!text) return zs_spec__fail(d, node, field, "expected %s, got %s", expected, what);
    uint64_t v;
    if (!parse_u64(text, &v) || v < min || v > max)
        return zs_spec__fail(d, node, field, "expected %s, got '%s'", expected, text);
    *out = v;
    return ZS_OK;
}

/* A finite decimal number: [+|-]DIGITS[.DIGITS][e[+|-]DIGITS], '_' between digits. */
static int parse_double(const char *s, double *out) {
    char buf[128];
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '_') continue;
        if (!strchr("0123456789+-.eE", *p) || n + 1 >= sizeof buf) return 0;
        buf[n++] = *p;
    }
    buf[n] = '\0';
    if (n == 0) return 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0' || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

static int in_range(double v, const zs_spec_range *r) {
    if (r->min_open ? !(v > r->min) : !(v >= r->min)) return 0;
    return r->max_open ? v < r->max : v <= r->max;
}

static void describe_range(char *out, size_t size, const zs_spec_range *r) {
    if (isinf(r->min) && isinf(r->max))
        snprintf(out, size, "a number");
    else if (isinf(r->max))
        snprintf(out, size, "a number %s %g", r->min_open ? ">" : ">=", r->min);
    else
        snprintf(out, size, "a number in %c%g, %g%c", r->min_open ? '(' : '[', r->min, r->max,
                 r->max_open ? ')' : ']');
}

zs_status zs_spec__number(zs_spec_doc *d, yaml_node_t *node, const char *field,
                          const zs_spec_range *range, double *out) {
    char expected[96];
    describe_range(expected, sizeof expected, range);
    const char *what, *text = scalar_text(node, &what);
    if (!text) return zs_spec__fail(d, node, field, "expected %s, got %s", expected, what);
    double v;
    if (!parse_double(text, &v) || !in_range(v, range))
        return zs_spec__fail(d, node, field, "expected %s, got '%s'", expected, text);
    *out = v;
    return ZS_OK;
}

zs_status zs_spec__bool(zs_spec_doc *d, yaml_node_t *node, const char *field, int *out) {
    const char *what, *text = scalar_text(node, &what);
    if (text && (strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0)) {
        *out = 1;
        return ZS_OK;
    }
    if (text && (strcasecmp(text, "false") == 0 || strcasecmp(text, "no") == 0)) {
        *out = 0;
        return ZS_OK;
    }
    if (!text) return zs_spec__fail(d, node, field, "expected true or false, got %s", what);
    return zs_spec__fail(d, node, field, "expected true or false, got '%s'", text);
}

/* ---- readers under a key ------------------------------------------------------------ */

zs_status zs_spec__key_u64(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                           uint64_t min, uint64_t max, uint64_t *out) {
    yaml_node_t *v = zs_spec__get(d, map, key);
    if (!v) return ZS_OK;
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__field(field, prefix, key);
    return zs_spec__u64(d, v, field, min, max, out);
}

zs_status zs_spec__key_u32(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                           uint32_t min, uint32_t max, uint32_t *out) {
    uint64_t v = *out;
    zs_status st = zs_spec__key_u64(d, map, prefix, key, min, max, &v);
    if (st == ZS_OK) *out = (uint32_t)v;
    return st;
}

zs_status zs_spec__key_number(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                              const zs_spec_range *range, double *out) {
    yaml_node_t *v = zs_spec__get(d, map, key);
    if (!v) return ZS_OK;
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__field(field, prefix, key);
    return zs_spec__number(d, v, field, range, out);
}

zs_status zs_spec__key_bool(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                            int *out) {
    yaml_node_t *v = zs_spec__get(d, map, key);
    if (!v) return ZS_OK;
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__field(field, prefix, key);
    return zs_spec__bool(d, v, field, out);
}

zs_status zs_spec__key_string(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                              const char **out) {
    yaml_node_t *v = zs_spec__get(d, map, key);
    if (!v) return ZS_OK;
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__field(field, prefix, key);
    return zs_spec__string(d, v, field, out);
}
