/* The ledger read and tended from the command line: counts, the table of runs with the
 * failures' messages (`sweep status`), and putting failed or diverged runs back
 * (`sweep retry`). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"

zs_status zs_sweep_status(const char *dir, zs_sweep_counts *counts, zs_error *err) {
    zs_ledger *lg = NULL;
    zs_status s = zs_ledger_open_union(&lg, dir, NULL, 0, err);
    if (!s) s = zs_ledger_counts(lg, counts, err);
    zs_ledger_close(lg);
    if (s) memset(counts, 0, sizeof *counts);
    return s;
}

static void print_run(FILE *out, const zs_ledger_run *r) {
    char loss[32] = "-";
    if (isfinite(r->final_loss)) snprintf(loss, sizeof loss, "%.4f", r->final_loss);
    fprintf(out, "%-16s %-14s %-10s %12llu %5llu %10llu %-10s %3d %10s %8.1f  %s\n", r->id,
            r->dataset, r->model, (unsigned long long)r->tokens, (unsigned long long)r->seed,
            (unsigned long long)r->n_params_nonembed, zs_run_status_name(r->status), r->attempts,
            loss, isfinite(r->wall_s) ? r->wall_s : 0.0,
            r->status == ZS_RUN_RUNNING ? r->worker : "");
}

zs_status zs_sweep_status_print(const char *dir, FILE *out, zs_error *err) {
    zs_ledger *lg = NULL;
    zs_ledger_run *runs = NULL;
    size_t n = 0;
    zs_sweep_counts c;
    zs_status s = zs_ledger_open_union(&lg, dir, NULL, 0, err);
    if (!s) s = zs_ledger_counts(lg, &c, err);
    if (!s) s = zs_ledger_runs(lg, &runs, &n, err);
    zs_ledger_close(lg);
    if (s) return s;
    fprintf(out,
            "%s: %zu runs: %zu completed, %zu running, %zu pending, %zu diverged, %zu failed "
            "(%zu retired from earlier specs)\n\n",
            dir, c.total, c.completed, c.running, c.pending, c.diverged, c.failed, c.retired);
    fprintf(out, "%-16s %-14s %-10s %12s %5s %10s %-10s %3s %10s %8s  %s\n", "id", "dataset",
            "model", "D", "seed", "N nonemb", "status", "try", "loss", "secs", "worker");
    for (size_t i = 0; i < n; i++)
        if (!runs[i].retired) print_run(out, &runs[i]);
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        const zs_ledger_run *r = &runs[i];
        if (r->retired || !r->message[0] || r->status == ZS_RUN_COMPLETED) continue;
        if (!any++) fprintf(out, "\nmessages:\n");
        fprintf(out, "  %s (%s, %s, D=%llu): %s: %s\n", r->id, r->dataset, r->model,
                (unsigned long long)r->tokens, zs_run_status_name(r->status), r->message);
    }
    free(runs);
    if (ferror(out)) return zs_fail(err, ZS_ERR_IO, "%s: cannot write the status table", dir);
    return ZS_OK;
}

/* A run that starts over must not resume: its checkpoint goes. */
static void forget_checkpoint(const char *dir, const char *id) {
    char path[4300];
    snprintf(path, sizeof path, "%s/runs/%s/checkpoint.safetensors", dir, id);
    unlink(path);
}

/* Every ledger of the directory: the failed runs are put back in the one that recorded
 * them (a shard's run goes back to its shard). */
zs_status zs_sweep_retry(const char *dir, int failed, int diverged, size_t *n, zs_error *err) {
    zs_ledger *all = NULL;
    zs_ledger_run *runs = NULL;
    char **paths = NULL;
    size_t n_runs = 0, n_paths = 0;
    *n = 0;
    zs_status s = zs_ledger_open_union(&all, dir, NULL, 0, err);
    if (!s) s = zs_ledger_runs(all, &runs, &n_runs, err);
    zs_ledger_close(all);
    for (size_t i = 0; !s && i < n_runs; i++) {
        const zs_ledger_run *r = &runs[i];
        if (!r->retired && ((failed && r->status == ZS_RUN_FAILED) ||
                            (diverged && r->status == ZS_RUN_DIVERGED))) {
            forget_checkpoint(dir, r->id);
            (*n)++;
        }
    }
    if (!s) s = zs_sweep_ledger_files(dir, &paths, &n_paths, err);
    for (size_t i = 0; !s && i < n_paths; i++) {
        zs_ledger *lg = NULL;
        size_t k = 0;
        s = zs_ledger_open_file(&lg, paths[i], 0, -1, err);
        if (!s) s = zs_ledger_retry(lg, failed, diverged, &k, err);
        zs_ledger_close(lg);
    }
    zs_sweep_ledger_files_free(paths, n_paths);
    free(runs);
    if (s) *n = 0;
    return s;
}
