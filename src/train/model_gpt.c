/* The GPT behind the trainer's model interface (train/model.h): trained on windows of a
 * token file (windows.c), evaluated on the held-out windows (evaluate.c), the final
 * evaluation's per-token losses dumped on request (token_losses.c). */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

typedef struct {
    zs_train_model base;
    const zs_train_opts *opt;
    zs_gpt *gpt;
    zs_train_windows win;
    int win_open;
    uint32_t *inputs, *targets; /* one micro-step's batch (B, T) */
} gpt_model;

static zs_status gpt_check(const zs_train_opts *o, zs_error *err) {
    if (!o->data_path)
        return zs_fail_field(err, ZS_ERR_USAGE, "data_path",
                             "data_path: the training token file is missing");
    if (o->model.gpt.context == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "context",
                             "context: expected at least 1 token, got 0");
    if (!o->val_path && !(o->val_fraction > 0 && o->val_fraction < 1))
        return zs_fail_field(
            err, ZS_ERR_USAGE, "val_fraction",
            "val_fraction: expected a fraction in (0, 1), got %g (or give val_path, a file)",
            o->val_fraction);
    if (o->eval_tokens == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "eval_tokens",
                             "eval_tokens: expected at least 1, got 0");
    return ZS_OK;
}

static void gpt_free(zs_train_model *base) {
    gpt_model *m = (gpt_model *)base;
    zs_gpt_free(m->gpt);
    if (m->win_open) zs_train_windows_close(&m->win);
    free(m->inputs);
    free(m);
}

/* The GPT, with the vocabulary taken from the data unless given (and then checked). */
static zs_status build(gpt_model *m, zs_error *err) {
    const zs_train_opts *o = m->opt;
    zs_status s = zs_train_windows_open(&m->win, o, o->model.gpt.context, err);
    if (s) return s;
    m->win_open = 1;
    zs_gpt_config *g = &m->base.cfg.gpt;
    if (g->vocab == 0) g->vocab = (uint32_t)m->win.data_vocab;
    if (g->vocab < m->win.data_vocab)
        return zs_fail_field(err, ZS_ERR_USAGE, "vocab",
                             "vocab %u is below the data's vocabulary %llu (%s: the sidecar's "
                             "vocab_size, or the largest id + 1)",
                             g->vocab, (unsigned long long)m->win.data_vocab,
                             o->val_path ? "data_path and val_path" : o->data_path);
    if ((s = zs_gpt_config_check(g, err))) return s;
    uint32_t rows = zs_train_local_batch(o); /* this rank's share of each micro-step */
    if ((s = zs_gpt_create(&m->gpt, g, rows, o->precision, o->threads, err))) return s;
    zs_gpt_draw_weights(m->gpt, o->seed);
    m->base.layout = zs_gpt_get_layout(m->gpt);
    m->base.params = zs_gpt_params(m->gpt);
    m->base.grads = zs_gpt_grads(m->gpt);
    m->base.tokens_per_sample = g->context;
    m->base.n_params = zs_gpt_params_total(g);
    m->base.n_params_nonembed = zs_gpt_params_nonembed(g);
    m->base.flops_per_step = zs_gpt_flops_train(g, o->batch, g->context) * o->accum;
    size_t cap = (size_t)rows * g->context;
    m->inputs = zs_alloc(2 * cap * sizeof *m->inputs, "training batch", err);
    if (!m->inputs) return ZS_ERR_NOMEM;
    m->targets = m->inputs + cap;
    return ZS_OK;
}

static zs_status gpt_create(zs_train_model **out, const zs_train_opts *o, zs_error *err) {
    gpt_model *m = zs_calloc(1, sizeof *m, "model", err);
    if (!m) return ZS_ERR_NOMEM;
    m->base.ops = &zs_train_model_gpt;
    m->base.cfg = o->model;
    m->opt = o;
    zs_status s = build(m, err);
    if (s) {
        gpt_free(&m->base);
        return s;
    }
    *out = &m->base;
    return ZS_OK;
}

static void gpt_zero_grad(zs_train_model *base) {
    zs_gpt_zero_grad(((gpt_model *)base)->gpt);
}

