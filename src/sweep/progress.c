/* The sweep's progress display (sweep_progress.h): what a person watching a sweep sees.
 * On a terminal one line redrawn in place; in a log file one line per finished run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sweep/sweep_progress.h"

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void format_duration(double s, char *buf, size_t size) {
    if (!isfinite(s) || s < 0) {
        snprintf(buf, size, "?");
    } else if (s < 60) {
        snprintf(buf, size, "%.0fs", s);
    } else if (s < 3600) {
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    } else {
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    }
}

double zs_sweep_eta_s(const zs_ledger_run *runs, size_t n, int jobs) {
    double done_flops = 0, done_s = 0, left = 0;
    for (size_t i = 0; i < n; i++) {
        if (runs[i].retired) continue;
        if (runs[i].status == ZS_RUN_COMPLETED && runs[i].wall_s > 0) {
            done_flops += runs[i].flops_exact;
            done_s += runs[i].wall_s;
        } else if (runs[i].status == ZS_RUN_PENDING || runs[i].status == ZS_RUN_RUNNING) {
            left += runs[i].flops_exact;
        }
    }
    if (done_s <= 0 || done_flops <= 0) return NAN;
    return left / (done_flops / done_s) / (jobs > 0 ? jobs : 1);
}

void zs_sweep_progress_init(zs_sweep_progress *p, FILE *out, int tty) {
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = tty;
    p->t0 = mono_s();
}

static void clear_line(zs_sweep_progress *p) {
    if (p->line_open) fprintf(p->out, "\r\033[K");
    p->line_open = 0;
}

void zs_sweep_progress_start(zs_sweep_progress *p, const zs_sweep_plan *plan,
                             const zs_ledger_sync_counts *sync, int jobs) {
    p->jobs = jobs;
    if (!p->out) return;
    fprintf(p->out,
            "sweep: %zu runs (%zu new, %zu from the ledger, %zu retired), %.3g training FLOPs, "
            "%d job%s\n",
            plan->n_runs, sync->added, sync->reused, sync->retired, plan->flops_exact_total, jobs,
            jobs == 1 ? "" : "s");
    fflush(p->out);
}

void zs_sweep_progress_shard(zs_sweep_progress *p, size_t index, size_t count, size_t runs,
                             size_t done_elsewhere) {
    if (!p->out) return;
    fprintf(p->out, "sweep: shard %zu/%zu: %zu of the runs are this shard's", index, count,
            runs + done_elsewhere);
    if (done_elsewhere) fprintf(p->out, ", %zu of them finished in other ledgers", done_elsewhere);
    fputc('\n', p->out);
    fflush(p->out);
}

void zs_sweep_progress_dataset(zs_sweep_progress *p, const char *name) {
    if (!p->out) return;
    clear_line(p);
    fprintf(p->out, "sweep: preparing dataset %s\n", name);
    fflush(p->out);
}

void zs_sweep_progress_mpi(zs_sweep_progress *p, int ranks, int jobs, int ranks_per_run) {
    if (!p->out) return;
    if (ranks_per_run > 1)
        fprintf(p->out,
                "sweep: %d MPI ranks: rank 0 owns the ledger, %d groups of %d ranks each "
                "train one run at a time, data parallel\n",
                ranks, (ranks - 1) / ranks_per_run, ranks_per_run);
    else
        fprintf(p->out, "sweep: %d MPI ranks, %d job%s each; rank 0 owns the ledger\n", ranks, jobs,
                jobs == 1 ? "" : "s");
    fflush(p->out);
}

void zs_sweep_progress_lost(zs_sweep_progress *p, int rank, const char *host, double silent_s) {
    if (!p->out) return;
    clear_line(p);
    fprintf(
        p->out,
        "sweep: rank %d (%s) went silent for %.0f s: taken for dead, its runs go to the others\n",
        rank, host[0] ? host : "?", silent_s);
    fflush(p->out);
}

void zs_sweep_progress_finished(zs_sweep_progress *p, zs_ledger *lg, const char *id,
                                const char *where) {
    zs_ledger_run r;
    int found = 0;
    if (!p->out || zs_ledger_run_get(lg, id, &r, &found, NULL) || !found) return;
    clear_line(p);
    if (r.status == ZS_RUN_COMPLETED)
        fprintf(p->out, "sweep: %s%s %s %s D=%llu seed %llu: loss %.4f nats (%.1f s)\n", r.id,
                where, r.dataset, r.model, (unsigned long long)r.tokens, (unsigned long long)r.seed,
                r.final_loss, r.wall_s);
    else
        fprintf(p->out, "sweep: %s%s %s %s D=%llu seed %llu: %s%s%s\n", r.id, where, r.dataset,
                r.model, (unsigned long long)r.tokens, (unsigned long long)r.seed,
                zs_run_status_name(r.status), r.message[0] ? ": " : "", r.message);
    fflush(p->out);
}

void zs_sweep_progress_tick(zs_sweep_progress *p, zs_ledger *lg, int running) {
    double t = mono_s();
    if (!p->out || !p->tty || t - p->last_draw < 0.5) return;
    p->last_draw = t;
    zs_ledger_run *runs = NULL;
    size_t n = 0;
    if (zs_ledger_runs(lg, &runs, &n, NULL)) return;
    size_t done = 0, failed = 0, pending = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (runs[i].retired) continue;
        total++;
        done += runs[i].status == ZS_RUN_COMPLETED;
        failed += runs[i].status == ZS_RUN_FAILED || runs[i].status == ZS_RUN_DIVERGED;
        pending += runs[i].status == ZS_RUN_PENDING;
    }
    char eta[32], elapsed[32];
    format_duration(zs_sweep_eta_s(runs, n, p->jobs), eta, sizeof eta);
    format_duration(t - p->t0, elapsed, sizeof elapsed);
    free(runs);
    fprintf(p->out,
            "\r\033[Ksweep: %zu/%zu done, %d running, %zu failed, %zu pending; %s elapsed, "
            "ETA %s",
            done, total, running, failed, pending, elapsed, eta);
    p->line_open = 1;
    fflush(p->out);
}

void zs_sweep_progress_end(zs_sweep_progress *p, const zs_sweep_counts *c) {
    if (!p->out) return;
    clear_line(p);
    char elapsed[32];
    format_duration(mono_s() - p->t0, elapsed, sizeof elapsed);
    fprintf(p->out,
            "sweep: %s after %s: %zu completed, %zu diverged, %zu failed, %zu pending, %zu "
            "running elsewhere\n",
            c->interrupted ? "interrupted" : "done", elapsed, c->completed, c->diverged, c->failed,
            c->pending, c->running);
    fflush(p->out);
}
