/* How long a training step and an evaluation batch of each (dataset, model) pair take here,
 * measured: the model is built with one thread, as a sweep worker builds it, and two
 * forward + backward + AdamW steps run on random data; the second is timed, and a forward
 * pass alone. `sweep plan` turns them into each run's estimate. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_internal.h"

static zs_status time_gpt(const zs_gpt_config *cfg, uint32_t batch, zs_sweep_speed *sp,
                          zs_error *err) {
    zs_gpt *gpt = NULL;
    zs_adamw adam;
    int adam_ready = 0;
    size_t n = (size_t)batch * cfg->context;
    uint32_t *tok = zs_calloc(n + 1, sizeof *tok, "timing tokens", err);
    zs_status s = tok ? zs_gpt_create(&gpt, cfg, batch, ZS_PRECISION_FP32, 1, err) : ZS_ERR_NOMEM;
    zs_adamw_opts ac;
    zs_adamw_opts_init(&ac);
    if (!s) {
        zs_rng rng;
        zs_rng_seed(&rng, 0, 0);
        for (size_t i = 0; i <= n; i++) tok[i] = (uint32_t)zs_rng_below(&rng, cfg->vocab);
        zs_gpt_draw_weights(gpt, 0);
        s = zs_adamw_init(&adam, zs_gpt_get_layout(gpt), &ac, err);
        adam_ready = !s;
    }
    double t0 = 0, loss;
    for (int rep = 0; !s && rep < 3; rep++) {
        t0 = omp_get_wtime();
        zs_gpt_zero_grad(gpt);
        s = zs_gpt_forward(gpt, tok, tok + 1, batch, cfg->context, &loss, NULL, err);
        if (rep == 2) break; /* the third: a forward alone */
        if (!s) s = zs_gpt_backward(gpt, 1.0f, err);
        if (!s) zs_adamw_step(&adam, zs_gpt_params(gpt), zs_gpt_grads(gpt), 1e-3);
        if (rep == 1) sp->step_s = omp_get_wtime() - t0;
    }
    sp->forward_s = omp_get_wtime() - t0;
    if (adam_ready) zs_adamw_free(&adam);
    zs_gpt_free(gpt);
    free(tok);
    return s;
}

static zs_status time_mlp(const zs_mlp_config *cfg, const zs_parity_spec *spec, uint32_t batch,
                          zs_sweep_speed *sp, zs_error *err) {
    zs_parity_task task;
    zs_parity_batch b;
    zs_mlp *mlp = NULL;
    memset(&b, 0, sizeof b);
    zs_status s = zs_parity_init(&task, spec, err);
    if (s) return s;
    s = zs_parity_batch_init(&b, &task, batch, err);
    zs_parity_stream stream = {.kind = ZS_PARITY_ONLINE};
    if (!s) s = zs_parity_fill(&task, &stream, 0, &b, 1, err);
    if (!s) s = zs_mlp_create(&mlp, cfg, batch, 1, err);
    if (!s) zs_mlp_draw_weights(mlp, 0);
    double t0 = 0, loss;
    for (int rep = 0; !s && rep < 3; rep++) {
        t0 = omp_get_wtime();
        zs_mlp_zero_grad(mlp);
        s = zs_mlp_forward(mlp, &b, &loss, NULL, err);
        if (rep == 2) break;
        if (!s) s = zs_mlp_backward(mlp, 1.0f, err);
        if (rep == 1) sp->step_s = omp_get_wtime() - t0; /* AdamW not counted: tiny here */
    }
    sp->forward_s = omp_get_wtime() - t0;
    zs_mlp_free(mlp);
    zs_parity_batch_free(&b);
    zs_parity_free(&task);
    return s;
}

zs_status zs_sweep_measure_speed(const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                                 zs_sweep_speed **speeds, zs_error *err) {
    *speeds = NULL;
    size_t n = spec->n_datasets * spec->n_models;
    zs_sweep_speed *sp = zs_calloc(n, sizeof *sp, "step timings", err);
    if (!sp) return ZS_ERR_NOMEM;
    zs_status s = ZS_OK;
    for (size_t d = 0; !s && d < spec->n_datasets; d++)
        for (size_t m = 0; !s && m < spec->n_models; m++) {
            zs_model_config c = spec->models[m].model;
            size_t same = SIZE_MAX; /* an earlier dataset with the same vocabulary */
            for (size_t e = 0; e < d && same == SIZE_MAX; e++)
                if (plan->data[e].vocab == plan->data[d].vocab &&
                    spec->datasets[e].kind == spec->datasets[d].kind &&
                    spec->datasets[e].kind != ZS_SWEEP_DATA_PARITY)
                    same = e;
            zs_sweep_speed *out = &sp[d * spec->n_models + m];
            if (same != SIZE_MAX) {
                *out = sp[same * spec->n_models + m];
            } else if (c.kind == ZS_MODEL_GPT) {
                c.gpt.vocab = plan->data[d].vocab;
                c.gpt.context = spec->context;
                s = time_gpt(&c.gpt, spec->batch, out, err);
            } else {
                c.mlp.n_tasks = (uint32_t)spec->datasets[d].parity.n_tasks;
                c.mlp.n_bits = (uint32_t)spec->datasets[d].parity.n_bits;
                s = time_mlp(&c.mlp, &spec->datasets[d].parity, spec->batch, out, err);
            }
        }
    if (s) {
        free(sp);
        sp = NULL;
    }
    *speeds = sp;
    return s;
}

double zs_sweep_estimate_s(const zs_sweep_spec *spec, const zs_sweep_plan_run *run,
                           const zs_sweep_speed *speeds) {
    const zs_sweep_speed *sp = &speeds[run->dataset * spec->n_models + run->model];
    int gpt = spec->models[run->model].model.kind == ZS_MODEL_GPT;
    uint64_t per_batch = gpt ? (uint64_t)spec->batch * spec->context : spec->batch;
    uint64_t eval_units = gpt ? spec->eval_tokens : spec->parity_test_size;
    uint64_t eval_batches = (eval_units + per_batch - 1) / per_batch;
    uint64_t evals = spec->evals < run->steps ? spec->evals : run->steps;
    return (double)run->steps * sp->step_s + (double)(evals * eval_batches) * sp->forward_s;
}
