/* A sweep across MPI ranks (docs/cluster.md, "MPI across runs"): the messages between
 * rank 0, which owns the ledger and hands out runs, and the other ranks, which train them
 * and report back (mpi_link.c); the worker ranks' loop (mpi_worker.c); rank 0's side of
 * it (mpi_owner.c, through the scheduler's runner.c). */
#ifndef ZS_SWEEP_MPI_H
#define ZS_SWEEP_MPI_H

#include "sweep/sweep_children.h"
#include "zipscale/train.h"

enum {
    ZS_MSG_HELLO = 1, /* worker -> 0: its slots (jobs), host and the plan's digest */
    ZS_MSG_WORK,      /* 0 -> worker: train run `run` (a plan index) */
    ZS_MSG_RESULT,    /* worker -> 0: how run `run` ended (`outcome`) */
    ZS_MSG_BEAT,      /* worker -> 0: alive (every ZS_SWEEP_BEAT_S) */
    ZS_MSG_ACK,       /* 0 -> worker: rank 0 is alive */
    ZS_MSG_STOP,      /* 0 -> worker: checkpoint your runs and report them interrupted */
    ZS_MSG_DONE,      /* 0 -> worker: leave (any child still running is stopped first) */
    ZS_MSG_BYE,       /* worker -> 0: stopped by a signal of its own; it takes no more work */
};

enum {
    ZS_OUTCOME_FINISHED = 0, /* o holds the run's status, losses and message */
    ZS_OUTCOME_INTERRUPTED,  /* checkpointed at its step by a stop: back to pending */
    ZS_OUTCOME_KILLED,       /* the child died of signal `signal` (o.message says so) */
    ZS_OUTCOME_FAILED,       /* the child could not record its outcome (o.message) */
};

#define ZS_SWEEP_BEAT_S 1.0         /* a worker's heartbeat */
#define ZS_SWEEP_RANK_TIMEOUT_S 120 /* default: silent this long, a rank is taken for dead */

typedef struct {
    int32_t kind, jobs, outcome, signal;
    int32_t lost; /* DONE: a rank of the job died, so no rank may wait in MPI_Finalize */
    int64_t run;
    zs_sweep_outcome o;
    unsigned char plan[32];
    char host[64];
} zs_sweep_msg;

/* The link between a sweep's ranks: the job's communicator and the sends still in flight. */
typedef struct zs_sweep_link zs_sweep_link;
/* The job's ranks when an MPI launcher started this process with two or more; *out NULL
 * otherwise (a sweep of one process). Errors: ZS_ERR_IO (MPI failed to start), ZS_ERR_NOMEM. */
zs_status zs_sweep_link_open(zs_sweep_link **out, zs_error *err);
void zs_sweep_link_close(zs_sweep_link *link);
int zs_sweep_link_rank(const zs_sweep_link *link); /* 0 for NULL */
int zs_sweep_link_size(const zs_sweep_link *link); /* 1 for NULL */
const zs_comm *zs_sweep_link_comm(const zs_sweep_link *link);
/* Sends a copy of msg to rank dest without waiting for it to be received (a rank that
 * died does not hold the sender up). Errors: ZS_ERR_IO (MPI failed: the message names the
 * rank), ZS_ERR_NOMEM. */
zs_status zs_sweep_link_send(zs_sweep_link *link, int dest, const zs_sweep_msg *msg, zs_error *err);
/* Takes one waiting message if there is one: 1 and *source, else 0. */
int zs_sweep_link_poll(zs_sweep_link *link, zs_sweep_msg *msg, int *source);
/* ranks_per_run > 1: the groups that train one run together, ranks 1.. in order (group g
 * is ranks 1 + g·R .. (g + 1)·R); rank 0 is in none (*group NULL). Every rank calls it.
 * Errors: ZS_ERR_IO (MPI failed). */
zs_status zs_sweep_link_groups(zs_sweep_link *link, int ranks_per_run, zs_comm **group,
                               zs_error *err);
/* The group's rank 0 sends *run to the others, who wait for it napping between looks (an
 * idle rank takes no core). Errors: ZS_ERR_IO (MPI failed). */
zs_status zs_sweep_group_bcast(const zs_comm *group, int64_t *run, zs_error *err);

/* The plan's digest (its run ids in order): every rank must hold the same plan. */
void zs_sweep_plan_digest(const zs_sweep_plan *plan, unsigned char out[32]);

typedef struct {
    zs_sweep_link *link;
    const zs_sweep_worker_ctx *w; /* ledger NULL: the children report */
    int jobs;                     /* children at once (ranks_per_run 1) */
    double timeout_s;             /* rank 0 silent this long: give up */
} zs_sweep_worker_opts;

/* A worker rank's whole part in the sweep: hello, then train what rank 0 hands out (each
 * run in a child process, `jobs` at once) and report each outcome, until rank 0 says done.
 * *interrupted: this rank was stopped by a signal of its own. When a rank of the job died
 * (rank 0 says so, or it is rank 0 that went silent), MPI_Finalize is skipped
 * (zs_comm_finalize_skip).
 * Errors: ZS_ERR_IO (MPI failed; rank 0 stopped answering; a child could not start). */
zs_status zs_sweep_mpi_worker(const zs_sweep_worker_opts *o, int *interrupted, zs_error *err);
/* The same for a rank of a group that trains each run together (ranks_per_run > 1; group
 * from zs_sweep_link_groups): the group's rank 0 speaks with rank 0 of the job (it says
 * hello for one slot, beats at every step while training, reports the outcome); the others
 * say hello as members and follow it. Runs train in this process, data parallel. */
zs_status zs_sweep_mpi_group(const zs_sweep_worker_opts *o, const zs_comm *group, int *interrupted,
                             zs_error *err);

#endif
