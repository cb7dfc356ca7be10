/* nn: the GPT model object (nn.h "the GPT"): config checks, parameter and FLOP counts, the
 * parameter layout, the activation plan, creation, seeded initialisation, and the public
 * forward/backward around the float instantiation of gpt_model.inc. docs/model.md. */
#include "nn/attention.h"
#include "nn/gpt_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zs_gpt {
    zs_gpt_shape shape;
    zs_layout layout;
    zs_precision precision;
    zs_mm *mm;
    float *params, *grads;   /* layout.numel each */
    float *acts;             /* shape.plan.numel */
    float *dacts;            /* shape.plan.d_numel */
    float *rope;             /* (context, hd/2, 2) cos and sin */
    uint32_t *inputs;        /* the last forward's inputs, for the embedding's backward */
    uint32_t batch, seq_len; /* the forward awaiting its backward; batch 0 when none */
};

/* ---- config, counts ------------------------------------------------------------------- */

typedef struct {
    const char *name;
    size_t offset;
    uint32_t min, max;
} config_field;

static const config_field config_fields[] = {
    {"vocab", offsetof(zs_gpt_config, vocab), 2, 1u << 24},
    {"context", offsetof(zs_gpt_config, context), 1, 1u << 16},
    {"d_model", offsetof(zs_gpt_config, d_model), 2, 1u << 16},
    {"layers", offsetof(zs_gpt_config, layers), 1, 1024},
    {"heads", offsetof(zs_gpt_config, heads), 1, 1u << 15},
    {"mlp_hidden", offsetof(zs_gpt_config, mlp_hidden), 1, 1u << 18},
};

void zs_gpt_config_init(zs_gpt_config *cfg) {
    *cfg = (zs_gpt_config){.vocab = 0, .context = 256, .d_model = 64, .layers = 2, .heads = 1};
    cfg->mlp_hidden = ZS_GPT_MLP_HIDDEN_PER_D_MODEL * cfg->d_model;
}

zs_status zs_gpt_config_check(const zs_gpt_config *cfg, zs_error *err) {
    for (size_t i = 0; i < sizeof config_fields / sizeof config_fields[0]; i++) {
        const config_field *f = &config_fields[i];
        uint32_t v;
        memcpy(&v, (const char *)cfg + f->offset, sizeof v);
        if (v < f->min || v > f->max)
            return zs_fail_field(err, ZS_ERR_USAGE, f->name, "GPT config: %s %u: expected %u..%u",
                                 f->name, v, f->min, f->max);
    }
    if (cfg->d_model % cfg->heads != 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "heads",
                             "GPT config: heads %u: expected a divisor of d_model %u", cfg->heads,
                             cfg->d_model);
    if ((cfg->d_model / cfg->heads) % 2 != 0)
        return zs_fail_field(
            err, ZS_ERR_USAGE, "heads",
            "GPT config: heads %u: head size d_model/heads = %u must be even (RoPE "
            "rotates pairs)",
            cfg->heads, cfg->d_model / cfg->heads);
    return ZS_OK;
}

uint64_t zs_gpt_params_nonembed(const zs_gpt_config *cfg) {
    uint64_t C = cfg->d_model, F = cfg->mlp_hidden;
    return C + (uint64_t)cfg->layers * (4 * C * C + 3 * C * F + 2 * C);
}

uint64_t zs_gpt_params_total(const zs_gpt_config *cfg) {
    return 2 * (uint64_t)cfg->vocab * cfg->d_model + zs_gpt_params_nonembed(cfg);
}

double zs_gpt_flops_forward(const zs_gpt_config *cfg, uint64_t batch, uint64_t seq_len) {
    double C = cfg->d_model, F = cfg->mlp_hidden, V = cfg->vocab, L = cfg->layers;
    double B = (double)batch, T = (double)seq_len;
    /* every linear layer: 2 flops per weight per token; the embedding is a gather */
    double matmul = 2.0 * B * T * (L * (4.0 * C * C + 3.0 * C * F) + C * V);
    /* causal attention: q·k and p·v over the T(T+1)/2 attended pairs, hd per head, H heads */
    double attention = L * B * 2.0 * (2.0 * C * T * (T + 1.0) / 2.0);
    return matmul + attention;
}

