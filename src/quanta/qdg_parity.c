/* quanta, QDG on a sparse-parity MLP (zs_qdg_parity_run, zipscale/quanta_qdg.h): select the
 * well-predicted examples of the checkpoint's test stream, their per-sample gradients, then
 * per variant the affinity, the spectral embedding (once, for the largest cluster count),
 * k-means for k and the sweep, and the scores against each example's true subtask. */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zipscale/quanta_qdg.h"
#include "zipscale/train.h"

enum { SCORE_ROWS = 1024 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void zs_qdg_parity_opts_init(zs_qdg_parity_opts *opts) {
    *opts = (zs_qdg_parity_opts){.max_loss_nats = 0.1,
                                 .pool = 100000,
                                 .n = 10000,
                                 .embed = ZS_QDG_EMBED_SKLEARN,
                                 .restarts = 30};
}

static const struct {
    const char *name;
    uint32_t first, last;
    zs_qdg_part part;
    int centre;
    zs_qdg_affinity affinity;
} named[] = {
    {"signed", 0, UINT32_MAX, ZS_QDG_PART_ALL, 0, ZS_QDG_ANGULAR},
    {"abs", 0, UINT32_MAX, ZS_QDG_PART_ALL, 0, ZS_QDG_ABS_COS},
    {"centred", 0, UINT32_MAX, ZS_QDG_PART_ALL, 1, ZS_QDG_ANGULAR},
    {"abs-centred", 0, UINT32_MAX, ZS_QDG_PART_ALL, 1, ZS_QDG_ABS_COS},
    {"first", 0, 0, ZS_QDG_PART_ALL, 0, ZS_QDG_ANGULAR},
    {"first-abs", 0, 0, ZS_QDG_PART_ALL, 0, ZS_QDG_ABS_COS},
    {"first-bias", 0, 0, ZS_QDG_PART_BIASES, 0, ZS_QDG_ANGULAR},
    {"first-bias-abs", 0, 0, ZS_QDG_PART_BIASES, 0, ZS_QDG_ABS_COS},
    {"last", UINT32_MAX, UINT32_MAX, ZS_QDG_PART_ALL, 0, ZS_QDG_ANGULAR},
    {"hidden", 0, UINT32_MAX - 1, ZS_QDG_PART_ALL, 0, ZS_QDG_ANGULAR},
};

zs_status zs_qdg_variant_parse(const char *name, zs_qdg_variant *v, zs_error *err) {
    char base[32];
    double power = 1.0;
    const char *colon = strchr(name, ':');
    size_t len = colon ? (size_t)(colon - name) : strlen(name);
    if (colon) {
        char *end = NULL;
        if (colon[1] == 'p') power = strtod(colon + 2, &end);
        if (colon[1] != 'p' || end == colon + 2 || *end != '\0' || !(power > 0.0) ||
            !isfinite(power))
            return zs_fail(err, ZS_ERR_USAGE,
                           "QDG variant '%s': the suffix '%s': expected :pP with a power P > 0",
                           name, colon);
    }
    for (size_t i = 0; len < sizeof base && i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i].name) == len && strncmp(name, named[i].name, len) == 0) {
            *v = (zs_qdg_variant){.first_layer = named[i].first,
                                  .last_layer = named[i].last,
                                  .part = named[i].part,
                                  .centre = named[i].centre,
                                  .affinity = named[i].affinity,
                                  .power = power};
            snprintf(v->name, sizeof v->name, "%s", name);
            return ZS_OK;
        }
    return zs_fail(err, ZS_ERR_USAGE,
                   "QDG variant '%s': expected signed, abs, centred, abs-centred, first, "
                   "first-abs, first-bias, first-bias-abs, last or hidden, optionally with :pP",
                   name);
}

/* A variant's layer range on a model of `depth` hidden layers: UINT32_MAX is the output
 * layer, UINT32_MAX - 1 the one before it. */
static uint32_t resolve_layer(uint32_t l, uint32_t depth) {
    if (l == UINT32_MAX) return depth;
    if (l == UINT32_MAX - 1) return depth - 1;
    return l;
}

