/* Tests for the sparse-parity MLP (nn.h): layout and parameter counts, initialisation,
 * every layer's backward and the whole model's gradient against central finite differences
 * in double, float against double, the gather-add layer bit-identical to the dense one and
 * close to a zs_mm product, thread-count determinism, the input checks, a cross-check
 * against PyTorch, and a short training run that learns a parity task. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/mlp_internal.h"
#include "testutil.h"
#include "zipscale/nn.h"
#include "zipscale/parity.h"

/* ---- helpers -------------------------------------------------------------------------- */

static zs_parity_task make_task(uint64_t n_tasks, uint64_t n_bits, uint64_t k, uint64_t seed) {
    zs_parity_spec spec = {n_tasks, n_bits, k, 0.0, seed};
    zs_parity_task task;
    zs_error err;
    cr_assert_eq(zs_parity_init(&task, &spec, &err), ZS_OK, "parity init: %s", err.msg);
    return task;
}

/* Examples 0 .. n-1 of the online stream at `step`. */
static zs_parity_batch make_batch(const zs_parity_task *task, uint64_t n, uint64_t step) {
    zs_parity_batch batch;
    zs_error err;
    cr_assert_eq(zs_parity_batch_init(&batch, task, n, &err), ZS_OK, "%s", err.msg);
    zs_parity_stream stream = {.kind = ZS_PARITY_ONLINE, .step = step};
    cr_assert_eq(zs_parity_fill(task, &stream, 0, &batch, 1, &err), ZS_OK, "%s", err.msg);
    return batch;
}

/* The batch as dense 0/1 floats (n_examples, n_tasks + n_bits). */
static float *dense_of(const zs_parity_task *task, const zs_parity_batch *batch) {
    size_t I = zs_parity_input_len(task);
    float *x = malloc(batch->n_examples * I * sizeof *x);
    for (uint64_t r = 0; r < batch->n_examples; r++)
        zs_parity_unpack_f32(task, batch, r, x + r * I);
    return x;
}

static zs_mlp_inputs sparse_inputs(const zs_parity_batch *batch) {
    return (zs_mlp_inputs){.n_examples = (uint32_t)batch->n_examples,
                           .subtask = batch->subtask,
                           .bits = batch->bits,
                           .words = batch->words_per_example,
                           .labels = batch->label};
}

static zs_mlp *make_mlp(zs_mlp_config cfg, uint32_t max_batch, int threads, uint64_t seed) {
    zs_mlp *mlp;
    zs_error err;
    cr_assert_eq(zs_mlp_create(&mlp, &cfg, max_batch, threads, &err), ZS_OK, "%s", err.msg);
    zs_mlp_draw_weights(mlp, seed);
    return mlp;
}

static void fill_uniform(double *x, size_t n, uint64_t seed, double lo, double hi) {
    zs_rng r;
    zs_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * zs_rng_uniform(&r);
}

/* Central differences, h = 1e-5, in double: truncation ~h²·f''' ≈ 1e-10 and rounding
 * ~1e-16·|f|/h ≈ 1e-11 here, so |analytic - numeric| <= 1e-8 + 1e-6·|numeric| leaves a
 * wide margin while any wrong term (an O(|g|) error) fails. */
typedef double (*objective_fn)(void *ctx);

static void check_fd(double *x, size_t n, const double *analytic, objective_fn f, void *ctx,
                     const char *what) {
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) {
        double saved = x[i];
        x[i] = saved + h;
        double up = f(ctx);
        x[i] = saved - h;
        double down = f(ctx);
        x[i] = saved;
        double numeric = (up - down) / (2 * h);
        cr_assert_leq(fabs(analytic[i] - numeric), 1e-8 + 1e-6 * fabs(numeric),
                      "%s[%zu]: analytic %.12g, numeric %.12g", what, i, analytic[i], numeric);
    }
}

/* Σ out·R: the scalar whose gradient with respect to out is R. */
static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* ---- layout, counts, FLOPs, config ------------------------------------------------------ */

Test(mlp, depth_one_count_is_reference_formula) {
    /* docs/science.md §1: (n_tasks + n + 3)·w + 2 */
    const uint32_t widths[] = {1, 10, 37, 500};
    for (size_t i = 0; i < 4; i++) {
        zs_mlp_config cfg = {500, 100, widths[i], 1};
        cr_assert_eq(zs_mlp_params_total(&cfg), (500 + 100 + 3) * (uint64_t)widths[i] + 2);
    }
}

Test(mlp, layout_names_shapes_flags_and_general_count) {
    zs_mlp_config cfg = {7, 11, 5, 3};
    zs_layout L;
    cr_assert_eq(zs_mlp_layout(&cfg, &L, NULL), ZS_OK);
    const struct {
        const char *name;
        size_t d0, d1;
        unsigned flags;
    } want[] = {{"layers.0.weight_t", 18, 5, ZS_TENSOR_DECAY}, {"layers.0.bias", 5, 0, 0},
                {"layers.1.weight", 5, 5, ZS_TENSOR_DECAY},    {"layers.1.bias", 5, 0, 0},
                {"layers.2.weight", 5, 5, ZS_TENSOR_DECAY},    {"layers.2.bias", 5, 0, 0},
                {"layers.3.weight", 2, 5, ZS_TENSOR_DECAY},    {"layers.3.bias", 2, 0, 0}};
    cr_assert_eq(L.n_tensors, 8);
    size_t offset = 0;
    for (size_t i = 0; i < 8; i++) {
        const zs_tensor *t = &L.tensors[i];
        cr_assert_str_eq(t->name, want[i].name);
        cr_assert_eq(t->ndim, want[i].d1 ? 2 : 1);
        cr_assert_eq(t->shape[0], want[i].d0);
        if (want[i].d1) cr_assert_eq(t->shape[1], want[i].d1);
        cr_assert_eq(t->numel, want[i].d0 * (want[i].d1 ? want[i].d1 : 1));
        cr_assert_eq(t->flags, want[i].flags, "%s", t->name);
        cr_assert_eq(t->offset, offset);
        offset += t->numel;
        cr_assert_eq(zs_layout_find(&L, want[i].name), t);
    }
    /* (I+1)·W + (depth-1)·(W+1)·W + 2·W + 2 */
    cr_assert_eq(L.numel, offset);
    cr_assert_eq(zs_mlp_params_total(&cfg), (18 + 1) * 5 + 2 * (5 + 1) * 5 + 2 * 5 + 2);
    cr_assert_eq(zs_mlp_params_total(&cfg), offset);
    zs_layout_free(&L);
}

