/* Evaluation of a GPT on held-out windows: the mean loss over every scored position, each
 * position's loss summed in double in file order, shared by the trainer's periodic evaluation
 * (on one rank or split among ranks) and `zipscale eval`. Every window is its own forward, so a
 * position's loss is computed the same way however the windows are split or batched: oneDNN's
 * products may round a row differently for another number of rows (its AVX2 kernels do), and a
 * batch of several windows made the loss depend on the training batch and the rank count. */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

zs_status zs_train_eval_windows(zs_gpt *gpt, const zs_tokens *src, uint64_t first, uint64_t n,
                                double *loss_nats, float *token_loss_nats, zs_error *err) {
    uint64_t T = zs_gpt_get_config(gpt)->context;
    size_t cap = T;
    uint32_t *inputs = zs_alloc(2 * cap * sizeof *inputs, "evaluation batch", err);
    float *own_losses =
        token_loss_nats ? NULL : zs_alloc(cap * sizeof *own_losses, "evaluation losses", err);
    if (!inputs || (!token_loss_nats && !own_losses)) {
        free(inputs);
        return ZS_ERR_NOMEM;
    }
    uint32_t *targets = inputs + cap;
    double sum_nats = 0;
    zs_status s = ZS_OK;
    for (uint64_t w = 0; !s && w < n; w++) {
        s = zs_train_window_read(src, first + w, T, inputs, targets, err);
        double window_nats;
        float *losses = token_loss_nats ? token_loss_nats + w * T : own_losses;
        if (!s) s = zs_gpt_forward(gpt, inputs, targets, 1, (uint32_t)T, &window_nats, losses, err);
        for (size_t i = 0; !s && i < T; i++) sum_nats += losses[i];
    }
    free(inputs);
    free(own_losses);
    if (!s) *loss_nats = sum_nats / ((double)n * (double)T);
    return s;
}

zs_status zs_train_eval_windows_ranks(const zs_comm *comm, zs_gpt *gpt, const zs_tokens *src,
                                      uint64_t first, uint64_t n, double *loss_nats,
                                      float *token_loss_nats, zs_error *err) {
    if (!zs_comm_parallel(comm))
        return zs_train_eval_windows(gpt, src, first, n, loss_nats, token_loss_nats, err);
    uint64_t T = zs_gpt_get_config(gpt)->context;
    float *all = token_loss_nats;
    if (!all && !(all = zs_alloc(n * T * sizeof *all, "evaluation losses", err)))
        return ZS_ERR_NOMEM;
    uint64_t mine, count;
    zs_comm_share(comm, n, &mine, &count);
    double part;
    zs_status s =
        count ? zs_train_eval_windows(gpt, src, first + mine, count, &part, all + mine * T, err)
              : ZS_OK;
    s = zs_comm_agree(comm, s, err);
    if (!s) s = zs_comm_gather_f32(comm, all, n, T, err);
    /* One process's sum: every position in window order. */
    double sum_nats = 0;
    for (size_t i = 0; !s && i < n * T; i++) sum_nats += all[i];
    if (!s) *loss_nats = sum_nats / ((double)n * (double)T);
    if (all != token_loss_nats) free(all);
    return s;
}

zs_status zs_train_eval_file(const char *checkpoint_path, const char *data_path,
                             uint64_t eval_tokens, zs_precision precision, int threads,
                             double *loss_nats, uint64_t *tokens, zs_error *err) {
    zs_safetensors *st = NULL;
    zs_model_config cfg;
    zs_gpt *gpt = NULL;
    zs_tokens data;
    int data_open = 0;
    char *path = zs_train_checkpoint_resolve(checkpoint_path, err);
    if (!path) return ZS_ERR_NOMEM;
    zs_status s = zs_safetensors_open(&st, path, err);
    if (!s) s = zs_checkpoint_read_config(st, &cfg, err);
    if (!s && cfg.kind != ZS_MODEL_GPT)
        s = zs_fail(err, ZS_ERR_USAGE, "%s: model %s; eval scores GPT checkpoints", path,
                    zs_model_kind_name(cfg.kind));
    zs_tokens_open_opts topts = {.vocab_size = cfg.gpt.vocab};
    if (!s) s = zs_tokens_open(&data, data_path, &topts, err);
    data_open = !s;
    uint64_t T = cfg.gpt.context, windows = 0;
    if (!s) {
        windows = data.n_tokens ? (data.n_tokens - 1) / T : 0;
        if (eval_tokens && (eval_tokens + T - 1) / T < windows) windows = (eval_tokens + T - 1) / T;
        if (windows == 0)
            s = zs_fail_field(err, ZS_ERR_USAGE, "data_path",
                              "data_path %s: %llu tokens; the checkpoint's context %llu needs "
                              "windows of %llu tokens",
                              data_path, (unsigned long long)data.n_tokens, (unsigned long long)T,
                              (unsigned long long)(T + 1));
    }
    if (!s) s = zs_gpt_create(&gpt, &cfg.gpt, 1, precision, threads, err);
    if (!s) s = zs_checkpoint_load(st, zs_gpt_get_layout(gpt), zs_gpt_params(gpt), NULL, err);
    if (!s) s = zs_train_eval_windows(gpt, &data, 0, windows, loss_nats, NULL, err);
    if (!s) *tokens = windows * T;
    zs_gpt_free(gpt);
    if (data_open) zs_tokens_close(&data);
    zs_safetensors_close(st);
    free(path);
    return s;
}

zs_status zs_train_open_gpt(const char *checkpoint_path, uint32_t max_batch, zs_precision precision,
                            int threads, zs_gpt **gpt, zs_error *err) {
    *gpt = NULL;
    char *path = zs_train_checkpoint_resolve(checkpoint_path, err);
    if (!path) return ZS_ERR_NOMEM;
    zs_safetensors *st = NULL;
    zs_model_config cfg;
    zs_status s = zs_safetensors_open(&st, path, err);
    if (!s) s = zs_checkpoint_read_config(st, &cfg, err);
    if (!s && cfg.kind != ZS_MODEL_GPT)
        s = zs_fail(err, ZS_ERR_USAGE, "%s: model %s: expected a GPT checkpoint", path,
                    zs_model_kind_name(cfg.kind));
    if (!s) s = zs_gpt_create(gpt, &cfg.gpt, max_batch, precision, threads, err);
    if (!s) s = zs_checkpoint_load(st, zs_gpt_get_layout(*gpt), zs_gpt_params(*gpt), NULL, err);
    if (s) {
        zs_gpt_free(*gpt);
        *gpt = NULL;
    }
    zs_safetensors_close(st);
    free(path);
    return s;
}
