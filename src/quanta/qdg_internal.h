/* quanta, QDG internals shared by the parity and the GPT runs (zipscale/quanta_qdg.h): the
 * per-variant pipeline from a gradient matrix to labels and scores, and the JSON pieces. */
#ifndef ZS_QUANTA_QDG_INTERNAL_H
#define ZS_QUANTA_QDG_INTERNAL_H

#include "core/json.h"
#include "zipscale/quanta_qdg.h"

/* A run of columns of a gradient row. */
typedef struct {
    size_t offset, numel;
} zs_qdg_span;

/* The columns a variant takes, in row order: spans (malloc'd, n_spans) and the layers (MLP)
 * or blocks (GPT) they belong to. */
typedef struct {
    zs_qdg_span *spans;
    size_t n_spans;
    uint32_t layer_lo, layer_hi;
} zs_qdg_columns;

/* Fills cols for a variant on the model ctx; ZS_ERR_USAGE (naming the variant) when it does
 * not apply to the model. */
typedef zs_status (*zs_qdg_columns_fn)(const void *ctx, const zs_qdg_variant *v,
                                       zs_qdg_columns *cols, zs_error *err);

double zs_qdg_now_s(void);

/* Checks the options every run shares and fills *out with them, "signed" when no variant is
 * given. Errors: ZS_ERR_USAGE. */
zs_status zs_qdg_opts_resolve(const zs_qdg_opts *in, zs_qdg_opts *out, zs_error *err);
/* Checks k (and the sweep's) against n samples. Errors: ZS_ERR_USAGE. */
zs_status zs_qdg_check_k(const zs_qdg_opts *o, uint32_t k, size_t n, zs_error *err);

/* Every variant of o on g (n rows of `row` floats): columns, centring, projection, cosine
 * (shared between consecutive variants of the same columns), affinity, embedding, k-means
 * for k and the sweep, scores against truth (NULL: NAN), sizes and slope. variants[v].variant
 * and .k are set here; *n_done counts the variants begun (to free). OpenBLAS runs on
 * o->threads threads and is restored after. */
zs_status zs_qdg_cluster_variants(const float *g, size_t n, size_t row, const zs_qdg_opts *o,
                                  uint32_t k, const uint32_t *truth, zs_qdg_columns_fn columns,
                                  const void *ctx, zs_qdg_variant_result *variants, size_t *n_done,
                                  zs_error *err);
void zs_qdg_variant_result_free(zs_qdg_variant_result *v);

/* Writes labels (n) as a 1-D int32 .npy. Errors: ZS_ERR_IO, ZS_ERR_NOMEM. */
zs_status zs_qdg_write_labels(const char *path, const uint32_t *labels, size_t n, zs_error *err);
/* One variant's JSON object (docs/quanta.md, qdg.json). truth (n) in 0 .. classes-1, or NULL;
 * each cluster lists its three commonest classes under list_key, each as {key: class_value[c],
 * "count"}. */
json_t *zs_qdg_variant_json(const zs_qdg_opts *o, const zs_qdg_variant_result *v, size_t n,
                            const uint32_t *truth, size_t classes, const int64_t *class_value,
                            const char *list_key, const char *key);

#endif
