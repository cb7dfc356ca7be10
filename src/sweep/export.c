/* The sweep's results as a runs table (DIR/runs.csv): one row per completed run that the
 * current spec still names, in the spec's order, with the columns `zipscale fit` reads.
 * Also the spec as the ledger stored it, which the analysis and the export share. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_internal.h"

zs_status zs_sweep_ledger_spec(zs_ledger *lg, const char *dir, zs_sweep_spec *spec, zs_error *err) {
    char *text = NULL, *base = NULL, *path = NULL;
    int found = 0, found_base = 0, found_path = 0;
    zs_status s = zs_ledger_meta_text(lg, "spec_text", &text, &found, err);
    if (!s) s = zs_ledger_meta_text(lg, "spec_base_dir", &base, &found_base, err);
    if (!s) s = zs_ledger_meta_text(lg, "spec_path", &path, &found_path, err);
    if (!s && !found)
        s = zs_fail(err, ZS_ERR_FORMAT, "%s/sweep.db: no spec recorded; run `zipscale sweep run`",
                    dir);
    if (!s)
        s = zs_sweep_spec_parse(text, strlen(text), found_path ? path : "spec",
                                found_base ? base : ".", spec, err);
    free(text);
    free(base);
    free(path);
    return s;
}

static const zs_ledger_dataset *dataset_of(const zs_ledger_dataset *ds, size_t n, const char *id) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(ds[i].id, id) == 0) return &ds[i];
    return NULL;
}

static void put_real(FILE *f, double x) {
    if (isfinite(x))
        fprintf(f, "%.17g", x);
    else
        fputs("nan", f);
}

/* The e_max column: the derivation entropy per token with analysis.bound_e. With fix_e
 * it becomes E itself, which only holds when no run went below it (a run that did shows
 * the grammar is ambiguous: its entropy rate is lower): such a dataset's E is left free. */
static double e_max_of(const zs_sweep_spec *spec, const zs_ledger_dataset *d,
                       const zs_ledger_run *runs, size_t n) {
    if (!spec->bound_e || !d) return NAN;
    double floor = d->entropy_nats_per_token;
    for (size_t i = 0; spec->fix_e && i < n; i++)
        if (!runs[i].retired && runs[i].status == ZS_RUN_COMPLETED &&
            strcmp(runs[i].data_id, d->id) == 0 && runs[i].final_loss < floor)
            return NAN;
    return floor;
}

static void write_row(FILE *f, const zs_sweep_spec *spec, const zs_ledger_run *r,
                      const zs_ledger_dataset *d, double e_max) {
    double n = spec->fit_nonembed ? (double)r->n_params_nonembed : (double)r->n_params;
    fprintf(f, "%s,%.17g,%llu,", r->dataset, n, (unsigned long long)r->tokens);
    put_real(f, r->final_loss);
    fputc(',', f);
    put_real(f, d ? d->h : NAN);
    fprintf(f, ",%.17g,%llu,%llu,%llu,%llu,", 6.0 * n * (double)r->tokens,
            (unsigned long long)r->seed, (unsigned long long)r->steps,
            (unsigned long long)r->n_params, (unsigned long long)r->n_params_nonembed);
    put_real(f, e_max);
    fprintf(f, ",%s,%llu,", r->model, (unsigned long long)r->budget);
    put_real(f, r->min_loss);
    fprintf(f, ",%.3f,%s\n", r->wall_s, r->id);
}

/* Spec order: dataset, model, budget, seed (the order a reader expects, whatever order
 * the runs finished in). */
static int spec_order(const void *a, const void *b) {
    const zs_sweep_plan_run *x = *(const zs_sweep_plan_run *const *)a;
    const zs_sweep_plan_run *y = *(const zs_sweep_plan_run *const *)b;
    if (x->dataset != y->dataset) return x->dataset < y->dataset ? -1 : 1;
    if (x->model != y->model) return x->model < y->model ? -1 : 1;
    if (x->budget != y->budget) return x->budget < y->budget ? -1 : 1;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

static const zs_ledger_run *run_of(const zs_ledger_run *runs, size_t n, const char *id) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(runs[i].id, id) == 0) return &runs[i];
    return NULL;
}

zs_status zs_sweep_export_ledger(zs_ledger *lg, const zs_sweep_spec *spec,
                                 const zs_sweep_plan *plan, const char *csv_path, size_t *rows,
                                 zs_error *err) {
    zs_ledger_run *runs = NULL;
    zs_ledger_dataset *ds = NULL;
    size_t n = 0, n_ds = 0;
    *rows = 0;
    const zs_sweep_plan_run **order = zs_calloc(plan->n_runs + 1, sizeof *order, "run order", err);
    zs_status s = order ? zs_ledger_runs(lg, &runs, &n, err) : ZS_ERR_NOMEM;
    if (!s) s = zs_ledger_datasets(lg, &ds, &n_ds, err);
    for (size_t i = 0; !s && i < plan->n_runs; i++) order[i] = &plan->runs[i];
    if (!s) qsort(order, plan->n_runs, sizeof *order, spec_order);
    zs_atomic_file af;
    if (!s) s = zs_atomic_open(&af, csv_path, err);
    if (!s) {
        fputs("dataset,N,D,loss,H,flops,seed,steps,n_params,n_params_nonembed,e_max,model,budget,"
              "min_loss,wall_s,id\n",
              af.fp);
        for (size_t i = 0; i < plan->n_runs; i++) {
            const zs_ledger_run *r = run_of(runs, n, order[i]->id);
            if (!r || r->retired || r->status != ZS_RUN_COMPLETED) continue;
            const zs_ledger_dataset *d = dataset_of(ds, n_ds, r->data_id);
            write_row(af.fp, spec, r, d, e_max_of(spec, d, runs, n));
            (*rows)++;
        }
        s = zs_atomic_commit(&af, err);
    }
    free(order);
    free(runs);
    free(ds);
    return s;
}

zs_status zs_sweep_export(const char *dir, const char *csv_path, size_t *rows, zs_error *err) {
    zs_ledger *lg = NULL;
    zs_sweep_spec spec;
    zs_sweep_plan plan;
    memset(&spec, 0, sizeof spec);
    memset(&plan, 0, sizeof plan);
    *rows = 0;
    zs_status s = zs_ledger_open_union(&lg, dir, NULL, 0, err);
    if (!s) s = zs_sweep_ledger_spec(lg, dir, &spec, err);
    if (!s) s = zs_sweep_plan_build(&spec, &plan, err);
    if (!s) s = zs_sweep_export_ledger(lg, &spec, &plan, csv_path, rows, err);
    if (s) *rows = 0;
    zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    zs_ledger_close(lg);
    return s;
}
