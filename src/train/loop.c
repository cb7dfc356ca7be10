/* zs_train_run: the training loop. Builds the model and its data through the model
 * interface (train/model.h: the GPT on token-file windows, the MLP on sparse parity),
 * takes AdamW steps with gradient accumulation and clipping on the schedule, evaluates
 * every K steps and at the end, logs, checkpoints, resumes, and stops on a non-finite
 * loss or gradient norm ("diverged"). With ranks (opt->comm, comm.c) each computes its
 * share of every micro-step, the gradients are summed before the update, every rank takes
 * the same update, and rank 0 alone reads the checkpoint and writes the run directory;
 * every failure is agreed on, so that all ranks stop together with the same error. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "train/train_internal.h"

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

/* Rank 0's resumed state to every rank: the parameters, AdamW's moments and step, and the
 * loop's position and evaluation history (the log's length is rank 0's business). */
static zs_status share_resumed(zs_train_ctx *ctx, zs_error *err) {
    const zs_comm *comm = ctx->opt->comm;
    size_t n = ctx->model->layout->numel;
    double hist[2] = {ctx->last_val_loss, ctx->min_val_loss};
    uint64_t pos[4] = {ctx->step, ctx->adamw.t, ctx->min_val_step, ctx->val_rises};
    zs_status s = zs_comm_bcast(comm, ctx->model->params, n * sizeof(float), err);
    if (!s) s = zs_comm_bcast(comm, ctx->adamw.moments, 2 * n * sizeof(float), err);
    if (!s) s = zs_comm_bcast(comm, hist, sizeof hist, err);
    if (!s) s = zs_comm_bcast(comm, pos, sizeof pos, err);
    if (s) return s;
    ctx->last_val_loss = hist[0], ctx->min_val_loss = hist[1];
    ctx->step = pos[0], ctx->adamw.t = pos[1], ctx->min_val_step = pos[2], ctx->val_rises = pos[3];
    return ZS_OK;
}

static zs_status setup(zs_train_ctx *ctx, zs_error *err) {
    const zs_train_opts *o = ctx->opt;
    int root = zs_comm_rank(o->comm) == 0;
    zs_status s = zs_train_opts_check(o, err);
    if (!s) s = zs_train_model_find(o->model.kind)->create(&ctx->model, o, err);
    if (!s) {
        ctx->samples_per_step = (uint64_t)o->batch * o->accum;
        ctx->tokens_per_step = ctx->samples_per_step * ctx->model->tokens_per_sample;
        ctx->steps_total =
            o->steps ? o->steps : (o->tokens + ctx->tokens_per_step - 1) / ctx->tokens_per_step;
        ctx->schedule = o->schedule;
        ctx->schedule.total_steps = ctx->steps_total;
        s = zs_lr_schedule_check(&ctx->schedule, err);
    }
    if (!s) s = zs_adamw_init(&ctx->adamw, ctx->model->layout, &o->adamw, err);
    if (!s) {
        ctx->adamw.threads = zs_threads_resolve(o->threads);
        ctx->adamw_ready = 1;
        ctx->options = zs_train_options_json(ctx);
        ctx->last_val_loss = ctx->min_val_loss = NAN;
    }
    /* Rank 0 alone reads the checkpoint and owns the run directory. */
    uint64_t log_lines = 0;
    if (!s && root && o->resume) s = zs_train_checkpoint_resume(ctx, o->resume, &log_lines, err);
    /* The directory only once every input has been checked (on every rank): a bad one
       leaves nothing. */
    s = zs_comm_agree(o->comm, s, err);
    if (!s && root) s = make_paths(ctx, err);
    if (!s && root) s = zs_train_log_open(ctx, o->resume != NULL, log_lines, err);
    if (!zs_comm_parallel(o->comm)) return s;
    s = zs_comm_agree(o->comm, s, err);
    if (!s && o->resume) s = share_resumed(ctx, err);
    /* Every rank drew (or was sent) the same weights: check before the first step. */
    if (!s)
        s = zs_comm_check_same(o->comm, ctx->model->params, ctx->model->layout->numel, ctx->step,
                               err);
    return s;
}

static void teardown(zs_train_ctx *ctx) {
    zs_train_log_close(ctx);
    if (ctx->adamw_ready) zs_adamw_free(&ctx->adamw);
    if (ctx->model) ctx->model->ops->free(ctx->model);
    json_decref(ctx->options);
    free(ctx->log_path);
    free(ctx->metrics_path);
    free(ctx->checkpoint_path);
}

/* Early stopping's condition (zs_train_opts), true from the stopping evaluation on, so a
 * run resumed from its final checkpoint takes no further step. */
static int early_stopped(const zs_train_ctx *ctx) {
    const zs_train_opts *o = ctx->opt;
    return o->early_stop_patience && ctx->val_rises >= o->early_stop_patience &&
           ctx->step > o->early_stop_after;
}

/* Steps until the end, a halt, early stopping or a divergence; fills r->status,
 * r->stopped_early and r->diverged. */
