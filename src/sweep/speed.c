/* How long a step of each (dataset, model) pair takes here, measured: the model is built
 * with one thread, as a sweep worker builds it, and two forward + backward passes run on
 * random data; the second is timed. `sweep plan` turns it into each run's estimate. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_internal.h"

static zs_status time_gpt(const zs_gpt_config *cfg, uint32_t batch, double *sec, zs_error *err) {
    zs_gpt *gpt = NULL;
    size_t n = (size_t)batch * cfg->context;
    uint32_t *tok = zs_calloc(n + 1, sizeof *tok, "timing tokens", err);
    zs_status s = tok ? zs_gpt_create(&gpt, cfg, batch, ZS_PRECISION_FP32, 1, err) : ZS_ERR_NOMEM;
    if (!s) {
        zs_rng rng;
        zs_rng_seed(&rng, 0, 0);
        for (size_t i = 0; i <= n; i++) tok[i] = (uint32_t)zs_rng_below(&rng, cfg->vocab);
        zs_gpt_init(gpt, 0);
    }
    double t0 = 0, loss;
    for (int rep = 0; !s && rep < 2; rep++) {
        t0 = omp_get_wtime();
        zs_gpt_zero_grad(gpt);
        s = zs_gpt_forward(gpt, tok, tok + 1, batch, cfg->context, &loss, NULL, err);
        if (!s) s = zs_gpt_backward(gpt, 1.0f, err);
    }
    *sec = omp_get_wtime() - t0;
    zs_gpt_free(gpt);
    free(tok);
    return s;
}

static zs_status time_mlp(const zs_mlp_config *cfg, const zs_parity_spec *spec, uint32_t batch,
                          double *sec, zs_error *err) {
    zs_parity_task task;
    zs_parity_batch b;
    zs_mlp *mlp = NULL;
    memset(&b, 0, sizeof b);
    zs_status s = zs_parity_init(&task, spec, err);
    if (s) return s;
    s = zs_parity_batch_alloc(&b, &task, batch, err);
    zs_parity_stream stream = {.kind = ZS_PARITY_ONLINE};
    if (!s) s = zs_parity_fill(&task, &stream, 0, &b, 1, err);
    if (!s) s = zs_mlp_create(&mlp, cfg, batch, 1, err);
    if (!s) zs_mlp_init(mlp, 0);
    double t0 = 0, loss;
    for (int rep = 0; !s && rep < 2; rep++) {
        t0 = omp_get_wtime();
        zs_mlp_zero_grad(mlp);
        s = zs_mlp_forward(mlp, &b, &loss, NULL, err);
        if (!s) s = zs_mlp_backward(mlp, 1.0f, err);
    }
    *sec = omp_get_wtime() - t0;
    zs_mlp_free(mlp);
    zs_parity_batch_free(&b);
    zs_parity_free(&task);
    return s;
}

zs_status zs_sweep_measure_speed(const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                                 double **sec_per_step, zs_error *err) {
    size_t n = spec->n_datasets * spec->n_models;
    double *sec = zs_calloc(n, sizeof *sec, "step timings", err);
    if (!sec) return ZS_ERR_NOMEM;
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
            if (same != SIZE_MAX) {
                sec[d * spec->n_models + m] = sec[same * spec->n_models + m];
            } else if (c.kind == ZS_MODEL_GPT) {
                c.gpt.vocab = plan->data[d].vocab;
                c.gpt.context = spec->context;
                s = time_gpt(&c.gpt, spec->batch, &sec[d * spec->n_models + m], err);
            } else {
                c.mlp.n_tasks = (uint32_t)spec->datasets[d].parity.n_tasks;
                c.mlp.n_bits = (uint32_t)spec->datasets[d].parity.n_bits;
                s = time_mlp(&c.mlp, &spec->datasets[d].parity, spec->batch,
                             &sec[d * spec->n_models + m], err);
            }
        }
    if (s) {
        free(sec);
        sec = NULL;
    }
    *sec_per_step = sec;
    return s;
}
