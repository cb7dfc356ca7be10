/* QDG results read back (zipscale/quanta_qdg_file.h): qdg.json's variants with their scores,
 * sizes and sweeps, the label arrays and the raw affinity matrix, each checked with a
 * message naming the file and the field, and the cluster order of the heatmap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/json.h"
#include "zipscale/quanta_qdg_file.h"
#include "zipscale/tokens.h"

#define QDG_FORMAT "zipscale-quanta-qdg"
#define QDG_VERSION 1

void zs_qdg_file_free(zs_qdg_file *f) {
    for (size_t i = 0; f->variants && i < f->n_variants; i++) {
        zs_qdg_file_variant *v = &f->variants[i];
        free(v->name);
        free(v->affinity);
        free(v->sizes_ranked);
        free(v->sweep_k);
        free(v->sweep_ari);
        free(v->sweep_nmi);
    }
    free(f->variants);
    free(f->affinity_file);
    memset(f, 0, sizeof *f);
}

/* A number or null (NAN). */
static zs_status get_score(const zs_json_reader *rd, json_t *obj, const char *p, const char *key,
                           double *out) {
    *out = NAN;
    return zs_json_get_number(rd, obj, p, key, ZS_JSON_NULLABLE, out);
}

static zs_status read_sizes(const zs_json_reader *rd, json_t *x, const char *p, uint64_t n,
                            zs_qdg_file_variant *v) {
    json_t *arr;
    zs_status s = zs_json_get_array(rd, x, p, "sizes_ranked", ZS_JSON_NONEMPTY, &arr);
    if (s) return s;
    if (json_array_size(arr) != v->k) return zs_json_fail(rd, p, "sizes_ranked", "k cluster sizes");
    v->sizes_ranked = calloc(v->k, sizeof *v->sizes_ranked);
    if (!v->sizes_ranked) return zs_json_nomem(rd);
    uint64_t total = 0;
    for (size_t c = 0; c < v->k; c++) {
        json_t *e = json_array_get(arr, c);
        json_int_t val = json_is_integer(e) ? json_integer_value(e) : -1;
        if (val < 0 || (c > 0 && (uint64_t)val > v->sizes_ranked[c - 1]))
            return zs_json_fail(rd, p, "sizes_ranked",
                                "non-negative integers, largest first (the cluster sizes)");
        v->sizes_ranked[c] = (uint64_t)val;
        total += (uint64_t)val;
    }
    if (total != n)
        return zs_json_fail(rd, p, "sizes_ranked", "cluster sizes that sum to selection.n");
    return ZS_OK;
}

static zs_status read_sweep(const zs_json_reader *rd, json_t *x, const char *p,
                            zs_qdg_file_variant *v) {
    json_t *arr;
    zs_status s = zs_json_get_array(rd, x, p, "sweep", 0, &arr);
    if (s) return s;
    size_t n = json_array_size(arr);
    v->sweep_k = calloc(n ? n : 1, sizeof *v->sweep_k);
    v->sweep_ari = calloc(n ? n : 1, sizeof *v->sweep_ari);
    v->sweep_nmi = calloc(n ? n : 1, sizeof *v->sweep_nmi);
    if (!v->sweep_k || !v->sweep_ari || !v->sweep_nmi) return zs_json_nomem(rd);
    v->n_sweep = n;
    for (size_t i = 0; !s && i < n; i++) {
        char q[160];
        json_t *e;
        char name[96];
        snprintf(name, sizeof name, "%ssweep", p);
        s = zs_json_get_element(rd, arr, name, i, q, sizeof q, &e);
        if (!s) s = zs_json_get_uint(rd, e, q, "k", 0, &v->sweep_k[i]);
        if (!s) s = get_score(rd, e, q, "ari", &v->sweep_ari[i]);
        if (!s) s = get_score(rd, e, q, "nmi", &v->sweep_nmi[i]);
    }
    return s;
}

