/* A sweep's plan: the runs its spec names (datasets x models x budgets x seeds), each with
 * its identity (canonical JSON of what decides its numbers) and id (the identity's hash),
 * its size and cost; and the trainer's options for one run. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_internal.h"
#include "zipscale/tokens.h"

/* The id of a canonical JSON text: its SHA-256's first 16 hex digits. */
static void id_of(const char *identity, char id[ZS_SWEEP_ID_LEN + 1]) {
    char hex[65];
    zs_sha256_hex(identity, strlen(identity), hex);
    memcpy(id, hex, ZS_SWEEP_ID_LEN);
    id[ZS_SWEEP_ID_LEN] = '\0';
}

static char *canonical(json_t *j, zs_error *err) {
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!text) zs_fail(err, ZS_ERR_NOMEM, "out of memory (a run's identity)");
    return text;
}

/* A token file's vocabulary as the trainer takes it: the sidecar's, else the largest id + 1;
 * and its SHA-256 and length. */
static zs_status file_facts(const char *path, uint64_t *vocab, uint64_t *n_tokens, char sha[65],
                            zs_error *err) {
    zs_tokens t;
    zs_status s = zs_tokens_open(&t, path, NULL, err);
    if (s) return s;
    uint64_t lo = 0, hi = 0;
    *n_tokens = t.n_tokens;
    *vocab = t.vocab_size;
    if (!*vocab && t.n_tokens && !(s = zs_tokens_id_range(&t, &lo, &hi, err))) *vocab = hi + 1;
    zs_tokens_close(&t);
    return s ? s : zs_sha256_file(path, sha, err);
}

static json_t *knobs_json(const zs_pcfg_knobs *k) {
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "nonterminals", (json_int_t)k->nonterminals,
                     "terminals", (json_int_t)k->terminals, "max_options",
                     (json_int_t)k->max_options, "max_length", (json_int_t)k->max_length, "seed",
                     (json_int_t)k->seed);
}

static zs_status data_identity(const zs_sweep_spec *spec, const zs_sweep_dataset *d,
                               zs_sweep_data_id *out, zs_error *err) {
    json_t *j = NULL;
    zs_status s = ZS_OK;
    if (d->kind == ZS_SWEEP_DATA_PCFG) {
        out->vocab = d->knobs.terminals + 1; /* separator 0, terminals 1..T */
        out->n_tokens = d->tokens;
        j = json_pack("{s:s, s:o, s:I, s:I, s:I}", "kind", "pcfg", "knobs", knobs_json(&d->knobs),
                      "tokens", (json_int_t)d->tokens, "val_tokens", (json_int_t)d->val_tokens,
                      "context", (json_int_t)spec->context);
    } else if (d->kind == ZS_SWEEP_DATA_FILE) {
        char sha[65], val_sha[65] = "";
        uint64_t vocab = 0, val_vocab = 0, n_val = 0;
        s = file_facts(d->path, &vocab, &out->n_tokens, sha, err);
        if (!s && d->val_path) s = file_facts(d->val_path, &val_vocab, &n_val, val_sha, err);
        if (s) return s;
        if (val_vocab > vocab) vocab = val_vocab;
        if (vocab > UINT32_MAX)
            return zs_fail(err, ZS_ERR_RANGE, "%s: vocabulary %llu is too large for the GPT",
                           d->path, (unsigned long long)vocab);
        out->vocab = (uint32_t)vocab;
        j = json_pack("{s:s, s:s, s:o, s:o}", "kind", "file", "sha256", sha, "val_sha256",
                      d->val_path ? json_string(val_sha) : json_null(), "val_fraction",
                      d->val_path ? json_null() : json_real(spec->val_fraction));
    } else {
        const zs_parity_spec *p = &d->parity;
        j = json_pack("{s:s, s:I, s:I, s:I, s:f, s:I, s:I}", "kind", "parity", "n_tasks",
                      (json_int_t)p->n_tasks, "n_bits", (json_int_t)p->n_bits, "k",
                      (json_int_t)p->k, "zipf_exponent", p->zipf_exponent, "seed",
                      (json_int_t)p->seed, "test_size", (json_int_t)spec->parity_test_size);
        /* Keys added later enter only when set, so older sweeps keep their run ids. */
        if (d->train_size)
            json_object_set_new(j, "train_size", json_integer((json_int_t)d->train_size));
        if (spec->parity_eval_per_subtask != 1000)
            json_object_set_new(j, "eval_per_subtask",
                                json_integer((json_int_t)spec->parity_eval_per_subtask));
    }
    if (!(out->identity = canonical(j, err))) return ZS_ERR_NOMEM;
    id_of(out->identity, out->id);
    return ZS_OK;
}

/* The model's full config with the data's sizes filled in. */
static zs_model_config model_for(const zs_sweep_spec *spec, const zs_sweep_model *m,
                                 const zs_sweep_dataset *d, const zs_sweep_data_id *did) {
    zs_model_config c = m->model;
    if (c.kind == ZS_MODEL_GPT) {
        c.gpt.vocab = did->vocab;
        c.gpt.context = spec->context;
    } else {
        c.mlp.n_tasks = (uint32_t)d->parity.n_tasks;
        c.mlp.n_bits = (uint32_t)d->parity.n_bits;
    }
    return c;
}