static zs_status gpt_step(zs_train_model *base, uint64_t step, uint32_t micro, float scale,
                          double *loss_nats, zs_error *err) {
    gpt_model *m = (gpt_model *)base;
    const zs_train_opts *o = m->opt;
    uint32_t rows = zs_train_local_batch(o);
    uint64_t first =
        (step * o->accum + micro) * (uint64_t)o->batch + (uint64_t)zs_comm_rank(o->comm) * rows;
    uint32_t T = m->base.cfg.gpt.context;
    zs_status s = zs_train_windows_batch(&m->win, first, rows, m->inputs, m->targets, err);
    if (!s) s = zs_gpt_forward(m->gpt, m->inputs, m->targets, rows, T, loss_nats, NULL, err);
    return s ? s : zs_gpt_backward(m->gpt, scale, err);
}

/* The held-out windows' mean loss; the final evaluation may dump per-token losses. */
static zs_status gpt_evaluate(zs_train_model *base, uint64_t step, int final, double *val_nats,
                              zs_error *err) {
    gpt_model *m = (gpt_model *)base;
    const zs_train_opts *o = m->opt;
    const zs_train_windows *w = &m->win;
    float *losses = NULL;
    if (final && o->dump_token_losses) {
        losses = zs_alloc(w->n_eval * w->T * sizeof *losses, "per-token losses", err);
        if (!losses) return ZS_ERR_NOMEM;
    }
    zs_status s = zs_train_eval_windows_ranks(o->comm, m->gpt, w->val_src, w->val_first, w->n_eval,
                                              val_nats, losses, err);
    /* Every rank holds the losses; rank 0 writes them. */
    if (!s && losses && zs_comm_rank(o->comm) == 0)
        s = zs_train_token_losses_write(o->dump_token_losses, losses, w->n_eval, w->T, *val_nats,
                                        w->val_src->path, w->val_first, step, base->n_params,
                                        base->n_params_nonembed, err);
    if (losses) s = zs_comm_agree(o->comm, s, err);
    free(losses);
    return s;
}

static const double *gpt_subtask_loss(const zs_train_model *base, size_t *n) {
    (void)base;
    *n = 0;
    return NULL;
}

static void set_u64(json_t *o, const char *key, uint64_t v) {
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void gpt_options_json(const zs_train_model *base, json_t *j) {
    const gpt_model *m = (const gpt_model *)base;
    const zs_train_opts *o = m->opt;
    const zs_gpt_config *g = &m->base.cfg.gpt;
    set_u64(j, "vocab", g->vocab);
    set_u64(j, "context", g->context);
    set_u64(j, "d_model", g->d_model);
    set_u64(j, "layers", g->layers);
    set_u64(j, "heads", g->heads);
    set_u64(j, "mlp_hidden", g->mlp_hidden);
    json_object_set_new(j, "data", json_string(o->data_path));
    json_object_set_new(j, "data_sha256", json_string(m->win.train_sha256));
    if (o->val_path) {
        json_object_set_new(j, "val", json_string(o->val_path));
        json_object_set_new(j, "val_sha256", json_string(m->win.val_sha256));
    } else {
        json_object_set_new(j, "val_fraction", json_real(o->val_fraction));
    }
    json_object_set_new(j, "data_order", json_string(zs_data_order_name(o->order)));
    set_u64(j, "eval_tokens", o->eval_tokens);
}

static json_t *gpt_config_json(const zs_train_model *base) {
    const zs_gpt_config *g = &base->cfg.gpt;
    return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "kind", "gpt", "vocab", (int)g->vocab,
                     "context", (int)g->context, "d_model", (int)g->d_model, "layers",
                     (int)g->layers, "heads", (int)g->heads, "mlp_hidden", (int)g->mlp_hidden);
}

const zs_train_model_ops zs_train_model_gpt = {
    .kind = ZS_MODEL_GPT,
    .count_key = "tokens",
    .loss_units = "nats per token",
    .check = gpt_check,
    .create = gpt_create,
    .free = gpt_free,
    .zero_grad = gpt_zero_grad,
    .step = gpt_step,
    .evaluate = gpt_evaluate,
    .subtask_loss = gpt_subtask_loss,
    .options_json = gpt_options_json,
    .config_json = gpt_config_json,
    .metrics_json = NULL,
};