/* Each weight (N,K) costs 2·B·N·K forward, the same again for its gradient, and the same
 * again for its input's gradient except in the first layer. */
Test(mlp, flops_count_every_matmul) {
    zs_mlp_config cfg = {20, 30, 16, 3};
    zs_layout L;
    cr_assert_eq(zs_mlp_layout(&cfg, &L, NULL), ZS_OK);
    double want = 0;
    for (size_t l = 0; l <= cfg.depth; l++)
        want += (l == 0 ? 4.0 : 6.0) * 64 * (double)L.tensors[2 * l].numel;
    cr_assert_eq(zs_mlp_flops_train(&cfg, 64), want);
    zs_layout_free(&L);
}

static void expect_config_error(zs_mlp_config cfg, const char *msg) {
    zs_error err;
    cr_assert_eq(zs_mlp_config_check(&cfg, &err), ZS_ERR_USAGE, "expected: %s", msg);
    cr_assert_str_eq(err.msg, msg);
    zs_mlp *mlp = (zs_mlp *)&err;
    cr_assert_eq(zs_mlp_create(&mlp, &cfg, 4, 1, &err), ZS_ERR_USAGE);
    cr_assert_null(mlp);
    cr_assert_str_eq(err.msg, msg);
}

Test(mlp, every_config_check_names_its_field) {
    expect_config_error((zs_mlp_config){0, 5, 4, 1}, "mlp config: n_tasks = 0: expected >= 1");
    expect_config_error((zs_mlp_config){5, 0, 4, 1}, "mlp config: n_bits = 0: expected >= 1");
    expect_config_error((zs_mlp_config){UINT32_MAX, 1, 4, 1},
                        "mlp config: n_tasks + n_bits = 4294967296: expected below 2^32");
    expect_config_error((zs_mlp_config){5, 5, 0, 1},
                        "mlp config: width = 0: expected 1 .. 1048576");
    expect_config_error((zs_mlp_config){5, 5, 4, 0}, "mlp config: depth = 0: expected 1 .. 1024");
    expect_config_error((zs_mlp_config){5, 5, 4, 1025},
                        "mlp config: depth = 1025: expected 1 .. 1024");
    expect_config_error((zs_mlp_config){5, 5, 1048576, 1000},
                        "mlp config: 1098413177307138 parameters (n_tasks 5, n_bits 5, width "
                        "1048576, depth 1000): expected at most 2^36");
    zs_error err;
    zs_mlp_config ok = {5, 5, 4, 1};
    zs_mlp *mlp;
    cr_assert_eq(zs_mlp_create(&mlp, &ok, 0, 1, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "mlp: max_batch = 0: expected >= 1");
    zs_mlp_config wide = {5, 5, 1 << 20, 1}; /* 2·2^20 + 5 activations per example */
    cr_assert_eq(zs_mlp_create(&mlp, &wide, 1 << 20, 1, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "mlp: max_batch = 1048576: 2097157 activations per example allow "
                              "at most 524286 examples (2^40 floats)");
}

/* ---- initialisation -------------------------------------------------------------------- */

Test(mlp, init_is_nn_linear_default_and_seeded_per_tensor) {
    zs_mlp_config cfg = {500, 100, 50, 3};
    zs_mlp *a = make_mlp(cfg, 1, 1, 42), *b = make_mlp(cfg, 1, 1, 42), *c = make_mlp(cfg, 1, 1, 43);
    const zs_layout *L = zs_mlp_get_layout(a);
    size_t n = L->numel;
    cr_assert_arr_eq(zs_mlp_params(a), zs_mlp_params(b), n * sizeof(float));
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += zs_mlp_params(a)[i] == zs_mlp_params(c)[i];
    cr_assert_lt(same, 10, "seeds 42 and 43 agree on %zu of %zu parameters", same, n);
    for (size_t t = 0; t < L->n_tensors; t++) {
        const zs_tensor *ten = &L->tensors[t];
        double bound = 1.0 / sqrt(t < 2 ? 600.0 : 50.0);
        const float *p = zs_mlp_params(a) + ten->offset;
        double sum = 0, sq = 0;
        for (size_t i = 0; i < ten->numel; i++) {
            cr_assert_leq(fabs(p[i]), bound, "%s[%zu] = %g", ten->name, i, p[i]);
            sum += p[i];
            sq += (double)p[i] * p[i];
        }
        if (ten->numel >= 2500) { /* U(-b, b): mean 0, variance b²/3 */
            double m = sum / ten->numel, var = sq / ten->numel - m * m;
            double sd_mean = bound / sqrt(3.0 * ten->numel);
            cr_assert_lt(fabs(m), 5 * sd_mean, "%s mean %g", ten->name, m);
            cr_assert_lt(fabs(var / (bound * bound / 3) - 1), 0.05, "%s variance %g", ten->name,
                         var);
        }
    }
    /* the two hidden (W,W) weights have the same shape but their own streams */
    const float *w1 = zs_mlp_params(a) + L->tensors[2].offset;
    const float *w2 = zs_mlp_params(a) + L->tensors[4].offset;
    cr_assert_neq(memcmp(w1, w2, 50 * 50 * sizeof(float)), 0);
    zs_mlp_free(a);
    zs_mlp_free(b);
    zs_mlp_free(c);
}

/* ---- each layer against finite differences, in double ----------------------------------- */

enum { FD_TASKS = 5, FD_BITS = 8, FD_IN = 13, FD_W = 4, FD_B = 7 };

typedef struct {
    zs_mlp_inputs in;
    double wt[FD_IN * FD_W], bias[FD_W], h[FD_B * FD_W], R[FD_B * FD_W];
} first_ctx;

static double gather_objective(void *p) {
    first_ctx *c = p;
    zs_mlp_gather_forward_f64(c->h, c->wt, c->bias, &c->in, FD_TASKS, FD_W, 1);
    return dot(c->h, c->R, FD_B * FD_W);
}

static double dense_objective(void *p) {
    first_ctx *c = p;
    zs_mlp_dense_forward_f64(c->h, c->wt, c->bias, &c->in, FD_IN, FD_W, 1);
    return dot(c->h, c->R, FD_B * FD_W);
}

Test(mlp_fd, first_layer_gather_and_dense) {
    zs_parity_task task = make_task(FD_TASKS, FD_BITS, 3, 1);
    zs_parity_batch batch = make_batch(&task, FD_B, 0);
    float *dense = dense_of(&task, &batch);
    first_ctx c = {.in = sparse_inputs(&batch)};
    fill_uniform(c.wt, FD_IN * FD_W, 1, -1, 1);
    fill_uniform(c.bias, FD_W, 2, -1, 1);
    fill_uniform(c.R, FD_B * FD_W, 3, -1, 1);
    for (int pass = 0; pass < 2; pass++) {
        double dwt[FD_IN * FD_W] = {0}, dbias[FD_W] = {0};
        if (pass == 0) {
            zs_mlp_gather_backward_f64(dwt, dbias, c.R, &c.in, FD_TASKS, FD_W, 1);
        } else {
            c.in.dense = dense;
            zs_mlp_dense_backward_f64(dwt, dbias, c.R, &c.in, FD_IN, FD_W, 1);
        }
        objective_fn f = pass == 0 ? gather_objective : dense_objective;
        check_fd(c.wt, FD_IN * FD_W, dwt, f, &c, pass ? "dense weight_t" : "gather weight_t");
        check_fd(c.bias, FD_W, dbias, f, &c, pass ? "dense bias" : "gather bias");
    }
    free(dense);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}

enum { LIN_B = 6, LIN_K = 5, LIN_N = 3 };
typedef struct {
    double inp[LIN_B * LIN_K], w[LIN_N * LIN_K], b[LIN_N], out[LIN_B * LIN_N], R[LIN_B * LIN_N];
} linear_ctx;

static double linear_objective(void *p) {
    linear_ctx *c = p;
    zs_mlp_linear_forward_f64(NULL, c->out, c->inp, c->w, c->b, LIN_B, LIN_K, LIN_N, 1, NULL);
    return dot(c->out, c->R, LIN_B * LIN_N);
}

Test(mlp_fd, linear_layer) {
    linear_ctx c;
    fill_uniform(c.inp, LIN_B * LIN_K, 4, -1, 1);
    fill_uniform(c.w, LIN_N * LIN_K, 5, -1, 1);
    fill_uniform(c.b, LIN_N, 6, -1, 1);
    fill_uniform(c.R, LIN_B * LIN_N, 7, -1, 1);
    double dinp[LIN_B * LIN_K], dw[LIN_N * LIN_K] = {0}, db[LIN_N] = {0};
    memset(dinp, 0xff, sizeof dinp); /* written, not accumulated: garbage must not survive */
    cr_assert_eq(
        zs_mlp_linear_backward_f64(NULL, dinp, dw, db, c.R, c.inp, c.w, LIN_B, LIN_K, LIN_N, NULL),
        ZS_OK);
    check_fd(c.inp, LIN_B * LIN_K, dinp, linear_objective, &c, "linear input");
    check_fd(c.w, LIN_N * LIN_K, dw, linear_objective, &c, "linear weight");
    check_fd(c.b, LIN_N, db, linear_objective, &c, "linear bias");
}

enum { RELU_N = 40 };
typedef struct {
    double inp[RELU_N], out[RELU_N], R[RELU_N];
} relu_ctx;

static double relu_objective(void *p) {
    relu_ctx *c = p;
    zs_mlp_relu_forward_f64(c->out, c->inp, RELU_N);
    return dot(c->out, c->R, RELU_N);
}

Test(mlp_fd, relu) {
    relu_ctx c;
    fill_uniform(c.inp, RELU_N, 8, -1, 1);
    for (size_t i = 0; i < RELU_N; i++) /* away from the kink at 0, farther than h */
        c.inp[i] += c.inp[i] < 0 ? -0.01 : 0.01;
    fill_uniform(c.R, RELU_N, 9, -1, 1);
    double dinp[RELU_N];
    zs_mlp_relu_forward_f64(c.out, c.inp, RELU_N);
    zs_mlp_relu_backward_f64(dinp, c.R, c.out, RELU_N);
    check_fd(c.inp, RELU_N, dinp, relu_objective, &c, "relu input");
    size_t negatives = 0;
    for (size_t i = 0; i < RELU_N; i++) negatives += c.inp[i] < 0;
    cr_assert(negatives > 5 && negatives < RELU_N - 5, "both sides of the kink are exercised");
}

enum { CE_B = 9 };
typedef struct {
    double logits[2 * CE_B], losses[CE_B];
    uint8_t labels[CE_B];
} ce_ctx;

static double ce_objective(void *p) {
    ce_ctx *c = p;
    return zs_mlp_ce_forward_f64(c->losses, c->logits, c->labels, CE_B);
}

Test(mlp_fd, cross_entropy) {
    ce_ctx c;
    fill_uniform(c.logits, 2 * CE_B, 10, -4, 4);
    c.logits[0] = 40; /* one confident example: the stable form must not overflow */
    for (size_t b = 0; b < CE_B; b++) c.labels[b] = (uint8_t)(b % 3 == 0);
    double mean = zs_mlp_ce_forward_f64(c.losses, c.logits, c.labels, CE_B), sum = 0;
    for (size_t b = 0; b < CE_B; b++) { /* closed form: log(1 + exp(z_other - z_label)) */
        double zy = c.logits[2 * b + c.labels[b]], zo = c.logits[2 * b + 1 - c.labels[b]];
        double want = log1p(exp(zo - zy));
        cr_assert_leq(fabs(c.losses[b] - want), 1e-14 * (1 + want), "example %zu", b);
        sum += want;
    }
    cr_assert_leq(fabs(mean - sum / CE_B), 1e-14);
    double dlogits[2 * CE_B];
    zs_mlp_ce_backward_f64(dlogits, c.logits, c.labels, CE_B, 1.0);
    check_fd(c.logits, 2 * CE_B, dlogits, ce_objective, &c, "logits");
}

/* ---- the whole model against finite differences, in double ------------------------------ */

typedef struct {
    zs_mlp_config cfg;
    const zs_layout *layout;
    double *params, *acts;
    zs_mlp_inputs in;
} model_ctx;

static double model_objective(void *p) {
    model_ctx *c = p;
    double loss;
    cr_assert_eq(zs_mlp_model_forward_f64(&c->cfg, c->layout, NULL, 1, c->params, c->acts, &c->in,
                                          &loss, NULL),
                 ZS_OK);
    return loss;
}

/* A float model's parameters widened to double. */
static double *params_f64(zs_mlp *mlp) {
    size_t n = zs_mlp_get_layout(mlp)->numel;
    double *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = zs_mlp_params(mlp)[i];
    return p;
}

static void model_fd(uint32_t depth, int dense) {
    zs_mlp_config cfg = {FD_TASKS, FD_BITS, 6, depth};
    zs_parity_task task = make_task(FD_TASKS, FD_BITS, 3, 2);
    zs_parity_batch batch = make_batch(&task, FD_B, 1);
    float *x = dense_of(&task, &batch);
    zs_mlp *mlp = make_mlp(cfg, FD_B, 1, 7 + depth);
    const zs_layout *L = zs_mlp_get_layout(mlp);
    model_ctx c = {cfg, L, params_f64(mlp), NULL, sparse_inputs(&batch)};
    if (dense) c.in.dense = x;
    c.acts = malloc(zs_mlp_acts_carve(&cfg, FD_B).numel * sizeof *c.acts);
    double *grads = calloc(L->numel, sizeof *grads);
    model_objective(&c);
    cr_assert_eq(
        zs_mlp_model_backward_f64(&cfg, L, NULL, 1, c.params, grads, c.acts, &c.in, 1.0, NULL),
        ZS_OK);
    for (size_t t = 0; t < L->n_tensors; t++) {
        const zs_tensor *ten = &L->tensors[t];
        check_fd(c.params + ten->offset, ten->numel, grads + ten->offset, model_objective, &c,
                 ten->name);
    }
    /* backward accumulates loss_scale times the gradient */
    double *twice = calloc(L->numel, sizeof *twice);
    memcpy(twice, grads, L->numel * sizeof *twice);
    model_objective(&c);
    zs_mlp_model_backward_f64(&cfg, L, NULL, 1, c.params, twice, c.acts, &c.in, 0.5, NULL);
    for (size_t i = 0; i < L->numel; i++)
        cr_assert_leq(fabs(twice[i] - 1.5 * grads[i]), 1e-15 * (1 + fabs(grads[i])));
    free(twice);
    free(grads);
    free(c.acts);
    free(c.params);
    free(x);
    zs_mlp_free(mlp);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}

Test(mlp_fd, whole_model_depth_1_sparse) {
    model_fd(1, 0);
}
Test(mlp_fd, whole_model_depth_3_sparse) {
    model_fd(3, 0);
}
Test(mlp_fd, whole_model_depth_2_dense) {
    model_fd(2, 1);
}

/* ---- the float path ---------------------------------------------------------------------- */

/* The float model against the double one on the same parameters and batch. Float rounding
 * of sums over ~W terms: loss within 1e-6 relative, each example's loss within 1e-5 nats,
 * each gradient within 1e-5 of the largest gradient (measured: 6e-9, 9e-8 and 3e-7). */
Test(mlp, float_matches_double) {
    zs_mlp_config cfg = {20, 30, 24, 2};
    const uint32_t B = 50;
    zs_parity_task task = make_task(cfg.n_tasks, cfg.n_bits, 3, 3);
    zs_parity_batch batch = make_batch(&task, B, 0);
    zs_mlp *mlp = make_mlp(cfg, B, 1, 11);
    const zs_layout *L = zs_mlp_get_layout(mlp);
    double loss32;
    float ex32[50];
    cr_assert_eq(zs_mlp_forward(mlp, &batch, &loss32, ex32, NULL), ZS_OK);
    zs_mlp_zero_grad(mlp);
    cr_assert_eq(zs_mlp_backward(mlp, 1.0f, NULL), ZS_OK);

    model_ctx c = {cfg, L, params_f64(mlp), NULL, sparse_inputs(&batch)};
    zs_mlp_acts_map a = zs_mlp_acts_carve(&cfg, B);
    c.acts = malloc(a.numel * sizeof *c.acts);
    double *g64 = calloc(L->numel, sizeof *g64);
    double loss64 = model_objective(&c);
    zs_mlp_model_backward_f64(&cfg, L, NULL, 1, c.params, g64, c.acts, &c.in, 1.0, NULL);
    cr_assert_leq(fabs(loss32 - loss64), 1e-6 * loss64, "loss %.9g vs %.9g", loss32, loss64);
    for (uint32_t b = 0; b < B; b++)
        cr_assert_leq(fabs(ex32[b] - c.acts[a.losses + b]), 1e-5, "example %u", b);
    double gmax = 0;
    for (size_t i = 0; i < L->numel; i++) gmax = fmax(gmax, fabs(g64[i]));
    cr_assert_gt(gmax, 1e-3);
    for (size_t i = 0; i < L->numel; i++)
        cr_assert_leq(fabs(zs_mlp_grads(mlp)[i] - g64[i]), 1e-5 * gmax, "gradient %zu", i);
    free(g64);
    free(c.acts);
    free(c.params);
    zs_mlp_free(mlp);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}

/* The gather-add sums the same nonzero terms in the same order as the dense loop (a zero
 * input adds ±0, which changes no sum), so every output is the same bits. */
Test(mlp, gather_add_is_bit_identical_to_dense) {
    zs_mlp_config cfg = {40, 100, 32, 2}; /* 2 words of task bits */
    const uint32_t B = 96;
    zs_parity_task task = make_task(cfg.n_tasks, cfg.n_bits, 3, 4);
    zs_parity_batch batch = make_batch(&task, B, 3);
    float *x = dense_of(&task, &batch);
    zs_mlp *mlp = make_mlp(cfg, B, 2, 12);
    size_t n = zs_mlp_get_layout(mlp)->numel;
    double loss_s, loss_d;
    float ex_s[96], ex_d[96];
    float *g_s = malloc(n * sizeof *g_s);
    zs_mlp_zero_grad(mlp);
    cr_assert_eq(zs_mlp_forward(mlp, &batch, &loss_s, ex_s, NULL), ZS_OK);
    cr_assert_eq(zs_mlp_backward(mlp, 1.0f, NULL), ZS_OK);
    memcpy(g_s, zs_mlp_grads(mlp), n * sizeof *g_s);
    zs_mlp_zero_grad(mlp);
    cr_assert_eq(zs_mlp_forward_dense(mlp, x, batch.label, B, &loss_d, ex_d, NULL), ZS_OK);
    cr_assert_eq(zs_mlp_backward(mlp, 1.0f, NULL), ZS_OK);
    cr_assert(loss_s == loss_d, "loss %.17g vs %.17g", loss_s, loss_d);
    cr_assert_arr_eq(ex_s, ex_d, sizeof ex_s);
    cr_assert_arr_eq(g_s, zs_mlp_grads(mlp), n * sizeof *g_s);
    free(g_s);
    free(x);
    zs_mlp_free(mlp);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}

/* The gather-add against the first layer as a zs_mm product (weight_tᵀ as nn.Linear's
 * weight): float sums in another order, so within 1e-5 of the sum of |terms| (~I·|w|). */
Test(mlp, gather_add_is_close_to_a_matmul) {
    enum { T = 30, N = 70, I = T + N, W = 24, B = 40 };
    zs_parity_task task = make_task(T, N, 4, 5);
    zs_parity_batch batch = make_batch(&task, B, 0);
    float *x = dense_of(&task, &batch);
    zs_mlp_inputs in = sparse_inputs(&batch);
    static float wt[I * W], wlin[W * I], bias[W], h_gather[B * W], h_mm[B * W], dh[B * W];
    static float dwt[I * W], dwlin[W * I], dbias[W];
    zs_rng r;
    zs_rng_seed(&r, 13, 0);
    for (size_t i = 0; i < I * W; i++) wt[i] = (float)(2 * zs_rng_uniform(&r) - 1);
    for (size_t i = 0; i < W; i++) bias[i] = (float)(2 * zs_rng_uniform(&r) - 1);
    for (size_t i = 0; i < B * W; i++) dh[i] = (float)(2 * zs_rng_uniform(&r) - 1);
    for (size_t k = 0; k < I; k++)
        for (size_t j = 0; j < W; j++) wlin[j * I + k] = wt[k * W + j];
    zs_mm *mm;
    cr_assert_eq(zs_mm_create(&mm, ZS_PRECISION_FP32, 1, NULL), ZS_OK);
    zs_mlp_gather_forward_f32(h_gather, wt, bias, &in, T, W, 1);
    cr_assert_eq(zs_mlp_linear_forward_f32(mm, h_mm, x, wlin, bias, B, I, W, 1, NULL), ZS_OK);
    for (size_t i = 0; i < B * W; i++)
        cr_assert_leq(fabsf(h_gather[i] - h_mm[i]), 1e-5f * I, "h[%zu]", i);
    zs_mlp_gather_backward_f32(dwt, dbias, dh, &in, T, W, 1);
    cr_assert_eq(zs_mm_backward(mm, NULL, dwlin, dh, x, wlin, B, I, W, NULL), ZS_OK);
    for (size_t k = 0; k < I; k++)
        for (size_t j = 0; j < W; j++)
            cr_assert_leq(fabsf(dwt[k * W + j] - dwlin[j * I + k]), 1e-5f * B, "dw[%zu][%zu]", k,
                          j);
    zs_mm_free(mm);
    free(x);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}

/* One forward and backward of mlp on batch: loss, per-example losses, gradients (copied). */
static double mlp_step(zs_mlp *mlp, const zs_parity_batch *batch, float *ex, float **grads) {
    double loss;
    zs_mlp_zero_grad(mlp);
    cr_assert_eq(zs_mlp_forward(mlp, batch, &loss, ex, NULL), ZS_OK);
    cr_assert_eq(zs_mlp_backward(mlp, 0.25f, NULL), ZS_OK);
    const size_t n = zs_mlp_get_layout(mlp)->numel;
    *grads = malloc(n * sizeof **grads);
    memcpy(*grads, zs_mlp_grads(mlp), n * sizeof **grads);
    return loss;
}

/* docs/model.md "Determinism and threads": at a fixed thread count (1 and 2) a step repeats bit
 * for bit; across them the loss agrees within 1e-6 relative, each example's loss within 1e-5 and
 * the gradients within 5e-6 relative in norm. Whether 1 and 2 threads also gave the same bits is
 * oneDNN's choice of how to split a product (bit-identical at 256 examples with its AVX-512
 * kernels, not with its AVX2 ones); the test says which it saw. */
Test(mlp, fixed_thread_count_repeats_bits_others_agree_to_rounding) {
    zs_mlp_config cfg = {50, 80, 40, 2};
    const uint32_t B = getenv("ZS_SANITIZED") ? 64 : 256;
    zs_parity_task task = make_task(cfg.n_tasks, cfg.n_bits, 3, 6);
    zs_parity_batch batch = make_batch(&task, B, 2);
    double loss[2][2];
    float *ex[2][2], *grads[2][2];
    size_t n = 0;
    for (int t = 0; t < 2; t++)
        for (int rep = 0; rep < 2; rep++) {
            zs_mlp *mlp = make_mlp(cfg, B, t + 1, 14);
            n = zs_mlp_get_layout(mlp)->numel;
            ex[t][rep] = malloc(B * sizeof(float));
            loss[t][rep] = mlp_step(mlp, &batch, ex[t][rep], &grads[t][rep]);
            zs_mlp_free(mlp);
        }
    for (int t = 0; t < 2; t++) {
        cr_assert(memcmp(&loss[t][0], &loss[t][1], sizeof(double)) == 0, "%d threads: loss", t + 1);
        cr_assert_arr_eq(ex[t][0], ex[t][1], B * sizeof(float), "%d threads: example losses",
                         t + 1);
        cr_assert_arr_eq(grads[t][0], grads[t][1], n * sizeof(float), "%d threads: gradients",
                         t + 1);
    }
    cr_assert_lt(fabs(loss[1][0] / loss[0][0] - 1), 1e-6, "loss %.17g vs %.17g", loss[1][0],
                 loss[0][0]);
    for (uint32_t i = 0; i < B; i++)
        cr_assert_lt(fabsf(ex[1][0][i] - ex[0][0][i]), 1e-5f * fabsf(ex[0][0][i]) + 1e-7f,
                     "example %u: %.9g vs %.9g", i, ex[1][0][i], ex[0][0][i]);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)grads[1][0][i] - grads[0][0][i];
        diff += d * d;
        norm += (double)grads[0][0][i] * grads[0][0][i];
    }
    cr_assert_lt(sqrt(diff), 5e-6 * sqrt(norm), "gradients: relative difference %g",
                 sqrt(diff / norm));
    const int same =
        loss[0][0] == loss[1][0] && !memcmp(grads[0][0], grads[1][0], n * sizeof(float));
    cr_log_info("mlp: 1 and 2 threads gave %s (loss %.3g relative, gradients %.3g)",
                same ? "the same bits" : "different bits", fabs(loss[1][0] / loss[0][0] - 1),
                sqrt(diff / norm));
    for (int t = 0; t < 2; t++)
        for (int rep = 0; rep < 2; rep++) free(ex[t][rep]), free(grads[t][rep]);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}