static zs_status read_variant(const zs_json_reader *rd, json_t *x, const char *p, uint64_t n,
                              zs_qdg_file_variant *v) {
    zs_status s = zs_json_get_string(rd, x, p, "name", 0, &v->name);
    if (!s) s = zs_json_get_string(rd, x, p, "affinity", 0, &v->affinity);
    if (!s) s = zs_json_get_uint(rd, x, p, "dim", 0, &v->dim);
    if (!s) s = zs_json_get_uint(rd, x, p, "k", 0, &v->k);
    if (!s && (v->k < 1 || v->k > n)) s = zs_json_fail(rd, p, "k", "a count in 1 .. selection.n");
    if (!s) s = get_score(rd, x, p, "ari", &v->ari);
    if (!s) s = get_score(rd, x, p, "nmi", &v->nmi);
    if (!s) s = get_score(rd, x, p, "slope", &v->slope);
    json_t *ranks = NULL;
    if (!s) s = zs_json_get_array(rd, x, p, "slope_ranks", 0, &ranks);
    if (!s) {
        json_t *lo = json_array_get(ranks, 0), *hi = json_array_get(ranks, 1);
        json_int_t l = json_is_integer(lo) ? json_integer_value(lo) : 0;
        json_int_t h = json_is_integer(hi) ? json_integer_value(hi) : 0;
        if (json_array_size(ranks) != 2 || l < 1 || h < l)
            s = zs_json_fail(rd, p, "slope_ranks", "[LO, HI] with 1 <= LO <= HI");
        v->rank_lo = (size_t)l;
        v->rank_hi = (size_t)h;
    }
    if (!s) s = read_sizes(rd, x, p, n, v);
    if (!s) s = read_sweep(rd, x, p, v);
    return s;
}

static zs_status read_doc(const zs_json_reader *rd, json_t *root, zs_qdg_file *f) {
    zs_status s = zs_json_check_format(rd, root, QDG_FORMAT, QDG_VERSION,
                                       "is this the qdg.json of zipscale quanta qdg -o DIR?",
                                       "this zipscale reads qdg.json version 1");
    json_t *sel = NULL, *opts = NULL, *vars = NULL;
    if (!s) s = zs_json_get_object(rd, root, NULL, "selection", NULL, 0, &sel);
    if (!s) s = zs_json_get_uint(rd, sel, "selection.", "n", 0, &f->n);
    if (!s && f->n == 0) s = zs_json_fail(rd, "selection.", "n", "a positive count");
    if (!s) s = zs_json_get_uint(rd, sel, "selection.", "pool", 0, &f->pool);
    if (!s) s = zs_json_get_uint(rd, sel, "selection.", "below_threshold", 0, &f->n_below);
    if (!s) s = zs_json_get_uint(rd, sel, "selection.", "classes_present", 0, &f->classes_present);
    char *model = NULL;
    if (!s)
        s = zs_json_get_string(rd, root, NULL, "model", ZS_JSON_OPTIONAL | ZS_JSON_NULLABLE,
                               &model);
    if (!s && model && strcmp(model, "gpt") != 0)
        s = zs_json_fail(rd, NULL, "model", "\"gpt\" or absent (the parity MLP)");
    f->gpt = model != NULL;
    free(model);
    f->target_ari = f->target_nmi = NAN;
    if (!s && !f->gpt) s = zs_json_get_uint(rd, sel, "selection.", "n_tasks", 0, &f->n_tasks);
    if (!s && f->gpt)
        s = zs_json_get_number(rd, sel, "selection.", "target_ari",
                               ZS_JSON_OPTIONAL | ZS_JSON_NULLABLE, &f->target_ari);
    if (!s && f->gpt)
        s = zs_json_get_number(rd, sel, "selection.", "target_nmi",
                               ZS_JSON_OPTIONAL | ZS_JSON_NULLABLE, &f->target_nmi);
    if (!s) s = zs_json_get_object(rd, root, NULL, "options", NULL, 0, &opts);
    f->max_loss_nats = NAN;
    if (!s) s = zs_json_get_number(rd, opts, "options.", "max_loss_nats", 0, &f->max_loss_nats);
    if (!s)
        s = zs_json_get_string(rd, root, NULL, "affinity_file", ZS_JSON_OPTIONAL | ZS_JSON_NULLABLE,
                               &f->affinity_file);
    if (!s) s = zs_json_get_array(rd, root, NULL, "variants", ZS_JSON_NONEMPTY, &vars);
    if (s) return s;
    size_t nv = json_array_size(vars);
    f->variants = calloc(nv, sizeof *f->variants);
    if (!f->variants) return zs_json_nomem(rd);
    f->n_variants = nv;
    for (size_t i = 0; !s && i < nv; i++) {
        char p[64];
        json_t *x;
        s = zs_json_get_element(rd, vars, "variants", i, p, sizeof p, &x);
        if (!s) s = read_variant(rd, x, p, f->n, &f->variants[i]);
    }
    return s;
}

