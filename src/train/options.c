/* The training options: defaults, the checks that need no file, the names of the data
 * orders and run statuses, the options as JSON (what metrics.json records and a
 * checkpoint stores) and the comparison that makes resume refuse a different run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

static const char *const order_names[] = {"shuffled", "sequential"};
static const char *const status_names[] = {"completed", "diverged", "halted"};

const char *zs_data_order_name(zs_data_order order) {
    return (unsigned)order < 2 ? order_names[order] : "?";
}

zs_status zs_data_order_parse(const char *text, zs_data_order *out, zs_error *err) {
    for (int i = 0; i < 2; i++)
        if (strcmp(text, order_names[i]) == 0) {
            *out = (zs_data_order)i;
            return ZS_OK;
        }
    return zs_fail_field(err, ZS_ERR_USAGE, "order",
                         "order: unknown data order '%s'; expected shuffled or sequential", text);
}

const char *zs_train_status_name(zs_train_status status) {
    return (unsigned)status < 3 ? status_names[status] : "?";
}

void zs_train_opts_init(zs_train_opts *opts) {
    zs_train_opts o = {0};
    o.model.kind = ZS_MODEL_GPT;
    zs_gpt_config_init(&o.model.gpt);
    zs_mlp_config_init(&o.model.mlp);
    zs_parity_spec_init(&o.parity);
    o.precision = ZS_PRECISION_FP32;
    o.threads = 1;
    o.val_fraction = 0.1;
    o.order = ZS_ORDER_SHUFFLED;
    o.eval_tokens = 8192;
    o.test_size = 10000;
    o.eval_per_subtask = 1000;
    o.batch = 8;
    o.accum = 1;
    zs_adamw_opts_init(&o.adamw);
    o.schedule = (zs_lr_schedule){.kind = ZS_LR_CONSTANT, .lr_max = 1e-3};
    o.eval_every = 100;
    o.log_every = 1;
    *opts = o;
}

zs_status zs_train_opts_check(const zs_train_opts *o, zs_error *err) {
    if ((o->tokens > 0) == (o->steps > 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "tokens,steps",
                             o->tokens ? "give one of tokens and steps, not both"
                                       : "the run's length is missing: give tokens or steps");
    if (o->batch == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "batch", "batch: expected at least 1, got 0");
    if (o->accum == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "accum", "accum: expected at least 1, got 0");
    if (o->eval_every == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "eval_every",
                             "eval_every: expected at least 1 step, got 0");
    if (o->log_every == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "log_every",
                             "log_every: expected at least 1 step, got 0");
    if (!(o->grad_clip >= 0) || !isfinite(o->grad_clip))
        return zs_fail_field(err, ZS_ERR_USAGE, "grad_clip",
                             "grad_clip: expected a norm >= 0 (0 = none), got %g", o->grad_clip);
    if (o->threads < 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "threads", "threads: expected >= 0, got %d",
                             o->threads);
    if (o->early_stop_patience && o->dump_token_losses)
        return zs_fail_field(err, ZS_ERR_USAGE, "dump_token_losses",
                             "dump_token_losses: the dump is of the planned last evaluation, "
                             "which early stopping may skip: use one or the other");
    if (!o->out_dir)
        return zs_fail_field(err, ZS_ERR_USAGE, "out_dir",
                             "out_dir: the output directory is missing");
    int ranks = zs_comm_size(o->comm);
    if (o->batch % (uint32_t)ranks)
        return zs_fail_field(err, ZS_ERR_USAGE, "batch",
                             "batch %u: not a multiple of the %d data-parallel ranks (each rank "
                             "takes batch/ranks rows of every micro-step)",
                             o->batch, ranks);
    zs_status s = zs_adamw_opts_check(&o->adamw, err);
    if (s) return s;
    const zs_train_model_ops *kind = zs_train_model_find(o->model.kind);
    if (!kind)
        return zs_fail(err, ZS_ERR_USAGE, "model kind %d: expected gpt or mlp", (int)o->model.kind);
    return kind->check(o, err);
}

static void set_u64(json_t *o, const char *key, uint64_t v) {
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

json_t *zs_train_options_json(const zs_train_ctx *ctx) {
    const zs_train_opts *o = ctx->opt;
    json_t *j = json_object();
    json_object_set_new(j, "model", json_string(zs_model_kind_name(ctx->model->cfg.kind)));
    ctx->model->ops->options_json(ctx->model, j);
    json_object_set_new(j, "precision", json_string(zs_precision_name(o->precision)));
    set_u64(j, "steps", ctx->steps_total);
    set_u64(j, "batch", o->batch);
    set_u64(j, "grad_accum", o->accum);
    json_object_set_new(j, "schedule", json_string(zs_lr_kind_name(o->schedule.kind)));
    json_object_set_new(j, "lr", json_real(o->schedule.lr_max));
    json_object_set_new(j, "lr_min", json_real(o->schedule.lr_min));
    set_u64(j, "warmup_steps", o->schedule.warmup_steps);
    set_u64(j, "decay_steps", o->schedule.decay_steps);
    json_object_set_new(j, "beta1", json_real(o->adamw.beta1));
    json_object_set_new(j, "beta2", json_real(o->adamw.beta2));
    json_object_set_new(j, "eps", json_real(o->adamw.eps));
    json_object_set_new(j, "weight_decay", json_real(o->adamw.weight_decay));
    json_object_set_new(j, "grad_clip", json_real(o->grad_clip));
    set_u64(j, "eval_every", o->eval_every);
    set_u64(j, "log_every", o->log_every);
    set_u64(j, "seed", o->seed);
    if (o->early_stop_patience) { /* absent when off: older runs keep their options */
        set_u64(j, "early_stop_patience", o->early_stop_patience);
        set_u64(j, "early_stop_after", o->early_stop_after);
    }
    /* Data-parallel ranks: absent for one process, so single-process runs keep their
       options. Compared on resume: the gradient sums' order, hence the bits, depend on P. */
    if (zs_comm_size(o->comm) > 1) set_u64(j, "ranks", (uint64_t)zs_comm_size(o->comm));
    /* Recorded, not compared on resume: they do not change the numbers' meaning. */
    json_object_set_new(j, "threads", json_integer(o->threads));
    set_u64(j, "checkpoint_every", o->checkpoint_every);
    return j;
}