double zs_gpt_flops_train(const zs_gpt_config *cfg, uint64_t batch, uint64_t seq_len) {
    /* each forward matmul has two backward ones (input and weight gradients), and the
     * attention backward does four products for the forward's two */
    return 3.0 * zs_gpt_flops_forward(cfg, batch, seq_len);
}

/* ---- parameter layout ------------------------------------------------------------------ */

static zs_gpt_offsets offsets_of(const zs_gpt_config *cfg) {
    size_t C = cfg->d_model, F = cfg->mlp_hidden, V = cfg->vocab;
    zs_gpt_offsets o;
    o.tok_embedding = 0;
    o.block0 = V * C;
    o.attn_norm = 0;
    o.attn_qkv = C;
    o.attn_out = o.attn_qkv + 3 * C * C;
    o.mlp_norm = o.attn_out + C * C;
    o.mlp_gate_up = o.mlp_norm + C;
    o.mlp_down = o.mlp_gate_up + 2 * F * C;
    o.block_stride = o.mlp_down + C * F;
    o.final_norm = o.block0 + cfg->layers * o.block_stride;
    o.lm_head = o.final_norm + C;
    o.numel = o.lm_head + V * C;
    return o;
}

static void set_tensor(zs_tensor *t, const char *name, size_t offset, unsigned flags, int ndim,
                       size_t d0, size_t d1) {
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->offset = offset;
    t->flags = flags;
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = ndim == 2 ? d1 : 0;
    t->numel = ndim == 2 ? d0 * d1 : d0;
}

zs_status zs_gpt_layout(const zs_gpt_config *cfg, zs_layout *out, zs_error *err) {
    memset(out, 0, sizeof *out);
    zs_status st = zs_gpt_config_check(cfg, err);
    if (st != ZS_OK) return st;
    size_t C = cfg->d_model, F = cfg->mlp_hidden, V = cfg->vocab, L = cfg->layers;
    zs_gpt_offsets o = offsets_of(cfg);
    size_t n = 3 + 6 * L;
    zs_tensor *t = zs_calloc(n, sizeof *t, "GPT layout", err);
    if (!t) return ZS_ERR_NOMEM;
    set_tensor(&t[0], "tok_embedding", o.tok_embedding, ZS_TENSOR_EMBEDDING | ZS_TENSOR_DECAY, 2, V,
               C);
    for (size_t l = 0; l < L; l++) {
        size_t base = o.block0 + l * o.block_stride;
        zs_tensor *b = &t[1 + 6 * l];
        char name[ZS_TENSOR_NAME_MAX];
        snprintf(name, sizeof name, "blocks.%zu.attn_norm", l);
        set_tensor(&b[0], name, base + o.attn_norm, ZS_TENSOR_NORM, 1, C, 0);
        snprintf(name, sizeof name, "blocks.%zu.attn_qkv", l);
        set_tensor(&b[1], name, base + o.attn_qkv, ZS_TENSOR_DECAY, 2, 3 * C, C);
        snprintf(name, sizeof name, "blocks.%zu.attn_out", l);
        set_tensor(&b[2], name, base + o.attn_out, ZS_TENSOR_DECAY, 2, C, C);
        snprintf(name, sizeof name, "blocks.%zu.mlp_norm", l);
        set_tensor(&b[3], name, base + o.mlp_norm, ZS_TENSOR_NORM, 1, C, 0);
        snprintf(name, sizeof name, "blocks.%zu.mlp_gate_up", l);
        set_tensor(&b[4], name, base + o.mlp_gate_up, ZS_TENSOR_DECAY, 2, 2 * F, C);
        snprintf(name, sizeof name, "blocks.%zu.mlp_down", l);
        set_tensor(&b[5], name, base + o.mlp_down, ZS_TENSOR_DECAY, 2, C, F);
    }
    set_tensor(&t[n - 2], "final_norm", o.final_norm, ZS_TENSOR_NORM, 1, C, 0);
    set_tensor(&t[n - 1], "lm_head", o.lm_head, ZS_TENSOR_EMBEDDING | ZS_TENSOR_DECAY, 2, V, C);
    out->tensors = t;
    out->n_tensors = n;
    out->numel = o.numel;
    return ZS_OK;
}