double zs_sweep_model_lr(const zs_sweep_spec *spec, const zs_sweep_model *m) {
    if (m->lr > 0) return m->lr;
    if (spec->lr > 0) return spec->lr;
    double width = m->model.kind == ZS_MODEL_GPT ? m->model.gpt.d_model : m->model.mlp.width;
    return spec->lr_c * pow(width, -spec->lr_p);
}

uint64_t zs_sweep_per_step(const zs_sweep_spec *spec, const zs_sweep_model *m) {
    return m->model.kind == ZS_MODEL_GPT ? (uint64_t)spec->batch * spec->context : spec->batch;
}

static json_t *model_json(const zs_model_config *c) {
    if (c->kind == ZS_MODEL_GPT)
        return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "kind", "gpt", "vocab",
                         (json_int_t)c->gpt.vocab, "context", (json_int_t)c->gpt.context, "d_model",
                         (json_int_t)c->gpt.d_model, "layers", (json_int_t)c->gpt.layers, "heads",
                         (json_int_t)c->gpt.heads, "mlp_hidden", (json_int_t)c->gpt.mlp_hidden);
    return json_pack("{s:s, s:I, s:I, s:I, s:I}", "kind", "mlp", "n_tasks",
                     (json_int_t)c->mlp.n_tasks, "n_bits", (json_int_t)c->mlp.n_bits, "width",
                     (json_int_t)c->mlp.width, "depth", (json_int_t)c->mlp.depth);
}

/* Everything of the spec's train section that decides a run's numbers. */
static json_t *train_json(const zs_sweep_spec *spec, double lr) {
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:I, s:I}", "batch",
                  (json_int_t)spec->batch, "precision", zs_precision_name(spec->precision),
                  "schedule", zs_lr_kind_name(spec->schedule), "lr", lr, "lr_min_ratio",
                  spec->lr_min_ratio, "warmup_fraction", spec->warmup_fraction, "weight_decay",
                  spec->weight_decay, "grad_clip", spec->grad_clip, "eval_tokens",
                  (json_int_t)spec->eval_tokens, "evals", (json_int_t)spec->evals);
    if (j && spec->early_stop_patience) { /* only when on: older sweeps keep their run ids */
        json_object_set_new(j, "early_stop_patience",
                            json_integer((json_int_t)spec->early_stop_patience));
        json_object_set_new(j, "early_stop_after",
                            json_integer((json_int_t)spec->early_stop_after));
    }
    return j;
}

static zs_status run_fill(const zs_sweep_spec *spec, const zs_sweep_plan *plan, size_t d, size_t m,
                          size_t b, size_t sd, zs_sweep_plan_run *r, zs_error *err) {
    const zs_sweep_model *model = &spec->models[m];
    zs_model_config c = model_for(spec, model, &spec->datasets[d], &plan->data[d]);
    uint64_t per_step = zs_sweep_per_step(spec, model);
    r->dataset = d;
    r->model = m;
    r->budget = spec->budgets[b];
    r->seed = spec->seeds[sd];
    r->steps = (r->budget + per_step - 1) / per_step;
    r->tokens = r->steps * per_step;
    r->lr = zs_sweep_model_lr(spec, model);
    if (c.kind == ZS_MODEL_GPT) {
        r->n_params = zs_gpt_params_total(&c.gpt);
        r->n_params_nonembed = zs_gpt_params_nonembed(&c.gpt);
        r->flops_exact = r->steps * zs_gpt_flops_train(&c.gpt, spec->batch, spec->context);
    } else {
        r->n_params = r->n_params_nonembed = zs_mlp_params_total(&c.mlp);
        r->flops_exact = r->steps * zs_mlp_flops_train(&c.mlp, spec->batch);
    }
    r->flops = 6.0 * (double)r->n_params * (double)r->tokens;
    json_t *data = json_loads(plan->data[d].identity, 0, NULL);
    json_t *j = json_pack("{s:o, s:o, s:I, s:I, s:o}", "data", data ? data : json_null(), "model",
                          model_json(&c), "budget", (json_int_t)r->budget, "seed",
                          (json_int_t)r->seed, "train", train_json(spec, r->lr));
    if (!(r->identity = canonical(j, err))) return ZS_ERR_NOMEM;
    id_of(r->identity, r->id);
    return ZS_OK;
}

static int run_order(const void *a, const void *b) {
    const zs_sweep_plan_run *x = a, *y = b;
    if (x->flops_exact != y->flops_exact) return x->flops_exact > y->flops_exact ? -1 : 1;
    return strcmp(x->id, y->id);
}