void zs_qdg_parity_result_free(zs_qdg_parity_result *res) {
    free(res->subtask);
    free(res->example);
    free(res->loss_nats);
    for (size_t v = 0; v < res->n_variants; v++) {
        free(res->variants[v].labels);
        free(res->variants[v].sizes);
        free(res->variants[v].eigvals);
    }
    *res = (zs_qdg_parity_result){0};
}

/* Scores the pool, keeps the examples below the threshold, subsamples n evenly. */
static zs_status select_examples(zs_mlp *mlp, const zs_parity_task *task,
                                 const zs_qdg_parity_opts *o, zs_parity_batch *chosen,
                                 zs_qdg_parity_result *res, zs_error *err) {
    zs_parity_batch pool = {0};
    float *loss = NULL;
    uint64_t *below = NULL;
    zs_status s = zs_parity_batch_init(&pool, task, o->pool, err);
    zs_parity_stream stream = {.kind = ZS_PARITY_TEST, .size = o->pool};
    if (!s) s = zs_parity_fill(task, &stream, 0, &pool, o->threads, err);
    if (!s) {
        loss = zs_alloc(o->pool * sizeof *loss, "QDG pool losses", err);
        below = loss ? zs_alloc(o->pool * sizeof *below, "QDG selection", err) : NULL;
        if (!below) s = ZS_ERR_NOMEM;
    }
    for (uint64_t r = 0; !s && r < o->pool; r += SCORE_ROWS) {
        uint64_t m = o->pool - r < SCORE_ROWS ? o->pool - r : SCORE_ROWS;
        zs_parity_batch rows = zs_parity_batch_rows(&pool, r, m);
        double mean;
        s = zs_mlp_forward(mlp, &rows, &mean, loss + r, err);
    }
    uint64_t nb = 0;
    for (uint64_t r = 0; !s && r < o->pool; r++)
        if (loss[r] < o->max_loss_nats) below[nb++] = r;
    if (!s && nb < 2)
        s = zs_fail(err, ZS_ERR_USAGE,
                    "QDG: %llu of %llu examples have a loss below %g nats: expected at least 2",
                    (unsigned long long)nb, (unsigned long long)o->pool, o->max_loss_nats);
    uint64_t n = nb < o->n ? nb : o->n;
    if (!s) {
        res->subtask = zs_alloc(n * sizeof *res->subtask, "QDG selection", err);
        res->example =
            res->subtask ? zs_alloc(n * sizeof *res->example, "QDG selection", err) : NULL;
        res->loss_nats = res->example ? zs_alloc(n * sizeof *res->loss_nats, "QDG", err) : NULL;
        if (!res->loss_nats) s = ZS_ERR_NOMEM;
    }
    if (!s) s = zs_parity_batch_init(chosen, task, n, err);
    if (!s) {
        zs_rng rng;
        zs_rng_seed(&rng, o->seed, zs_rng_tag("qdg.subsample"));
        double offset = zs_rng_uniform(&rng), stride = (double)nb / (double)n;
        uint32_t words = pool.words_per_example;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t j = (uint64_t)floor(((double)i + offset) * stride);
            if (j >= nb) j = nb - 1;
            uint64_t r = below[j];
            res->example[i] = r;
            res->subtask[i] = pool.subtask[r];
            res->loss_nats[i] = loss[r];
            chosen->subtask[i] = pool.subtask[r];
            chosen->label[i] = pool.label[r];
            memcpy(chosen->bits + i * words, pool.bits + r * words, words * sizeof *pool.bits);
        }
        res->pool = o->pool;
        res->n_below = nb;
        res->n = n;
        res->classes = (uint32_t)zs_qdg_count_classes(res->subtask, n);
    }
    free(loss);
    free(below);
    zs_parity_batch_free(&pool);
    return s;
}

/* Tensor t of the MLP's layout is a weight when even, a bias when odd. */
static int in_part(size_t t, zs_qdg_part part) {
    return part == ZS_QDG_PART_ALL || (part == ZS_QDG_PART_WEIGHTS) == (t % 2 == 0);
}

/* The embedding's first `cols` columns, row-normalised for ROWNORM. */
static void prefix(const double *emb, size_t n, size_t stride, size_t cols, zs_qdg_embed mode,
                   double *out) {
    for (size_t i = 0; i < n; i++) {
        double ss = 0.0;
        for (size_t c = 0; c < cols; c++) {
            out[i * cols + c] = emb[i * stride + c];
            ss += out[i * cols + c] * out[i * cols + c];
        }
        if (mode == ZS_QDG_EMBED_ROWNORM && ss > 0.0)
            for (size_t c = 0; c < cols; c++) out[i * cols + c] /= sqrt(ss);
    }
}

