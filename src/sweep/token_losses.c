/* A family of models for `zipscale quanta tokens` out of a finished sweep: the completed
 * GPT runs of one dataset, budget and seed, smallest first, each with its per-token
 * losses on the run's held-out windows (DIR/runs/ID/token_losses.npy), recomputed from
 * the run's final checkpoint when missing (zs_train_dump_token_losses: the run's last
 * evaluation, again) and checked against the loss the ledger recorded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_internal.h"

void zs_sweep_token_opts_init(zs_sweep_token_opts *opts) {
    memset(opts, 0, sizeof *opts);
}

/* The dataset's index in the spec: the named one, or the only one. */
static zs_status pick_dataset(const char *dir, const zs_sweep_spec *spec, const char *name,
                              size_t *out, zs_error *err) {
    if (!name && spec->n_datasets == 1) {
        *out = 0;
        return ZS_OK;
    }
    char names[1024] = "";
    for (size_t i = 0; i < spec->n_datasets; i++) {
        if (name && strcmp(spec->datasets[i].name, name) == 0) {
            *out = i;
            return ZS_OK;
        }
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", spec->datasets[i].name);
    }
    if (!name)
        return zs_fail_field(err, ZS_ERR_USAGE, "dataset",
                             "sweep %s has %zu datasets: name one of %s", dir, spec->n_datasets,
                             names);
    return zs_fail_field(err, ZS_ERR_USAGE, "dataset", "sweep %s: no dataset '%s'; it has %s", dir,
                         name, names);
}

static int counts_here(const zs_ledger_run *r, const char *dataset, uint64_t seed) {
    return !r->retired && r->status == ZS_RUN_COMPLETED && strcmp(r->dataset, dataset) == 0 &&
           r->seed == seed;
}

/* The budget: the one asked for, or the largest at which two or more models completed. */
static zs_status pick_budget(const char *dir, const zs_ledger_run *runs, size_t n,
                             const char *dataset, uint64_t seed, uint64_t asked, uint64_t *out,
                             zs_error *err) {
    uint64_t best = 0;
    for (size_t i = 0; i < n; i++) {
        if (!counts_here(&runs[i], dataset, seed)) continue;
        uint64_t b = runs[i].budget;
        size_t at = 0;
        for (size_t j = 0; j < n; j++)
            at += counts_here(&runs[j], dataset, seed) && runs[j].budget == b;
        if ((asked ? b == asked : b > best) && at >= 2) best = b;
    }
    if (best) {
        *out = best;
        return ZS_OK;
    }
    if (asked)
        return zs_fail_field(err, ZS_ERR_USAGE, "budget",
                             "sweep %s: fewer than two completed runs of dataset %s at budget "
                             "%llu, seed %llu (a family needs two models or more; see sweep "
                             "status)",
                             dir, dataset, (unsigned long long)asked, (unsigned long long)seed);
    return zs_fail_field(err, ZS_ERR_USAGE, "budget",
                         "sweep %s: no budget has two or more completed runs of dataset %s, "
                         "seed %llu (a family needs two models or more; see sweep status)",
                         dir, dataset, (unsigned long long)seed);
}

static int by_size(const void *a, const void *b) {
    const zs_sweep_token_dump *x = a, *y = b;
    if (x->n_params != y->n_params) return x->n_params < y->n_params ? -1 : 1;
    return strcmp(x->model, y->model);
}

