/* nn: the GPT in double (gpt_model.inc with plain-loop matmuls, one thread), and the small
 * model object around it that the gradient checks drive (zs_gpt_f64, gpt_internal.h). */
#include "nn/attention.h"
#include "nn/gpt_internal.h"

#include <stdlib.h>
#include <string.h>

static zs_status mm_forward(zs_mm *mm, double *out, const double *inp, const double *weight,
                            size_t M, size_t K, size_t N, zs_error *err) {
    (void)mm;
    (void)err;
    zs_mm_forward_f64(out, inp, weight, M, K, N);
    return ZS_OK;
}

/* dinp written (zeroed, then accumulated into), dweight accumulated */
static zs_status mm_backward_write(zs_mm *mm, double *dinp, double *dweight, const double *dout,
                                   const double *inp, const double *weight, size_t M, size_t K,
                                   size_t N, zs_error *err) {
    (void)mm;
    (void)err;
    if (dinp) memset(dinp, 0, M * K * sizeof *dinp);
    zs_mm_backward_f64(dinp, dweight, dout, inp, weight, M, K, N);
    return ZS_OK;
}

static zs_status attn_forward(zs_mm *mm, double *out, double *saved, double *scratch,
                              const double *qkv, size_t B, size_t T, size_t C, size_t H,
                              zs_error *err) {
    (void)mm;
    (void)err;
    zs_attention_forward_f64(out, saved, scratch, qkv, B, T, C, H);
    return ZS_OK;
}

static zs_status attn_backward(zs_mm *mm, double *dqkv, double *scratch, const double *dout,
                               const double *qkv, const double *saved, size_t B, size_t T, size_t C,
                               size_t H, zs_error *err) {
    (void)mm;
    (void)err;
    zs_attention_backward_f64(dqkv, scratch, dout, qkv, saved, B, T, C, H);
    return ZS_OK;
}

/* double keeps every activation in double: the matmul-only ones are the plain kernels */
static void norm_for_mm(zs_mm *mm, double *out, double *rstd, const double *inp, const double *gain,
                        size_t N, size_t C, int threads) {
    (void)mm;
    zs_gpt_rmsnorm_forward_f64(out, rstd, inp, gain, N, C, threads);
}

static void swiglu_for_mm(zs_mm *mm, double *out, const double *gate_up, size_t N, size_t F,
                          int threads) {
    (void)mm;
    zs_gpt_swiglu_forward_f64(out, gate_up, N, F, threads);
}

static void swiglu_backward_for_mm(zs_mm *mm, double *dgate_up, const double *dout,
                                   const double *gate_up, size_t N, size_t F, int threads) {
    (void)mm;
    zs_gpt_swiglu_backward_f64(dgate_up, dout, gate_up, N, F, threads);
}

/* double runs RoPE and attention separately: these are never called */
static int rope_attn_fused(zs_mm *mm, size_t T, size_t C, size_t H) {
    (void)mm, (void)T, (void)C, (void)H;
    return 0;
}

static void rope_attn_forward(zs_mm *mm, double *out, double *saved, double *scratch,
                              const double *qkv, const double *cos_sin, size_t B, size_t T,
                              size_t C, size_t H) {
    (void)mm, (void)out, (void)saved, (void)scratch, (void)qkv, (void)cos_sin, (void)B, (void)T;
    (void)C, (void)H;
}

static void rope_attn_backward(zs_mm *mm, double *dqkv, double *scratch, const double *dout,
                               const double *qkv, const double *saved, const double *cos_sin,
                               size_t B, size_t T, size_t C, size_t H) {
    (void)mm, (void)dqkv, (void)scratch, (void)dout, (void)qkv, (void)saved, (void)cos_sin;
    (void)B, (void)T, (void)C, (void)H;
}

