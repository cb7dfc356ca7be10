/* The sparse-parity MLP behind the trainer's model interface (train/model.h): trained on
 * parity batches (parity_data.c), evaluated on the test set and per subtask; the
 * per-subtask losses go to the log and metrics.json. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "train/train_internal.h"

enum { MLP_EVAL_ROWS = 1024 };

typedef struct {
    zs_train_model base;
    const zs_train_opts *opt;
    zs_mlp *mlp;
    zs_train_parity par;
    int par_open;
    double *subtask_loss; /* the last evaluation's, n_tasks entries */
} mlp_model;

static zs_status mlp_check(const zs_train_opts *o, zs_error *err) {
    if (o->dump_token_losses)
        return zs_fail_field(err, ZS_ERR_USAGE, "dump_token_losses",
                             "dump_token_losses: only for a GPT (model.kind gpt)");
    if (o->test_size == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "test_size",
                             "test_size: expected at least 1 example, got 0");
    if (o->eval_per_subtask == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "eval_per_subtask",
                             "eval_per_subtask: expected at least 1 example, got 0");
    return ZS_OK;
}

static void mlp_free(zs_train_model *base) {
    mlp_model *m = (mlp_model *)base;
    zs_mlp_free(m->mlp);
    if (m->par_open) zs_train_parity_close(&m->par);
    free(m->subtask_loss);
    free(m);
}

/* The parity MLP: its input sizes are the task's. */
static zs_status build(mlp_model *m, zs_error *err) {
    const zs_train_opts *o = m->opt;
    zs_mlp_config *c = &m->base.cfg.mlp;
    c->n_tasks = (uint32_t)o->parity.n_tasks;
    c->n_bits = (uint32_t)o->parity.n_bits;
    zs_status s = zs_train_parity_open(&m->par, o, err);
    if (s) return s;
    m->par_open = 1;
    if ((s = zs_mlp_config_check(c, err))) return s;
    uint32_t local = zs_train_local_batch(o); /* this rank's share of each micro-step */
    uint32_t rows = local > MLP_EVAL_ROWS ? local : MLP_EVAL_ROWS;
    if ((s = zs_mlp_create(&m->mlp, c, rows, o->threads, err))) return s;
    zs_mlp_draw_weights(m->mlp, o->seed);
    m->base.layout = zs_mlp_get_layout(m->mlp);
    m->base.params = zs_mlp_params(m->mlp);
    m->base.grads = zs_mlp_grads(m->mlp);
    m->base.tokens_per_sample = 1;
    m->base.n_params = zs_mlp_params_total(c);
    m->base.n_params_nonembed = m->base.n_params;
    m->base.flops_per_step = zs_mlp_flops_train(c, o->batch) * o->accum;
    m->subtask_loss = zs_calloc(c->n_tasks, sizeof *m->subtask_loss, "subtask losses", err);
    return m->subtask_loss ? ZS_OK : ZS_ERR_NOMEM;
}

static zs_status mlp_create(zs_train_model **out, const zs_train_opts *o, zs_error *err) {
    mlp_model *m = zs_calloc(1, sizeof *m, "model", err);
    if (!m) return ZS_ERR_NOMEM;
    m->base.ops = &zs_train_model_mlp;
    m->base.cfg = o->model;
    m->opt = o;
    zs_status s = build(m, err);
    if (s) {
        mlp_free(&m->base);
        return s;
    }
    *out = &m->base;
    return ZS_OK;
}

static void mlp_zero_grad(zs_train_model *base) {
    zs_mlp_zero_grad(((mlp_model *)base)->mlp);
}

static zs_status mlp_step(zs_train_model *base, uint64_t step, uint32_t micro, float scale,
                          double *loss_nats, zs_error *err) {
    mlp_model *m = (mlp_model *)base;
    const zs_train_opts *o = m->opt;
    zs_status s = zs_train_parity_batch(&m->par, step, micro, o->batch, o->accum, err);
    if (!s) s = zs_mlp_forward(m->mlp, &m->par.step_batch, loss_nats, NULL, err);
    return s ? s : zs_mlp_backward(m->mlp, scale, err);
}

static zs_status mlp_evaluate(zs_train_model *base, uint64_t step, int final, double *val_nats,
                              zs_error *err) {
    (void)step;
    (void) final;
    mlp_model *m = (mlp_model *)base;
    return zs_train_parity_eval(&m->par, m->mlp, MLP_EVAL_ROWS, val_nats, m->subtask_loss, err);
}

static const double *mlp_subtask_loss(const zs_train_model *base, size_t *n) {
    const mlp_model *m = (const mlp_model *)base;
    *n = m->base.cfg.mlp.n_tasks;
    return m->subtask_loss;
}

static void set_u64(json_t *o, const char *key, uint64_t v) {
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void mlp_options_json(const zs_train_model *base, json_t *j) {
    const zs_train_opts *o = ((const mlp_model *)base)->opt;
    const zs_mlp_config *c = &base->cfg.mlp;
    json_object_set_new(j, "task", json_string("parity"));
    set_u64(j, "tasks", o->parity.n_tasks);
    set_u64(j, "bits", o->parity.n_bits);
    set_u64(j, "k", o->parity.k);
    json_object_set_new(j, "zipf_exponent", json_real(o->parity.zipf_exponent));
    set_u64(j, "width", c->width);
    set_u64(j, "depth", c->depth);
    set_u64(j, "train_size", o->train_size);
    set_u64(j, "test_size", o->test_size);
    set_u64(j, "eval_per_subtask", o->eval_per_subtask);
}

static json_t *mlp_config_json(const zs_train_model *base) {
    const zs_mlp_config *c = &base->cfg.mlp;
    return json_pack("{s:s, s:i, s:i, s:i, s:i}", "kind", "mlp", "n_tasks", (int)c->n_tasks,
                     "n_bits", (int)c->n_bits, "width", (int)c->width, "depth", (int)c->depth);
}

/* The last evaluation's loss of each subtask, with its probability. */
static void mlp_metrics_json(const zs_train_model *base, json_t *j, double final_val_loss) {
    const mlp_model *m = (const mlp_model *)base;
    if (!isfinite(final_val_loss)) return;
    json_t *table = json_array();
    for (uint64_t s = 0; s < m->par.task.spec.n_tasks; s++)
        json_array_append_new(table, json_pack("{s:I, s:f, s:o}", "subtask", (json_int_t)s,
                                               "probability", m->par.task.probs[s], "loss",
                                               zs_json_number(m->subtask_loss[s])));
    json_object_set_new(j, "subtasks", table);
}

const zs_train_model_ops zs_train_model_mlp = {
    .kind = ZS_MODEL_MLP,
    .count_key = "examples",
    .loss_units = "nats per example",
    .check = mlp_check,
    .create = mlp_create,
    .free = mlp_free,
    .zero_grad = mlp_zero_grad,
    .step = mlp_step,
    .evaluate = mlp_evaluate,
    .subtask_loss = mlp_subtask_loss,
    .options_json = mlp_options_json,
    .config_json = mlp_config_json,
    .metrics_json = mlp_metrics_json,
};