/* The run's dump, made from its checkpoint when missing; checked against the ledger. */
static zs_status dump_run(const zs_sweep_spec *spec, const zs_sweep_plan *plan, const char *dir,
                          const zs_ledger_run *r, zs_sweep_token_dump *d, FILE *progress,
                          zs_error *err) {
    const zs_sweep_plan_run *run = zs_sweep_plan_find(plan, r->id);
    if (!run)
        return zs_fail(err, ZS_ERR_INTERNAL, "run %s: in the ledger but not in the plan", r->id);
    zs_sweep_run_paths paths;
    zs_train_opts opt;
    zs_status s =
        zs_sweep_run_train_opts(spec, plan, (size_t)(run - plan->runs), dir, &paths, &opt, err);
    if (s) return s;
    int n = snprintf(d->path, sizeof d->path, "%s/token_losses.npy", paths.out);
    char side[sizeof d->path + 8];
    snprintf(side, sizeof side, "%s.json", d->path);
    if (n < 0 || (size_t)n >= sizeof d->path)
        return zs_fail(err, ZS_ERR_USAGE, "%s: the run directory's path is too long", paths.out);
    snprintf(d->run_id, sizeof d->run_id, "%s", r->id);
    snprintf(d->model, sizeof d->model, "%s", r->model);
    d->n_params = r->n_params;
    d->n_params_nonembed = r->n_params_nonembed;
    d->final_loss = r->final_loss;
    d->dump_loss = NAN;
    if (zs_path_exists(d->path) && zs_path_exists(side)) return ZS_OK;
    if (progress)
        fprintf(progress, "token losses of run %s (%s, %llu parameters) from its checkpoint\n",
                r->id, r->model, (unsigned long long)r->n_params);
    s = zs_train_dump_token_losses(&opt, paths.out, d->path, &d->dump_loss, err);
    if (s) {
        char why[ZS_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err ? err->msg : "failed");
        return zs_fail(err, s, "run %s (%s): %s", r->id, r->model, why);
    }
    d->made = 1;
    /* The same evaluation as the run's last one: a different mean means the checkpoint is
     * not the run's final state (or another machine's arithmetic); say so, keep nothing. */
    if (!(fabs(d->dump_loss - r->final_loss) <= 1e-5 * fabs(r->final_loss))) {
        remove(d->path);
        remove(side);
        return zs_fail(err, ZS_ERR_FORMAT,
                       "run %s (%s): its checkpoint scores %.9g nats on the held-out windows, "
                       "the ledger recorded %.9g for its last evaluation: the checkpoint is not "
                       "the run's final one",
                       r->id, r->model, d->dump_loss, r->final_loss);
    }
    return ZS_OK;
}

zs_status zs_sweep_token_losses(const char *dir, const zs_sweep_token_opts *opts,
                                zs_sweep_token_family *out, zs_error *err) {
    memset(out, 0, sizeof *out);
    zs_ledger *lg = NULL;
    zs_sweep_spec spec;
    zs_sweep_plan plan;
    memset(&spec, 0, sizeof spec);
    memset(&plan, 0, sizeof plan);
    zs_ledger_run *runs = NULL;
    size_t n_runs = 0, dataset = 0;
    zs_status s = zs_ledger_open_union(&lg, dir, NULL, 0, err);
    if (!s) s = zs_sweep_ledger_spec(lg, dir, &spec, err);
    if (!s) s = zs_sweep_plan_build(&spec, &plan, err);
    if (!s) s = zs_ledger_runs(lg, &runs, &n_runs, err);
    if (!s) s = pick_dataset(dir, &spec, opts->dataset, &dataset, err);
    const zs_sweep_dataset *ds = s ? NULL : &spec.datasets[dataset];
    if (!s && ds->kind == ZS_SWEEP_DATA_PARITY)
        s = zs_fail_field(err, ZS_ERR_USAGE, "dataset",
                          "sweep %s: dataset %s is a parity task; per-token losses are a GPT's "
                          "on tokens",
                          dir, ds->name);
    uint64_t seed = 0;
    if (!s) seed = opts->has_seed ? opts->seed : spec.seeds[0];
    if (!s) s = pick_budget(dir, runs, n_runs, ds->name, seed, opts->budget, &out->budget, err);
    if (!s) {
        for (size_t i = 0; i < n_runs; i++)
            out->n += counts_here(&runs[i], ds->name, seed) && runs[i].budget == out->budget;
        out->dumps = zs_calloc(out->n, sizeof *out->dumps, "token-loss family", err);
        if (!out->dumps) s = ZS_ERR_NOMEM;
    }
    for (size_t i = 0, k = 0; !s && i < n_runs; i++)
        if (counts_here(&runs[i], ds->name, seed) && runs[i].budget == out->budget)
            s = dump_run(&spec, &plan, dir, &runs[i], &out->dumps[k++], opts->progress, err);
    if (!s) {
        qsort(out->dumps, out->n, sizeof *out->dumps, by_size);
        snprintf(out->dataset, sizeof out->dataset, "%s", ds->name);
        out->seed = seed;
    }
    free(runs);
    zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    zs_ledger_close(lg);
    if (s) zs_sweep_token_family_free(out);
    return s;
}

void zs_sweep_token_family_free(zs_sweep_token_family *f) {
    free(f->dumps);
    memset(f, 0, sizeof *f);
}
