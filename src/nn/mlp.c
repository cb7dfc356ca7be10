/* nn: the sparse-parity MLP (docs/science.md §1) as an object: configuration, parameter count,
 * FLOPs and layout, the one-buffer parameters, gradients and activations, nn.Linear's
 * initialisation, and the checked entry points over the float kernels (mlp_f32.c). */
#include "nn/mlp_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Limits that keep every size_t product below overflow with room to spare. */
#define MLP_MAX_INPUTS (UINT64_C(1) << 32)
#define MLP_MAX_WIDTH (UINT32_C(1) << 20)
#define MLP_MAX_DEPTH UINT32_C(1024)
#define MLP_MAX_PARAMS (UINT64_C(1) << 36)
#define MLP_MAX_ACTS (UINT64_C(1) << 40) /* floats of activations */

struct zs_mlp {
    zs_mlp_config cfg;
    zs_layout layout;
    uint32_t max_batch;
    int threads;
    zs_mm *mm;
    float *params, *grads; /* layout.numel each */
    void *acts_block;      /* one allocation: the saved inputs, then the float activations */
    uint64_t *saved_bits;  /* (max_batch, words) */
    uint32_t *saved_subtask;
    uint8_t *saved_labels;
    float *acts;        /* zs_mlp_acts_carve(cfg, max_batch).numel */
    zs_mlp_inputs last; /* the last forward's inputs; n_examples 0 before the first */
};

static uint64_t params_for(uint64_t n_in, uint64_t width, uint64_t depth) {
    return (n_in + 1) * width + (depth - 1) * (width + 1) * width + 2 * width + 2;
}

void zs_mlp_config_init(zs_mlp_config *cfg) {
    zs_parity_spec task;
    zs_parity_spec_init(&task);
    *cfg = (zs_mlp_config){(uint32_t)task.n_tasks, (uint32_t)task.n_bits, 128, 1};
}

zs_status zs_mlp_config_check(const zs_mlp_config *cfg, zs_error *err) {
    if (cfg->n_tasks < 1)
        return zs_fail_field(err, ZS_ERR_USAGE, "n_tasks",
                             "mlp config: n_tasks = 0: expected >= 1");
    if (cfg->n_bits < 1)
        return zs_fail_field(err, ZS_ERR_USAGE, "n_bits", "mlp config: n_bits = 0: expected >= 1");
    if ((uint64_t)cfg->n_tasks + cfg->n_bits >= MLP_MAX_INPUTS)
        return zs_fail_field(err, ZS_ERR_USAGE, "n_tasks,n_bits",
                             "mlp config: n_tasks + n_bits = %llu: expected below 2^32",
                             (unsigned long long)cfg->n_tasks + cfg->n_bits);
    if (cfg->width < 1 || cfg->width > MLP_MAX_WIDTH)
        return zs_fail_field(err, ZS_ERR_USAGE, "width", "mlp config: width = %u: expected 1 .. %u",
                             cfg->width, MLP_MAX_WIDTH);
    if (cfg->depth < 1 || cfg->depth > MLP_MAX_DEPTH)
        return zs_fail_field(err, ZS_ERR_USAGE, "depth", "mlp config: depth = %u: expected 1 .. %u",
                             cfg->depth, MLP_MAX_DEPTH);
    uint64_t n = zs_mlp_params_total(cfg);
    if (n > MLP_MAX_PARAMS)
        return zs_fail(err, ZS_ERR_USAGE,
                       "mlp config: %llu parameters (n_tasks %u, n_bits %u, width %u, depth %u): "
                       "expected at most 2^36",
                       (unsigned long long)n, cfg->n_tasks, cfg->n_bits, cfg->width, cfg->depth);
    return ZS_OK;
}

uint64_t zs_mlp_params_total(const zs_mlp_config *cfg) {
    return params_for((uint64_t)cfg->n_tasks + cfg->n_bits, cfg->width, cfg->depth);
}

/* Per example: forward 2·I·W + 2·(depth-1)·W² + 2·2·W; backward twice that for every layer
 * but the first, whose input gradient is never formed (its inputs are data): 2·I·W. */
double zs_mlp_flops_train(const zs_mlp_config *cfg, uint64_t batch) {
    double I = (double)cfg->n_tasks + cfg->n_bits, W = cfg->width;
    double per_example = 4.0 * I * W + 6.0 * (cfg->depth - 1.0) * W * W + 6.0 * 2.0 * W;
    return per_example * (double)batch;
}