/* ---- activation plan ------------------------------------------------------------------- */

/* Hands out consecutive regions of `size` elements from *next. */
static size_t carve(size_t *next, size_t size) {
    size_t at = *next;
    *next += size;
    return at;
}

zs_status zs_gpt_shape_init(zs_gpt_shape *shape, const zs_gpt_config *cfg, uint32_t max_batch,
                            int threads, zs_error *err) {
    memset(shape, 0, sizeof *shape);
    zs_status st = zs_gpt_config_check(cfg, err);
    if (st != ZS_OK) return st;
    if (max_batch < 1) return zs_fail(err, ZS_ERR_USAGE, "GPT max_batch 0: expected >= 1");
    size_t C = cfg->d_model, F = cfg->mlp_hidden, V = cfg->vocab, L = cfg->layers;
    size_t H = cfg->heads, T = cfg->context, rows = (size_t)max_batch * T;
    /* the largest region per layer is (rows, 3C) or (rows, 2F) floats, the logits (rows, V) */
    double biggest = (double)rows * (double)(3 * C + 2 * F + V) * (double)(L + 1);
    if (biggest > 0x1p56)
        return zs_fail(err, ZS_ERR_RANGE,
                       "GPT activations for max_batch %u x context %zu are too large", max_batch,
                       T);
    shape->cfg = *cfg;
    shape->max_batch = max_batch;
    shape->params = offsets_of(cfg);
    shape->threads = zs_threads_resolve(threads);
    zs_gpt_plan *p = &shape->plan;
    p->rows = rows;
    p->saved_stride = zs_attention_saved_numel(max_batch, T, C, H);
    size_t next = 0;
    p->resid = carve(&next, (L + 1) * rows * C);
    p->attn_norm = carve(&next, L * rows * C);
    p->attn_rstd = carve(&next, L * rows);
    p->qkv = carve(&next, L * rows * 3 * C);
    p->att_saved = carve(&next, L * p->saved_stride);
    p->att_out = carve(&next, L * rows * C);
    p->resid_mid = carve(&next, L * rows * C);
    p->mlp_norm = carve(&next, L * rows * C);
    p->mlp_rstd = carve(&next, L * rows);
    p->gate_up = carve(&next, L * rows * 2 * F);
    p->swiglu = carve(&next, L * rows * F);
    p->final_norm = carve(&next, rows * C);
    p->final_rstd = carve(&next, rows);
    p->logits = carve(&next, rows * V);
    p->row_loss = carve(&next, rows);
    p->att_scratch = carve(&next, zs_attention_scratch_numel(max_batch, T, C, H));
    p->numel = next;
    next = 0;
    p->d_resid = carve(&next, rows * C);
    p->d_norm = carve(&next, rows * C);
    p->d_qkv = carve(&next, rows * 3 * C);
    p->d_att = carve(&next, rows * C);
    p->d_gate_up = carve(&next, rows * 2 * F);
    p->d_swiglu = carve(&next, rows * F);
    p->d_norm_partial = carve(&next, zs_gpt_norm_partial_numel(rows, C));
    p->d_numel = next;
    return ZS_OK;
}

zs_status zs_gpt_check_tokens(const zs_gpt_config *cfg, const uint32_t *inputs,
                              const uint32_t *targets, uint32_t batch, uint32_t seq_len,
                              zs_error *err) {
    for (size_t r = 0; r < (size_t)batch * seq_len; r++) {
        const char *which = inputs[r] >= cfg->vocab ? "input" : "target";
        uint32_t id = inputs[r] >= cfg->vocab ? inputs[r] : targets[r];
        if (id >= cfg->vocab)
            return zs_fail(err, ZS_ERR_RANGE,
                           "%s token %u at (sequence %zu, position %zu): expected 0..%u (vocab %u)",
                           which, id, r / seq_len, r % seq_len, cfg->vocab - 1, cfg->vocab);
    }
    return ZS_OK;
}

