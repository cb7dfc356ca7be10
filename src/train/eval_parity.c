/* Evaluation of a sparse-parity MLP checkpoint: the task is rebuilt from the options the
 * trainer stored in it (train.options: tasks, bits, k, zipf_exponent, seed, test_size,
 * eval_per_subtask), then scored on the test set and per subtask as the trainer does. */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "train/train_internal.h"

/* An integer field of the stored options (written as json_integer of the uint64_t, so a
 * seed above 2^63 - 1 reads back from a negative integer). */
static zs_status integer(const zs_json_reader *rd, json_t *o, const char *key, uint64_t *out) {
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) return zs_json_fail(rd, NULL, key, "an integer");
    *out = (uint64_t)json_integer_value(v);
    return ZS_OK;
}

/* The parity options of the run that wrote the checkpoint. */
static zs_status stored_options(const zs_safetensors *st, const char *path, zs_train_opts *o,
                                zs_error *err) {
    const char *text = zs_safetensors_meta_value(st, "train.options");
    json_error_t jerr;
    json_t *j = text ? json_loads(text, 0, &jerr) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: metadata 'train.options': expected the run's options as a JSON object",
                       path);
    }
    zs_train_opts_init(o);
    o->model.kind = ZS_MODEL_MLP;
    o->batch = 1;
    zs_parity_spec *p = &o->parity;
    zs_json_reader rd = {path, err, "metadata 'train.options'", 1};
    zs_status s = integer(&rd, j, "tasks", &p->n_tasks);
    if (!s) s = integer(&rd, j, "bits", &p->n_bits);
    if (!s) s = integer(&rd, j, "k", &p->k);
    if (!s) s = integer(&rd, j, "seed", &p->seed);
    if (!s) s = integer(&rd, j, "test_size", &o->test_size);
    if (!s) s = integer(&rd, j, "eval_per_subtask", &o->eval_per_subtask);
    if (!s) s = zs_json_get_number(&rd, j, NULL, "zipf_exponent", 0, &p->zipf_exponent);
    json_decref(j);
    return s;
}

zs_status zs_train_eval_parity(const char *checkpoint_path, int threads, double *test_loss_nats,
                               double **subtask_loss_nats, uint64_t *n_tasks, zs_error *err) {
    enum { EVAL_ROWS = 1024 };
    *subtask_loss_nats = NULL;
    char *path = zs_train_checkpoint_resolve(checkpoint_path, err);
    if (!path) return ZS_ERR_NOMEM;
    zs_safetensors *st = NULL;
    zs_model_config cfg;
    zs_train_opts o;
    zs_train_parity p;
    int p_open = 0;
    zs_mlp *mlp = NULL;
    double *losses = NULL;
    zs_status s = zs_safetensors_open(&st, path, err);
    if (!s) s = zs_checkpoint_read_config(st, &cfg, err);
    if (!s && cfg.kind != ZS_MODEL_MLP)
        s = zs_fail_field(err, ZS_ERR_USAGE, "data_path",
                          "%s: model %s; it is scored on a token file (zs_train_eval_file's "
                          "data_path)",
                          path, zs_model_kind_name(cfg.kind));
    if (!s) s = stored_options(st, path, &o, err);
    if (!s) {
        o.threads = threads;
        s = zs_train_parity_open(&p, &o, err);
        p_open = !s;
    }
    if (!s && (cfg.mlp.n_tasks != o.parity.n_tasks || cfg.mlp.n_bits != o.parity.n_bits))
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: the model's inputs (%u tasks, %u bits) do not match its stored task "
                    "(%llu, %llu)",
                    path, cfg.mlp.n_tasks, cfg.mlp.n_bits, (unsigned long long)o.parity.n_tasks,
                    (unsigned long long)o.parity.n_bits);
    if (!s) s = zs_mlp_create(&mlp, &cfg.mlp, EVAL_ROWS, threads, err);
    if (!s) s = zs_checkpoint_load(st, zs_mlp_get_layout(mlp), zs_mlp_params(mlp), NULL, err);
    if (!s) {
        losses = zs_calloc(cfg.mlp.n_tasks, sizeof *losses, "subtask losses", err);
        if (!losses) s = ZS_ERR_NOMEM;
    }
    if (!s) s = zs_train_parity_eval(&p, mlp, EVAL_ROWS, test_loss_nats, losses, err);
    if (!s) {
        *subtask_loss_nats = losses;
        *n_tasks = cfg.mlp.n_tasks;
    } else {
        free(losses);
    }
    zs_mlp_free(mlp);
    if (p_open) zs_train_parity_close(&p);
    zs_safetensors_close(st);
    free(path);
    return s;
}

zs_status zs_train_open_parity_mlp(const char *checkpoint_path, uint32_t max_batch, int threads,
                                   zs_mlp **mlp, zs_parity_spec *spec, zs_error *err) {
    *mlp = NULL;
    char *path = zs_train_checkpoint_resolve(checkpoint_path, err);
    if (!path) return ZS_ERR_NOMEM;
    zs_safetensors *st = NULL;
    zs_model_config cfg;
    zs_train_opts o;
    zs_status s = zs_safetensors_open(&st, path, err);
    if (!s) s = zs_checkpoint_read_config(st, &cfg, err);
    if (!s && cfg.kind != ZS_MODEL_MLP)
        s = zs_fail(err, ZS_ERR_USAGE, "%s: model %s: expected a sparse-parity MLP checkpoint",
                    path, zs_model_kind_name(cfg.kind));
    if (!s) s = stored_options(st, path, &o, err);
    if (!s && (cfg.mlp.n_tasks != o.parity.n_tasks || cfg.mlp.n_bits != o.parity.n_bits))
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: the model's inputs (%u tasks, %u bits) do not match its stored task "
                    "(%llu, %llu)",
                    path, cfg.mlp.n_tasks, cfg.mlp.n_bits, (unsigned long long)o.parity.n_tasks,
                    (unsigned long long)o.parity.n_bits);
    if (!s) s = zs_mlp_create(mlp, &cfg.mlp, max_batch, threads, err);
    if (!s) s = zs_checkpoint_load(st, zs_mlp_get_layout(*mlp), zs_mlp_params(*mlp), NULL, err);
    if (!s) {
        *spec = o.parity;
    } else {
        zs_mlp_free(*mlp);
        *mlp = NULL;
    }
    zs_safetensors_close(st);
    free(path);
    return s;
}