static void set_tensor(zs_tensor *t, size_t *offset, unsigned flags, int ndim, size_t d0, size_t d1,
                       const char *fmt, unsigned layer) {
    snprintf(t->name, sizeof t->name, fmt, layer);
    t->offset = *offset;
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->numel = ndim == 1 ? d0 : d0 * d1;
    t->flags = flags;
    *offset += t->numel;
}

zs_status zs_mlp_layout(const zs_mlp_config *cfg, zs_layout *out, zs_error *err) {
    *out = (zs_layout){0};
    zs_status st = zs_mlp_config_check(cfg, err);
    if (st != ZS_OK) return st;
    const size_t D = cfg->depth, W = cfg->width, I = (size_t)cfg->n_tasks + cfg->n_bits;
    zs_tensor *t = zs_calloc(2 * (D + 1), sizeof *t, "mlp layout", err);
    if (!t) return ZS_ERR_NOMEM;
    size_t offset = 0;
    set_tensor(&t[0], &offset, ZS_TENSOR_DECAY, 2, I, W, "layers.%u.weight_t", 0);
    set_tensor(&t[1], &offset, 0, 1, W, 0, "layers.%u.bias", 0);
    for (unsigned l = 1; l <= D; l++) {
        size_t n_out = l == D ? 2 : W;
        set_tensor(&t[2 * l], &offset, ZS_TENSOR_DECAY, 2, n_out, W, "layers.%u.weight", l);
        set_tensor(&t[2 * l + 1], &offset, 0, 1, n_out, 0, "layers.%u.bias", l);
    }
    out->tensors = t;
    out->n_tensors = 2 * (D + 1);
    out->numel = offset;
    return ZS_OK;
}

zs_status zs_mlp_create(zs_mlp **out, const zs_mlp_config *cfg, uint32_t max_batch, int threads,
                        zs_error *err) {
    *out = NULL;
    if (max_batch < 1) return zs_fail(err, ZS_ERR_USAGE, "mlp: max_batch = 0: expected >= 1");
    zs_status st = zs_mlp_config_check(cfg, err);
    if (st != ZS_OK) return st;
    /* floats per example as zs_mlp_acts_carve lays them out, in double: no overflow */
    double grad_buffers = cfg->depth >= 2 ? 2.0 : 1.0;
    double acts_per_example = ((double)cfg->depth + grad_buffers) * cfg->width + 5.0;
    if ((double)max_batch * acts_per_example > (double)MLP_MAX_ACTS)
        return zs_fail(err, ZS_ERR_USAGE,
                       "mlp: max_batch = %u: %.0f activations per example allow at most %.0f "
                       "examples (2^40 floats)",
                       max_batch, acts_per_example, floor((double)MLP_MAX_ACTS / acts_per_example));
    zs_mlp *mlp = zs_calloc(1, sizeof *mlp, "mlp", err);
    if (!mlp) return ZS_ERR_NOMEM;
    st = zs_mlp_layout(cfg, &mlp->layout, err);
    if (st != ZS_OK) goto fail;
    mlp->cfg = *cfg;
    mlp->max_batch = max_batch;
    mlp->threads = zs_threads_resolve(threads);
    st = zs_mm_create(&mlp->mm, ZS_PRECISION_FP32, mlp->threads, err);
    if (st != ZS_OK) goto fail;
    size_t n = mlp->layout.numel;
    mlp->params = zs_calloc(n, sizeof *mlp->params, "mlp parameters", err);
    mlp->grads = mlp->params ? zs_calloc(n, sizeof *mlp->grads, "mlp gradients", err) : NULL;
    if (!mlp->grads) {
        st = ZS_ERR_NOMEM;
        goto fail;
    }
    /* saved inputs first (u64, then u32, then u8 rounded up to 8 bytes), then floats */
    uint32_t words = (cfg->n_bits + 63) / 64;
    size_t bits_bytes = (size_t)max_batch * words * sizeof(uint64_t);
    size_t subtask_bytes = (size_t)max_batch * sizeof(uint32_t);
    size_t label_bytes = ((size_t)max_batch + 7) / 8 * 8;
    size_t acts_numel = zs_mlp_acts_carve(cfg, max_batch).numel;
    size_t saved_bytes = (bits_bytes + subtask_bytes + 7) / 8 * 8 + label_bytes;
    mlp->acts_block = zs_alloc(saved_bytes + acts_numel * sizeof(float), "mlp activations", err);
    if (!mlp->acts_block) {
        st = ZS_ERR_NOMEM;
        goto fail;
    }
    char *p = mlp->acts_block;
    mlp->saved_bits = (uint64_t *)p;
    mlp->saved_subtask = (uint32_t *)(p + bits_bytes);
    mlp->saved_labels = (uint8_t *)(p + (bits_bytes + subtask_bytes + 7) / 8 * 8);
    mlp->acts = (float *)(p + saved_bytes);
    *out = mlp;
    return ZS_OK;
fail:
    zs_mlp_free(mlp);
    return st;
}