/* The last cosine matrix and what it was computed from: variants that differ only in the
 * affinity (signed, abs, powers) share it. */
typedef struct {
    double *c;
    uint32_t lo, hi;
    zs_qdg_part part;
    int centre, valid;
} cosine_cache;

/* The affinity as raw little-endian float32 (n, n), written to path.tmp then renamed. */
static zs_status write_affinity(const char *path, const double *c, size_t n, zs_error *err) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return zs_fail(err, ZS_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    float *row = malloc(n * sizeof *row);
    int ok = row != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        for (size_t j = 0; j < n; j++) row[j] = (float)c[i * n + j];
        ok = fwrite(row, sizeof *row, n, f) == n;
    }
    free(row);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return zs_fail(err, ZS_ERR_IO, "%s: cannot write the affinity matrix", path);
    }
    return ZS_OK;
}

static zs_status run_variant(const float *g, size_t n, const zs_layout *layout, uint32_t depth,
                             const zs_qdg_parity_opts *o, const uint32_t *truth,
                             cosine_cache *cache, const char *affinity_path,
                             zs_qdg_variant_result *vr, zs_error *err) {
    uint32_t lo = resolve_layer(vr->variant.first_layer, depth);
    uint32_t hi = resolve_layer(vr->variant.last_layer, depth);
    if (lo > hi || hi > depth)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG variant %s: layers %u .. %u: expected first <= last <= depth = %u",
                       vr->variant.name, lo, hi, depth);
    vr->layer_lo = lo;
    vr->layer_hi = hi;
    size_t full = layout->numel, d = 0;
    for (size_t t = 2 * (size_t)lo; t <= 2 * (size_t)hi + 1; t++)
        if (in_part(t, vr->variant.part)) d += layout->tensors[t].numel;
    size_t dim = o->projection ? o->projection : d;
    uint32_t k = vr->k;
    size_t n_vec = k > o->n_vec ? k : o->n_vec;
    for (size_t i = 0; i < o->n_k_sweep; i++)
        if (o->k_sweep[i] > n_vec) n_vec = o->k_sweep[i];
    if (n_vec > n) n_vec = n;
    double t0 = now_s();
    int cached = cache->valid && cache->lo == lo && cache->hi == hi &&
                 cache->part == vr->variant.part && cache->centre == vr->variant.centre;
    float *x = cached ? NULL : zs_alloc(n * d * sizeof *x, "QDG variant gradients", err);
    float *p = NULL;
    double *c = NULL, *emb = NULL, *sub = NULL;
    zs_status s = x || cached ? ZS_OK : ZS_ERR_NOMEM;
    if (!s && cached) {
        c = zs_alloc(n * n * sizeof *c, "QDG affinity", err);
        if (c)
            memcpy(c, cache->c, n * n * sizeof *c);
        else
            s = ZS_ERR_NOMEM;
    }
    if (!s && !cached) {
        for (size_t i = 0; i < n; i++) {
            float *row = x + i * d;
            for (size_t t = 2 * (size_t)lo; t <= 2 * (size_t)hi + 1; t++) {
                const zs_tensor *tn = &layout->tensors[t];
                if (!in_part(t, vr->variant.part)) continue;
                memcpy(row, g + i * full + tn->offset, tn->numel * sizeof *x);
                row += tn->numel;
            }
        }
        if (vr->variant.centre) s = zs_qdg_center_columns(x, n, d, err);
    }
    if (!s && !cached && o->projection) {
        p = zs_alloc(n * dim * sizeof *p, "QDG projected gradients", err);
        s = p ? zs_qdg_project(x, n, d, dim, o->seed, p, err) : ZS_ERR_NOMEM;
        if (!s) {
            free(x);
            x = p;
            p = NULL;
        }
    }
    if (!s && !cached) {
        zs_qdg_normalize_rows(x, n, dim);
        c = zs_alloc(n * n * sizeof *c, "QDG affinity", err);
        s = c ? zs_qdg_cosine(x, n, dim, c, err) : ZS_ERR_NOMEM;
        if (!s && !cache->c) {
            cache->c = zs_alloc(n * n * sizeof *cache->c, "QDG cosine cache", err);
            if (!cache->c) s = ZS_ERR_NOMEM;
        }
        if (!s) {
            memcpy(cache->c, c, n * n * sizeof *c);
            *cache = (cosine_cache){cache->c, lo, hi, vr->variant.part, vr->variant.centre, 1};
        }
    }
    free(x);
    x = NULL;
    if (!s) {
        zs_qdg_affinity_apply(c, n, vr->variant.affinity);
        if (vr->variant.power != 1.0)
#pragma omp parallel for schedule(static)
            for (size_t i = 0; i < n * n; i++) c[i] = pow(c[i], vr->variant.power);
        vr->dim = dim;
        if (affinity_path) s = write_affinity(affinity_path, c, n, err);
    }
    if (!s) {
        vr->seconds_affinity = now_s() - t0;
        t0 = now_s();
        emb = zs_alloc(n * n_vec * sizeof *emb, "QDG embedding", err);
        vr->eigvals = emb ? zs_alloc(n_vec * sizeof *vr->eigvals, "QDG eigenvalues", err) : NULL;
        s = vr->eigvals ? ZS_OK : ZS_ERR_NOMEM;
        zs_qdg_embed mode = o->embed == ZS_QDG_EMBED_ROWNORM ? ZS_QDG_EMBED_RAW : o->embed;
        zs_qdg_eigen_opts eo;
        zs_qdg_eigen_opts_init(&eo);
        eo.solver = o->eigensolver;
        eo.seed = o->seed;
        if (!s)
            s = zs_qdg_spectral_embedding_eig(c, n, n_vec, mode, &eo, emb, vr->eigvals, &vr->eigen,
                                              err);
        vr->n_eig = s ? 0 : n_vec;
        vr->seconds_embedding = now_s() - t0;
    }
    free(c);
    t0 = now_s();
    if (!s) {
        sub = zs_alloc(n * n_vec * sizeof *sub, "QDG embedding columns", err);
        vr->labels = sub ? zs_alloc(n * sizeof *vr->labels, "QDG labels", err) : NULL;
        vr->sizes = vr->labels ? zs_alloc(k * sizeof *vr->sizes, "QDG sizes", err) : NULL;
        if (!vr->sizes) s = ZS_ERR_NOMEM;
    }
    zs_qdg_kmeans_opts ko;
    zs_qdg_kmeans_opts_init(&ko);
    ko.restarts = o->restarts;
    ko.seed = o->seed;
    ko.threads = o->threads;
    for (size_t j = 0; !s && j <= o->n_k_sweep; j++) {
        uint32_t kk = j == 0 ? k : o->k_sweep[j - 1];
        size_t cols = kk > o->n_vec ? kk : o->n_vec;
        if (cols > n_vec) cols = n_vec;
        prefix(emb, n, n_vec, cols, o->embed, sub);
        uint32_t *lab = vr->labels;
        uint32_t *tmp = NULL;
        if (j > 0) {
            tmp = zs_alloc(n * sizeof *tmp, "QDG sweep labels", err);
            if (!tmp) {
                s = ZS_ERR_NOMEM;
                break;
            }
            lab = tmp;
        }
        s = zs_qdg_kmeans(sub, n, cols, kk, &ko, lab, NULL, err);
        if (!s && j == 0) {
            vr->ari = zs_qdg_ari(lab, truth, n);
            vr->nmi = zs_qdg_nmi(lab, truth, n);
        } else if (!s) {
            vr->sweep_ari[j - 1] = zs_qdg_ari(lab, truth, n);
            vr->sweep_nmi[j - 1] = zs_qdg_nmi(lab, truth, n);
        }
        free(tmp);
    }
    if (!s) {
        zs_qdg_cluster_sizes(vr->labels, n, k, vr->sizes);
        size_t rlo = o->rank_lo ? o->rank_lo : 1, rhi = o->rank_hi ? o->rank_hi : k;
        vr->slope = zs_qdg_rank_slope(vr->sizes, k, rlo, rhi);
    }
    vr->seconds_kmeans = now_s() - t0;
    free(emb);
    free(sub);
    return s;
}

