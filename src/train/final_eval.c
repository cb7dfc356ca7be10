/* A finished run's final evaluation, again, from its checkpoint: the model and data built
 * as the trainer built them from the run's options, the checkpoint checked to be this
 * run's (its stored options compared, as a resume does) and loaded, then the model's own
 * evaluation with its per-token losses dumped. Same code, same batch, same threads as the
 * run's last evaluation, so the same numbers (docs/training.md "Per-token losses"). */
#include <stdlib.h>

#include "train/train_internal.h"

zs_status zs_train_dump_token_losses(const zs_train_opts *opt, const char *checkpoint_path,
                                     const char *dump_path, double *loss_nats, zs_error *err) {
    if (opt->model.kind != ZS_MODEL_GPT)
        return zs_fail_field(err, ZS_ERR_USAGE, "model.kind",
                             "model.kind: per-token losses are a GPT's (the run's model is %s)",
                             zs_model_kind_name(opt->model.kind));
    if (zs_comm_parallel(opt->comm))
        return zs_fail_field(err, ZS_ERR_USAGE, "comm",
                             "comm: the dump is made by one process (no ranks)");
    zs_status s = zs_train_opts_check(opt, err);
    if (s) return s;
    /* The copy the model reads: the run's options with the dump asked for. */
    zs_train_opts o = *opt;
    o.dump_token_losses = dump_path;
    zs_train_ctx ctx = {.opt = &o};
    s = zs_train_model_gpt.create(&ctx.model, &o, err);
    if (!s) {
        ctx.samples_per_step = (uint64_t)opt->batch * opt->accum;
        ctx.tokens_per_step = ctx.samples_per_step * ctx.model->tokens_per_sample;
        ctx.steps_total =
            opt->steps ? opt->steps : (opt->tokens + ctx.tokens_per_step - 1) / ctx.tokens_per_step;
        s = zs_adamw_init(&ctx.adamw, ctx.model->layout, &opt->adamw, err);
        ctx.adamw.threads = zs_threads_resolve(opt->threads);
    }
    if (!s) {
        ctx.adamw_ready = 1;
        ctx.options = zs_train_options_json(&ctx);
    }
    uint64_t log_lines = 0;
    if (!s) s = zs_train_checkpoint_resume(&ctx, checkpoint_path, &log_lines, err);
    double loss = 0;
    if (!s) s = ctx.model->ops->evaluate(ctx.model, ctx.step, 1, &loss, err);
    if (!s && loss_nats) *loss_nats = loss;
    json_decref(ctx.options);
    if (ctx.adamw_ready) zs_adamw_free(&ctx.adamw);
    if (ctx.model) ctx.model->ops->free(ctx.model);
    return s;
}