zs_status zs_sweep_plan_build(const zs_sweep_spec *spec, zs_sweep_plan *plan, zs_error *err) {
    memset(plan, 0, sizeof *plan);
    size_t n = spec->n_datasets * spec->n_models * spec->n_budgets * spec->n_seeds;
    plan->data = zs_calloc(spec->n_datasets, sizeof *plan->data, "sweep datasets", err);
    plan->runs = zs_calloc(n ? n : 1, sizeof *plan->runs, "sweep runs", err);
    zs_status s = plan->data && plan->runs ? ZS_OK : ZS_ERR_NOMEM;
    for (size_t d = 0; !s && d < spec->n_datasets; d++)
        s = data_identity(spec, &spec->datasets[d], &plan->data[d], err);
    for (size_t d = 0; !s && d < spec->n_datasets; d++)
        for (size_t m = 0; !s && m < spec->n_models; m++)
            for (size_t b = 0; !s && b < spec->n_budgets; b++)
                for (size_t k = 0; !s && k < spec->n_seeds; k++)
                    s = run_fill(spec, plan, d, m, b, k, &plan->runs[plan->n_runs++], err);
    if (s) {
        zs_sweep_plan_free(plan, spec->n_datasets);
        return s;
    }
    qsort(plan->runs, plan->n_runs, sizeof *plan->runs, run_order);
    for (size_t i = 0; i < plan->n_runs; i++) plan->flops_exact_total += plan->runs[i].flops_exact;
    return ZS_OK;
}

void zs_sweep_plan_free(zs_sweep_plan *plan, size_t n_datasets) {
    if (!plan) return;
    if (plan->data)
        for (size_t d = 0; d < n_datasets; d++) free(plan->data[d].identity);
    for (size_t i = 0; plan->runs && i < plan->n_runs; i++) free(plan->runs[i].identity);
    free(plan->data);
    free(plan->runs);
    memset(plan, 0, sizeof *plan);
}

const zs_sweep_plan_run *zs_sweep_plan_find(const zs_sweep_plan *plan, const char *id) {
    for (size_t i = 0; i < plan->n_runs; i++)
        if (strcmp(plan->runs[i].id, id) == 0) return &plan->runs[i];
    return NULL;
}

/* ---- the trainer's options ------------------------------------------------------------ */

static uint64_t ceil_frac(double f, uint64_t n) {
    double x = ceil(f * (double)n);
    return x < 0 ? 0 : (uint64_t)x;
}

zs_status zs_sweep_run_train_opts(const zs_sweep_spec *spec, const zs_sweep_plan *plan, size_t run,
                                  const char *sweep_dir, zs_sweep_run_paths *paths,
                                  zs_train_opts *opt, zs_error *err) {
    const zs_sweep_plan_run *r = &plan->runs[run];
    const zs_sweep_dataset *d = &spec->datasets[r->dataset];
    zs_train_opts_init(opt);
    opt->model = model_for(spec, &spec->models[r->model], d, &plan->data[r->dataset]);
    opt->precision = spec->precision;
    opt->threads = 1;
    opt->order = ZS_ORDER_SHUFFLED;
    opt->eval_tokens = spec->eval_tokens;
    if (d->kind == ZS_SWEEP_DATA_PCFG) {
        zs_sweep_data_files(sweep_dir, d, &plan->data[r->dataset], paths->data, paths->val,
                            sizeof paths->data);
        opt->data_path = paths->data;
        opt->val_path = paths->val;
    } else if (d->kind == ZS_SWEEP_DATA_FILE) {
        opt->data_path = d->path;
        opt->val_path = d->val_path;
        opt->val_fraction = spec->val_fraction;
    } else {
        opt->parity = d->parity;
        opt->train_size = d->train_size;
        opt->test_size = spec->parity_test_size;
        opt->eval_per_subtask = spec->parity_eval_per_subtask;
    }
    opt->tokens = r->budget;
    opt->batch = spec->batch;
    opt->accum = 1;
    opt->adamw.weight_decay = spec->weight_decay;
    opt->schedule.kind = spec->schedule;
    opt->schedule.lr_max = r->lr;
    opt->schedule.lr_min = spec->lr_min_ratio * r->lr;
    opt->schedule.warmup_steps = ceil_frac(spec->warmup_fraction, r->steps);
    if (spec->schedule == ZS_LR_WSD) opt->schedule.decay_steps = ceil_frac(0.2, r->steps);
    opt->grad_clip = spec->grad_clip;
    opt->eval_every = (r->steps + spec->evals - 1) / spec->evals;
    opt->log_every = r->steps > 200 ? r->steps / 100 : 1;
    opt->checkpoint_every = spec->checkpoint_every;
    if (!opt->checkpoint_every) {
        opt->checkpoint_every = r->steps / 20;
        if (opt->checkpoint_every < 25) opt->checkpoint_every = 25;
    }
    opt->early_stop_patience = spec->early_stop_patience;
    opt->early_stop_after = spec->early_stop_after;
    opt->seed = r->seed;
    if (snprintf(paths->out, sizeof paths->out, "%s/runs/%s", sweep_dir, r->id) >=
        (int)sizeof paths->out)
        return zs_fail(err, ZS_ERR_USAGE, "%s: the sweep directory's path is too long", sweep_dir);
    opt->out_dir = paths->out;
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", paths->out);
    opt->resume = zs_path_exists(ckpt) ? paths->out : NULL;
    return ZS_OK;
}
