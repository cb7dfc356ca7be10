/* The QDG file of a GPT run ("zipscale-quanta-qdg", version 1, "model": "gpt";
 * zs_qdg_gpt_write) and the arrays beside it: the clustered tokens, their classes, each
 * variant's labels. The arrays are written first and qdg.json last, so a qdg.json means the
 * arrays it describes are there. docs/quanta.md lists every field. */
#include <stdio.h>
#include <stdlib.h>

#include "quanta/qdg_internal.h"
#include "zipscale/tokens.h"

static json_t *per_class_json(const zs_qdg_gpt_result *r) {
    if (!r->class_id) return json_null();
    uint64_t *count = calloc(r->classes ? r->classes : 1, sizeof *count);
    json_t *list = count ? json_array() : NULL;
    for (size_t i = 0; list && i < r->n; i++) count[r->class_id[i]]++;
    for (size_t c = 0; list && c < r->classes; c++)
        json_array_append_new(list, json_pack("{s:I, s:I}", "class", (json_int_t)r->class_value[c],
                                              "count", (json_int_t)count[c]));
    free(count);
    return list ? list : json_null();
}

/* Each cluster's first three tokens (in file order): index, id and loss. */
static void add_examples(json_t *clusters, const zs_qdg_gpt_result *r, const uint32_t *labels) {
    for (size_t j = 0; j < json_array_size(clusters); j++) {
        json_t *c = json_array_get(clusters, j), *ex = json_array();
        json_int_t id = json_integer_value(json_object_get(c, "cluster"));
        for (size_t i = 0; ex && i < r->n && json_array_size(ex) < 3; i++)
            if ((json_int_t)labels[i] == id)
                json_array_append_new(ex,
                                      json_pack("{s:I, s:I, s:o}", "token", (json_int_t)r->token[i],
                                                "target", (json_int_t)r->target[i], "loss_nats",
                                                zs_json_number(r->loss_nats[i])));
        json_object_set_new(c, "examples", ex ? ex : json_null());
    }
}

static zs_status write_arrays(const char *dir, const zs_qdg_gpt_result *res, zs_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tokens.npy", dir);
    int64_t *tok = zs_alloc((res->n ? res->n : 1) * sizeof *tok, "QDG tokens", err);
    if (!tok) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < res->n; i++) tok[i] = (int64_t)res->token[i];
    uint64_t shape[1] = {res->n};
    zs_status s = zs_npy_write(path, ZS_DTYPE_I64, 1, shape, tok, err);
    free(tok);
    if (!s && res->truth) {
        snprintf(path, sizeof path, "%s/truth.npy", dir);
        s = zs_npy_write(path, ZS_DTYPE_I32, 1, shape, res->truth, err);
    }
    for (size_t v = 0; !s && v < res->n_variants; v++) {
        snprintf(path, sizeof path, "%s/labels_%s.npy", dir, res->variants[v].variant.name);
        s = zs_qdg_write_labels(path, res->variants[v].labels, res->n, err);
    }
    return s;
}

zs_status zs_qdg_gpt_write(const char *dir, const char *checkpoint, const char *data_path,
                           const zs_qdg_gpt_opts *opts, const zs_qdg_gpt_result *res,
                           zs_error *err) {
    zs_status s = write_arrays(dir, res, err);
    if (s) return s;
    const zs_qdg_opts *o = &opts->qdg;
    int64_t *ids = malloc((res->classes ? res->classes : 1) * sizeof *ids);
    for (size_t c = 0; ids && c < res->classes; c++) ids[c] = res->class_value[c];
    json_t *variants = ids ? json_array() : NULL;
    for (size_t v = 0; variants && v < res->n_variants; v++) {
        json_t *x = zs_qdg_variant_json(o, &res->variants[v], res->n, res->class_id, res->classes,
                                        ids, "top_classes", "class");
        json_object_set_new(x, "ari_target", zs_json_number(res->variant_target_ari[v]));
        json_object_set_new(x, "nmi_target", zs_json_number(res->variant_target_nmi[v]));
        json_object_set_new(x, "cmi_given_target_nats", zs_json_number(res->variant_cmi[v]));
        add_examples(json_object_get(x, "clusters"), res, res->variants[v].labels);
        json_array_append_new(variants, x);
    }
    free(ids);
    json_t *doc = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:{s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I}, "
        "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I}, s:o, s:{s:o, "
        "s:o}}",
        "format", "zipscale-quanta-qdg", "format_version", 1, "zipscale_version", zs_version(),
        "model", "gpt", "checkpoint", checkpoint, "data", data_path, "truth",
        opts->truth_path ? json_string(opts->truth_path) : json_null(), "options", "max_loss_nats",
        o->max_loss_nats, "pool", (json_int_t)o->pool, "n", (json_int_t)o->n, "seed",
        (json_int_t)o->seed, "n_vec", (json_int_t)o->n_vec, "projection", (json_int_t)o->projection,
        "restarts", (json_int_t)o->restarts, "embedding", zs_qdg_embed_name(o->embed), "k",
        (json_int_t)o->k, "selection", "pool", (json_int_t)res->pool, "windows",
        (json_int_t)res->windows, "below_threshold", (json_int_t)res->n_below, "n",
        (json_int_t)res->n, "classes_present", (json_int_t)res->classes, "gradient_dim",
        (json_int_t)res->grad_dim, "per_class", per_class_json(res), "target_ari",
        zs_json_number(res->target_ari), "target_nmi", zs_json_number(res->target_nmi),
        "truth_entropy_given_target_nats", zs_json_number(res->truth_entropy_given_target),
        "context", (json_int_t)res->context, "layers", (json_int_t)res->layers, "d_model",
        (json_int_t)res->d_model, "vocab", (json_int_t)res->vocab, "variants",
        variants ? variants : json_null(), "seconds", "selection",
        zs_json_number(res->seconds_select), "gradients", zs_json_number(res->seconds_gradients));
    if (doc)
        json_object_set_new(json_object_get(doc, "options"), "eigensolver",
                            json_string(zs_qdg_eigensolver_name(o->eigensolver)));
    /* where --dump-affinity wrote the first variant's affinity (the heatmap's input) */
    if (doc && o->affinity_path)
        json_object_set_new(doc, "affinity_file", json_string(o->affinity_path));
    char path[4096];
    snprintf(path, sizeof path, "%s/qdg.json", dir);
    return zs_json_write_file(doc, "QDG result", path, err);
}