/* ---- the model object ------------------------------------------------------------------ */

/* n floats, zeroed, 64-byte aligned (whole cache lines for the kernels and oneDNN). */
static float *alloc_floats(size_t n, const char *what, zs_error *err) {
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        zs_fail(err, ZS_ERR_NOMEM, "out of memory (%zu bytes for %s)", bytes, what);
        return NULL;
    }
    memset(p, 0, bytes);
    return p;
}

zs_status zs_gpt_create(zs_gpt **out, const zs_gpt_config *cfg, uint32_t max_batch,
                        zs_precision precision, int threads, zs_error *err) {
    *out = NULL;
    zs_gpt *gpt = zs_calloc(1, sizeof *gpt, "GPT model", err);
    if (!gpt) return ZS_ERR_NOMEM;
    zs_status st = zs_gpt_shape_init(&gpt->shape, cfg, max_batch, threads, err);
    if (st == ZS_OK) st = zs_gpt_layout(cfg, &gpt->layout, err);
    if (st == ZS_OK) st = zs_mm_create(&gpt->mm, precision, gpt->shape.threads, err);
    if (st != ZS_OK) {
        zs_gpt_free(gpt);
        return st;
    }
    gpt->precision = precision;
    size_t hd = cfg->d_model / cfg->heads;
    if (!(gpt->params = alloc_floats(gpt->layout.numel, "GPT parameters", err)) ||
        !(gpt->grads = alloc_floats(gpt->layout.numel, "GPT gradients", err)) ||
        !(gpt->acts = alloc_floats(gpt->shape.plan.numel, "GPT activations", err)) ||
        !(gpt->dacts = alloc_floats(gpt->shape.plan.d_numel, "GPT activation gradients", err)) ||
        !(gpt->rope = alloc_floats((size_t)cfg->context * hd, "GPT RoPE table", err)) ||
        !(gpt->inputs = zs_calloc(gpt->shape.plan.rows, sizeof *gpt->inputs, "GPT inputs", err))) {
        zs_gpt_free(gpt);
        return ZS_ERR_NOMEM;
    }
    zs_gpt_rope_table_f32(gpt->rope, cfg->context, hd);
    *out = gpt;
    return ZS_OK;
}

void zs_gpt_free(zs_gpt *gpt) {
    if (!gpt) return;
    zs_mm_free(gpt->mm);
    zs_layout_free(&gpt->layout);
    free(gpt->params);
    free(gpt->grads);
    free(gpt->acts);
    free(gpt->dacts);
    free(gpt->rope);
    free(gpt->inputs);
    free(gpt);
}

const zs_gpt_config *zs_gpt_get_config(const zs_gpt *gpt) {
    return &gpt->shape.cfg;
}

const zs_layout *zs_gpt_get_layout(const zs_gpt *gpt) {
    return &gpt->layout;
}

float *zs_gpt_params(zs_gpt *gpt) {
    return gpt->params;
}

float *zs_gpt_grads(zs_gpt *gpt) {
    return gpt->grads;
}

/* attn_out and mlp_down write into the residual stream: their init shrinks with depth */
static int is_residual_projection(const char *name) {
    size_t n = strlen(name);
    return (n >= 9 && strcmp(name + n - 9, ".attn_out") == 0) ||
           (n >= 9 && strcmp(name + n - 9, ".mlp_down") == 0);
}