/* Keys a resumed run may change: file names (the sha256 is compared), the thread count
 * (results are reproducible at a fixed count) and when checkpoints are written. */
static int free_key(const char *key) {
    static const char *const keys[] = {"data", "val", "threads", "checkpoint_every"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0) return 1;
    return 0;
}

zs_status zs_train_options_compare(const char *ckpt_path, const char *stored_json,
                                   const json_t *current, zs_error *err) {
    json_error_t jerr;
    json_t *stored = stored_json ? json_loads(stored_json, 0, &jerr) : NULL;
    if (!json_is_object(stored)) {
        json_decref(stored);
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: metadata 'train.options': expected the run's options as a JSON object",
                       ckpt_path);
    }
    /* The number of ranks first, with its own message (absent means one process). */
    json_t *was_ranks = json_object_get(stored, "ranks");
    json_t *now_ranks = json_object_get(current, "ranks");
    json_int_t was = json_is_integer(was_ranks) ? json_integer_value(was_ranks) : 1;
    json_int_t now = json_is_integer(now_ranks) ? json_integer_value(now_ranks) : 1;
    if (was != now) {
        json_decref(stored);
        char how[64] = "in one process (without mpirun)";
        if (was > 1) snprintf(how, sizeof how, "on %lld ranks (mpirun -np %lld)", was, was);
        return zs_fail_field(err, ZS_ERR_USAGE, "comm",
                             "%s: cannot resume: the checkpoint's run was trained on %lld "
                             "data-parallel rank%s, this run has %lld; resume it %s, as exact "
                             "resume needs the same gradient sums",
                             ckpt_path, (long long)was, was == 1 ? "" : "s", (long long)now, how);
    }
    zs_status s = ZS_OK;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)current, key, value) {
        if (free_key(key)) continue;
        json_t *old = json_object_get(stored, key);
        if (old && json_equal(old, value)) continue;
        char *was = old ? json_dumps(old, JSON_ENCODE_ANY) : NULL;
        char *now = json_dumps(value, JSON_ENCODE_ANY);
        s = zs_fail(err, ZS_ERR_USAGE,
                    "%s: cannot resume: option %s differs (the checkpoint's run had %s, this run "
                    "has %s)",
                    ckpt_path, key, was ? was : "none", now ? now : "?");
        free(was);
        free(now);
        break;
    }
    if (!s) {
        json_object_foreach(stored, key, value) {
            if (free_key(key) || json_object_get(current, key)) continue;
            s = zs_fail(err, ZS_ERR_USAGE,
                        "%s: cannot resume: option %s differs (the checkpoint's run had it, this "
                        "run has none)",
                        ckpt_path, key);
            break;
        }
    }
    json_decref(stored);
    return s;
}
