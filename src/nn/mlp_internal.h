/* nn internal: the sparse-parity MLP's layers and whole-model passes, instantiated twice
 * from mlp_kernels.inc: _f32 (what zs_mlp_forward/backward run) and _f64 (the reference
 * the finite-difference checks and the float path are tested against; plain-loop double
 * matmuls, one thread). Shapes: B examples, I = n_tasks + n_bits inputs, W width. */
#ifndef ZS_NN_MLP_INTERNAL_H
#define ZS_NN_MLP_INTERNAL_H

#include "nn/matmul.h"

/* One batch's inputs, either bit-packed (subtask + bits) or dense (dense != NULL). */
typedef struct {
    uint32_t n_examples;
    const uint32_t *subtask; /* (B) control codes, each < n_tasks */
    const uint64_t *bits;    /* (B, words) task bits as zs_parity_batch stores them */
    uint32_t words;          /* 64-bit words per example: ceil(n_bits / 64) */
    const float *dense;      /* (B, I) 0/1 inputs; when set, subtask and bits are unused */
    const uint8_t *labels;   /* (B) 0 or 1 */
} zs_mlp_inputs;

/* Where each activation lives in the activation buffer of a B-example pass, in elements:
 * hidden[l] (B,W) post-ReLU output of hidden layer l, l < depth, at hidden + l·B·W; two
 * (B,W) gradient buffers (the second only for depth >= 2); logits (B,2); dlogits (B,2);
 * losses (B). */
typedef struct {
    size_t hidden, grad0, grad1, logits, dlogits, losses, numel;
} zs_mlp_acts_map;

static inline zs_mlp_acts_map zs_mlp_acts_carve(const zs_mlp_config *cfg, size_t B) {
    zs_mlp_acts_map a;
    size_t bw = B * cfg->width;
    a.hidden = 0;
    a.grad0 = a.hidden + cfg->depth * bw;
    a.grad1 = a.grad0 + bw;
    a.logits = a.grad1 + (cfg->depth >= 2 ? bw : 0);
    a.dlogits = a.logits + 2 * B;
    a.losses = a.dlogits + 2 * B;
    a.numel = a.losses + B;
    return a;
}

#define ZS_MLP_DECLARE(REAL, SUFFIX)                                                               \
    /* First layer as a gather-add: h (B,W) = bias + weight_t[subtask] + Σ over set task          \
     * bits j, ascending, of weight_t[n_tasks + j]; weight_t is (I,W). No ReLU. */                 \
    void zs_mlp_gather_forward_##SUFFIX(REAL *h, const REAL *weight_t, const REAL *bias,           \
                                        const zs_mlp_inputs *in, size_t n_tasks, size_t W,         \
                                        int threads);                                              \
    /* dweight_t (I,W) and dbias (W) += the scatter of dh (B,W) into the rows used. */             \
    void zs_mlp_gather_backward_##SUFFIX(REAL *dweight_t, REAL *dbias, const REAL *dh,             \
                                         const zs_mlp_inputs *in, size_t n_tasks, size_t W,        \
                                         int threads);                                             \
    /* The same layer on in->dense: h = bias + Σ_k x[k]·weight_t[k], k ascending. */             \
    void zs_mlp_dense_forward_##SUFFIX(REAL *h, const REAL *weight_t, const REAL *bias,            \
                                       const zs_mlp_inputs *in, size_t I, size_t W, int threads);  \
    void zs_mlp_dense_backward_##SUFFIX(REAL *dweight_t, REAL *dbias, const REAL *dh,              \
                                        const zs_mlp_inputs *in, size_t I, size_t W, int threads); \
    /* out (B,N) = inp (B,K) · weightᵀ + bias, weight (N,K) as nn.Linear. mm is the float       \
     * path's matmul context (NULL for _f64). */                                                   \
    zs_status zs_mlp_linear_forward_##SUFFIX(zs_mm *mm, REAL *out, const REAL *inp,                \
                                             const REAL *weight, const REAL *bias, size_t B,       \
                                             size_t K, size_t N, int threads, zs_error *err);      \
    /* dinp (B,K) (written; may be NULL), dweight (N,K) and dbias (N) (+=) from dout (B,N). */     \
    zs_status zs_mlp_linear_backward_##SUFFIX(                                                     \
        zs_mm *mm, REAL *dinp, REAL *dweight, REAL *dbias, const REAL *dout, const REAL *inp,      \
        const REAL *weight, size_t B, size_t K, size_t N, zs_error *err);                          \
    /* out = max(inp, 0) (out may be inp); dinp = out > 0 ? dout : 0 (dinp may be dout). */        \
    void zs_mlp_relu_forward_##SUFFIX(REAL *out, const REAL *inp, size_t n);                       \
    void zs_mlp_relu_backward_##SUFFIX(REAL *dinp, const REAL *dout, const REAL *out, size_t n);   \
    /* losses (B) = logsumexp(logits[b]) - logits[b][label]; returns their mean (double            \
     * accumulation, ascending b). dlogits (B,2) = scale/B · (softmax - onehot(label)). */        \
    double zs_mlp_ce_forward_##SUFFIX(REAL *losses, const REAL *logits, const uint8_t *labels,     \
                                      size_t B);                                                   \
    void zs_mlp_ce_backward_##SUFFIX(REAL *dlogits, const REAL *logits, const uint8_t *labels,     \
                                     size_t B, REAL scale);                                        \
    /* The whole model on B = in->n_examples examples; acts holds                                  \
     * zs_mlp_acts_carve(cfg, B).numel elements; params and grads are in zs_mlp_layout's           \
     * order. Forward leaves each example's loss at acts + losses. */                              \
    zs_status zs_mlp_model_forward_##SUFFIX(const zs_mlp_config *cfg, const zs_layout *layout,     \
                                            zs_mm *mm, int threads, const REAL *params,            \
                                            REAL *acts, const zs_mlp_inputs *in,                   \
                                            double *loss_nats, zs_error *err);                     \
    /* grads += scale · d(mean loss)/d(params), from the activations of the last forward. */      \
    zs_status zs_mlp_model_backward_##SUFFIX(const zs_mlp_config *cfg, const zs_layout *layout,    \
                                             zs_mm *mm, int threads, const REAL *params,           \
                                             REAL *grads, REAL *acts, const zs_mlp_inputs *in,     \
                                             REAL scale, zs_error *err);

ZS_MLP_DECLARE(float, f32)
ZS_MLP_DECLARE(double, f64)
#undef ZS_MLP_DECLARE

#endif