zs_status zs_qdg_file_read(zs_qdg_file *out, const char *path, zs_error *err) {
    memset(out, 0, sizeof *out);
    json_t *root;
    zs_status s = zs_json_load(path, 0, &root, err);
    if (s) return s;
    zs_json_reader rd = {.path = path, .err = err};
    s = read_doc(&rd, root, out);
    json_decref(root);
    if (s) zs_qdg_file_free(out);
    return s;
}

double zs_qdg_file_intercept(const zs_qdg_file_variant *v) {
    if (isnan(v->slope)) return NAN;
    double sx = 0, sy = 0;
    size_t m = 0;
    for (size_t r = v->rank_lo; r <= v->rank_hi && r <= v->k; r++) {
        if (v->sizes_ranked[r - 1] == 0) continue;
        sx += log((double)r);
        sy += log((double)v->sizes_ranked[r - 1]);
        m++;
    }
    return m ? (sy - v->slope * sx) / (double)m : NAN;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* json_path's folder with a '/' ("" for a bare name) followed by name, into buf. */
static int beside(const char *json_path, const char *name, char *buf, size_t size) {
    const char *slash = strrchr(json_path, '/');
    int dir_len = slash ? (int)(slash - json_path + 1) : 0;
    int len = snprintf(buf, size, "%.*s%s", dir_len, json_path, name);
    return len >= 0 && (size_t)len < size;
}

int zs_qdg_file_labels_path(const char *json_path, const char *variant, char *buf, size_t size) {
    char name[256];
    int len = snprintf(name, sizeof name, "labels_%s.npy", variant);
    return len > 0 && (size_t)len < sizeof name && beside(json_path, name, buf, size) &&
           exists(buf);
}

int zs_qdg_file_affinity_path(const zs_qdg_file *f, const char *json_path, char *buf, size_t size) {
    if (!f->affinity_file || !f->affinity_file[0]) return 0;
    const char *slash = strrchr(f->affinity_file, '/');
    if (beside(json_path, slash ? slash + 1 : f->affinity_file, buf, size) && exists(buf)) return 1;
    int len = snprintf(buf, size, "%s", f->affinity_file);
    return len > 0 && (size_t)len < size && exists(buf);
}

zs_status zs_qdg_labels_read(const char *path, uint32_t **labels, size_t *n, zs_error *err) {
    *labels = NULL;
    *n = 0;
    zs_tokens t;
    zs_tokens_open_opts o = {0};
    o.skip_id_check = 1;
    zs_status s = zs_tokens_open(&t, path, &o, err);
    if (s) return s;
    if (t.format != ZS_FORMAT_NPY || t.ndim != 1 || t.n_tokens == 0) {
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: expected a non-empty 1-D .npy of cluster labels (labels_<variant>.npy "
                    "of zipscale quanta qdg -o DIR)",
                    path);
        zs_tokens_close(&t);
        return s;
    }
    uint32_t *x = zs_alloc(t.n_tokens * sizeof *x, "QDG labels", err);
    for (uint64_t i = 0; x && !s && i < t.n_tokens; i++) {
        uint64_t raw = zs_tokens_at(&t, i);
        int64_t v = t.dtype == ZS_DTYPE_I32   ? (int64_t)(int32_t)(uint32_t)raw
                    : t.dtype == ZS_DTYPE_I64 ? (int64_t)raw
                                              : (int64_t)(raw & 0xffffffffu);
        if (v < 0 || v > (int64_t)UINT32_MAX)
            s = zs_fail(err, ZS_ERR_FORMAT, "%s: label %llu is %lld: expected a cluster id >= 0",
                        path, (unsigned long long)i, (long long)v);
        else
            x[i] = (uint32_t)v;
    }
    size_t count = (size_t)t.n_tokens;
    zs_tokens_close(&t);
    if (!x) return ZS_ERR_NOMEM;
    if (s) {
        free(x);
        return s;
    }
    *labels = x;
    *n = count;
    return ZS_OK;
}

zs_status zs_qdg_affinity_read(const char *path, size_t n, const char *labels_what, float **a,
                               zs_error *err) {
    *a = NULL;
    zs_mmap map;
    zs_status s = zs_mmap_open(&map, path, err);
    if (s) return s;
    size_t want = n * n * sizeof(float);
    if (map.size != want) {
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: %zu bytes: expected %zu x %zu float32 (%zu bytes) for the %zu labels of "
                    "%s (zipscale quanta qdg --dump-affinity, with the labels of the same run)",
                    path, map.size, n, n, want, n, labels_what);
        zs_mmap_close(&map);
        return s;
    }
    float *x = zs_alloc(want ? want : 1, "QDG affinity", err);
    if (x) memcpy(x, map.data, want);
    zs_mmap_close(&map);
    if (!x) return ZS_ERR_NOMEM;
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(x[i])) {
            s = zs_fail(err, ZS_ERR_FORMAT,
                        "%s: entry (%zu, %zu) is %g: expected a finite affinity", path, i / n,
                        i % n, (double)x[i]);
            free(x);
            return s;
        }
    *a = x;
    return ZS_OK;
}

