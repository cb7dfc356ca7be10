/* quanta, QDG on a GPT and a token file (zs_qdg_gpt_run, zipscale/quanta_qdg.h): score the
 * file's first windows, keep the predicted tokens of loss below the threshold, subsample them
 * evenly, take each one's own loss gradient (the window's prefix up to it, LAST position),
 * then the shared pipeline (qdg_pipeline.c) per variant, scored against the tokens' classes
 * (pcfg sample --labels: the emitting rule). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quanta/qdg_internal.h"
#include "zipscale/tokens.h"
#include "zipscale/train.h"

enum { SCORE_ROWS = 8 };

void zs_qdg_gpt_opts_init(zs_qdg_gpt_opts *opts) {
    *opts = (zs_qdg_gpt_opts){0};
    zs_qdg_parity_opts_init(&opts->qdg);
    opts->qdg.max_loss_nats = 0.693;
}

void zs_qdg_gpt_result_free(zs_qdg_gpt_result *res) {
    free(res->token);
    free(res->target);
    free(res->truth);
    free(res->class_id);
    free(res->class_value);
    free(res->loss_nats);
    for (size_t v = 0; v < res->n_variants; v++) zs_qdg_variant_result_free(&res->variants[v]);
    *res = (zs_qdg_gpt_result){0};
}

/* dir(data_path) + name, malloc'd. */
static char *beside(const char *data_path, const char *name, zs_error *err) {
    const char *slash = strrchr(data_path, '/');
    size_t dir = slash ? (size_t)(slash - data_path + 1) : 0;
    char *out = zs_alloc(dir + strlen(name) + 1, "labels path", err);
    if (out) {
        memcpy(out, data_path, dir);
        strcpy(out + dir, name);
    }
    return out;
}

char *zs_qdg_find_labels(const char *data_path, zs_error *err) {
    zs_sidecar sc;
    int found = 0;
    if (zs_sidecar_read(data_path, &sc, &found, err)) return NULL;
    json_t *params = found && sc.params_json ? json_loads(sc.params_json, 0, NULL) : NULL;
    const char *named = json_string_value(json_object_get(params, "labels"));
    char *out = NULL;
    if (named && named[0]) {
        /* the sidecar holds the path as given to pcfg sample: an absolute one as it is,
         * else first the same name beside the data, then as given (from here) */
        const char *base = strrchr(named, '/');
        base = base ? base + 1 : named;
        char *near = beside(data_path, base, err);
        const char *order[2] = {named[0] == '/' ? named : near, named[0] == '/' ? near : named};
        for (int i = 0; near && !out && i < 2; i++)
            if (zs_path_exists(order[i])) {
                out = zs_alloc(strlen(order[i]) + 1, "labels path", err);
                if (out) strcpy(out, order[i]);
            }
        free(near);
    }
    json_decref(params);
    if (found) zs_sidecar_free(&sc);
    return out;
}

/* The window's tokens w·T .. w·T + len as inputs (len) and targets (len, shifted by one). */
static zs_status read_window(const zs_tokens *data, uint64_t w, uint64_t T, uint64_t len,
                             uint32_t *buf, uint32_t *inputs, uint32_t *targets, zs_error *err) {
    zs_status s = zs_tokens_read_u32(data, w * T, len + 1, buf, err);
    if (s) return s;
    memcpy(inputs, buf, len * sizeof *buf);
    memcpy(targets, buf + 1, len * sizeof *buf);
    return ZS_OK;
}

/* Each position's loss in the first `windows` windows. */
static zs_status score(zs_gpt *gpt, const zs_tokens *data, uint64_t windows, float *loss,
                       zs_error *err) {
    uint64_t T = zs_gpt_get_config(gpt)->context;
    uint32_t *buf = zs_alloc((2 * SCORE_ROWS * T + T + 1) * sizeof *buf, "QDG scoring", err);
    if (!buf) return ZS_ERR_NOMEM;
    uint32_t *inputs = buf + T + 1, *targets = inputs + SCORE_ROWS * T;
    zs_status s = ZS_OK;
    for (uint64_t w = 0; !s && w < windows; w += SCORE_ROWS) {
        uint32_t rows = windows - w < SCORE_ROWS ? (uint32_t)(windows - w) : SCORE_ROWS;
        for (uint32_t b = 0; !s && b < rows; b++)
            s = read_window(data, w + b, T, T, buf, inputs + b * T, targets + b * T, err);
        double mean;
        if (!s)
            s = zs_gpt_forward(gpt, inputs, targets, rows, (uint32_t)T, &mean, loss + w * T, err);
    }
    free(buf);
    return s;
}

