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
    return zs_fail(err, ZS_ERR_USAGE,
                   "--data-order: unknown order '%s'; expected shuffled or sequential", text);
}

const char *zs_train_status_name(zs_train_status status) {
    return (unsigned)status < 3 ? status_names[status] : "?";
}

void zs_train_opts_init(zs_train_opts *opts) {
    zs_train_opts o = {0};
    o.model.kind = ZS_MODEL_GPT;
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
        return zs_fail(err, ZS_ERR_USAGE,
                       o->tokens ? "give one of --tokens and --steps, not both"
                                 : "the run's length is missing: give --tokens N or --steps S");
    if (o->batch == 0) return zs_fail(err, ZS_ERR_USAGE, "--batch: expected at least 1, got 0");
    if (o->accum == 0)
        return zs_fail(err, ZS_ERR_USAGE, "--grad-accum: expected at least 1, got 0");
    if (o->eval_every == 0)
        return zs_fail(err, ZS_ERR_USAGE, "--eval-every: expected at least 1 step, got 0");
    if (o->log_every == 0)
        return zs_fail(err, ZS_ERR_USAGE, "--log-every: expected at least 1 step, got 0");
    if (!(o->grad_clip >= 0) || !isfinite(o->grad_clip))
        return zs_fail(err, ZS_ERR_USAGE, "--grad-clip: expected a norm >= 0 (0 = none), got %g",
                       o->grad_clip);
    if (o->threads < 0)
        return zs_fail(err, ZS_ERR_USAGE, "--threads: expected >= 0, got %d", o->threads);
    if (!o->out_dir) return zs_fail(err, ZS_ERR_USAGE, "the output directory (-o DIR) is missing");
    zs_status s = zs_adamw_opts_check(&o->adamw, err);
    if (s) return s;
    if (o->model.kind == ZS_MODEL_GPT) {
        if (!o->data_path) return zs_fail(err, ZS_ERR_USAGE, "--data FILE is missing");
        if (o->model.gpt.context == 0)
            return zs_fail(err, ZS_ERR_USAGE, "--context: expected at least 1 token, got 0");
        if (!o->val_path && !(o->val_fraction > 0 && o->val_fraction < 1))
            return zs_fail(
                err, ZS_ERR_USAGE,
                "--val-fraction: expected a fraction in (0, 1), got %g (or give --val FILE)",
                o->val_fraction);
        if (o->eval_tokens == 0)
            return zs_fail(err, ZS_ERR_USAGE, "--eval-tokens: expected at least 1, got 0");
        return ZS_OK;
    }
    if (o->model.kind != ZS_MODEL_MLP)
        return zs_fail(err, ZS_ERR_USAGE, "model kind %d: expected gpt or mlp", (int)o->model.kind);
    if (o->dump_token_losses)
        return zs_fail(err, ZS_ERR_USAGE, "--dump-token-losses: only for --model gpt");
    if (o->test_size == 0)
        return zs_fail(err, ZS_ERR_USAGE, "--test-size: expected at least 1 example, got 0");
    if (o->eval_per_subtask == 0)
        return zs_fail(err, ZS_ERR_USAGE, "--eval-per-subtask: expected at least 1 example, got 0");
    return ZS_OK;
}

static void set_u64(json_t *o, const char *key, uint64_t v) {
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

json_t *zs_train_options_json(const zs_train_ctx *ctx) {
    const zs_train_opts *o = ctx->opt;
    json_t *j = json_object();
    json_object_set_new(j, "model", json_string(zs_model_kind_name(ctx->cfg.kind)));
    if (ctx->cfg.kind == ZS_MODEL_GPT) {
        const zs_gpt_config *g = &ctx->cfg.gpt;
        set_u64(j, "vocab", g->vocab);
        set_u64(j, "context", g->context);
        set_u64(j, "d_model", g->d_model);
        set_u64(j, "layers", g->layers);
        set_u64(j, "heads", g->heads);
        set_u64(j, "mlp_hidden", g->mlp_hidden);
        json_object_set_new(j, "data", json_string(o->data_path));
        json_object_set_new(j, "data_sha256", json_string(ctx->win.train_sha256));
        if (o->val_path) {
            json_object_set_new(j, "val", json_string(o->val_path));
            json_object_set_new(j, "val_sha256", json_string(ctx->win.val_sha256));
        } else {
            json_object_set_new(j, "val_fraction", json_real(o->val_fraction));
        }
        json_object_set_new(j, "data_order", json_string(zs_data_order_name(o->order)));
        set_u64(j, "eval_tokens", o->eval_tokens);
    } else {
        const zs_mlp_config *m = &ctx->cfg.mlp;
        json_object_set_new(j, "task", json_string("parity"));
        set_u64(j, "tasks", o->parity.n_tasks);
        set_u64(j, "bits", o->parity.n_bits);
        set_u64(j, "k", o->parity.k);
        json_object_set_new(j, "zipf_exponent", json_real(o->parity.zipf_exponent));
        set_u64(j, "width", m->width);
        set_u64(j, "depth", m->depth);
        set_u64(j, "train_size", o->train_size);
        set_u64(j, "test_size", o->test_size);
        set_u64(j, "eval_per_subtask", o->eval_per_subtask);
    }
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