void zs_mlp_free(zs_mlp *mlp) {
    if (!mlp) return;
    zs_layout_free(&mlp->layout);
    if (mlp->mm) zs_mm_free(mlp->mm);
    free(mlp->params);
    free(mlp->grads);
    free(mlp->acts_block);
    free(mlp);
}

const zs_mlp_config *zs_mlp_get_config(const zs_mlp *mlp) {
    return &mlp->cfg;
}

const zs_layout *zs_mlp_get_layout(const zs_mlp *mlp) {
    return &mlp->layout;
}

float *zs_mlp_params(zs_mlp *mlp) {
    return mlp->params;
}

float *zs_mlp_grads(zs_mlp *mlp) {
    return mlp->grads;
}

void zs_mlp_draw_weights(zs_mlp *mlp, uint64_t seed) {
    const zs_layout *L = &mlp->layout;
    for (size_t i = 0; i < L->n_tensors; i++) {
        const zs_tensor *t = &L->tensors[i];
        /* fan_in: the first layer's inputs, else the width (every later layer reads W) */
        double fan_in = i < 2 ? (double)mlp->cfg.n_tasks + mlp->cfg.n_bits : mlp->cfg.width;
        double bound = 1.0 / sqrt(fan_in);
        zs_rng rng;
        zs_rng_seed(&rng, seed, zs_rng_mix(zs_rng_tag("mlp.init"), i));
        float *p = mlp->params + t->offset;
        for (size_t j = 0; j < t->numel; j++)
            p[j] = (float)((2.0 * zs_rng_uniform(&rng) - 1.0) * bound);
    }
}

void zs_mlp_zero_grad(zs_mlp *mlp) {
    memset(mlp->grads, 0, mlp->layout.numel * sizeof *mlp->grads);
}

static zs_status check_count(const zs_mlp *mlp, uint64_t n, const char *what, zs_error *err) {
    if (n < 1) return zs_fail(err, ZS_ERR_USAGE, "mlp forward: %s has no examples", what);
    if (n > mlp->max_batch)
        return zs_fail(err, ZS_ERR_RANGE,
                       "mlp forward: %s of %llu examples: expected at most max_batch = %u", what,
                       (unsigned long long)n, mlp->max_batch);
    return ZS_OK;
}

static zs_status check_label(uint8_t label, uint64_t row, const char *what, zs_error *err) {
    if (label > 1)
        return zs_fail(err, ZS_ERR_RANGE, "mlp forward: %s row %llu: label %u: expected 0 or 1",
                       what, (unsigned long long)row, label);
    return ZS_OK;
}

/* Checks the batch against the model and copies its inputs, so zs_mlp_backward does not
 * depend on the caller keeping the batch. */