/* ---- input checks -------------------------------------------------------------------------- */

static void expect_forward_error(zs_mlp *mlp, const zs_parity_batch *batch, zs_status code,
                                 const char *msg) {
    zs_error err;
    double loss;
    cr_assert_eq(zs_mlp_forward(mlp, batch, &loss, NULL, &err), code, "expected: %s", msg);
    cr_assert_str_eq(err.msg, msg);
    cr_assert_eq(zs_mlp_backward(mlp, 1.0f, &err), ZS_ERR_USAGE, "a failed forward is no forward");
}

Test(mlp_errors, batch_with_more_task_bit_words) {
    zs_mlp_config cfg = {20, 50, 8, 1};
    zs_mlp *mlp = make_mlp(cfg, 64, 1, 1);
    zs_parity_task wide = make_task(20, 70, 3, 1);
    zs_parity_batch batch = make_batch(&wide, 16, 0);
    expect_forward_error(mlp, &batch, ZS_ERR_RANGE,
                         "mlp forward: parity batch has 2 words of task bits per example: "
                         "expected 1 for n_bits = 50");
    zs_parity_batch_free(&batch);
    zs_parity_free(&wide);
    zs_mlp_free(mlp);
}

Test(mlp_errors, batch_built_for_more_bits) {
    zs_mlp_config cfg = {20, 50, 8, 1};
    zs_mlp *mlp = make_mlp(cfg, 64, 1, 1);
    zs_parity_task task = make_task(20, 60, 3, 1);
    zs_parity_batch batch = make_batch(&task, 16, 0);
    uint64_t row = 0, bit = 0; /* the first row with a bit at 50 or above, and that bit */
    for (row = 0; row < 16; row++) {
        for (bit = 50; bit < 60 && !zs_parity_bit(&batch, row, bit); bit++) {
        }
        if (bit < 60) break;
    }
    cr_assert_lt(row, 16);
    char msg[256];
    snprintf(msg, sizeof msg,
             "mlp forward: parity batch row %llu: task bit %llu set: expected only bits below "
             "n_bits = 50",
             (unsigned long long)row, (unsigned long long)bit);
    expect_forward_error(mlp, &batch, ZS_ERR_RANGE, msg);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
    zs_mlp_free(mlp);
}

