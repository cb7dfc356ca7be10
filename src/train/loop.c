/* zs_train_run: the training loop. Builds the model and its data (a GPT on token-file
 * windows or the MLP on sparse parity), takes AdamW steps with gradient accumulation and
 * clipping on the schedule, evaluates every K steps and at the end, logs, checkpoints,
 * resumes, and stops on a non-finite loss or gradient norm ("diverged"). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "train/train_internal.h"

enum { MLP_EVAL_ROWS = 1024 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *join(const char *dir, const char *leaf, zs_error *err) {
    size_t a = strlen(dir), b = strlen(leaf);
    char *p = zs_alloc(a + b + 2, "path", err);
    if (p) snprintf(p, a + b + 2, "%s/%s", dir, leaf);
    return p;
}

static zs_status make_paths(zs_train_ctx *ctx, zs_error *err) {
    const char *dir = ctx->opt->out_dir;
    struct stat st;
    if (mkdir(dir, 0777) != 0 && !(errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
        return zs_fail(err, ZS_ERR_IO, "%s: cannot create the output directory: %s", dir,
                       strerror(errno));
    ctx->log_path = join(dir, "log.jsonl", err);
    ctx->metrics_path = join(dir, "metrics.json", err);
    ctx->checkpoint_path = join(dir, "checkpoint.safetensors", err);
    return ctx->log_path && ctx->metrics_path && ctx->checkpoint_path ? ZS_OK : ZS_ERR_NOMEM;
}

/* The GPT, with the vocabulary taken from the data unless given (and then checked). */
static zs_status build_gpt(zs_train_ctx *ctx, zs_error *err) {
    const zs_train_opts *o = ctx->opt;
    zs_status s = zs_train_windows_open(&ctx->win, o, o->model.gpt.context, err);
    if (s) return s;
    ctx->win_open = 1;
    zs_gpt_config *g = &ctx->cfg.gpt;
    if (g->vocab == 0) g->vocab = (uint32_t)ctx->win.data_vocab;
    if (g->vocab < ctx->win.data_vocab)
        return zs_fail(err, ZS_ERR_USAGE,
                       "--vocab %u is below the data's vocabulary %llu (%s: the sidecar's "
                       "vocab_size, or the largest id + 1)",
                       g->vocab, (unsigned long long)ctx->win.data_vocab,
                       o->val_path ? "--data and --val" : o->data_path);
    if ((s = zs_gpt_config_check(g, err))) return s;
    if ((s = zs_gpt_create(&ctx->gpt, g, o->batch, o->precision, o->threads, err))) return s;
    zs_gpt_draw_weights(ctx->gpt, o->seed);
    ctx->layout = zs_gpt_get_layout(ctx->gpt);
    ctx->params = zs_gpt_params(ctx->gpt);
    ctx->grads = zs_gpt_grads(ctx->gpt);
    ctx->samples_per_step = (uint64_t)o->batch * o->accum;
    ctx->tokens_per_step = ctx->samples_per_step * g->context;
    return ZS_OK;
}

/* The parity MLP: its input sizes are the task's. */
static zs_status build_mlp(zs_train_ctx *ctx, zs_error *err) {
    const zs_train_opts *o = ctx->opt;
    zs_mlp_config *m = &ctx->cfg.mlp;
    m->n_tasks = (uint32_t)o->parity.n_tasks;
    m->n_bits = (uint32_t)o->parity.n_bits;
    zs_status s = zs_train_parity_open(&ctx->par, o, err);
    if (s) return s;
    ctx->par_open = 1;
    if ((s = zs_mlp_config_check(m, err))) return s;
    uint32_t rows = o->batch > MLP_EVAL_ROWS ? o->batch : MLP_EVAL_ROWS;
    if ((s = zs_mlp_create(&ctx->mlp, m, rows, o->threads, err))) return s;
    zs_mlp_draw_weights(ctx->mlp, o->seed);
    ctx->layout = zs_mlp_get_layout(ctx->mlp);
    ctx->params = zs_mlp_params(ctx->mlp);
    ctx->grads = zs_mlp_grads(ctx->mlp);
    ctx->subtask_loss = zs_calloc(m->n_tasks, sizeof *ctx->subtask_loss, "subtask losses", err);
    if (!ctx->subtask_loss) return ZS_ERR_NOMEM;
    ctx->samples_per_step = (uint64_t)o->batch * o->accum;
    ctx->tokens_per_step = ctx->samples_per_step;
    return ZS_OK;
}