/* The truth: int32, one value per token of the data. */
static zs_status open_truth(const char *path, const zs_tokens *data, zs_tokens *lab,
                            zs_error *err) {
    zs_tokens_open_opts o = {0};
    o.skip_id_check = 1;
    zs_status s = zs_tokens_open(lab, path, &o, err);
    if (s) return s;
    if (lab->dtype != ZS_DTYPE_I32 || lab->n_tokens != data->n_tokens) {
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: %s truth of %llu values: expected int32, one class per token of %s "
                    "(%llu tokens; pcfg sample --labels writes such a file)",
                    path, zs_dtype_name(lab->dtype), (unsigned long long)lab->n_tokens,
                    data->path ? data->path : "the data", (unsigned long long)data->n_tokens);
        zs_tokens_close(lab);
    }
    return s;
}

static int by_value(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Renumbers the truth 0 .. classes-1 by ascending value. */
static zs_status dense_classes(zs_qdg_gpt_result *r, zs_error *err) {
    int32_t *v = zs_alloc((r->n ? r->n : 1) * sizeof *v, "QDG classes", err);
    r->class_id = v ? zs_alloc((r->n ? r->n : 1) * sizeof *r->class_id, "QDG classes", err) : NULL;
    if (!r->class_id) {
        free(v);
        return ZS_ERR_NOMEM;
    }
    memcpy(v, r->truth, r->n * sizeof *v);
    qsort(v, r->n, sizeof *v, by_value);
    size_t c = 0;
    for (size_t i = 0; i < r->n; i++)
        if (i == 0 || v[i] != v[c - 1]) v[c++] = v[i];
    r->classes = (uint32_t)c;
    r->class_value = v;
    for (size_t i = 0; i < r->n; i++) {
        int32_t *hit = bsearch(&r->truth[i], v, c, sizeof *v, by_value);
        r->class_id[i] = (uint32_t)(hit - v);
    }
    return ZS_OK;
}

/* The plug-in entropy (nats) of the tuples (a_i, b_i, c_i) over n samples; b or c may be
 * NULL (that field left out). */
typedef struct {
    uint32_t x[3];
} triple;

static int by_triple(const void *p, const void *q) {
    const triple *a = p, *b = q;
    for (int i = 0; i < 3; i++)
        if (a->x[i] != b->x[i]) return a->x[i] < b->x[i] ? -1 : 1;
    return 0;
}

static double entropy(const uint32_t *a, const uint32_t *b, const uint32_t *c, size_t n,
                      triple *scratch) {
    for (size_t i = 0; i < n; i++) scratch[i] = (triple){{a[i], b ? b[i] : 0, c ? c[i] : 0}};
    qsort(scratch, n, sizeof *scratch, by_triple);
    double h = 0.0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && by_triple(&scratch[i], &scratch[j]) == 0; j++) {
        }
        double p = (double)(j - i) / (double)n;
        h -= p * log(p);
    }
    return h;
}

/* The baselines of zs_qdg_gpt_result: the predicted token as the cluster, how closely the
 * clusters follow it, and what they say about the truth beyond it. */
static zs_status target_baselines(zs_qdg_gpt_result *r, zs_error *err) {
    size_t n = r->n;
    const uint32_t *t = r->target, *y = r->class_id;
    triple *tmp = zs_alloc((n ? n : 1) * sizeof *tmp, "QDG baselines", err);
    if (!tmp) return ZS_ERR_NOMEM;
    r->target_ari = y ? zs_qdg_ari(t, y, n) : NAN;
    r->target_nmi = y ? zs_qdg_nmi(t, y, n) : NAN;
    double h_t = entropy(t, NULL, NULL, n, tmp);
    double h_yt = y ? entropy(y, t, NULL, n, tmp) : NAN;
    r->truth_entropy_given_target = y ? h_yt - h_t : NAN;
    for (size_t v = 0; v < r->n_variants; v++) {
        const uint32_t *c = r->variants[v].labels;
        r->variant_target_ari[v] = zs_qdg_ari(c, t, n);
        r->variant_target_nmi[v] = zs_qdg_nmi(c, t, n);
        /* I(Y; C | T) = H(Y, T) + H(T, C) - H(T) - H(Y, T, C) */
        r->variant_cmi[v] =
            y ? h_yt + entropy(t, c, NULL, n, tmp) - h_t - entropy(y, t, c, n, tmp) : NAN;
    }
    free(tmp);
    return ZS_OK;
}