static zs_status save_batch(zs_mlp *mlp, const zs_parity_batch *batch, zs_error *err) {
    const char *what = "parity batch";
    zs_status st = check_count(mlp, batch->n_examples, what, err);
    if (st != ZS_OK) return st;
    const uint32_t words = (mlp->cfg.n_bits + 63) / 64;
    if (batch->words_per_example != words)
        return zs_fail(err, ZS_ERR_RANGE,
                       "mlp forward: parity batch has %u words of task bits per example: "
                       "expected %u for n_bits = %u",
                       batch->words_per_example, words, mlp->cfg.n_bits);
    const uint32_t tail_bits = mlp->cfg.n_bits % 64;
    const uint64_t tail_mask = tail_bits ? ~UINT64_C(0) << tail_bits : 0;
    for (uint64_t r = 0; r < batch->n_examples; r++) {
        if (batch->subtask[r] >= mlp->cfg.n_tasks)
            return zs_fail(err, ZS_ERR_RANGE,
                           "mlp forward: parity batch row %llu: subtask %u: expected below "
                           "n_tasks = %u",
                           (unsigned long long)r, batch->subtask[r], mlp->cfg.n_tasks);
        uint64_t high = batch->bits[r * words + words - 1] & tail_mask;
        if (high)
            return zs_fail(err, ZS_ERR_RANGE,
                           "mlp forward: parity batch row %llu: task bit %llu set: expected "
                           "only bits below n_bits = %u",
                           (unsigned long long)r,
                           (unsigned long long)(64 * (words - 1) + __builtin_ctzll(high)),
                           mlp->cfg.n_bits);
        st = check_label(batch->label[r], r, what, err);
        if (st != ZS_OK) return st;
    }
    size_t n = batch->n_examples;
    memcpy(mlp->saved_subtask, batch->subtask, n * sizeof *batch->subtask);
    memcpy(mlp->saved_bits, batch->bits, n * words * sizeof *batch->bits);
    memcpy(mlp->saved_labels, batch->label, n);
    mlp->last = (zs_mlp_inputs){.n_examples = (uint32_t)n,
                                .subtask = mlp->saved_subtask,
                                .bits = mlp->saved_bits,
                                .words = words,
                                .labels = mlp->saved_labels};
    return ZS_OK;
}

static zs_status run_forward(zs_mlp *mlp, double *loss_nats, float *example_loss_nats,
                             zs_error *err) {
    zs_status st = zs_mlp_model_forward_f32(&mlp->cfg, &mlp->layout, mlp->mm, mlp->threads,
                                            mlp->params, mlp->acts, &mlp->last, loss_nats, err);
    if (st != ZS_OK) {
        mlp->last.n_examples = 0;
        return st;
    }
    if (example_loss_nats) {
        size_t losses = zs_mlp_acts_carve(&mlp->cfg, mlp->last.n_examples).losses;
        memcpy(example_loss_nats, mlp->acts + losses,
               mlp->last.n_examples * sizeof *example_loss_nats);
    }
    return ZS_OK;
}

zs_status zs_mlp_forward(zs_mlp *mlp, const zs_parity_batch *batch, double *loss_nats,
                         float *example_loss_nats, zs_error *err) {
    mlp->last.n_examples = 0;
    zs_status st = save_batch(mlp, batch, err);
    if (st != ZS_OK) return st;
    return run_forward(mlp, loss_nats, example_loss_nats, err);
}

zs_status zs_mlp_forward_dense(zs_mlp *mlp, const float *inputs, const uint8_t *labels,
                               uint32_t n_examples, double *loss_nats, float *example_loss_nats,
                               zs_error *err) {
    const char *what = "dense batch";
    mlp->last.n_examples = 0;
    zs_status st = check_count(mlp, n_examples, what, err);
    if (st != ZS_OK) return st;
    const size_t I = (size_t)mlp->cfg.n_tasks + mlp->cfg.n_bits;
    for (size_t r = 0; r < n_examples; r++) {
        for (size_t k = 0; k < I; k++) {
            float x = inputs[r * I + k];
            if (x != 0.0f && x != 1.0f)
                return zs_fail(err, ZS_ERR_RANGE,
                               "mlp forward: dense batch row %zu input %zu: %g: expected 0 or 1", r,
                               k, (double)x);
        }
        st = check_label(labels[r], r, what, err);
        if (st != ZS_OK) return st;
    }
    memcpy(mlp->saved_labels, labels, n_examples);
    mlp->last =
        (zs_mlp_inputs){.n_examples = n_examples, .dense = inputs, .labels = mlp->saved_labels};
    return run_forward(mlp, loss_nats, example_loss_nats, err);
}

zs_status zs_mlp_backward(zs_mlp *mlp, float loss_scale, zs_error *err) {
    if (mlp->last.n_examples == 0)
        return zs_fail(err, ZS_ERR_USAGE, "mlp backward: no forward pass to differentiate");
    return zs_mlp_model_backward_f32(&mlp->cfg, &mlp->layout, mlp->mm, mlp->threads, mlp->params,
                                     mlp->grads, mlp->acts, &mlp->last, loss_scale, err);
}
