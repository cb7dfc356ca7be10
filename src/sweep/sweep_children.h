/* The child processes of a sweep (children.c): each forked to prepare one dataset or train
 * one run, watched through its exit status and a pipe it may write to before it exits; and
 * the stop signals (SIGINT, SIGTERM, SIGUSR1) every sweep process turns into a flag. The
 * scheduler (runner.c) and an MPI rank's worker (mpi_worker.c) both keep their children
 * here. */
#ifndef ZS_SWEEP_CHILDREN_H
#define ZS_SWEEP_CHILDREN_H

#include <signal.h>
#include <sys/types.h>

#include "sweep/sweep_worker.h"

typedef struct {
    pid_t pid;
    int fd; /* the read end of the child's pipe */
    size_t index;
    char id[ZS_SWEEP_ID_LEN + 1];
} zs_child;

typedef struct {
    zs_child *kids;
    int n, cap;
    int stopping; /* SIGTERM sent to them after a stop */
    pid_t me;     /* the parent */
} zs_children;

/* The signal that asked this process to stop (0: none). */
extern volatile sig_atomic_t zs_sweep_stop_signal;

typedef struct {
    struct sigaction old[3];
} zs_sweep_stops;
/* Catches SIGINT, SIGTERM and SIGUSR1 into zs_sweep_stop_signal (cleared first); restore
 * puts the old dispositions back. */
void zs_sweep_catch_stops(zs_sweep_stops *saved);
void zs_sweep_restore_stops(const zs_sweep_stops *saved);

/* Errors: ZS_ERR_NOMEM. */
zs_status zs_children_init(zs_children *c, int cap, zs_error *err);
void zs_children_free(zs_children *c);
/* Forks a child that runs work(w, index, the pipe's write end) and exits with its return
 * value; a child that did not record its outcome writes err's message to the pipe.
 * Errors: ZS_ERR_IO (pipe or fork failed). */
zs_status zs_children_spawn(zs_children *c, const zs_sweep_worker_ctx *w, zs_sweep_work work,
                            size_t index, const char *id, zs_error *err);
/* Waits up to wait_s for a child to exit: its slot and *status, or -1 (none did, or a stop
 * signal came and the children have not been told yet). */
int zs_children_reap(zs_children *c, int *status, double wait_s);
/* What a child that exited wrote to its pipe (all of it, up to size - 1 bytes, then a NUL);
 * closes the pipe. Returns the bytes read. */
size_t zs_children_said(zs_child *k, char *buf, size_t size);
void zs_children_drop(zs_children *c, int slot);
/* SIGTERM to each: a training child checkpoints at its step and exits, others die. */
void zs_children_stop(zs_children *c);
/* Stops them and waits for every one (the pipes closed, nothing read). */
void zs_children_stop_wait(zs_children *c);
/* An exit that is not the child's own verdict, in words ("killed by signal 9 (Killed)...",
 * "worker exited with status 3: <said>"). */
void zs_children_describe_exit(int status, const char *said, char *buf, size_t size);

double zs_sweep_mono_s(void);

#endif
