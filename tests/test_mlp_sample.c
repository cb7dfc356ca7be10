/* Per-sample gradients of the parity MLP (zs_mlp_sample_grads): each row against PyTorch's
 * gradient of that example's own loss (torch float64, one backward per example), layer
 * subsets as slices of the whole, more examples than max_batch, and the errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/mlp.h"
#include "zipscale/parity.h"

static zs_parity_task make_task(uint64_t n_tasks, uint64_t n_bits, uint64_t k, uint64_t seed) {
    zs_parity_spec spec = {n_tasks, n_bits, k, 0.0, seed};
    zs_parity_task task;
    zs_error err;
    cr_assert_eq(zs_parity_init(&task, &spec, &err), ZS_OK, "parity init: %s", err.msg);
    return task;
}

static zs_parity_batch make_batch(const zs_parity_task *task, uint64_t n) {
    zs_parity_batch batch;
    zs_error err;
    cr_assert_eq(zs_parity_batch_init(&batch, task, n, &err), ZS_OK, "%s", err.msg);
    zs_parity_stream stream = {.kind = ZS_PARITY_ONLINE, .step = 3};
    cr_assert_eq(zs_parity_fill(task, &stream, 0, &batch, 1, &err), ZS_OK, "%s", err.msg);
    return batch;
}

static zs_mlp *make_mlp(zs_mlp_config cfg, uint32_t max_batch, uint64_t seed) {
    zs_mlp *mlp;
    zs_error err;
    cr_assert_eq(zs_mlp_create(&mlp, &cfg, max_batch, 1, &err), ZS_OK, "%s", err.msg);
    zs_mlp_draw_weights(mlp, seed);
    return mlp;
}

/* torch float64 from our parameters: per example, the gradient of its own cross-entropy
 * over every parameter in our layout order (layers.0 as weight_t), and its loss. */
static const char *const torch_sample =
    "import sys\n"
    "import numpy as np, torch\n"
    "d = sys.argv[1]\n"
    "T, N, W, D, B = (int(a) for a in sys.argv[2:7])\n"
    "I = T + N\n"
    "flat = np.fromfile(d + '/params.f32', dtype=np.float32).astype(np.float64)\n"
    "x = torch.tensor(np.fromfile(d + '/x.f32', dtype=np.float32).reshape(B, I)).double()\n"
    "y = torch.tensor(np.fromfile(d + '/y.u8', dtype=np.uint8).astype(np.int64))\n"
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
    "model = torch.nn.Sequential(*mods)\n"
    "rows = []\n"
    "for s in range(B):\n"
    "    model.zero_grad()\n"
    "    loss = torch.nn.functional.cross_entropy(model(x[s:s + 1]), y[s:s + 1])\n"
    "    loss.backward()\n"
    "    g = [loss.detach().reshape(1)]\n"
    "    for l, lin in enumerate(layers):\n"
    "        gw = lin.weight.grad.T if l == 0 else lin.weight.grad\n"
    "        g += [gw.contiguous().reshape(-1), lin.bias.grad]\n"
    "    rows.append(torch.cat(g))\n"
    "torch.stack(rows).numpy().tofile(d + '/torch_rows.f64')\n"
    "print('ok')\n";

