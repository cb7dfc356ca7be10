/* Reads a family of per-token loss dumps (zs_token_loss_family_read): the trainer's
 * --dump-token-losses arrays and their sidecars, checked to score the same tokens, in
 * increasing model size. */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "zipscale/quanta_tokens.h"
#include "zipscale/tokens.h"

void zs_token_loss_family_free(zs_token_loss_family *f) {
    for (size_t j = 0; j < f->n_models; j++) {
        if (f->paths) free(f->paths[j]);
        if (f->loss) free(f->loss[j]);
    }
    free(f->paths);
    free(f->loss);
    free(f->n_params);
    free(f->data_path);
    memset(f, 0, sizeof *f);
}

/* One dump's sidecar: what it scored and the model's size. */
typedef struct {
    char *data;
    uint64_t first_window, shape[2], n_params;
} sidecar;

static zs_status read_sidecar(const char *npy_path, sidecar *sc, zs_error *err) {
    memset(sc, 0, sizeof *sc);
    size_t len = strlen(npy_path);
    char *path = zs_alloc(len + 6, "sidecar path", err);
    if (!path) return ZS_ERR_NOMEM;
    memcpy(path, npy_path, len);
    strcpy(path + len, ".json");
    json_t *root = NULL;
    zs_status s = zs_json_load(path, 0, &root, err);
    zs_json_reader rd = {path, err, NULL, 0};
    json_t *shape = NULL;
    if (!s) s = zs_json_get_string(&rd, root, NULL, "data", 0, &sc->data);
    if (!s) s = zs_json_get_uint(&rd, root, NULL, "first_window", 0, &sc->first_window);
    if (!s && !json_is_object(root)) s = zs_json_fail(&rd, NULL, NULL, "a JSON object");
    if (!s && !zs_json_member(root, "n_params"))
        s = zs_json_fail(&rd, NULL, "n_params",
                         "the model's parameter count (dumps of zipscale 0.x before it was "
                         "recorded lack it: retrain, or add it by hand from metrics.json)");
    if (!s) s = zs_json_get_uint(&rd, root, NULL, "n_params", 0, &sc->n_params);
    if (!s) s = zs_json_get_array(&rd, root, NULL, "shape", ZS_JSON_NONEMPTY, &shape);
    if (!s && (json_array_size(shape) != 2 || !json_is_integer(json_array_get(shape, 0)) ||
               !json_is_integer(json_array_get(shape, 1)) ||
               json_integer_value(json_array_get(shape, 0)) < 0 ||
               json_integer_value(json_array_get(shape, 1)) < 0))
        s = zs_json_fail(&rd, NULL, "shape", "[windows, T], two integers >= 0");
    if (!s) {
        sc->shape[0] = (uint64_t)json_integer_value(json_array_get(shape, 0));
        sc->shape[1] = (uint64_t)json_integer_value(json_array_get(shape, 1));
    }
    json_decref(root);
    free(path);
    if (s) free(sc->data), sc->data = NULL;
    return s;
}

static int by_size(const void *a, const void *b, void *ctx) {
    const uint64_t *n = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    return n[i] < n[j] ? -1 : n[i] > n[j] ? 1 : (i > j) - (i < j);
}

/* The order of the dumps by size (an insertion sort: families are small). */
static void order_by_size(size_t *order, const uint64_t *n_params, size_t n) {
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && by_size(&order[k - 1], &order[k], (void *)n_params) > 0; k--) {
            size_t t = order[k];
            order[k] = order[k - 1], order[k - 1] = t;
        }
}

zs_status zs_token_loss_family_read(zs_token_loss_family *out, const char *const *paths, size_t n,
                                    zs_error *err) {
    memset(out, 0, sizeof *out);
    if (n == 0) return zs_fail(err, ZS_ERR_USAGE, "token losses: no dump files given");
    zs_token_loss_family f = {.n_models = n};
    f.paths = calloc(n, sizeof *f.paths);
    f.loss = calloc(n, sizeof *f.loss);
    f.n_params = calloc(n, sizeof *f.n_params);
    uint64_t *sizes = calloc(n, sizeof *sizes);
    size_t *order = calloc(n, sizeof *order);
    float **loss = calloc(n, sizeof *loss);
    zs_status s = ZS_OK;
    if (!f.paths || !f.loss || !f.n_params || !sizes || !order || !loss)
        s = zs_fail(err, ZS_ERR_NOMEM, "token losses: out of memory");
    for (size_t j = 0; !s && j < n; j++) {
        sidecar sc;
        zs_npy_f32 a;
        s = read_sidecar(paths[j], &sc, err);
        if (!s) {
            s = zs_npy_read_f32(paths[j], &a, err);
            if (!s && (a.ndim != 2 || a.shape[0] != sc.shape[0] || a.shape[1] != sc.shape[1]))
                s = zs_fail(err, ZS_ERR_FORMAT,
                            "%s: shape (%llu, %llu) (%d-D), but its sidecar says [%llu, %llu]",
                            paths[j], (unsigned long long)a.shape[0],
                            (unsigned long long)a.shape[1], a.ndim, (unsigned long long)sc.shape[0],
                            (unsigned long long)sc.shape[1]);
            if (!s && j == 0) {
                f.windows = a.shape[0], f.context = a.shape[1], f.first_window = sc.first_window;
                f.data_path = sc.data, sc.data = NULL;
            } else if (!s &&
                       (strcmp(sc.data, f.data_path) != 0 || sc.first_window != f.first_window ||
                        a.shape[0] != f.windows || a.shape[1] != f.context)) {
                s = zs_fail(err, ZS_ERR_FORMAT,
                            "%s: scores %llu windows of %llu tokens from window %llu of %s; %s "
                            "scores %llu of %llu from %llu of %s: expected every dump of the "
                            "same held-out tokens",
                            paths[j], (unsigned long long)a.shape[0],
                            (unsigned long long)a.shape[1], (unsigned long long)sc.first_window,
                            sc.data, paths[0], (unsigned long long)f.windows,
                            (unsigned long long)f.context, (unsigned long long)f.first_window,
                            f.data_path);
            }
            if (!s) loss[j] = a.data, a.data = NULL;
            zs_npy_f32_free(&a);
            sizes[j] = sc.n_params;
            free(sc.data);
        }
    }
    if (!s) {
        order_by_size(order, sizes, n);
        for (size_t k = 1; !s && k < n; k++)
            if (sizes[order[k]] == sizes[order[k - 1]])
                s = zs_fail(err, ZS_ERR_FORMAT,
                            "%s and %s: both of a model of %llu parameters: expected one dump "
                            "per model size",
                            paths[order[k - 1]], paths[order[k]],
                            (unsigned long long)sizes[order[k]]);
    }
    for (size_t k = 0; !s && k < n; k++) {
        size_t j = order[k];
        f.paths[k] = strdup(paths[j]);
        if (!f.paths[k]) s = zs_fail(err, ZS_ERR_NOMEM, "token losses: out of memory");
        f.n_params[k] = (double)sizes[j];
        f.loss[k] = loss[j], loss[j] = NULL;
    }
    for (size_t j = 0; loss && j < n; j++) free(loss[j]);
    free(loss);
    free(sizes);
    free(order);
    if (s) {
        zs_token_loss_family_free(&f);
        return s;
    }
    *out = f;
    return ZS_OK;
}