static zs_status setup(zs_train_ctx *ctx, zs_error *err) {
    const zs_train_opts *o = ctx->opt;
    zs_status s = zs_train_opts_check(o, err);
    if (!s) s = o->model.kind == ZS_MODEL_GPT ? build_gpt(ctx, err) : build_mlp(ctx, err);
    if (s) return s;
    ctx->steps_total =
        o->steps ? o->steps : (o->tokens + ctx->tokens_per_step - 1) / ctx->tokens_per_step;
    ctx->schedule = o->schedule;
    ctx->schedule.total_steps = ctx->steps_total;
    if ((s = zs_lr_schedule_check(&ctx->schedule, err))) return s;
    if ((s = zs_adamw_init(&ctx->adamw, ctx->layout, &o->adamw, err))) return s;
    ctx->adamw_ready = 1;
    ctx->options = zs_train_options_json(ctx);
    ctx->last_val_loss = ctx->min_val_loss = NAN;
    uint64_t log_lines = 0;
    if (o->resume && (s = zs_train_checkpoint_resume(ctx, o->resume, &log_lines, err))) return s;
    /* The directory only once every input has been checked: a bad one leaves nothing. */
    if ((s = make_paths(ctx, err))) return s;
    return zs_train_log_open(ctx, o->resume != NULL, log_lines, err);
}

static void teardown(zs_train_ctx *ctx) {
    zs_train_log_close(ctx);
    if (ctx->adamw_ready) zs_adamw_free(&ctx->adamw);
    zs_gpt_free(ctx->gpt);
    zs_mlp_free(ctx->mlp);
    if (ctx->win_open) zs_train_windows_close(&ctx->win);
    if (ctx->par_open) zs_train_parity_close(&ctx->par);
    json_decref(ctx->options);
    free(ctx->subtask_loss);
    free(ctx->log_path);
    free(ctx->metrics_path);
    free(ctx->checkpoint_path);
}

/* One micro-step: forward on its batch, backward scaled by 1/A. */
static zs_status micro_step(zs_train_ctx *ctx, uint32_t micro, uint32_t *inputs, uint32_t *targets,
                            double *loss_nats, zs_error *err) {
    const zs_train_opts *o = ctx->opt;
    float scale = 1.0f / (float)o->accum;
    zs_status s;
    if (ctx->gpt) {
        uint64_t first = (ctx->step * o->accum + micro) * (uint64_t)o->batch;
        uint32_t T = ctx->cfg.gpt.context;
        s = zs_train_windows_batch(&ctx->win, first, o->batch, inputs, targets, err);
        if (!s) s = zs_gpt_forward(ctx->gpt, inputs, targets, o->batch, T, loss_nats, NULL, err);
        return s ? s : zs_gpt_backward(ctx->gpt, scale, err);
    }
    s = zs_train_parity_batch(&ctx->par, ctx->step, micro, o->batch, o->accum, err);
    if (!s) s = zs_mlp_forward(ctx->mlp, &ctx->par.step_batch, loss_nats, NULL, err);
    return s ? s : zs_mlp_backward(ctx->mlp, scale, err);
}

/* The evaluation after the current step; the final one may dump per-token losses. */
static zs_status evaluate(zs_train_ctx *ctx, int final, double *val_nats, zs_error *err) {
    const zs_train_opts *o = ctx->opt;
    if (ctx->mlp)
        return zs_train_parity_eval(&ctx->par, ctx->mlp, MLP_EVAL_ROWS, val_nats, ctx->subtask_loss,
                                    err);
    const zs_train_windows *w = &ctx->win;
    float *losses = NULL;
    if (final && o->dump_token_losses) {
        losses = zs_alloc(w->n_eval * w->T * sizeof *losses, "per-token losses", err);
        if (!losses) return ZS_ERR_NOMEM;
    }
    zs_status s = zs_train_eval_windows(ctx->gpt, w->val_src, w->val_first, w->n_eval, o->batch,
                                        val_nats, losses, err);
    if (!s && losses)
        s = zs_train_token_losses_write(o->dump_token_losses, losses, w->n_eval, w->T, *val_nats,
                                        w->val_src->path, w->val_first, ctx->step, err);
    free(losses);
    return s;
}

static void zero_grad(zs_train_ctx *ctx) {
    if (ctx->gpt)
        zs_gpt_zero_grad(ctx->gpt);
    else
        zs_mlp_zero_grad(ctx->mlp);
}

