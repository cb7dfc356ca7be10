/* train internal: the model interface. What the loop, the options, the checkpoint and
 * metrics.json need from a model and its data, so that none of them asks which model it
 * is. One file per kind fills a zs_train_model_ops (model_gpt.c: the GPT on token
 * windows; model_mlp.c: the MLP on sparse parity); model.c lists them. Adding a model:
 * a new model_<kind>.c and its line in model.c's table. */
#ifndef ZS_TRAIN_MODEL_H
#define ZS_TRAIN_MODEL_H

#include <jansson.h>

#include "zipscale/train.h"

typedef struct zs_train_model_ops zs_train_model_ops;

/* One model and its data; an implementation embeds it as its first member. */
typedef struct {
    const zs_train_model_ops *ops;
    zs_model_config cfg; /* resolved (the GPT's vocabulary filled in); the checkpoint's */
    const zs_layout *layout;
    float *params, *grads;
    uint64_t tokens_per_sample; /* T for a window; 1 for an example */
    uint64_t n_params, n_params_nonembed;
    double flops_per_step; /* a training step's exact FLOPs (all A micro-steps) */
} zs_train_model;

struct zs_train_model_ops {
    zs_model_kind kind;
    const char *count_key;  /* metrics.json's key for D: "tokens" or "examples" */
    const char *loss_units; /* metrics.json's "loss_units" */
    /* The kind's options (after the common ones; errors name the field, ZS_ERR_USAGE). */
    zs_status (*check)(const zs_train_opts *opt, zs_error *err);
    /* Opens the data and builds the model on it, weights drawn from opt->seed; opt must
     * outlive the model. On failure nothing is left allocated. */
    zs_status (*create)(zs_train_model **model, const zs_train_opts *opt, zs_error *err);
    void (*free)(zs_train_model *model);
    void (*zero_grad)(zs_train_model *model);
    /* Forward and backward on micro-step `micro` of step `step` (gradients times scale,
     * added to the accumulated ones); *loss_nats is the batch's mean loss. */
    zs_status (*step)(zs_train_model *model, uint64_t step, uint32_t micro, float scale,
                      double *loss_nats, zs_error *err);
    /* The held-out loss after `step` updates; `final` marks the run's last evaluation.
     * What else a kind measures (per-subtask losses, per-token dumps) it keeps or writes. */
    zs_status (*evaluate)(zs_train_model *model, uint64_t step, int final, double *loss_nats,
                          zs_error *err);
    /* The last evaluation's per-subtask losses for the log (*n entries), or NULL. */
    const double *(*subtask_loss)(const zs_train_model *model, size_t *n);
    /* Adds the model's and its data's options to the run's options (after "model"). */
    void (*options_json)(const zs_train_model *model, json_t *options);
    /* metrics.json: the "model" object, and the keys after "loss_units" (may be NULL). */
    json_t *(*config_json)(const zs_train_model *model);
    void (*metrics_json)(const zs_train_model *model, json_t *metrics, double final_val_loss);
};

extern const zs_train_model_ops zs_train_model_gpt;
extern const zs_train_model_ops zs_train_model_mlp;

/* The implementation of a model kind, or NULL when there is none. */
const zs_train_model_ops *zs_train_model_find(zs_model_kind kind);

#endif
