/* Benchmark of the sweep engine: one small sweep (a PCFG, four GPT sizes, three budgets)
 * run with one job and with two, in-process through zs_sweep_run. Prints the scheduler's
 * and ledger's share of the one-job wall time (everything but dataset preparation and the
 * runs' own training time) and the training throughput of two jobs over one, measured in
 * the same process. Not part of `make test`; docs/PERFORMANCE.md records the numbers. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"

static const char spec_text[] =
    "name: bench\n"
    "datasets:\n"
    "  - {name: g, pcfg: {nonterminals: 10, terminals: 150, max_options: 5, max_length: 3, "
    "seed: 1}, tokens: 1048576}\n"
    "models:\n"
    "  - {name: d16, d_model: 16, layers: 1, heads: 1}\n"
    "  - {name: d24, d_model: 24, layers: 1, heads: 2}\n"
    "  - {name: d32, d_model: 32, layers: 2, heads: 2}\n"
    "  - {name: d48, d_model: 48, layers: 2, heads: 2}\n"
    "budgets: [200000, 400000, 800000]\n"
    "train: {batch: 4, min_steps: 150}\n";

typedef struct {
    double wall_s, prep_s, train_s, flops;
    size_t runs;
} sweep_time;

static int measure(const char *root, int jobs, sweep_time *t, zs_error *err) {
    char dir[512], spec[600];
    snprintf(dir, sizeof dir, "%s/jobs%d", root, jobs);
    snprintf(spec, sizeof spec, "%s/spec.yaml", root);
    zs_sweep_run_opts o;
    zs_sweep_run_opts_init(&o);
    o.jobs = jobs;
    o.analyse = 0;
    zs_sweep_counts c;
    memset(t, 0, sizeof *t);
    double t0 = omp_get_wtime();
    if (zs_sweep_run(spec, dir, &o, &c, err)) return -1;
    t->wall_s = omp_get_wtime() - t0;
    zs_ledger *lg = NULL;
    zs_ledger_run *runs = NULL;
    zs_ledger_dataset *ds = NULL;
    size_t n = 0, n_ds = 0;
    if (zs_ledger_open(&lg, dir, 0, err) || zs_ledger_runs(lg, &runs, &n, err) ||
        zs_ledger_datasets(lg, &ds, &n_ds, err)) {
        zs_ledger_close(lg);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        t->train_s += runs[i].wall_s;
        t->flops += runs[i].flops_exact;
    }
    for (size_t i = 0; i < n_ds; i++) t->prep_s += ds[i].seconds;
    t->runs = n;
    free(runs);
    free(ds);
    zs_ledger_close(lg);
    return c.completed == n ? 0 : -1;
}

int main(void) {
    char root[] = "/tmp/zipscale_bench_sweep_XXXXXX";
    if (!mkdtemp(root)) return 1;
    char spec[600];
    snprintf(spec, sizeof spec, "%s/spec.yaml", root);
    zs_error err;
    if (zs_write_file_atomic(spec, spec_text, strlen(spec_text), &err)) {
        fprintf(stderr, "bench_sweep: %s\n", err.msg);
        return 1;
    }
    sweep_time one, two;
    if (measure(root, 1, &one, &err) || measure(root, 2, &two, &err)) {
        fprintf(stderr, "bench_sweep: %s\n", err.msg);
        return 1;
    }
    double w1 = one.wall_s, w2 = two.wall_s;
    double book1 = w1 - one.prep_s - one.train_s;
    printf("sweep of %zu runs, %.3g training FLOPs (one PCFG, d_model 16-48, 200K-800K tokens)\n",
           one.runs, one.flops);
    printf("1 job:  wall %.2f s = datasets %.2f s + training %.2f s + scheduling and ledger "
           "%.3f s (%.2f%% of the wall time)\n",
           w1, one.prep_s, one.train_s, book1, 100 * book1 / w1);
    printf("2 jobs: wall %.2f s (datasets %.2f s, training %.2f s of run time)\n", w2, two.prep_s,
           two.train_s);
    double share = 100 * book1 / w1, speedup = (w1 - one.prep_s) / (w2 - two.prep_s);
    printf("training throughput, 2 jobs / 1 job (wall minus dataset preparation): %.2fx\n",
           speedup);
    printf("targets: scheduling and ledger < 1%% of the wall time: %s; 2 jobs >= 1.8x: %s\n",
           share < 1 ? "met" : "NOT met", speedup >= 1.8 ? "met" : "NOT met");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : 1;
}