Test(mlp_sample, matches_pytorch_per_example) {
    zs_test_release_only("importing torch is slow: the Release build runs this");
    const char *py = zs_test_python("torch numpy");
    zs_mlp_config cfg = {5, 9, 11, 2};
    enum { B = 24, I = 14 };
    zs_parity_task task = make_task(cfg.n_tasks, cfg.n_bits, 3, 21);
    zs_parity_batch batch = make_batch(&task, B);
    float *x = malloc(B * I * sizeof *x);
    for (uint64_t r = 0; r < B; r++) zs_parity_unpack_f32(&task, &batch, r, x + r * I);
    zs_mlp *mlp = make_mlp(cfg, 4, 33); /* max_batch 4 < B: one example at a time */
    size_t n = zs_mlp_get_layout(mlp)->numel;
    cr_assert_eq(zs_mlp_sample_grad_numel(mlp, 0, cfg.depth), n);
    cr_assert_eq(zs_test_write(zs_test_path("params.f32"), zs_mlp_params(mlp), n * sizeof(float)),
                 0);
    cr_assert_eq(zs_test_write(zs_test_path("x.f32"), x, B * I * sizeof(float)), 0);
    cr_assert_eq(zs_test_write(zs_test_path("y.u8"), batch.label, B), 0);
    const char *script = zs_test_path("sample_check.py");
    cr_assert_eq(zs_test_write(script, torch_sample, strlen(torch_sample)), 0);
    zs_run run = zs_test_sh("'%s' '%s' '%s' %u %u %u %u %d", py, script, zs_test_tmpdir(),
                            cfg.n_tasks, cfg.n_bits, cfg.width, cfg.depth, B);
    cr_assert_eq(run.exit_code, 0, "torch failed: %s%s", run.out, run.err);
    zs_run_free(&run);
    size_t len;
    double *ref = (double *)zs_test_slurp(zs_test_path("torch_rows.f64"), &len);
    cr_assert_eq(len, B * (1 + n) * sizeof(double));

    float *g = malloc(B * n * sizeof *g), loss[B];
    zs_error err;
    cr_assert_eq(zs_mlp_sample_grads(mlp, &batch, 0, cfg.depth, g, loss, &err), ZS_OK, "%s",
                 err.msg);
    double max_norm = 0.0;
    for (size_t s = 0; s < B; s++) {
        const double *r = ref + s * (1 + n);
        cr_assert_leq(fabs(loss[s] - r[0]), 1e-5 * (1.0 + r[0]), "example %zu loss", s);
        double norm = 0.0;
        for (size_t i = 0; i < n; i++) {
            cr_assert_leq(fabs(g[s * n + i] - r[1 + i]), 1e-5, "example %zu gradient %zu: %g vs %g",
                          s, i, (double)g[s * n + i], r[1 + i]);
            norm += r[1 + i] * r[1 + i];
        }
        max_norm = fmax(max_norm, norm);
    }
    cr_assert_gt(max_norm, 1e-4, "the reference gradients are not all ~0");
    for (size_t i = 0; i < n; i++) cr_assert_eq(zs_mlp_grads(mlp)[i], 0.0f, "grads left zeroed");

    /* a layer subset is the matching slice of the whole row: layer 1 (the hidden W×W) alone,
     * then the output layer alone */
    const zs_layout *L = zs_mlp_get_layout(mlp);
    for (uint32_t l = 1; l <= cfg.depth; l++) {
        size_t off = L->tensors[2 * l].offset;
        size_t m = zs_mlp_sample_grad_numel(mlp, l, l);
        cr_assert_eq(m, L->tensors[2 * l].numel + L->tensors[2 * l + 1].numel);
        float *sub = malloc(B * m * sizeof *sub);
        cr_assert_eq(zs_mlp_sample_grads(mlp, &batch, l, l, sub, NULL, &err), ZS_OK);
        for (size_t s = 0; s < B; s++)
            cr_assert_eq(memcmp(sub + s * m, g + s * n + off, m * sizeof *sub), 0, "layer %u", l);
        free(sub);
    }
    free(g);
    free(ref);
    free(x);
    zs_mlp_free(mlp);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}

Test(mlp_sample, errors) {
    zs_mlp_config cfg = {3, 6, 4, 1};
    zs_parity_task task = make_task(cfg.n_tasks, cfg.n_bits, 2, 5);
    zs_parity_batch batch = make_batch(&task, 3);
    zs_mlp *mlp = make_mlp(cfg, 2, 1);
    float out[3 * 64];
    zs_error err;
    cr_assert_eq(zs_mlp_sample_grad_numel(mlp, 1, 0), 0);
    cr_assert_eq(zs_mlp_sample_grad_numel(mlp, 0, 2), 0);
    cr_assert_eq(zs_mlp_sample_grads(mlp, &batch, 0, 2, out, NULL, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg,
                     "mlp sample gradients: layers 0 .. 2: expected first <= last <= depth = 1");
    batch.subtask[2] = 9;
    cr_assert_eq(zs_mlp_sample_grads(mlp, &batch, 1, 1, out, NULL, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "example 2: mlp forward: parity batch row 0: subtask 9: expected "
                              "below n_tasks = 3");
    zs_mlp_free(mlp);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
}
