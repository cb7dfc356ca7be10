/* The scheduler of `zipscale sweep run` (runner.c) as rank 0 of a sweep across MPI ranks
 * sees it (mpi_owner.c): its ledger, its own children, and the other ranks' slots and the
 * runs they are training. */
#ifndef ZS_SWEEP_RUNNER_H
#define ZS_SWEEP_RUNNER_H

#include "sweep/sweep_mpi.h"
#include "sweep/sweep_progress.h"

typedef struct {
    int hello;    /* it said hello: slots known */
    int member;   /* a group's rank other than its first (ranks_per_run > 1): no work, no
                     beats; its group's first rank speaks for it */
    int gone;     /* taken for dead, or left (bye): no more work */
    int slots;    /* runs it trains at once */
    int busy;     /* runs it is training */
    double heard; /* when it last said anything (zs_sweep_mono_s) */
    char host[64];
} zs_rank_state;

typedef struct {
    int rank;
    size_t index; /* the plan's */
} zs_flight;

typedef struct {
    zs_sweep_worker_ctx w;
    zs_ledger *lg;
    zs_children kids;
    int jobs, max_attempts;
    int train_jobs; /* runs trained here at once: jobs, or 0 on rank 0 of groups */
    zs_sweep_progress progress;
    int sharded;    /* a shard: its own ledger, only its runs */
    int others;     /* DIR holds ledgers other than this process's */
    char *needed;   /* per dataset: one of this process's runs trains on it */
    double stale_s; /* a running claim older than this is taken over */
    char ledger_path[4200];
    /* rank 0 of a sweep across MPI ranks (link NULL: one process) */
    zs_sweep_link *link;
    zs_comm *group;       /* ranks_per_run > 1: this rank's group (NULL on rank 0) */
    zs_rank_state *ranks; /* [size]; ranks[0] unused */
    zs_flight *flights;   /* the runs other ranks are training */
    size_t n_flights, cap_flights;
    double rank_timeout_s;
    int told_stop;
    int lost; /* a rank was taken for dead */
} zs_runner;

/* How a run ended, from a child of this process or a report of another rank: recorded in
 * the ledger (kind ZS_OUTCOME_*; FINISHED writes o, the others put the run back or fail it
 * as sweep_mpi.h says), then shown with `where` and the table exported. */
zs_status zs_runner_settle(zs_runner *r, size_t index, int kind, int signal,
                           const zs_sweep_outcome *o, const char *where, zs_error *err);

/* ---- rank 0's side of a sweep across MPI ranks (mpi_owner.c) ---- */
/* Errors: ZS_ERR_NOMEM. */
zs_status zs_owner_init(zs_runner *r, zs_error *err);
void zs_owner_free(zs_runner *r);
/* Reads every waiting message: hellos (a plan that differs is ZS_ERR_USAGE naming the
 * rank), beats (answered), results (settled), byes. *changed: a run went back to pending or
 * finished, so there may be work again. Errors: those of the ledger and of sending. */
zs_status zs_owner_service(zs_runner *r, int *changed, zs_error *err);
/* Claims a run for each free slot of the other ranks and sends it; *exhausted when none
 * was left to claim. */
zs_status zs_owner_hand_out(zs_runner *r, int *exhausted, zs_error *err);
/* A rank silent for rank_timeout_s is taken for dead: its runs are released (an attempt
 * counted) to be trained elsewhere, and no rank will wait in MPI_Finalize. *changed as
 * above. */
zs_status zs_owner_check(zs_runner *r, int *changed, zs_error *err);
/* The ranks that may still train (not taken for dead, not a group's member). */
int zs_owner_live(const zs_runner *r);
/* Tells every rank to checkpoint its runs (once). */
zs_status zs_owner_stop(zs_runner *r, zs_error *err);
/* Tells every rank still there to leave; errors are ignored (a last word). */
void zs_owner_done(zs_runner *r);

#endif
