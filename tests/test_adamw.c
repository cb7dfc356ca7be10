/* Tests for AdamW, the gradient norm and clipping (nn.h): updates against
 * torch.optim.AdamW in float64 and float32 on a layout that mixes decayed and undecayed
 * tensors, the decay mask, the config checks, and the norm and clipping against numpy. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/nn.h"

/* Three tensors: a decayed matrix, an undecayed norm gain, a decayed embedding. */
static zs_tensor mixed_tensors[3] = {
    {.name = "w", .offset = 0, .numel = 30, .ndim = 2, .shape = {6, 5}, .flags = ZS_TENSOR_DECAY},
    {.name = "gain", .offset = 30, .numel = 7, .ndim = 1, .shape = {7}, .flags = ZS_TENSOR_NORM},
    {.name = "emb",
     .offset = 37,
     .numel = 12,
     .ndim = 2,
     .shape = {4, 3},
     .flags = ZS_TENSOR_DECAY | ZS_TENSOR_EMBEDDING},
};
static const zs_layout mixed = {.tensors = mixed_tensors, .n_tensors = 3, .numel = 49};

#define STEPS 10
static const zs_adamw_opts test_cfg = {
    .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.1};

static float uniform_pm(zs_rng *r, double scale) {
    return (float)((2.0 * zs_rng_uniform(r) - 1.0) * scale);
}

static const char *const torch_adamw =
    "import sys\n"
    "import numpy as np, torch\n"
    "d, wd, b1, b2, eps = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), "
    "float(sys.argv[4]), float(sys.argv[5])\n"
    "p0 = np.fromfile(d + '/p0.f32', dtype=np.float32)\n"
    "g = np.fromfile(d + '/g.f32', dtype=np.float32).reshape(-1, p0.size)\n"
    "lr = np.fromfile(d + '/lr.f64')\n"
    "cuts = [(0, 30, True), (30, 37, False), (37, 49, True)]\n"
    "for dt, name in ((torch.float64, 'f64'), (torch.float32, 'f32')):\n"
    "    ps = [torch.tensor(p0[a:b]).to(dt).requires_grad_() for a, b, _ in cuts]\n"
    "    groups = [{'params': [p], 'weight_decay': wd if dec else 0.0}\n"
    "              for p, (_, _, dec) in zip(ps, cuts)]\n"
    "    opt = torch.optim.AdamW(groups, lr=1.0, betas=(b1, b2), eps=eps, foreach=False)\n"
    "    for s in range(g.shape[0]):\n"
    "        for grp in opt.param_groups: grp['lr'] = float(lr[s])\n"
    "        for p, (a, b, _) in zip(ps, cuts): p.grad = torch.tensor(g[s, a:b]).to(dt)\n"
    "        opt.step()\n"
    "    out = [p.detach() for p in ps] + [opt.state[p]['exp_avg'] for p in ps] + \\\n"
    "          [opt.state[p]['exp_avg_sq'] for p in ps]\n"
    "    np.concatenate([t.double().numpy() for t in out]).tofile(d + '/out_' + name + '.f64')\n"
    "print('ok')\n";

/* Max over the buffer of |ours - ref| / (|ref| + floor). */
static double max_rel(const float *ours, const double *ref, size_t n, double floor) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)ours[i] - ref[i]) / (fabs(ref[i]) + floor);
        if (e > worst) worst = e;
    }
    return worst;
}