zs_status zs_qdg_parity_run(const char *checkpoint, const zs_qdg_parity_opts *opts,
                            zs_qdg_parity_result *res, zs_error *err) {
    *res = (zs_qdg_parity_result){0};
    zs_qdg_parity_opts o = *opts;
    if (o.n_variants == 0) {
        o.n_variants = 1;
        zs_qdg_variant_parse("signed", &o.variants[0], NULL);
    }
    for (size_t v = 0; v < o.n_variants; v++)
        if (!(o.variants[v].power > 0.0) || !isfinite(o.variants[v].power))
            return zs_fail(err, ZS_ERR_USAGE, "QDG variant %s: power %g: expected > 0",
                           o.variants[v].name, o.variants[v].power);
    if (o.n < 2 || o.pool < 2)
        return zs_fail(err, ZS_ERR_USAGE, "QDG: n = %llu, pool = %llu: expected both at least 2",
                       (unsigned long long)o.n, (unsigned long long)o.pool);
    if (o.n_k_sweep > ZS_QDG_MAX_SWEEP || o.n_variants > ZS_QDG_MAX_VARIANTS || o.restarts < 1)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG: %zu sweep counts, %zu variants, %u restarts: expected at most %d, "
                       "at most %d, at least 1",
                       o.n_k_sweep, o.n_variants, o.restarts, ZS_QDG_MAX_SWEEP,
                       ZS_QDG_MAX_VARIANTS);
    zs_mlp *mlp = NULL;
    zs_parity_spec spec;
    zs_parity_task task;
    int task_open = 0;
    zs_parity_batch chosen = {0};
    float *g = NULL;
    double t0 = now_s();
    zs_status s = zs_train_open_parity_mlp(checkpoint, SCORE_ROWS, o.threads, &mlp, &spec, err);
    if (!s) s = zs_parity_init(&task, &spec, err);
    task_open = !s;
    if (!s) s = select_examples(mlp, &task, &o, &chosen, res, err);
    res->seconds_select = now_s() - t0;
    size_t n = res->n;
    const zs_mlp_config *cfg = mlp ? zs_mlp_get_config(mlp) : NULL;
    uint32_t k = o.k ? o.k : res->classes;
    if (!s && (k < 1 || k > n))
        s = zs_fail(err, ZS_ERR_USAGE, "QDG: k = %u clusters of %zu examples: expected 1 .. %zu", k,
                    n, n);
    for (size_t i = 0; !s && i < o.n_k_sweep; i++)
        if (o.k_sweep[i] < 1 || o.k_sweep[i] > n)
            s = zs_fail(err, ZS_ERR_USAGE,
                        "QDG: sweep k = %u clusters of %zu examples: expected 1 .. %zu",
                        o.k_sweep[i], n, n);
    if (!s) {
        res->n_tasks = cfg->n_tasks;
        res->depth = cfg->depth;
        res->width = cfg->width;
        res->grad_dim = zs_mlp_sample_grad_numel(mlp, 0, cfg->depth);
        t0 = now_s();
        g = zs_alloc(n * res->grad_dim * sizeof *g, "QDG gradients", err);
        s = g ? zs_mlp_sample_grads(mlp, &chosen, 0, cfg->depth, g, NULL, err) : ZS_ERR_NOMEM;
        res->seconds_gradients = now_s() - t0;
    }
    /* OpenBLAS (the SYRK, dsyevr) on `threads` threads, as the rest of the run, restored
     * after */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(zs_threads_resolve(o.threads));
    cosine_cache cache = {0};
    for (size_t v = 0; !s && v < o.n_variants; v++) {
        zs_qdg_variant_result *vr = &res->variants[v];
        vr->variant = o.variants[v];
        vr->k = k;
        res->n_variants = v + 1;
        s = run_variant(g, n, zs_mlp_get_layout(mlp), cfg->depth, &o, res->subtask, &cache,
                        v == 0 ? o.affinity_path : NULL, vr, err);
    }
    free(cache.c);
    openblas_set_num_threads(blas_threads);
    free(g);
    zs_parity_batch_free(&chosen);
    if (task_open) zs_parity_free(&task);
    zs_mlp_free(mlp);
    if (s) zs_qdg_parity_result_free(res);
    return s;
}
