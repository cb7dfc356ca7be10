/* quanta, QDG on a sparse-parity MLP (zs_qdg_parity_run, zipscale/quanta_qdg.h): select the
 * well-predicted examples of the checkpoint's test stream, their per-sample gradients, then
 * the shared pipeline (qdg_pipeline.c) per variant, scored against each example's true
 * subtask. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quanta/qdg_internal.h"
#include "zipscale/train.h"

enum { SCORE_ROWS = 1024 };

void zs_qdg_parity_opts_init(zs_qdg_parity_opts *opts) {
    *opts = (zs_qdg_parity_opts){.max_loss_nats = 0.1,
                                 .pool = 100000,
                                 .n = 10000,
                                 .embed = ZS_QDG_EMBED_SKLEARN,
                                 .restarts = 30};
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
    for (size_t v = 0; v < res->n_variants; v++) zs_qdg_variant_result_free(&res->variants[v]);
    *res = (zs_qdg_parity_result){0};
}

/* Scores the pool, keeps the examples below the threshold, subsamples n evenly. */
static zs_status select_examples(zs_mlp *mlp, const zs_parity_task *task,
                                 const zs_qdg_parity_opts *o, zs_parity_batch *chosen,
                                 zs_qdg_parity_result *res, zs_error *err) {
    zs_parity_batch pool = {0};
    float *loss = NULL;
    size_t *pick = NULL;
    zs_status s = zs_parity_batch_init(&pool, task, o->pool, err);
    zs_parity_stream stream = {.kind = ZS_PARITY_TEST, .size = o->pool};
    if (!s) s = zs_parity_fill(task, &stream, 0, &pool, o->threads, err);
    if (!s) {
        size_t cap = o->n < o->pool ? o->n : o->pool;
        loss = zs_alloc(o->pool * sizeof *loss, "QDG pool losses", err);
        pick = loss ? zs_alloc(cap * sizeof *pick, "QDG selection", err) : NULL;
        if (!pick) s = ZS_ERR_NOMEM;
    }
    for (uint64_t r = 0; !s && r < o->pool; r += SCORE_ROWS) {
        uint64_t m = o->pool - r < SCORE_ROWS ? o->pool - r : SCORE_ROWS;
        zs_parity_batch rows = zs_parity_batch_rows(&pool, r, m);
        double mean;
        s = zs_mlp_forward(mlp, &rows, &mean, loss + r, err);
    }
    size_t nb = 0, n = 0;
    if (!s) n = zs_qdg_select(loss, o->pool, o->max_loss_nats, o->n, o->seed, pick, &nb);
    if (!s && nb < 2)
        s = zs_fail(err, ZS_ERR_USAGE,
                    "QDG: %zu of %llu examples have a loss below %g nats: expected at least 2", nb,
                    (unsigned long long)o->pool, o->max_loss_nats);
    if (!s) {
        res->subtask = zs_alloc(n * sizeof *res->subtask, "QDG selection", err);
        res->example =
            res->subtask ? zs_alloc(n * sizeof *res->example, "QDG selection", err) : NULL;
        res->loss_nats = res->example ? zs_alloc(n * sizeof *res->loss_nats, "QDG", err) : NULL;
        if (!res->loss_nats) s = ZS_ERR_NOMEM;
    }
    if (!s) s = zs_parity_batch_init(chosen, task, n, err);
    if (!s) {
        uint32_t words = pool.words_per_example;
        for (size_t i = 0; i < n; i++) {
            size_t r = pick[i];
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
    free(pick);
    zs_parity_batch_free(&pool);
    return s;
}

/* Tensor t of the MLP's layout is a weight when even, a bias when odd. */
static int in_part(size_t t, zs_qdg_part part) {
    return part == ZS_QDG_PART_ALL || (part == ZS_QDG_PART_WEIGHTS) == (t % 2 == 0);
}

/* A variant's columns of the MLP's gradient rows (every layer, layout order). */
static zs_status mlp_columns(const void *ctx, const zs_qdg_variant *v, zs_qdg_columns *cols,
                             zs_error *err) {
    const zs_mlp *mlp = ctx;
    uint32_t depth = zs_mlp_get_config(mlp)->depth;
    const zs_layout *layout = zs_mlp_get_layout(mlp);
    if (v->part != ZS_QDG_PART_ALL && v->part != ZS_QDG_PART_WEIGHTS &&
        v->part != ZS_QDG_PART_BIASES)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG variant %s: takes a GPT's MLP or attention matrices: expected a "
                       "variant of a parity MLP's layers",
                       v->name);
    uint32_t lo = resolve_layer(v->first_layer, depth), hi = resolve_layer(v->last_layer, depth);
    if (lo > hi || hi > depth)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG variant %s: layers %u .. %u: expected first <= last <= depth = %u",
                       v->name, lo, hi, depth);
    cols->layer_lo = lo;
    cols->layer_hi = hi;
    cols->spans = zs_alloc(2 * (size_t)(hi - lo + 1) * sizeof *cols->spans, "QDG columns", err);
    if (!cols->spans) return ZS_ERR_NOMEM;
    for (size_t t = 2 * (size_t)lo; t <= 2 * (size_t)hi + 1; t++)
        if (in_part(t, v->part))
            cols->spans[cols->n_spans++] =
                (zs_qdg_span){layout->tensors[t].offset, layout->tensors[t].numel};
    return ZS_OK;
}

zs_status zs_qdg_parity_run(const char *checkpoint, const zs_qdg_parity_opts *opts,
                            zs_qdg_parity_result *res, zs_error *err) {
    *res = (zs_qdg_parity_result){0};
    zs_qdg_parity_opts o;
    zs_status s = zs_qdg_opts_resolve(opts, &o, err);
    if (s) return s;
    zs_mlp *mlp = NULL;
    zs_parity_spec spec;
    zs_parity_task task;
    int task_open = 0;
    zs_parity_batch chosen = {0};
    float *g = NULL;
    double t0 = zs_qdg_now_s();
    s = zs_train_open_parity_mlp(checkpoint, SCORE_ROWS, o.threads, &mlp, &spec, err);
    if (!s) s = zs_parity_init(&task, &spec, err);
    task_open = !s;
    if (!s) s = select_examples(mlp, &task, &o, &chosen, res, err);
    res->seconds_select = zs_qdg_now_s() - t0;
    size_t n = res->n;
    const zs_mlp_config *cfg = mlp ? zs_mlp_get_config(mlp) : NULL;
    uint32_t k = o.k ? o.k : res->classes;
    if (!s) s = zs_qdg_check_k(&o, k, n, err);
    if (!s) {
        res->n_tasks = cfg->n_tasks;
        res->depth = cfg->depth;
        res->width = cfg->width;
        res->grad_dim = zs_mlp_sample_grad_numel(mlp, 0, cfg->depth);
        t0 = zs_qdg_now_s();
        g = zs_alloc(n * res->grad_dim * sizeof *g, "QDG gradients", err);
        s = g ? zs_mlp_sample_grads(mlp, &chosen, 0, cfg->depth, g, NULL, err) : ZS_ERR_NOMEM;
        res->seconds_gradients = zs_qdg_now_s() - t0;
    }
    if (!s)
        s = zs_qdg_cluster_variants(g, n, res->grad_dim, &o, k, res->subtask, mlp_columns, mlp,
                                    res->variants, &res->n_variants, err);
    free(g);
    zs_parity_batch_free(&chosen);
    if (task_open) zs_parity_free(&task);
    zs_mlp_free(mlp);
    if (s) zs_qdg_parity_result_free(res);
    return s;
}