Test(adamw, matches_torch_in_float64_and_float32) {
    zs_test_release_only("importing torch is slow: the Release build runs this");
    const char *py = zs_test_python("torch numpy");
    const size_t n = mixed.numel;
    float p0[49], params[49], grads[STEPS][49];
    double lr[STEPS];
    zs_rng r;
    zs_rng_seed(&r, 5, 0);
    for (size_t i = 0; i < n; i++) p0[i] = uniform_pm(&r, 1.0);
    for (int s = 0; s < STEPS; s++) {
        lr[s] = 1e-2 * (s + 1) / STEPS;
        /* gradients spanning four orders of magnitude */
        for (size_t i = 0; i < n; i++) grads[s][i] = uniform_pm(&r, pow(10.0, -(double)(i % 4)));
    }
    cr_assert_eq(zs_test_write(zs_test_path("p0.f32"), p0, sizeof p0), 0);
    cr_assert_eq(zs_test_write(zs_test_path("g.f32"), grads, sizeof grads), 0);
    cr_assert_eq(zs_test_write(zs_test_path("lr.f64"), lr, sizeof lr), 0);
    const char *script = zs_test_path("adamw_check.py");
    cr_assert_eq(zs_test_write(script, torch_adamw, strlen(torch_adamw)), 0);
    zs_run run = zs_test_sh("'%s' '%s' '%s' %.17g %.17g %.17g %.17g", py, script, zs_test_tmpdir(),
                            test_cfg.weight_decay, test_cfg.beta1, test_cfg.beta2, test_cfg.eps);
    cr_assert_eq(run.exit_code, 0, "torch failed: %s%s", run.out, run.err);
    zs_run_free(&run);

    zs_adamw opt;
    cr_assert_eq(zs_adamw_init(&opt, &mixed, &test_cfg, NULL), ZS_OK);
    memcpy(params, p0, sizeof p0);
    for (int s = 0; s < STEPS; s++) zs_adamw_step(&opt, params, grads[s], lr[s]);
    cr_assert_eq(opt.t, (uint64_t)STEPS);

    size_t len;
    double *t64 = (double *)zs_test_slurp(zs_test_path("out_f64.f64"), &len);
    cr_assert_eq(len, 3 * n * sizeof(double));
    double *t32 = (double *)zs_test_slurp(zs_test_path("out_f32.f64"), &len);
    cr_assert_eq(len, 3 * n * sizeof(double));
    /* float32 torch runs the same float operations: measured bit-identical on the
     * development machine (all 3 x 49 values equal, difference 0), allowed 2 float ulps
     * (2^-22 relative) as torch's CPU kernels may round differently elsewhere; float64 torch
     * differs by our float rounding only (measured 3.7e-7; allowed 1e-6 relative). Relative to
     * |ref| + a floor at each buffer's smallest scale: parameters ~1, moments ~1e-3 and ~1e-6. */
    const float *ours[3] = {params, opt.m, opt.v};
    const double floors[3] = {1e-3, 1e-6, 1e-12};
    for (int k = 0; k < 3; k++) {
        double e32 = max_rel(ours[k], t32 + k * n, n, floors[k]);
        double e64 = max_rel(ours[k], t64 + k * n, n, floors[k]);
        cr_assert_leq(e32, pow(2, -22), "buffer %d vs torch float32: %g", k, e32);
        cr_assert_leq(e64, 1e-6, "buffer %d vs torch float64: %g", k, e64);
    }
    free(t64);
    free(t32);
    zs_adamw_free(&opt);
}

/* With zero gradients the Adam term is 0/(0+ε) = 0, so a step is the decay alone:
 * p·(1 - lr·λ) on DECAY tensors, p exactly on the others. */
Test(adamw, decays_only_decay_tensors) {
    float params[49], before[49], zero[49] = {0};
    zs_rng r;
    zs_rng_seed(&r, 6, 0);
    for (size_t i = 0; i < 49; i++) before[i] = params[i] = uniform_pm(&r, 1.0);
    zs_adamw opt;
    cr_assert_eq(zs_adamw_init(&opt, &mixed, &test_cfg, NULL), ZS_OK);
    zs_adamw_step(&opt, params, zero, 0.5);
    float factor = (float)(1.0 - 0.5 * test_cfg.weight_decay);
    for (size_t i = 0; i < 49; i++) {
        if (i >= 30 && i < 37)
            cr_assert_eq(params[i], before[i], "norm gain %zu decayed", i - 30);
        else
            cr_assert_eq(params[i], before[i] * factor, "element %zu", i);
    }
    zs_adamw_free(&opt);
}

Test(adamw, defaults_are_torchs) {
    zs_adamw_opts d;
    zs_adamw_opts_init(&d);
    cr_assert(d.beta1 == 0.9 && d.beta2 == 0.999 && d.eps == 1e-8 && d.weight_decay == 0.01);
    cr_assert_eq(zs_adamw_opts_check(&d, NULL), ZS_OK);
}

static void expect_config_error(zs_adamw_opts c, const char *msg) {
    zs_error err;
    cr_assert_eq(zs_adamw_opts_check(&c, &err), ZS_ERR_USAGE, "expected: %s", msg);
    cr_assert_str_eq(err.msg, msg);
    zs_adamw opt;
    cr_assert_eq(zs_adamw_init(&opt, &mixed, &c, &err), ZS_ERR_USAGE);
    cr_assert_null(opt.moments);
}

Test(adamw, every_config_check_names_its_field) {
    zs_adamw_opts c;
    zs_adamw_opts_init(&c);
    c.beta1 = 1.0;
    expect_config_error(c, "adamw: beta1 = 1: expected 0 <= beta1 < 1");
    zs_adamw_opts_init(&c);
    c.beta2 = -0.5;
    expect_config_error(c, "adamw: beta2 = -0.5: expected 0 <= beta2 < 1");
    zs_adamw_opts_init(&c);
    c.eps = 0;
    expect_config_error(c, "adamw: eps = 0: expected a finite value > 0");
    zs_adamw_opts_init(&c);
    c.weight_decay = -0.01;
    expect_config_error(c, "adamw: weight_decay = -0.01: expected a finite value >= 0");
    c.weight_decay = INFINITY;
    expect_config_error(c, "adamw: weight_decay = inf: expected a finite value >= 0");
}

static const char *const numpy_norm =
    "import sys\n"
    "import numpy as np\n"
    "g = np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float64)\n"
    "print('%.17g' % np.sqrt(np.sum(g * g)))\n";