/* (size, label) pairs: larger clusters first, the lower label on a tie. */
static int by_size_desc(const void *pa, const void *pb) {
    const uint64_t *a = pa, *b = pb;
    if (a[0] != b[0]) return a[0] > b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

zs_status zs_qdg_cluster_order(const uint32_t *labels, size_t n, size_t *order, zs_error *err) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if ((size_t)labels[i] + 1 > k) k = (size_t)labels[i] + 1;
    uint64_t *pairs = calloc(k ? 2 * k : 1, sizeof *pairs);
    size_t *start = calloc(k ? k : 1, sizeof *start);
    if (!pairs || !start) {
        free(pairs);
        free(start);
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory (cluster order)");
    }
    for (size_t c = 0; c < k; c++) pairs[2 * c + 1] = c;
    for (size_t i = 0; i < n; i++) pairs[2 * (size_t)labels[i]]++;
    qsort(pairs, k, 2 * sizeof *pairs, by_size_desc);
    /* where each cluster's samples start in the order, then a stable placement */
    size_t at = 0;
    for (size_t r = 0; r < k; r++) {
        start[pairs[2 * r + 1]] = at;
        at += (size_t)pairs[2 * r];
    }
    for (size_t i = 0; i < n; i++) order[start[labels[i]]++] = i;
    free(pairs);
    free(start);
    return ZS_OK;
}

void zs_qdg_affinity_blocks(const float *a, const size_t *order, size_t n, size_t m, double *z) {
    for (size_t i = 0; i < m; i++) {
        size_t r0 = i * n / m, r1 = (i + 1) * n / m;
        for (size_t j = 0; j < m; j++) {
            size_t c0 = j * n / m, c1 = (j + 1) * n / m;
            double sum = 0;
            for (size_t r = r0; r < r1; r++) {
                const float *row = a + order[r] * n;
                for (size_t c = c0; c < c1; c++) sum += row[order[c]];
            }
            z[i * m + j] = sum / (double)((r1 - r0) * (c1 - c0));
        }
    }
}