/* The row layout of zs_gpt_sample_grads: the tensors that are neither embedding nor norm. */
typedef struct {
    const zs_gpt *gpt;
} gpt_ctx;

static int row_tensor(const zs_tensor *t) {
    return (t->flags & (ZS_TENSOR_EMBEDDING | ZS_TENSOR_NORM)) == 0;
}

static zs_status gpt_columns(const void *ctx, const zs_qdg_variant *v, zs_qdg_columns *cols,
                             zs_error *err) {
    const zs_gpt *gpt = ((const gpt_ctx *)ctx)->gpt;
    uint32_t L = zs_gpt_get_config(gpt)->layers;
    const zs_layout *layout = zs_gpt_get_layout(gpt);
    if (v->part == ZS_QDG_PART_BIASES)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG variant %s: a GPT has no biases: expected a variant of its blocks "
                       "(signed, abs, centred, abs-centred, first, last, hidden, mlp, attn, ...)",
                       v->name);
    uint32_t lo = v->first_layer == UINT32_MAX ? L - 1 : v->first_layer;
    uint32_t hi = v->last_layer == UINT32_MAX       ? L - 1
                  : v->last_layer == UINT32_MAX - 1 ? L - 2 /* wraps when L is 1 */
                                                    : v->last_layer;
    if (v->last_layer == UINT32_MAX - 1 && L < 2) hi = UINT32_MAX;
    if (lo > hi || hi >= L)
        return zs_fail(err, ZS_ERR_USAGE,
                       "QDG variant %s: blocks %u .. %d: expected first <= last < layers = %u",
                       v->name, lo, hi == UINT32_MAX ? -1 : (int)hi, L);
    cols->layer_lo = lo;
    cols->layer_hi = hi;
    cols->spans = zs_alloc(layout->n_tensors * sizeof *cols->spans, "QDG columns", err);
    if (!cols->spans) return ZS_ERR_NOMEM;
    size_t at = 0;
    for (size_t i = 0; i < layout->n_tensors; i++) {
        const zs_tensor *t = &layout->tensors[i];
        if (!row_tensor(t)) continue;
        unsigned block = 0;
        char rest[ZS_TENSOR_NAME_MAX] = "";
        int named = sscanf(t->name, "blocks.%u.%63s", &block, rest) == 2;
        int part_ok = v->part == ZS_QDG_PART_ALL || v->part == ZS_QDG_PART_WEIGHTS ||
                      (v->part == ZS_QDG_PART_MLP && strncmp(rest, "mlp_", 4) == 0) ||
                      (v->part == ZS_QDG_PART_ATTN && strncmp(rest, "attn_", 5) == 0);
        if (named && block >= lo && block <= hi && part_ok)
            cols->spans[cols->n_spans++] = (zs_qdg_span){at, t->numel};
        at += t->numel;
    }
    return ZS_OK;
}

