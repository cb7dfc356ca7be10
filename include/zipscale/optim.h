/* zipscale nn: the AdamW optimiser over a layout, and the global gradient norm and
 * clipping. docs/model.md "AdamW". */
#ifndef ZIPSCALE_OPTIM_H
#define ZIPSCALE_OPTIM_H

#include "zipscale/layout.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- AdamW -----------------------------------------------------------------------------
 * Decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW:
 *   m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²;  m̂ = m/(1-β1^t);  v̂ = v/(1-β2^t)
 *   p -= lr (m̂ / (sqrt(v̂) + ε) + λ p)   (λ only on ZS_TENSOR_DECAY tensors). */
typedef struct {
    double beta1, beta2, eps, weight_decay;
} zs_adamw_opts;

/* torch's defaults: β1 0.9, β2 0.999, ε 1e-8, weight decay 0.01. */
void zs_adamw_opts_init(zs_adamw_opts *opts);
/* Errors: ZS_ERR_USAGE (beta1 or beta2 not in [0, 1), eps not finite and > 0, weight_decay
 * not finite and >= 0: the message names the field). */
zs_status zs_adamw_opts_check(const zs_adamw_opts *cfg, zs_error *err);

typedef struct {
    zs_adamw_opts cfg;
    const zs_layout *layout; /* borrowed: the model's */
    float *moments;          /* one allocation: m then v, each layout->numel */
    float *m, *v;
    uint64_t t;  /* steps taken */
    int threads; /* for the update: zs_adamw_init sets 1, trainers their model's count; the
                    update is per element, so the bytes do not depend on it */
} zs_adamw;

/* Zero moments for layout (borrowed: it must outlive opt).
 * Errors: ZS_ERR_USAGE (cfg fails zs_adamw_opts_check). */
zs_status zs_adamw_init(zs_adamw *opt, const zs_layout *layout, const zs_adamw_opts *cfg,
                        zs_error *err);
void zs_adamw_free(zs_adamw *opt);
/* One update of params with grads at learning rate lr; params and grads hold
 * opt->layout->numel floats. */
void zs_adamw_step(zs_adamw *opt, float *params, const float *grads, double lr);

/* The global L2 norm of a gradient, accumulated in double in a fixed order. */
double zs_grad_norm(const float *grads, size_t n);
/* Clips to max_norm (no-op when norm <= max_norm or max_norm <= 0); returns the norm
 * before clipping. Non-finite norms are returned unchanged and nothing is scaled. */
double zs_grad_clip(float *grads, size_t n, double max_norm);

#ifdef __cplusplus
}
#endif
#endif
