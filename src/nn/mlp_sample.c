/* nn: per-sample gradients of the sparse-parity MLP for QDG (zs_mlp_sample_grads): one
 * forward/backward per example on a one-row view of the batch, keeping the tensors of the
 * chosen layers in layout order. */
#include "zipscale/mlp.h"

#include <string.h>

/* Layer l owns tensors 2l (weight) and 2l+1 (bias) in zs_mlp_layout's order. */
size_t zs_mlp_sample_grad_numel(const zs_mlp *mlp, uint32_t first_layer, uint32_t last_layer) {
    const zs_layout *layout = zs_mlp_get_layout(mlp);
    if (first_layer > last_layer || last_layer > zs_mlp_get_config(mlp)->depth) return 0;
    size_t n = 0;
    for (size_t i = 2 * (size_t)first_layer; i <= 2 * (size_t)last_layer + 1; i++)
        n += layout->tensors[i].numel;
    return n;
}

zs_status zs_mlp_sample_grads(zs_mlp *mlp, const zs_parity_batch *batch, uint32_t first_layer,
                              uint32_t last_layer, float *out, float *example_loss_nats,
                              zs_error *err) {
    uint32_t depth = zs_mlp_get_config(mlp)->depth;
    if (first_layer > last_layer || last_layer > depth)
        return zs_fail(err, ZS_ERR_USAGE,
                       "mlp sample gradients: layers %u .. %u: expected first <= last <= depth "
                       "= %u",
                       first_layer, last_layer, depth);
    const zs_layout *layout = zs_mlp_get_layout(mlp);
    const float *grads = zs_mlp_grads(mlp);
    size_t row_numel = zs_mlp_sample_grad_numel(mlp, first_layer, last_layer);
    zs_status st = ZS_OK;
    for (uint64_t s = 0; s < batch->n_examples && st == ZS_OK; s++) {
        zs_parity_batch one = zs_parity_batch_rows(batch, s, 1);
        double loss_nats = 0.0;
        zs_mlp_zero_grad(mlp);
        st = zs_mlp_forward(mlp, &one, &loss_nats, NULL, err);
        if (st == ZS_OK) st = zs_mlp_backward(mlp, 1.0f, err);
        if (st != ZS_OK) {
            if (err) {
                char msg[ZS_ERROR_MSG_MAX];
                memcpy(msg, err->msg, sizeof msg);
                zs_fail(err, st, "example %llu: %.900s", (unsigned long long)s, msg);
            }
            break;
        }
        if (example_loss_nats) example_loss_nats[s] = (float)loss_nats;
        float *row = out + s * row_numel;
        for (size_t i = 2 * (size_t)first_layer; i <= 2 * (size_t)last_layer + 1; i++) {
            const zs_tensor *t = &layout->tensors[i];
            memcpy(row, grads + t->offset, t->numel * sizeof *row);
            row += t->numel;
        }
    }
    zs_mlp_zero_grad(mlp);
    return st;
}
