/* Private to the sweep spec parser (spec.c): the loaded YAML document and the typed readers
 * it builds on (spec_yaml.c). Every reader reports "FILE:LINE: FIELD: what was expected",
 * FIELD a path such as models[2].d_model, and returns ZS_ERR_FORMAT. */
#ifndef ZS_SWEEP_SPEC_INTERNAL_H
#define ZS_SWEEP_SPEC_INTERNAL_H

#include <stdint.h>
#include <yaml.h>

#include "zipscale/core.h"

#define ZS_SPEC_FIELD_MAX 128 /* the longest field path, e.g. datasets[12].pcfg.max_options */

typedef struct {
    yaml_document_t doc;
    int loaded;       /* doc holds a document to delete */
    const char *file; /* names the spec in messages */
    zs_error *err;
} zs_spec_doc;

/* A closed, open or half-open interval for numbers (min -INFINITY / max INFINITY: none). */
typedef struct {
    double min, max;
    int min_open, max_open;
} zs_spec_range;

/* Parses one YAML document (syntax errors: "FILE:LINE:COLUMN: YAML syntax error: ...");
 * on failure nothing is left to unload. A stream with a second document is an error. */
zs_status zs_spec__load(zs_spec_doc *d, const char *text, size_t len, const char *file,
                        zs_error *err);
void zs_spec__unload(zs_spec_doc *d);
/* The top-level node (never NULL after a successful load). */
yaml_node_t *zs_spec__root(zs_spec_doc *d);

int zs_spec__line(const yaml_node_t *node); /* 1-based */
zs_status zs_spec__fail(const zs_spec_doc *d, const yaml_node_t *node, const char *field,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Field paths: "prefix.key" (just "key" when prefix is empty) and "prefix[i]". */
void zs_spec__field(char *out, const char *prefix, const char *key);
void zs_spec__index(char *out, const char *prefix, size_t i);

/* Checks that node is a mapping whose keys are plain scalars, each once, each in `allowed`
 * (NULL-terminated); `kind` (may be NULL) qualifies the unknown-key message. */
zs_status zs_spec__check_map(zs_spec_doc *d, yaml_node_t *node, const char *field,
                             const char *const *allowed, const char *kind);
/* The value under key in a checked mapping, or NULL. */
yaml_node_t *zs_spec__get(zs_spec_doc *d, yaml_node_t *map, const char *key);
/* Each of the NULL-terminated keys must be in map: "FIELD.key: missing (required[ why])". */
zs_status zs_spec__require(zs_spec_doc *d, yaml_node_t *map, const char *prefix,
                           const char *const *keys, const char *why);
/* A non-empty sequence; *n its length. */
zs_status zs_spec__list(zs_spec_doc *d, yaml_node_t *node, const char *field, size_t *n);
yaml_node_t *zs_spec__item(zs_spec_doc *d, yaml_node_t *seq, size_t i);

/* Scalar readers of one node. Integers are decimal, may group digits with '_' and may be
 * written with a fraction or exponent if the value is a whole number (3e5, 1.5e6). */
zs_status zs_spec__string(zs_spec_doc *d, yaml_node_t *node, const char *field, const char **out);
zs_status zs_spec__u64(zs_spec_doc *d, yaml_node_t *node, const char *field, uint64_t min,
                       uint64_t max, uint64_t *out);
zs_status zs_spec__number(zs_spec_doc *d, yaml_node_t *node, const char *field,
                          const zs_spec_range *range, double *out);
zs_status zs_spec__bool(zs_spec_doc *d, yaml_node_t *node, const char *field, int *out);

/* The same under a key of a checked mapping: absent leaves *out as it is. */
zs_status zs_spec__key_u64(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                           uint64_t min, uint64_t max, uint64_t *out);
zs_status zs_spec__key_u32(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                           uint32_t min, uint32_t max, uint32_t *out);
zs_status zs_spec__key_number(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                              const zs_spec_range *range, double *out);
zs_status zs_spec__key_bool(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                            int *out);
zs_status zs_spec__key_string(zs_spec_doc *d, yaml_node_t *map, const char *prefix, const char *key,
                              const char **out);

#endif