/* Steps until the end, a halt or a divergence; fills r->status and r->diverged. */
static zs_status run_steps(zs_train_ctx *ctx, zs_train_result *r, zs_error *err) {
    const zs_train_opts *o = ctx->opt;
    size_t cap = ctx->gpt ? (size_t)o->batch * ctx->cfg.gpt.context : 1;
    uint32_t *inputs = zs_alloc(2 * cap * sizeof *inputs, "training batch", err);
    if (!inputs) return ZS_ERR_NOMEM;
    uint32_t *targets = inputs + cap;
    uint64_t first_step = ctx->step;
    double t0 = now_s();
    zs_status s = ZS_OK;
    r->status = ZS_TRAIN_COMPLETED;
    while (!s && ctx->step < ctx->steps_total) {
        double t_step = now_s(), loss_sum = 0;
        zero_grad(ctx);
        for (uint32_t a = 0; !s && a < o->accum; a++) {
            double loss;
            s = micro_step(ctx, a, inputs, targets, &loss, err);
            loss_sum += loss;
        }
        if (s) break;
        double train_loss = loss_sum / o->accum;
        double norm = zs_grad_clip(ctx->grads, ctx->layout->numel, o->grad_clip);
        if (!isfinite(train_loss) || !isfinite(norm)) {
            r->status = ZS_TRAIN_DIVERGED;
            double bad = isfinite(train_loss) ? norm : train_loss;
            snprintf(r->diverged, sizeof r->diverged, "%s %s at step %llu",
                     isfinite(train_loss) ? "gradient norm" : "train loss",
                     isnan(bad) ? "nan"
                     : bad > 0  ? "inf"
                                : "-inf",
                     (unsigned long long)ctx->step + 1);
            break;
        }
        double lr = zs_lr_at(&ctx->schedule, ctx->step);
        zs_adamw_step(&ctx->adamw, ctx->params, ctx->grads, lr);
        ctx->step++;
        double tok_per_s = (double)ctx->tokens_per_step / (now_s() - t_step);
        int last = ctx->step == ctx->steps_total;
        double val = NAN;
        if (ctx->step % o->eval_every == 0 || last) {
            if ((s = evaluate(ctx, last, &val, err))) break;
            ctx->last_val_loss = val;
            if (!(val >= ctx->min_val_loss)) {
                ctx->min_val_loss = val;
                ctx->min_val_step = ctx->step;
            }
        }
        if (ctx->step % o->log_every == 0 || !isnan(val) || last) {
            zs_train_log_line line = {ctx->step, ctx->step * ctx->tokens_per_step,
                                      lr,        train_loss,
                                      val,       norm,
                                      tok_per_s, NULL,
                                      0};
            if (ctx->mlp && !isnan(val)) {
                line.subtask_loss = ctx->subtask_loss;
                line.n_subtasks = ctx->cfg.mlp.n_tasks;
            }
            if ((s = zs_train_log_write(ctx, &line, err))) break;
        }
        int halt = o->halt_after && ctx->step == o->halt_after && !last;
        if ((o->checkpoint_every && ctx->step % o->checkpoint_every == 0) || last || halt)
            if ((s = zs_train_checkpoint_save(ctx, err))) break;
        if (o->progress) {
            double elapsed = now_s() - t0;
            double rate = (double)(ctx->step - first_step) * ctx->tokens_per_step / elapsed;
            double eta =
                elapsed / (double)(ctx->step - first_step) * (double)(ctx->steps_total - ctx->step);
            zs_train_progress_print(o->progress, ctx->step, ctx->steps_total, train_loss, rate,
                                    eta);
        }
        if (halt) {
            r->status = ZS_TRAIN_HALTED;
            break;
        }
    }
    if (o->progress && ctx->step > first_step && ctx->step < ctx->steps_total)
        fputc('\n', o->progress);
    free(inputs);
    return s;
}

zs_status zs_train_run(const zs_train_opts *opt, zs_train_result *r, zs_error *err) {
    double t0 = now_s();
    memset(r, 0, sizeof *r);
    zs_train_ctx ctx = {.opt = opt, .cfg = opt->model};
    zs_status s = setup(&ctx, err);
    if (!s) s = run_steps(&ctx, r, err);
    if (!s) {
        int gpt = ctx.cfg.kind == ZS_MODEL_GPT;
        r->n_params = gpt ? zs_gpt_params_total(&ctx.cfg.gpt) : zs_mlp_params_total(&ctx.cfg.mlp);
        r->n_params_nonembed = gpt ? zs_gpt_params_nonembed(&ctx.cfg.gpt) : r->n_params;
        r->steps = ctx.step;
        r->tokens = ctx.step * ctx.tokens_per_step;
        r->flops_6nd = 6.0 * (double)r->n_params * (double)r->tokens;
        double per_step = (gpt ? zs_gpt_flops_train(&ctx.cfg.gpt, opt->batch, ctx.cfg.gpt.context)
                               : zs_mlp_flops_train(&ctx.cfg.mlp, opt->batch)) *
                          opt->accum;
        r->flops_exact = per_step * (double)ctx.step;
        r->final_val_loss = ctx.last_val_loss;
        r->min_val_loss = ctx.min_val_loss;
        r->min_val_step = ctx.min_val_step;
        r->wall_s = now_s() - t0;
        s = zs_train_metrics_write(&ctx, r, r->status == ZS_TRAIN_DIVERGED ? r->diverged : NULL,
                                   err);
    }
    teardown(&ctx);
    if (s) memset(r, 0, sizeof *r);
    return s;
}
