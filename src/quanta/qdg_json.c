/* The QDG file ("zipscale-quanta-qdg", version 1; zipscale/quanta_qdg.h) and the label
 * arrays beside it: the parts every run shares, and the writer of a zs_qdg_parity_run
 * (qdg_gpt_json.c writes a GPT run's). docs/quanta.md lists every field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "quanta/qdg_internal.h"
#include "zipscale/tokens.h"

static int by_count_desc(const void *a, const void *b) {
    const uint64_t *p = a, *q = b; /* (count, subtask) pairs */
    if (p[0] != q[0]) return p[0] < q[0] ? 1 : -1;
    return (p[1] > q[1]) - (p[1] < q[1]);
}

/* Each cluster (largest first): its size and its three commonest true classes. */
static json_t *clusters_json(const zs_qdg_variant_result *v, size_t n, const uint32_t *truth,
                             size_t T, const int64_t *class_value, const char *list_key,
                             const char *key) {
    size_t k = v->k;
    if (!truth) T = 0;
    uint64_t *count = calloc(k * (T ? T : 1), sizeof *count);
    uint64_t *order = malloc(k * 2 * sizeof *order),
             *pairs = malloc((T ? T : 1) * 2 * sizeof *pairs);
    json_t *list = count && order && pairs ? json_array() : NULL;
    for (size_t i = 0; list && T && i < n; i++)
        if (truth[i] < T) count[(size_t)v->labels[i] * T + truth[i]]++;
    for (size_t c = 0; list && c < k; c++) order[2 * c] = v->sizes[c], order[2 * c + 1] = c;
    if (list) qsort(order, k, 2 * sizeof *order, by_count_desc);
    for (size_t j = 0; list && j < k; j++) {
        size_t c = order[2 * j + 1];
        for (size_t t = 0; t < T; t++) pairs[2 * t] = count[c * T + t], pairs[2 * t + 1] = t;
        if (T) qsort(pairs, T, 2 * sizeof *pairs, by_count_desc);
        json_t *top = json_array();
        for (size_t t = 0; top && t < 3 && t < T && pairs[2 * t] > 0; t++)
            json_array_append_new(top, json_pack("{s:I, s:I}", key,
                                                 (json_int_t)class_value[pairs[2 * t + 1]], "count",
                                                 (json_int_t)pairs[2 * t]));
        json_array_append_new(list, json_pack("{s:I, s:I, s:o}", "cluster", (json_int_t)c, "size",
                                              (json_int_t)v->sizes[c], list_key, top));
    }
    free(count);
    free(order);
    free(pairs);
    return list ? list : json_null();
}

json_t *zs_qdg_variant_json(const zs_qdg_opts *o, const zs_qdg_variant_result *v, size_t n,
                            const uint32_t *truth, size_t classes, const int64_t *class_value,
                            const char *list_key, const char *key) {
    json_t *sweep = json_array(), *eig = json_array(), *ranked = json_array();
    for (size_t i = 0; sweep && i < o->n_k_sweep; i++)
        json_array_append_new(sweep, json_pack("{s:I, s:o, s:o}", "k", (json_int_t)o->k_sweep[i],
                                               "ari", zs_json_number(v->sweep_ari[i]), "nmi",
                                               zs_json_number(v->sweep_nmi[i])));
    for (size_t i = 0; eig && i < v->n_eig; i++)
        json_array_append_new(eig, zs_json_number(v->eigvals[i]));
    uint64_t *sorted = malloc(v->k * sizeof *sorted);
    if (sorted) {
        for (size_t c = 0; c < v->k; c++) sorted[c] = v->sizes[c];
        for (size_t a = 1; a < v->k; a++) /* insertion sort, descending: k is small */
            for (size_t b = a; b > 0 && sorted[b] > sorted[b - 1]; b--) {
                uint64_t t = sorted[b];
                sorted[b] = sorted[b - 1];
                sorted[b - 1] = t;
            }
        for (size_t c = 0; ranked && c < v->k; c++)
            json_array_append_new(ranked, json_integer((json_int_t)sorted[c]));
        free(sorted);
    }
    size_t rlo = o->rank_lo ? o->rank_lo : 1, rhi = o->rank_hi ? o->rank_hi : v->k;
    const char *part = v->variant.part == ZS_QDG_PART_BIASES    ? "biases"
                       : v->variant.part == ZS_QDG_PART_WEIGHTS ? "weights"
                       : v->variant.part == ZS_QDG_PART_MLP     ? "mlp"
                       : v->variant.part == ZS_QDG_PART_ATTN    ? "attention"
                                                                : "all";
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:s, s:f, s:b, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:[I,I], s:o, s:o, s:o, "
        "s:{s:o, s:o, s:o}}",
        "name", v->variant.name, "first_layer", (json_int_t)v->layer_lo, "last_layer",
        (json_int_t)v->layer_hi, "parameters", part, "power", v->variant.power, "centred",
        v->variant.centre, "affinity", zs_qdg_affinity_name(v->variant.affinity), "dim",
        (json_int_t)v->dim, "k", (json_int_t)v->k, "ari", zs_json_number(v->ari), "nmi",
        zs_json_number(v->nmi), "sizes_ranked", ranked ? ranked : json_null(), "slope",
        zs_json_number(v->slope), "slope_ranks", (json_int_t)rlo, (json_int_t)rhi, "sweep",
        sweep ? sweep : json_null(), "eigenvalues", eig ? eig : json_null(), "clusters",
        clusters_json(v, n, truth, classes, class_value, list_key, key), "seconds", "affinity",
        zs_json_number(v->seconds_affinity), "embedding", zs_json_number(v->seconds_embedding),
        "kmeans", zs_json_number(v->seconds_kmeans));
    /* how the embedding became labels: k-means (the paper's) or CPQR (":qr") */
    if (j) json_object_set_new(j, "assign", json_string(zs_qdg_assign_name(v->variant.assign)));
    /* what the embedding's eigensolver did (docs/quanta.md, "Speed") */
    if (j)
        json_object_set_new(j, "eigensolver",
                            json_pack("{s:s, s:b, s:I, s:I, s:I, s:o}", "used",
                                      zs_qdg_eigensolver_name(v->eigen.used), "fell_back",
                                      v->eigen.fell_back, "rounds", (json_int_t)v->eigen.rounds,
                                      "products", (json_int_t)v->eigen.products, "block",
                                      (json_int_t)v->eigen.block, "max_residual",
                                      zs_json_number(v->eigen.max_residual)));
    return j;
}

