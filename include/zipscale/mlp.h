/* zipscale nn: the sparse-parity MLP of the quantization model's experiments
 * (docs/science.md §1): config, sizes, forward (gather-add and dense) and backward.
 * docs/model.md. */
#ifndef ZIPSCALE_MLP_H
#define ZIPSCALE_MLP_H

#include "zipscale/layout.h"
#include "zipscale/parity.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the sparse-parity MLP (docs/science.md §1) --------------------------------------------
 * Input n_tasks + n_bits (one-hot control code, task bits); `depth` hidden layers of
 * `width` ReLU units with biases; a 2-logit output; softmax cross-entropy in nats. The
 * first layer is a gather-add (the control code picks one weight column, set task bits add
 * theirs), identical to the dense product. Depth 1 has (n_tasks+n_bits+3)·width + 2
 * parameters, as docs/science.md §1. */
typedef struct {
    uint32_t n_tasks;
    uint32_t n_bits;
    uint32_t width;
    uint32_t depth; /* hidden layers, >= 1 */
} zs_mlp_config;

/* The default MLP: on zs_parity_spec_init's task (500 subtasks, 100 bits), width 128, depth 1. */
void zs_mlp_config_init(zs_mlp_config *cfg);
/* Errors: ZS_ERR_USAGE (a field out of range, or too many inputs or parameters: the message
 * names the field). */
zs_status zs_mlp_config_check(const zs_mlp_config *cfg, zs_error *err);
uint64_t zs_mlp_params_total(const zs_mlp_config *cfg);
/* Exact FLOPs of one training step on `batch` examples, counting the first layer as the
 * dense product it equals (docs/model.md). */
double zs_mlp_flops_train(const zs_mlp_config *cfg, uint64_t batch);
/* Errors: ZS_ERR_USAGE (cfg fails zs_mlp_config_check). */
zs_status zs_mlp_layout(const zs_mlp_config *cfg, zs_layout *out, zs_error *err);

typedef struct zs_mlp zs_mlp;
/* Parameters are zero until zs_mlp_draw_weights or a checkpoint fills them.
 * Errors: ZS_ERR_USAGE (cfg fails zs_mlp_config_check, max_batch is 0 or its activations
 * would pass 2^40 floats), ZS_ERR_INTERNAL (oneDNN cannot start). */
zs_status zs_mlp_create(zs_mlp **out, const zs_mlp_config *cfg, uint32_t max_batch, int threads,
                        zs_error *err);
void zs_mlp_free(zs_mlp *mlp);
const zs_mlp_config *zs_mlp_get_config(const zs_mlp *mlp);
const zs_layout *zs_mlp_get_layout(const zs_mlp *mlp);
float *zs_mlp_params(zs_mlp *mlp);
float *zs_mlp_grads(zs_mlp *mlp);
/* PyTorch's nn.Linear default: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), each
 * tensor from its own stream (seed, tensor index). */
void zs_mlp_draw_weights(zs_mlp *mlp, uint64_t seed);
/* Forward on a parity batch (batch->n_examples <= max_batch, built for the same n_tasks and
 * n_bits): mean loss in nats; example_loss_nats (n_examples, may be NULL) each example's.
 * The batch is checked (task-bit words, subtask ids, stray high bits, labels; ZS_ERR_RANGE
 * naming the row) and copied, so the caller may reuse it before zs_mlp_backward.
 * Errors: ZS_ERR_USAGE (an empty batch), ZS_ERR_RANGE (more than max_batch examples, a batch
 * of another width, a subtask id, task bit or label out of range: the message names the row). */
zs_status zs_mlp_forward(zs_mlp *mlp, const zs_parity_batch *batch, double *loss_nats,
                         float *example_loss_nats, zs_error *err);
/* The same on dense inputs (n_examples, n_tasks+n_bits) of 0/1 floats and 0/1 labels: the
 * reference the gather-add layer is tested against (bit-identical results). `inputs` is
 * borrowed, not copied: keep it unchanged until zs_mlp_backward.
 * Errors: ZS_ERR_USAGE (no examples), ZS_ERR_RANGE (more than max_batch examples, or an input
 * or label that is not 0 or 1: the message names the row). */
zs_status zs_mlp_forward_dense(zs_mlp *mlp, const float *inputs, const uint8_t *labels,
                               uint32_t n_examples, double *loss_nats, float *example_loss_nats,
                               zs_error *err);
void zs_mlp_zero_grad(zs_mlp *mlp);
/* Adds loss_scale × d(mean loss of the last forward)/d(params) into the gradients;
 * ZS_ERR_USAGE unless the last forward succeeded.
 * Errors: ZS_ERR_USAGE (no successful forward since the last backward). */
zs_status zs_mlp_backward(zs_mlp *mlp, float loss_scale, zs_error *err);

/* ---- per-sample gradients for QDG (docs/quanta.md, "Quanta discovery from gradients") -----
 * Layers first_layer .. last_layer of the MLP, 0 being the input layer (layers.0.weight_t,
 * layers.0.bias) and depth the output layer (layers.<depth>.weight, .bias); each layer's
 * weight then its bias, in layout order. The MLP has no embedding or norm gain to leave out:
 * every parameter is eligible, and 0 .. depth is the whole model.
 * zs_mlp_sample_grad_numel is the length of one row (0 when the range is invalid). */
size_t zs_mlp_sample_grad_numel(const zs_mlp *mlp, uint32_t first_layer, uint32_t last_layer);
/* out is (batch->n_examples, zs_mlp_sample_grad_numel): row s is the gradient of example s's
 * own loss (nats); example_loss_nats (may be NULL) receives each loss. One example at a
 * time, so the batch may exceed max_batch. Leaves the model's gradient buffer zeroed.
 * Errors: ZS_ERR_USAGE (first_layer > last_layer or last_layer > depth), ZS_ERR_RANGE (a
 * row of the batch out of range, as zs_mlp_forward; the message names the example). */
zs_status zs_mlp_sample_grads(zs_mlp *mlp, const zs_parity_batch *batch, uint32_t first_layer,
                              uint32_t last_layer, float *out, float *example_loss_nats,
                              zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
