/* The scheduler's view of its child processes: what a child is given and how it reports
 * back (its exit code; a message on a pipe when it could not record its outcome, or under
 * MPI its whole outcome, which the rank sends to the ledger's owner). */
#ifndef ZS_SWEEP_WORKER_H
#define ZS_SWEEP_WORKER_H

#include <signal.h>
#include <sys/types.h>

#include "sweep/sweep_internal.h"

enum {
    ZS_WORKER_RECORDED = 0,    /* the outcome (any status) is in the ledger */
    ZS_WORKER_UNRECORDED = 3,  /* it is not: the parent records a failure with the message */
    ZS_WORKER_INTERRUPTED = 5, /* a stop signal: checkpointed at the step it reached, nothing
                                  recorded; the parent puts the run back to pending */
    ZS_WORKER_REPORTED = 6,    /* no ledger here (an MPI worker rank): the outcome, a
                                  zs_sweep_outcome, is on the pipe */
};

/* A finished run's outcome as a child reports it without a ledger. */
typedef struct {
    int32_t status; /* zs_run_status */
    double final_loss, min_loss, wall_s;
    char message[ZS_ERROR_MSG_MAX + 128];
} zs_sweep_outcome;

typedef struct {
    const zs_sweep_spec *spec;
    const zs_sweep_plan *plan;
    const char *dir;
    const char *ledger; /* the ledger file the children record in; NULL: they report */
} zs_sweep_worker_ctx;

/* A child's work: its return value is its exit code; report_fd the pipe's write end. */
typedef int (*zs_sweep_work)(const zs_sweep_worker_ctx *w, size_t index, int report_fd,
                             zs_error *err);

/* First thing in a child: death with the parent, and its signal dispositions: a training
 * child (`trains`) turns SIGINT, SIGTERM and SIGUSR1 into a stop request that checkpoints
 * (zs_sweep_child_stop), any other child dies of them. */
void zs_sweep_child_setup(pid_t parent, int trains);
/* Trains run `run` of the plan in this process, as a sweep's child does (a checkpoint it
 * cannot resume is set aside and the run starts over, saying so in o->message); with comm,
 * together with the group's other ranks, data parallel. *stop halts it at a checkpoint;
 * on_step (or NULL) is called at every step. Returns 1 when stopped (nothing to record),
 * else 0 with the outcome in *o (a failure: status failed and its message). */
int zs_sweep_train_here(const zs_sweep_worker_ctx *w, size_t run, const zs_comm *comm,
                        const volatile sig_atomic_t *stop, void (*on_step)(void *), void *ctx,
                        zs_sweep_outcome *o);
/* The child's work; the return value is its exit code. */
int zs_sweep_child_train(const zs_sweep_worker_ctx *w, size_t run, int report_fd, zs_error *err);
int zs_sweep_child_prepare(const zs_sweep_worker_ctx *w, size_t dataset, int report_fd,
                           zs_error *err);

#endif