zs_status zs_qdg_write_labels(const char *path, const uint32_t *labels, size_t n, zs_error *err) {
    int32_t *x = zs_alloc((n ? n : 1) * sizeof *x, "QDG labels", err);
    if (!x) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) x[i] = (int32_t)labels[i];
    uint64_t shape[1] = {n};
    zs_status s = zs_npy_write(path, ZS_DTYPE_I32, 1, shape, x, err);
    free(x);
    return s;
}

zs_status zs_qdg_parity_write(const char *dir, const zs_qdg_parity_opts *opts,
                              const zs_qdg_parity_result *res, zs_error *err) {
    int64_t *ids = malloc((res->n_tasks ? res->n_tasks : 1) * sizeof *ids);
    for (size_t t = 0; ids && t < res->n_tasks; t++) ids[t] = (int64_t)t;
    json_t *variants = ids ? json_array() : NULL;
    for (size_t v = 0; variants && v < res->n_variants; v++)
        json_array_append_new(variants,
                              zs_qdg_variant_json(opts, &res->variants[v], res->n, res->subtask,
                                                  res->n_tasks, ids, "top_subtasks", "subtask"));
    free(ids);
    json_t *present = json_array();
    uint64_t *per = calloc(res->n_tasks ? res->n_tasks : 1, sizeof *per);
    for (size_t i = 0; per && i < res->n; i++)
        if (res->subtask[i] < res->n_tasks) per[res->subtask[i]]++;
    for (size_t t = 0; per && present && t < res->n_tasks; t++)
        json_array_append_new(present, json_integer((json_int_t)per[t]));
    free(per);
    json_t *doc = json_pack(
        "{s:s, s:i, s:s, s:{s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I}, s:{s:I, s:I, s:I, s:I, "
        "s:I, s:I, s:o, s:I}, s:o, s:{s:o, s:o}}",
        "format", "zipscale-quanta-qdg", "format_version", 1, "zipscale_version", zs_version(),
        "options", "max_loss_nats", opts->max_loss_nats, "pool", (json_int_t)opts->pool, "n",
        (json_int_t)opts->n, "seed", (json_int_t)opts->seed, "n_vec", (json_int_t)opts->n_vec,
        "projection", (json_int_t)opts->projection, "restarts", (json_int_t)opts->restarts,
        "embedding", zs_qdg_embed_name(opts->embed), "k", (json_int_t)opts->k, "selection", "pool",
        (json_int_t)res->pool, "below_threshold", (json_int_t)res->n_below, "n", (json_int_t)res->n,
        "classes_present", (json_int_t)res->classes, "n_tasks", (json_int_t)res->n_tasks,
        "gradient_dim", (json_int_t)res->grad_dim, "per_subtask", present ? present : json_null(),
        "width", (json_int_t)res->width, "variants", variants ? variants : json_null(), "seconds",
        "selection", zs_json_number(res->seconds_select), "gradients",
        zs_json_number(res->seconds_gradients));
    if (doc)
        json_object_set_new(json_object_get(doc, "options"), "eigensolver",
                            json_string(zs_qdg_eigensolver_name(opts->eigensolver)));
    /* where --dump-affinity wrote the first variant's affinity (the heatmap's input) */
    if (doc && opts->affinity_path)
        json_object_set_new(doc, "affinity_file", json_string(opts->affinity_path));
    char path[4096];
    snprintf(path, sizeof path, "%s/qdg.json", dir);
    zs_status s = zs_json_write_file(doc, "QDG result", path, err);
    if (!s) {
        snprintf(path, sizeof path, "%s/truth.npy", dir);
        s = zs_qdg_write_labels(path, res->subtask, res->n, err);
    }
    for (size_t v = 0; !s && v < res->n_variants; v++) {
        snprintf(path, sizeof path, "%s/labels_%s.npy", dir, res->variants[v].variant.name);
        s = zs_qdg_write_labels(path, res->variants[v].labels, res->n, err);
    }
    return s;
}
