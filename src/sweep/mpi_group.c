/* A rank of a group that trains each run of a sweep together, data parallel (sweep_mpi.h,
 * ranks_per_run > 1). The group's rank 0, its leader, is the one rank 0 of the job hands
 * runs to: it passes each run to the others (a broadcast on the group), all train it in
 * this process with the trainer's MPI data parallelism, and the leader reports how it
 * ended. While a run trains the leader beats and reads rank 0's messages at every step
 * (zs_train_opts.on_step), so that a stop from rank 0 halts the group at a checkpoint. A
 * rank of a group that dies leaves the others waiting in their collectives: rank 0 takes
 * the group for dead after its timeout and gives the run to another group; the stuck ranks
 * end only with the job (docs/cluster.md). */
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_mpi.h"

typedef struct {
    const zs_sweep_worker_opts *o;
    int done, bye, gave_up;
    double last_ack, last_beat;
    int64_t next; /* a run handed out, not started yet; -1 none */
    zs_status failed;
    zs_error err;
} zs_leader;

static zs_status say(zs_leader *l, int kind, int jobs, const zs_sweep_msg *base, zs_error *err) {
    zs_sweep_msg m;
    if (base)
        m = *base;
    else
        memset(&m, 0, sizeof m);
    m.kind = kind;
    m.jobs = jobs;
    if (gethostname(m.host, sizeof m.host) != 0) snprintf(m.host, sizeof m.host, "?");
    m.host[sizeof m.host - 1] = '\0';
    if (kind == ZS_MSG_HELLO) zs_sweep_plan_digest(l->o->w->plan, m.plan);
    return zs_sweep_link_send(l->o->link, 0, &m, err);
}

/* Beats, and reads what rank 0 said: between runs and at every step of one. */
static void keep_in_touch(zs_leader *l) {
    zs_sweep_msg m;
    int source;
    double now = zs_sweep_mono_s();
    while (!l->failed && !l->done && zs_sweep_link_poll(l->o->link, &m, &source)) {
        if (source != 0) continue;
        l->last_ack = now;
        if (m.kind == ZS_MSG_WORK && !l->bye) {
            l->next = m.run;
        } else if (m.kind == ZS_MSG_STOP) {
            zs_sweep_stop_signal = SIGTERM; /* halts the run at a checkpoint, every rank */
        } else if (m.kind == ZS_MSG_DONE) {
            l->done = 1;
            if (m.lost) zs_comm_finalize_skip();
            zs_sweep_stop_signal = SIGTERM;
        }
    }
    if (!l->failed && now - l->last_beat >= ZS_SWEEP_BEAT_S) {
        l->failed = say(l, ZS_MSG_BEAT, 1, NULL, &l->err);
        l->last_beat = now;
    }
    if (!l->failed && now - l->last_ack > l->o->timeout_s) {
        l->gave_up = 1;
        l->done = 1;
        zs_comm_finalize_skip();
        zs_sweep_stop_signal = SIGTERM;
    }
}

static void on_step(void *ctx) {
    keep_in_touch(ctx);
}

/* Trains run (every rank of the group); the leader reports it. */
static zs_status train(zs_leader *l, const zs_comm *group, int64_t run, zs_error *err) {
    zs_sweep_outcome o;
    int leader = zs_comm_rank(group) == 0;
    int halted = zs_sweep_train_here(l->o->w, (size_t)run, group, &zs_sweep_stop_signal,
                                     leader ? on_step : NULL, l, &o);
    if (!leader || l->done || l->failed) return ZS_OK;
    zs_sweep_msg m;
    memset(&m, 0, sizeof m);
    m.run = run;
    m.outcome = halted ? ZS_OUTCOME_INTERRUPTED : ZS_OUTCOME_FINISHED;
    m.o = o;
    return say(l, ZS_MSG_RESULT, 1, &m, err);
}

zs_status zs_sweep_mpi_group(const zs_sweep_worker_opts *o, const zs_comm *group, int *interrupted,
                             zs_error *err) {
    zs_leader l;
    memset(&l, 0, sizeof l);
    l.o = o;
    l.next = -1;
    int leader = zs_comm_rank(group) == 0;
    zs_status s = say(&l, ZS_MSG_HELLO, leader ? 1 : 0, NULL, err);
    l.last_ack = l.last_beat = zs_sweep_mono_s();
    while (!s) {
        int64_t run = -1;
        if (leader) { /* wait for a run, or the end */
            while (!l.failed && !l.done && l.next < 0 && !zs_sweep_stop_signal) {
                keep_in_touch(&l);
                usleep(20000);
            }
            run = l.done || l.failed || zs_sweep_stop_signal ? -1 : l.next;
            l.next = -1;
        }
        if ((s = zs_sweep_group_bcast(group, &run, err)) || run < 0) break;
        if ((s = train(&l, group, run, err))) break;
    }
    if (!s && leader && zs_sweep_stop_signal && !l.done) s = say(&l, ZS_MSG_BYE, 1, NULL, err);
    if (!s && l.failed) {
        s = l.failed;
        *err = l.err;
    }
    if (!s && l.gave_up)
        s = zs_fail(err, ZS_ERR_IO,
                    "MPI: rank 0 (the ledger's owner) stopped answering; this group's run was "
                    "stopped at a checkpoint");
    *interrupted = zs_sweep_stop_signal != 0 && !l.done;
    return s;
}