static zs_status run_steps(zs_train_ctx *ctx, zs_train_result *r, zs_error *err) {
    const zs_train_opts *o = ctx->opt;
    const zs_comm *comm = o->comm;
    int ranks = zs_comm_size(comm), parallel = zs_comm_parallel(comm);
    int root = zs_comm_rank(comm) == 0;
    zs_train_model *m = ctx->model;
    /* Each micro-step's share of the gradient; with P ranks each holds the mean over its
       B/P rows, so 1/(A·P) of it, and the sum over the ranks is the step's gradient. */
    float scale =
        parallel ? 1.0f / (float)((uint64_t)o->accum * (uint64_t)ranks) : 1.0f / (float)o->accum;
    uint64_t first_step = ctx->step;
    double t0 = now_s();
    zs_status s = ZS_OK;
    r->status = ZS_TRAIN_COMPLETED;
    while (!s && ctx->step < ctx->steps_total && !early_stopped(ctx)) {
        double t_step = now_s(), loss_sum = 0;
        int stop_asked = 0; /* zs_train_opts.stop: checkpoint at this step and halt */
        if (o->on_step) o->on_step(o->on_step_ctx);
        m->ops->zero_grad(m);
        for (uint32_t a = 0; !s && a < o->accum; a++) {
            double loss;
            s = m->ops->step(m, ctx->step, a, scale, &loss, err);
            loss_sum += loss;
        }
        double train_loss;
        if (parallel) {
            /* One small sum carries the losses and whether a rank failed; the gradient sum
               follows only when none did. */
            double sums[3] = {loss_sum, s ? 1.0 : 0.0, o->stop && *o->stop ? 1.0 : 0.0};
            zs_status c = zs_comm_sum_f64(comm, sums, 3, err);
            if (!c && sums[1] > 0) c = zs_comm_agree(comm, s, err);
            if (!c) c = zs_comm_sum_f32(comm, m->grads, m->layout->numel, err);
            if ((s = c)) break;
            train_loss = sums[0] / ((double)o->accum * (double)ranks);
            stop_asked = sums[2] > 0; /* any rank's stop request stops them all, together */
        } else {
            if (s) break;
            train_loss = loss_sum / o->accum;
        }
        double norm = zs_grad_clip(m->grads, m->layout->numel, o->grad_clip);
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
        zs_adamw_step(&ctx->adamw, m->params, m->grads, lr);
        ctx->step++;
        double tok_per_s = (double)ctx->tokens_per_step / (now_s() - t_step);
        int last = ctx->step == ctx->steps_total;
        double val = NAN;
        if (ctx->step % o->eval_every == 0 || last) {
            if ((s = m->ops->evaluate(m, ctx->step, last, &val, err))) break;
            ctx->val_rises = val > ctx->last_val_loss ? ctx->val_rises + 1 : 0;
            ctx->last_val_loss = val;
            if (!(val >= ctx->min_val_loss)) {
                ctx->min_val_loss = val;
                ctx->min_val_step = ctx->step;
            }
        }
        int logged = ctx->step % o->log_every == 0 || !isnan(val) || last;
        int stop = !last && early_stopped(ctx);
        if (!parallel) stop_asked = o->stop && *o->stop;
        int halt = ((o->halt_after && ctx->step == o->halt_after) || stop_asked) && !last && !stop;
        int save =
            (o->checkpoint_every && ctx->step % o->checkpoint_every == 0) || last || halt || stop;
        /* Before rank 0 saves what every rank holds, check that they do hold the same. */
        if (save && (s = zs_comm_check_same(comm, m->params, m->layout->numel, ctx->step, err)))
            break;
        if (logged && root) {
            zs_train_log_line line = {ctx->step, ctx->step * ctx->tokens_per_step,
                                      lr,        train_loss,
                                      val,       norm,
                                      tok_per_s, NULL,
                                      0};
            if (!isnan(val)) line.subtask_loss = m->ops->subtask_loss(m, &line.n_subtasks);
            s = zs_train_log_write(ctx, &line, err);
        }
        if (save && root && !s) s = zs_train_checkpoint_save(ctx, err);
        /* Rank 0's writes can fail: every rank hears of it. */
        if (parallel && (logged || save)) s = zs_comm_agree(comm, s, err);
        if (s) break;
        if (o->progress && root) {
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
    r->stopped_early = r->status == ZS_TRAIN_COMPLETED && ctx->step < ctx->steps_total;
    if (o->progress && root && ctx->step > first_step && ctx->step < ctx->steps_total)
        fputc('\n', o->progress);
    return s;
}

zs_status zs_train_run(const zs_train_opts *opt, zs_train_result *r, zs_error *err) {
    double t0 = now_s();
    memset(r, 0, sizeof *r);
    zs_train_ctx ctx = {.opt = opt};
    zs_status s = setup(&ctx, err);
    if (!s) s = run_steps(&ctx, r, err);
    if (!s) {
        r->n_params = ctx.model->n_params;
        r->n_params_nonembed = ctx.model->n_params_nonembed;
        r->steps = ctx.step;
        r->tokens = ctx.step * ctx.tokens_per_step;
        r->flops_6nd = 6.0 * (double)r->n_params * (double)r->tokens;
        r->flops_exact = ctx.model->flops_per_step * (double)ctx.step;
        r->final_val_loss = ctx.last_val_loss;
        r->min_val_loss = ctx.min_val_loss;
        r->min_val_step = ctx.min_val_step;
        r->wall_s = now_s() - t0;
        if (zs_comm_rank(opt->comm) == 0)
            s = zs_train_metrics_write(&ctx, r, r->status == ZS_TRAIN_DIVERGED ? r->diverged : NULL,
                                       err);
        s = zs_comm_agree(opt->comm, s, err);
    }
    teardown(&ctx);
    if (s) memset(r, 0, sizeof *r);
    return s;
}