#define REAL double
#define FN(name) name##_f64
#define MM_FORWARD mm_forward
#define MM_BACKWARD_WRITE mm_backward_write
#define NORM_FOR_MM norm_for_mm
#define SWIGLU_FOR_MM swiglu_for_mm
#define MM_FORWARD_ACT mm_forward
#define MM_BACKWARD_WRITE_ACT mm_backward_write
#define SWIGLU_BACKWARD_FOR_MM swiglu_backward_for_mm
#define MM_BACKWARD_WRITE_DACT mm_backward_write
#define ATTN_FORWARD attn_forward
#define ROPE_ATTN_FUSED rope_attn_fused
#define ROPE_ATTN_FORWARD rope_attn_forward
#define ROPE_ATTN_BACKWARD rope_attn_backward
#define ATTN_BACKWARD attn_backward
#include "nn/gpt_model.inc"

zs_status zs_gpt_f64_create(zs_gpt_f64 *m, const zs_gpt_config *cfg, uint32_t max_batch,
                            zs_error *err) {
    memset(m, 0, sizeof *m);
    zs_status st = zs_gpt_shape_init(&m->shape, cfg, max_batch, 1, err);
    if (st != ZS_OK) return st;
    st = zs_gpt_layout(cfg, &m->layout, err);
    if (st != ZS_OK) return st;
    const zs_gpt_plan *p = &m->shape.plan;
    size_t hd = cfg->d_model / cfg->heads;
    m->params = zs_calloc(m->layout.numel, sizeof *m->params, "double GPT parameters", err);
    m->grads = zs_calloc(m->layout.numel, sizeof *m->grads, "double GPT gradients", err);
    m->acts = zs_calloc(p->numel, sizeof *m->acts, "double GPT activations", err);
    m->dacts = zs_calloc(p->d_numel, sizeof *m->dacts, "double GPT activation gradients", err);
    m->rope = zs_calloc((size_t)cfg->context * hd, sizeof *m->rope, "double RoPE table", err);
    m->inputs = zs_calloc(p->rows, sizeof *m->inputs, "double GPT inputs", err);
    if (!m->params || !m->grads || !m->acts || !m->dacts || !m->rope || !m->inputs) {
        zs_gpt_f64_free(m);
        return ZS_ERR_NOMEM;
    }
    zs_gpt_rope_table_f64(m->rope, cfg->context, hd);
    return ZS_OK;
}

void zs_gpt_f64_free(zs_gpt_f64 *m) {
    zs_layout_free(&m->layout);
    free(m->params);
    free(m->grads);
    free(m->acts);
    free(m->dacts);
    free(m->rope);
    free(m->inputs);
    memset(m, 0, sizeof *m);
}

zs_status zs_gpt_f64_forward(zs_gpt_f64 *m, const uint32_t *inputs, const uint32_t *targets,
                             uint32_t batch, uint32_t seq_len, double *loss_nats,
                             double *token_loss_nats, zs_error *err) {
    if (batch < 1 || batch > m->shape.max_batch || seq_len < 1 || seq_len > m->shape.cfg.context)
        return zs_fail(err, ZS_ERR_USAGE, "batch %u x seq_len %u: expected 1..%u x 1..%u", batch,
                       seq_len, m->shape.max_batch, m->shape.cfg.context);
    zs_status st = zs_gpt_check_tokens(&m->shape.cfg, inputs, targets, batch, seq_len, err);
    if (st != ZS_OK) return st;
    size_t n = (size_t)batch * seq_len;
    memcpy(m->inputs, inputs, n * sizeof *inputs);
    st = zs_gpt_model_forward_f64(&m->shape, NULL, m->params, m->acts, m->rope, inputs, targets,
                                  batch, seq_len, ZS_SAMPLE_LOSS_MEAN, loss_nats, err);
    if (st != ZS_OK) return st;
    if (token_loss_nats)
        memcpy(token_loss_nats, m->acts + m->shape.plan.row_loss, n * sizeof *token_loss_nats);
    m->batch = batch;
    m->seq_len = seq_len;
    return ZS_OK;
}

zs_status zs_gpt_f64_backward(zs_gpt_f64 *m, double loss_scale, zs_error *err) {
    if (m->batch == 0)
        return zs_fail(err, ZS_ERR_USAGE, "GPT backward: no forward pass to differentiate");
    zs_status st =
        zs_gpt_model_backward_f64(&m->shape, NULL, m->params, m->grads, m->acts, m->dacts, m->rope,
                                  m->inputs, m->batch, m->seq_len, loss_scale, err);
    m->batch = 0;
    return st;
}
