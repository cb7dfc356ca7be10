/* The sweep's progress display: a live line on a terminal (done / running / failed /
 * pending and an ETA from the measured throughput), plain lines otherwise. */
#ifndef ZS_SWEEP_PROGRESS_H
#define ZS_SWEEP_PROGRESS_H

#include "sweep/sweep_internal.h"

typedef struct {
    FILE *out; /* NULL: quiet */
    int tty;
    double t0, last_draw;
    int jobs;
    int line_open; /* a live line is on the screen */
} zs_sweep_progress;

void zs_sweep_progress_init(zs_sweep_progress *p, FILE *out, int tty);
void zs_sweep_progress_start(zs_sweep_progress *p, const zs_sweep_plan *plan,
                             const zs_ledger_sync_counts *sync, int jobs);
/* A shard's share: its runs, and how many of them other ledgers hold as finished. */
void zs_sweep_progress_shard(zs_sweep_progress *p, size_t index, size_t count, size_t runs,
                             size_t done_elsewhere);
void zs_sweep_progress_dataset(zs_sweep_progress *p, const char *name);
/* A run's outcome as the ledger now has it. */
/* A run finished (or went back to pending); `where` ("" or e.g. " on rank 2 (node7)")
 * follows the run's id. */
void zs_sweep_progress_finished(zs_sweep_progress *p, zs_ledger *lg, const char *id,
                                const char *where);
/* Under MPI: the ranks and each one's jobs (ranks_per_run 1), or their groups. */
void zs_sweep_progress_mpi(zs_sweep_progress *p, int ranks, int jobs, int ranks_per_run);
/* Under MPI: rank `rank` on host went silent for `silent_s` and is taken for dead. */
void zs_sweep_progress_lost(zs_sweep_progress *p, int rank, const char *host, double silent_s);
/* Redraws the live line (at most twice a second). */
void zs_sweep_progress_tick(zs_sweep_progress *p, zs_ledger *lg, int running);
void zs_sweep_progress_end(zs_sweep_progress *p, const zs_sweep_counts *counts);

/* Seconds left: the remaining runs' FLOPs at the throughput the completed runs measured,
 * spread over `jobs`; NAN before any run has finished. */
double zs_sweep_eta_s(const zs_ledger_run *runs, size_t n, int jobs);

#endif