Test(mlp_errors, batch_built_for_more_tasks) {
    zs_mlp_config cfg = {20, 50, 8, 1};
    zs_mlp *mlp = make_mlp(cfg, 64, 1, 1);
    zs_parity_task task = make_task(40, 50, 3, 1);
    zs_parity_batch batch = make_batch(&task, 32, 0);
    uint64_t row = 0;
    while (row < 32 && batch.subtask[row] < 20) row++;
    cr_assert_lt(row, 32);
    char msg[256];
    snprintf(msg, sizeof msg,
             "mlp forward: parity batch row %llu: subtask %u: expected below n_tasks = 20",
             (unsigned long long)row, batch.subtask[row]);
    expect_forward_error(mlp, &batch, ZS_ERR_RANGE, msg);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
    zs_mlp_free(mlp);
}

Test(mlp_errors, too_many_examples_bad_label_and_empty) {
    zs_mlp_config cfg = {20, 50, 8, 1};
    zs_mlp *mlp = make_mlp(cfg, 8, 1, 1);
    zs_parity_task task = make_task(20, 50, 3, 1);
    zs_parity_batch batch = make_batch(&task, 9, 0);
    expect_forward_error(mlp, &batch, ZS_ERR_RANGE,
                         "mlp forward: parity batch of 9 examples: expected at most max_batch = 8");
    zs_parity_batch rows = zs_parity_batch_rows(&batch, 0, 8);
    batch.label[5] = 2;
    expect_forward_error(mlp, &rows, ZS_ERR_RANGE,
                         "mlp forward: parity batch row 5: label 2: expected 0 or 1");
    zs_parity_batch none = zs_parity_batch_rows(&batch, 0, 0);
    expect_forward_error(mlp, &none, ZS_ERR_USAGE, "mlp forward: parity batch has no examples");
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
    zs_mlp_free(mlp);
}