zs_status zs_qdg_gpt_run(const char *checkpoint, const char *data_path, const zs_qdg_gpt_opts *opts,
                         zs_qdg_gpt_result *res, zs_error *err) {
    *res = (zs_qdg_gpt_result){0};
    zs_qdg_opts o;
    zs_status s = zs_qdg_opts_resolve(&opts->qdg, &o, err);
    if (s) return s;
    zs_gpt *gpt = NULL;
    zs_tokens data, lab;
    int data_open = 0, lab_open = 0;
    float *loss = NULL, *g = NULL;
    size_t *pick = NULL;
    uint32_t *buf = NULL;
    double t0 = zs_qdg_now_s();
    s = zs_train_open_gpt(checkpoint, SCORE_ROWS, ZS_PRECISION_FP32, o.threads, &gpt, err);
    const zs_gpt_config *cfg = gpt ? zs_gpt_get_config(gpt) : NULL;
    zs_tokens_open_opts topts = {0};
    if (!s) {
        topts.vocab_size = cfg->vocab;
        s = zs_tokens_open(&data, data_path, &topts, err);
        data_open = !s;
    }
    if (!s && opts->truth_path) {
        s = open_truth(opts->truth_path, &data, &lab, err);
        lab_open = !s;
    }
    uint64_t T = cfg ? cfg->context : 1, windows = 0;
    if (!s) {
        windows = data.n_tokens ? (data.n_tokens - 1) / T : 0;
        if ((o.pool + T - 1) / T < windows) windows = (o.pool + T - 1) / T;
        if (windows == 0)
            s = zs_fail(err, ZS_ERR_USAGE,
                        "%s: %llu tokens; the checkpoint's context %llu needs windows of %llu "
                        "tokens",
                        data_path, (unsigned long long)data.n_tokens, (unsigned long long)T,
                        (unsigned long long)(T + 1));
    }
    size_t count = (size_t)(windows * T), nb = 0, n = 0;
    if (!s) {
        size_t cap = o.n < count ? o.n : count;
        loss = zs_alloc((count ? count : 1) * sizeof *loss, "QDG token losses", err);
        pick = loss ? zs_alloc((cap ? cap : 1) * sizeof *pick, "QDG selection", err) : NULL;
        if (!pick) s = ZS_ERR_NOMEM;
    }
    if (!s) s = score(gpt, &data, windows, loss, err);
    if (!s) n = zs_qdg_select(loss, count, o.max_loss_nats, o.n, o.seed, pick, &nb);
    if (!s && nb < 2)
        s = zs_fail(err, ZS_ERR_USAGE,
                    "QDG: %zu of %zu tokens have a loss below %g nats: expected at least 2", nb,
                    count, o.max_loss_nats);
    if (!s) {
        res->pool = count;
        res->windows = windows;
        res->n_below = nb;
        res->n = n;
        res->vocab = cfg->vocab;
        res->context = cfg->context;
        res->layers = cfg->layers;
        res->d_model = cfg->d_model;
        res->token = zs_alloc(n * sizeof *res->token, "QDG selection", err);
        res->target = res->token ? zs_alloc(n * sizeof *res->target, "QDG", err) : NULL;
        res->loss_nats = res->target ? zs_alloc(n * sizeof *res->loss_nats, "QDG", err) : NULL;
        if (!res->loss_nats) s = ZS_ERR_NOMEM;
    }
    if (!s && lab_open) {
        res->truth = zs_alloc(n * sizeof *res->truth, "QDG truth", err);
        if (!res->truth) s = ZS_ERR_NOMEM;
        res->has_truth = 1;
    }
    for (size_t i = 0; !s && i < n; i++) {
        uint64_t p = pick[i], w = p / T, t = p % T;
        res->token[i] = w * T + t + 1;
        res->target[i] = (uint32_t)zs_tokens_at(&data, res->token[i]);
        res->loss_nats[i] = loss[p];
        if (res->truth) res->truth[i] = (int32_t)(uint32_t)zs_tokens_at(&lab, res->token[i]);
    }
    if (!s && res->truth) s = dense_classes(res, err);
    res->seconds_select = zs_qdg_now_s() - t0;
    uint32_t k = o.k ? o.k : res->classes;
    if (!s && k == 0)
        s = zs_fail(err, ZS_ERR_USAGE,
                    "QDG: no ground truth for %s: expected a cluster count k (or a truth file)",
                    data_path);
    if (!s) s = zs_qdg_check_k(&o, k, n, err);
    if (!s) {
        res->grad_dim = zs_gpt_sample_grad_numel(gpt);
        t0 = zs_qdg_now_s();
        g = zs_alloc(n * res->grad_dim * sizeof *g, "QDG gradients", err);
        buf = g ? zs_alloc((3 * T + 1) * sizeof *buf, "QDG window", err) : NULL;
        if (!buf) s = ZS_ERR_NOMEM;
        for (size_t i = 0; !s && i < n; i++) {
            uint64_t p = pick[i], w = p / T, len = p % T + 1;
            uint32_t *in = buf + T + 1, *tg = in + T;
            s = read_window(&data, w, T, len, buf, in, tg, err);
            if (!s)
                s = zs_gpt_sample_grads(gpt, in, tg, 1, (uint32_t)len, ZS_SAMPLE_LOSS_LAST,
                                        g + i * res->grad_dim, err);
        }
        res->seconds_gradients = zs_qdg_now_s() - t0;
    }
    gpt_ctx ctx = {gpt};
    if (!s)
        s = zs_qdg_cluster_variants(g, n, res->grad_dim, &o, k, res->class_id, gpt_columns, &ctx,
                                    res->variants, &res->n_variants, err);
    if (!s) s = target_baselines(res, err);
    free(buf);
    free(g);
    free(loss);
    free(pick);
    if (lab_open) zs_tokens_close(&lab);
    if (data_open) zs_tokens_close(&data);
    zs_gpt_free(gpt);
    if (s) zs_qdg_gpt_result_free(res);
    return s;
}