void zs_gpt_draw_weights(zs_gpt *gpt, uint64_t seed) {
    const double pi = 3.14159265358979323846;
    double residual_std = 0.02 / sqrt(2.0 * gpt->shape.cfg.layers);
    for (size_t i = 0; i < gpt->layout.n_tensors; i++) {
        const zs_tensor *t = &gpt->layout.tensors[i];
        float *p = gpt->params + t->offset;
        if (t->flags & ZS_TENSOR_NORM) {
            for (size_t j = 0; j < t->numel; j++) p[j] = 1.0f;
            continue;
        }
        double std = is_residual_projection(t->name) ? residual_std : 0.02;
        zs_rng rng;
        zs_rng_seed(&rng, seed, zs_rng_mix(zs_rng_tag("gpt.init"), i));
        /* Box–Muller: each pair of uniforms gives elements 2k and 2k+1 */
        for (size_t j = 0; j < t->numel; j += 2) {
            double u1 = 1.0 - zs_rng_uniform(&rng); /* (0, 1]: log is finite */
            double u2 = zs_rng_uniform(&rng);
            double radius = sqrt(-2.0 * log(u1));
            p[j] = (float)(std * radius * cos(2.0 * pi * u2));
            if (j + 1 < t->numel) p[j + 1] = (float)(std * radius * sin(2.0 * pi * u2));
        }
    }
}

/* ---- forward and backward ------------------------------------------------------------- */

zs_status zs_gpt_forward_positions(zs_gpt *gpt, const uint32_t *inputs, const uint32_t *targets,
                                   uint32_t batch, uint32_t seq_len, zs_sample_loss which,
                                   double *loss_nats, float *token_loss_nats, zs_error *err) {
    gpt->batch = 0;
    if (batch < 1 || batch > gpt->shape.max_batch)
        return zs_fail(err, ZS_ERR_USAGE, "GPT forward: batch %u: expected 1..%u (max_batch)",
                       batch, gpt->shape.max_batch);
    if (seq_len < 1 || seq_len > gpt->shape.cfg.context)
        return zs_fail(err, ZS_ERR_USAGE, "GPT forward: seq_len %u: expected 1..%u (context)",
                       seq_len, gpt->shape.cfg.context);
    zs_status st = zs_gpt_check_tokens(&gpt->shape.cfg, inputs, targets, batch, seq_len, err);
    if (st != ZS_OK) return st;
    size_t n = (size_t)batch * seq_len;
    memcpy(gpt->inputs, inputs, n * sizeof *inputs);
    /* the weights stay as they are until the backward that goes with this forward */
    zs_mm_hold_weights(gpt->mm);
    st = zs_gpt_model_forward_f32(&gpt->shape, gpt->mm, gpt->params, gpt->acts, gpt->rope, inputs,
                                  targets, batch, seq_len, which, loss_nats, err);
    if (st != ZS_OK) return st;
    if (token_loss_nats)
        memcpy(token_loss_nats, gpt->acts + gpt->shape.plan.row_loss, n * sizeof *token_loss_nats);
    gpt->batch = batch;
    gpt->seq_len = seq_len;
    return ZS_OK;
}

zs_status zs_gpt_forward(zs_gpt *gpt, const uint32_t *inputs, const uint32_t *targets,
                         uint32_t batch, uint32_t seq_len, double *loss_nats,
                         float *token_loss_nats, zs_error *err) {
    return zs_gpt_forward_positions(gpt, inputs, targets, batch, seq_len, ZS_SAMPLE_LOSS_MEAN,
                                    loss_nats, token_loss_nats, err);
}

void zs_gpt_zero_grad(zs_gpt *gpt) {
    /* by blocks on the model's threads: at d_model 256 the 16 MB took 1% of a 2-thread step
     * on one thread */
    const size_t n = gpt->layout.numel, block = (size_t)1 << 16;
#pragma omp parallel for if (n > block) num_threads(gpt->shape.threads) schedule(static)
    for (size_t i = 0; i < n; i += block)
        memset(gpt->grads + i, 0, (n - i < block ? n - i : block) * sizeof *gpt->grads);
}

zs_status zs_gpt_backward(zs_gpt *gpt, float loss_scale, zs_error *err) {
    if (gpt->batch == 0)
        return zs_fail(err, ZS_ERR_USAGE,
                       "GPT backward: no forward pass to differentiate (one backward per "
                       "successful zs_gpt_forward)");
    zs_status st = zs_gpt_model_backward_f32(&gpt->shape, gpt->mm, gpt->params, gpt->grads,
                                             gpt->acts, gpt->dacts, gpt->rope, gpt->inputs,
                                             gpt->batch, gpt->seq_len, loss_scale, err);
    gpt->batch = 0;
    return st;
}
