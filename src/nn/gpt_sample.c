/* nn: per-sample gradients of the GPT for QDG (zs_gpt_sample_grads): one forward/backward
 * per sample, keeping the parameters that are neither embedding, output projection nor
 * norm gain, in layout order. */
#include "nn/gpt_internal.h"

#include <string.h>

static int in_sample_grads(const zs_tensor *t) {
    return (t->flags & (ZS_TENSOR_EMBEDDING | ZS_TENSOR_NORM)) == 0;
}

size_t zs_gpt_sample_grad_numel(const zs_gpt *gpt) {
    const zs_layout *layout = zs_gpt_get_layout(gpt);
    size_t n = 0;
    for (size_t i = 0; i < layout->n_tensors; i++)
        if (in_sample_grads(&layout->tensors[i])) n += layout->tensors[i].numel;
    return n;
}

zs_status zs_gpt_sample_grads(zs_gpt *gpt, const uint32_t *inputs, const uint32_t *targets,
                              uint32_t n_samples, uint32_t seq_len, zs_sample_loss which,
                              float *out, zs_error *err) {
    if (which != ZS_SAMPLE_LOSS_MEAN && which != ZS_SAMPLE_LOSS_LAST)
        return zs_fail(err, ZS_ERR_USAGE,
                       "GPT sample gradients: loss mode %d: expected %d "
                       "(mean) or %d (last)",
                       (int)which, ZS_SAMPLE_LOSS_MEAN, ZS_SAMPLE_LOSS_LAST);
    const zs_layout *layout = zs_gpt_get_layout(gpt);
    const float *grads = zs_gpt_grads(gpt);
    size_t row_numel = zs_gpt_sample_grad_numel(gpt);
    zs_status st = ZS_OK;
    for (size_t s = 0; s < n_samples && st == ZS_OK; s++) {
        const uint32_t *in = inputs + s * seq_len, *tg = targets + s * seq_len;
        double loss_nats;
        zs_gpt_zero_grad(gpt);
        st = zs_gpt_forward_positions(gpt, in, tg, 1, seq_len, which, &loss_nats, NULL, err);
        if (st == ZS_OK) st = zs_gpt_backward(gpt, 1.0f, err);
        if (st != ZS_OK && err) {
            char msg[ZS_ERROR_MSG_MAX];
            memcpy(msg, err->msg, sizeof msg);
            zs_fail(err, st, "sample %zu: %.900s", s, msg);
        }
        float *row = out + s * row_numel;
        for (size_t i = 0; i < layout->n_tensors && st == ZS_OK; i++) {
            const zs_tensor *t = &layout->tensors[i];
            if (!in_sample_grads(t)) continue;
            memcpy(row, grads + t->offset, t->numel * sizeof *row);
            row += t->numel;
        }
    }
    zs_gpt_zero_grad(gpt);
    return st;
}