Test(grad_norm, matches_numpy) {
    const char *py = zs_test_python("numpy");
    enum { N = 10007 }; /* not a multiple of the 8 partial sums */
    static float g[N];
    zs_rng r;
    zs_rng_seed(&r, 7, 0);
    for (size_t i = 0; i < N; i++) g[i] = uniform_pm(&r, pow(10.0, -(double)(i % 5)));
    cr_assert_eq(zs_test_write(zs_test_path("grads.f32"), g, sizeof g), 0);
    const char *script = zs_test_path("norm_check.py");
    cr_assert_eq(zs_test_write(script, numpy_norm, strlen(numpy_norm)), 0);
    zs_run run = zs_test_sh("'%s' '%s' '%s'", py, script, zs_test_path("grads.f32"));
    cr_assert_eq(run.exit_code, 0, "numpy failed: %s", run.err);
    double want = strtod(run.out, NULL);
    zs_run_free(&run);
    double got = zs_grad_norm(g, N);
    /* both sum exact float squares in double, in different orders: 1e-13 relative */
    cr_assert_leq(fabs(got - want), 1e-13 * want, "norm %.17g, numpy %.17g", got, want);
    /* closed forms: 3-4-5, and every length 0..9 of ones */
    const float tri[2] = {3, 4};
    cr_assert_eq(zs_grad_norm(tri, 2), 5.0);
    const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (size_t n = 0; n <= 9; n++) cr_assert_eq(zs_grad_norm(ones, n), sqrt((double)n));
}

Test(grad_clip, scales_to_max_norm) {
    enum { N = 1001 };
    static float g[N], before[N];
    zs_rng r;
    zs_rng_seed(&r, 8, 0);
    for (size_t i = 0; i < N; i++) before[i] = g[i] = uniform_pm(&r, 1.0);
    double norm = zs_grad_norm(g, N);
    cr_assert_gt(norm, 1.0);
    cr_assert_eq(zs_grad_clip(g, N, 1.0), norm, "returns the norm before clipping");
    float scale = (float)(1.0 / norm);
    for (size_t i = 0; i < N; i++) cr_assert_eq(g[i], before[i] * scale);
    cr_assert_leq(fabs(zs_grad_norm(g, N) - 1.0), 1e-6, "clipped norm %.9g", zs_grad_norm(g, N));
}

Test(grad_clip, leaves_small_zero_limit_and_nonfinite_alone) {
    float g[4] = {0.5f, -0.5f, 0.5f, 0.5f}; /* norm 1 */
    const float keep[4] = {0.5f, -0.5f, 0.5f, 0.5f};
    cr_assert_eq(zs_grad_clip(g, 4, 1.0), 1.0); /* at the limit: unchanged */
    cr_assert_eq(zs_grad_clip(g, 4, 2.0), 1.0);
    cr_assert_eq(zs_grad_clip(g, 4, 0.0), 1.0); /* max_norm <= 0: off */
    cr_assert_eq(zs_grad_clip(g, 4, -1.0), 1.0);
    cr_assert_arr_eq(g, keep, sizeof g);
    float bad[4] = {1.0f, NAN, 2.0f, 3.0f};
    cr_assert(isnan(zs_grad_clip(bad, 4, 1.0)));
    cr_assert_eq(bad[0], 1.0f);
    cr_assert_eq(bad[3], 3.0f);
    float big[2] = {INFINITY, 1.0f};
    cr_assert(isinf(zs_grad_clip(big, 2, 1.0)));
    cr_assert_eq(big[1], 1.0f);
}

/* The update is split among threads for big tensors (zs_adamw.threads): 1 and 2 threads give
 * the same bytes over three steps, on a tensor past the split's threshold with a ragged end. */
Test(adamw, same_bytes_on_1_and_2_threads) {
    enum { N = 200003 };
    static zs_tensor big[1] = {{.name = "big",
                                .ndim = 1,
                                .shape = {N},
                                .offset = 0,
                                .numel = N,
                                .flags = ZS_TENSOR_DECAY}};
    const zs_layout layout = {.tensors = big, .n_tensors = 1, .numel = N};
    float *p[2] = {malloc(N * sizeof(float)), malloc(N * sizeof(float))};
    float *g = malloc(N * sizeof(float));
    zs_rng r;
    zs_rng_seed(&r, 9, 0);
    for (size_t i = 0; i < N; i++) {
        p[0][i] = p[1][i] = uniform_pm(&r, 1.0);
        g[i] = uniform_pm(&r, 1e-2);
    }
    zs_adamw opt[2];
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(zs_adamw_init(&opt[k], &layout, &test_cfg, NULL), ZS_OK);
        cr_assert_eq(opt[k].threads, 1);
        opt[k].threads = k + 1;
        for (int s = 0; s < 3; s++) zs_adamw_step(&opt[k], p[k], g, 1e-3);
    }
    cr_assert_eq(memcmp(p[0], p[1], N * sizeof(float)), 0);
    cr_assert_eq(memcmp(opt[0].moments, opt[1].moments, 2 * N * sizeof(float)), 0);
    for (int k = 0; k < 2; k++) zs_adamw_free(&opt[k]), free(p[k]);
    free(g);
}