Test(mlp_errors, dense_inputs_and_backward_without_forward) {
    zs_mlp_config cfg = {2, 3, 4, 1};
    zs_mlp *mlp = make_mlp(cfg, 4, 1, 1);
    zs_error err;
    cr_assert_eq(zs_mlp_backward(mlp, 1.0f, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "mlp backward: no forward pass to differentiate");
    float x[2 * 5] = {1, 0, 1, 1, 0, 0, 1, 0, 0.5f, 1};
    uint8_t labels[2] = {0, 1};
    double loss;
    cr_assert_eq(zs_mlp_forward_dense(mlp, x, labels, 2, &loss, NULL, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "mlp forward: dense batch row 1 input 3: 0.5: expected 0 or 1");
    x[8] = 1;
    labels[1] = 7;
    cr_assert_eq(zs_mlp_forward_dense(mlp, x, labels, 2, &loss, NULL, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "mlp forward: dense batch row 1: label 7: expected 0 or 1");
    labels[1] = 1;
    cr_assert_eq(zs_mlp_forward_dense(mlp, x, labels, 5, &loss, NULL, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg,
                     "mlp forward: dense batch of 5 examples: expected at most max_batch = 4");
    cr_assert_eq(zs_mlp_forward_dense(mlp, x, labels, 2, &loss, NULL, &err), ZS_OK);
    cr_assert_eq(zs_mlp_backward(mlp, 1.0f, &err), ZS_OK);
    zs_mlp_free(mlp);
}

/* ---- PyTorch ------------------------------------------------------------------------------ */

/* The MLP as docs/model.md ("The sparse-parity MLP") describes it, in torch float64 from our
 * parameters file: nn.Linear layers, layers.0.weight_t transposed into the first one's weight. */
static const char *const torch_mlp =
    "import sys\n"
    "import numpy as np, torch\n"
    "d = sys.argv[1]\n"
    "T, N, W, D, B = (int(a) for a in sys.argv[2:7])\n"
    "I = T + N\n"
    "flat = np.fromfile(d + '/params.f32', dtype=np.float32).astype(np.float64)\n"
    "x = torch.tensor(np.fromfile(d + '/x.f32', dtype=np.float32).reshape(B, I)).double()\n"
    "y = torch.tensor(np.fromfile(d + '/y.u8', dtype=np.uint8).astype(np.int64))\n"
    "shapes = [(I, W), (W,)] + [(W, W), (W,)] * (D - 1) + [(2, W), (2,)]\n"
    "layers, mods, o = [], [], 0\n"
    "for l in range(D + 1):\n"
    "    fan_in, out = (I if l == 0 else W), (2 if l == D else W)\n"
    "    lin = torch.nn.Linear(fan_in, out).double()\n"
    "    w = flat[o:o + fan_in * out]; o += fan_in * out\n"
    "    w = w.reshape(I, W).T if l == 0 else w.reshape(out, fan_in)\n"
    "    b = flat[o:o + out]; o += out\n"
    "    with torch.no_grad():\n"
    "        lin.weight.copy_(torch.tensor(np.ascontiguousarray(w)))\n"
    "        lin.bias.copy_(torch.tensor(b))\n"
    "    mods += [lin] + ([torch.nn.ReLU()] if l < D else [])\n"
    "    layers.append(lin)\n"
    "if o != flat.size: raise SystemExit(f'the layout covers {o} of {flat.size} parameters')\n"
    "model = torch.nn.Sequential(*mods)\n"
    "logits = model(x)\n"
    "per = torch.nn.functional.cross_entropy(logits, y, reduction='none')\n"
    "loss = per.mean()\n"
    "loss.backward()\n"
    "g = []\n"
    "for l, lin in enumerate(layers):\n"
    "    gw = lin.weight.grad.T if l == 0 else lin.weight.grad\n"
    "    g += [gw.contiguous().reshape(-1), lin.bias.grad]\n"
    "out = torch.cat([loss.detach().reshape(1), per.detach()] + g)\n"
    "out.numpy().tofile(d + '/torch_out.f64')\n"
    "print('ok')\n";

Test(mlp, matches_pytorch_float64) {
    zs_test_release_only("importing torch is slow: the Release build runs this");
    const char *py = zs_test_python("torch numpy");
    zs_mlp_config cfg = {6, 10, 12, 2};
    enum { B = 32, I = 16 };
    zs_parity_task task = make_task(cfg.n_tasks, cfg.n_bits, 3, 7);
    zs_parity_batch batch = make_batch(&task, B, 0);
    float *x = dense_of(&task, &batch);
    zs_mlp *mlp = make_mlp(cfg, B, 1, 15);
    const zs_layout *L = zs_mlp_get_layout(mlp);
    size_t n = L->numel;
    cr_assert_eq(zs_test_write(zs_test_path("params.f32"), zs_mlp_params(mlp), n * sizeof(float)),
                 0);
    cr_assert_eq(zs_test_write(zs_test_path("x.f32"), x, B * I * sizeof(float)), 0);
    cr_assert_eq(zs_test_write(zs_test_path("y.u8"), batch.label, B), 0);
    const char *script = zs_test_path("mlp_check.py");
    cr_assert_eq(zs_test_write(script, torch_mlp, strlen(torch_mlp)), 0);
    zs_run run = zs_test_sh("'%s' '%s' '%s' %u %u %u %u %d", py, script, zs_test_tmpdir(),
                            cfg.n_tasks, cfg.n_bits, cfg.width, cfg.depth, B);
    cr_assert_eq(run.exit_code, 0, "torch failed: %s%s", run.out, run.err);
    zs_run_free(&run);
    size_t len;
    double *ref = (double *)zs_test_slurp(zs_test_path("torch_out.f64"), &len);
    cr_assert_eq(len, (1 + B + n) * sizeof(double));
    const double *ref_loss = ref, *ref_ex = ref + 1, *ref_grad = ref + 1 + B;

    /* ours in double: the same arithmetic up to summation order, 1e-12 */
    model_ctx c = {cfg, L, params_f64(mlp), NULL, sparse_inputs(&batch)};
    zs_mlp_acts_map a = zs_mlp_acts_carve(&cfg, B);
    c.acts = malloc(a.numel * sizeof *c.acts);
    double *g64 = calloc(n, sizeof *g64);
    double loss64 = model_objective(&c);
    zs_mlp_model_backward_f64(&cfg, L, NULL, 1, c.params, g64, c.acts, &c.in, 1.0, NULL);
    cr_assert_leq(fabs(loss64 - *ref_loss), 1e-12, "loss %.17g vs torch %.17g", loss64, *ref_loss);
    for (size_t b = 0; b < B; b++)
        cr_assert_leq(fabs(c.acts[a.losses + b] - ref_ex[b]), 1e-12, "example %zu", b);
    for (size_t i = 0; i < n; i++)
        cr_assert_leq(fabs(g64[i] - ref_grad[i]), 1e-12, "gradient %zu: %.17g vs %.17g", i, g64[i],
                      ref_grad[i]);

    /* ours in float, dense and sparse: float rounding, 1e-6 (loss, relative) and 1e-5 */
    double loss32;
    float ex32[B];
    for (int dense = 0; dense < 2; dense++) {
        zs_mlp_zero_grad(mlp);
        if (dense)
            cr_assert_eq(zs_mlp_forward_dense(mlp, x, batch.label, B, &loss32, ex32, NULL), ZS_OK);
        else
            cr_assert_eq(zs_mlp_forward(mlp, &batch, &loss32, ex32, NULL), ZS_OK);
        cr_assert_eq(zs_mlp_backward(mlp, 1.0f, NULL), ZS_OK);
        cr_assert_leq(fabs(loss32 - *ref_loss), 1e-6 * *ref_loss);
        for (size_t b = 0; b < B; b++) cr_assert_leq(fabs(ex32[b] - ref_ex[b]), 1e-5);
        for (size_t i = 0; i < n; i++)
            cr_assert_leq(fabs(zs_mlp_grads(mlp)[i] - ref_grad[i]), 1e-5, "gradient %zu", i);
    }
    free(g64);
    free(c.acts);
    free(c.params);
    free(ref);
    free(x);
    zs_mlp_free(mlp);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}

/* ---- training -------------------------------------------------------------------------- */

/* The pieces together: AdamW (torch's defaults but no decay) on online batches learns a
 * 3-subtask, 2-bit parity on 12 bits to a held-out loss far below ln 2 = 0.693 nats (chance). */
Test(mlp, learns_a_small_parity_task) {
    zs_mlp_config cfg = {3, 12, 64, 1};
    const uint32_t B = 128, steps = getenv("ZS_SANITIZED") ? 150 : 300;
    zs_parity_task task = make_task(cfg.n_tasks, cfg.n_bits, 2, 8);
    zs_mlp *mlp = make_mlp(cfg, 512, 1, 16);
    zs_adamw_opts ac;
    zs_adamw_opts_init(&ac);
    ac.weight_decay = 0;
    zs_adamw opt;
    cr_assert_eq(zs_adamw_init(&opt, zs_mlp_get_layout(mlp), &ac, NULL), ZS_OK);
    zs_parity_batch batch;
    cr_assert_eq(zs_parity_batch_init(&batch, &task, B, NULL), ZS_OK);
    double first = 0, loss = 0;
    for (uint32_t s = 0; s < steps; s++) {
        zs_parity_stream stream = {.kind = ZS_PARITY_ONLINE, .step = s};
        cr_assert_eq(zs_parity_fill(&task, &stream, 0, &batch, 1, NULL), ZS_OK);
        zs_mlp_zero_grad(mlp);
        cr_assert_eq(zs_mlp_forward(mlp, &batch, &loss, NULL, NULL), ZS_OK);
        cr_assert_eq(zs_mlp_backward(mlp, 1.0f, NULL), ZS_OK);
        if (s == 0) first = loss;
        zs_grad_clip(zs_mlp_grads(mlp), zs_mlp_get_layout(mlp)->numel, 1.0);
        zs_adamw_step(&opt, zs_mlp_params(mlp), zs_mlp_grads(mlp), 1e-2);
    }
    zs_parity_batch test;
    cr_assert_eq(zs_parity_batch_init(&test, &task, 512, NULL), ZS_OK);
    zs_parity_stream held_out = {.kind = ZS_PARITY_TEST, .size = 512};
    cr_assert_eq(zs_parity_fill(&task, &held_out, 0, &test, 1, NULL), ZS_OK);
    cr_assert_eq(zs_mlp_forward(mlp, &test, &loss, NULL, NULL), ZS_OK);
    cr_assert_gt(first, 0.6, "an untrained model is near chance: %g", first);
    cr_assert_lt(loss, 0.1, "held-out loss after %u steps: %g nats", steps, loss);
    zs_parity_batch_free(&test);
    zs_parity_batch_free(&batch);
    zs_adamw_free(&opt);
    zs_mlp_free(mlp);
    zs_parity_free(&task);
}
