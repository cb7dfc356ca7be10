/* A worker rank of a sweep across MPI ranks (sweep_mpi.h): it says hello to rank 0, then
 * trains each run rank 0 hands it in a child process of its own (so a run that crashes or
 * is killed by the OOM killer costs only that run) and reports how the run ended; it beats
 * every second so that rank 0 can tell it from a dead one, and gives up, checkpointing its
 * runs, when rank 0 stops answering. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep/sweep_mpi.h"

typedef struct {
    const zs_sweep_worker_opts *o;
    zs_children kids;
    int done, said_bye;
    double last_ack, last_beat;
} zs_worker;

static void host_name(char *buf, size_t size) {
    if (gethostname(buf, size) != 0) snprintf(buf, size, "?");
    buf[size - 1] = '\0';
}

static zs_status send_kind(zs_worker *wk, int kind, zs_error *err) {
    zs_sweep_msg m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.jobs = wk->o->jobs;
    host_name(m.host, sizeof m.host);
    if (kind == ZS_MSG_HELLO) zs_sweep_plan_digest(wk->o->w->plan, m.plan);
    return zs_sweep_link_send(wk->o->link, 0, &m, err);
}

/* A child exited: what happened to its run, to rank 0. */
static zs_status report(zs_worker *wk, int slot, int status, zs_error *err) {
    zs_child *k = &wk->kids.kids[slot];
    zs_sweep_msg m;
    memset(&m, 0, sizeof m);
    m.kind = ZS_MSG_RESULT;
    m.run = (int64_t)k->index;
    host_name(m.host, sizeof m.host);
    char said[sizeof m.o + 1]; /* the outcome whole, or a message */
    size_t got = zs_children_said(k, said, sizeof said);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == ZS_WORKER_REPORTED && got == sizeof m.o) {
        m.outcome = ZS_OUTCOME_FINISHED;
        memcpy(&m.o, said, sizeof m.o);
    } else if (code == ZS_WORKER_INTERRUPTED) {
        m.outcome = ZS_OUTCOME_INTERRUPTED;
    } else if (WIFSIGNALED(status)) {
        m.outcome = ZS_OUTCOME_KILLED;
        m.signal = WTERMSIG(status);
        zs_children_describe_exit(status, "", m.o.message, sizeof m.o.message);
    } else {
        m.outcome = ZS_OUTCOME_FAILED;
        if (code == ZS_WORKER_REPORTED) said[0] = '\0'; /* cut short: not an outcome */
        zs_children_describe_exit(status, said, m.o.message, sizeof m.o.message);
    }
    zs_children_drop(&wk->kids, slot);
    return wk->done ? ZS_OK : zs_sweep_link_send(wk->o->link, 0, &m, err);
}

/* The test hook of docs/cluster.md: ZS_SWEEP_TEST_KILL_RANK=R makes rank R die of SIGKILL
 * (its child with it) once it has started its first run, as a node that fails would. */
static void maybe_die(const zs_sweep_link *link) {
    const char *victim = getenv("ZS_SWEEP_TEST_KILL_RANK");
    if (victim && atoi(victim) == zs_sweep_link_rank(link)) raise(SIGKILL);
}

static zs_status on_message(zs_worker *wk, const zs_sweep_msg *m, zs_error *err) {
    wk->last_ack = zs_sweep_mono_s(); /* anything from rank 0 says it is alive */
    switch (m->kind) {
    case ZS_MSG_WORK: {
        const zs_sweep_plan *plan = wk->o->w->plan;
        if (m->run < 0 || (uint64_t)m->run >= plan->n_runs)
            return zs_fail(err, ZS_ERR_INTERNAL, "MPI: rank 0 handed out run %lld of %zu",
                           (long long)m->run, plan->n_runs);
        if (wk->said_bye) return ZS_OK; /* rank 0 takes it back when it reads the bye */
        zs_status s = zs_children_spawn(&wk->kids, wk->o->w, zs_sweep_child_train, (size_t)m->run,
                                        plan->runs[m->run].id, err);
        if (!s) maybe_die(wk->o->link);
        return s;
    }
    case ZS_MSG_STOP:
        zs_children_stop(&wk->kids);
        return ZS_OK;
    case ZS_MSG_DONE:
        wk->done = 1;
        if (m->lost) zs_comm_finalize_skip();
        if (wk->kids.n) zs_children_stop(&wk->kids);
        return ZS_OK;
    default:
        return ZS_OK;
    }
}

static zs_status loop(zs_worker *wk, zs_error *err) {
    zs_status s = send_kind(wk, ZS_MSG_HELLO, err);
    wk->last_ack = wk->last_beat = zs_sweep_mono_s();
    while (!s) {
        zs_sweep_msg m;
        int source;
        while (!s && !wk->done && zs_sweep_link_poll(wk->o->link, &m, &source))
            if (source == 0) s = on_message(wk, &m, err);
        if (s) break;
        if (zs_sweep_stop_signal && !wk->kids.stopping) zs_children_stop(&wk->kids);
        int status = 0, slot = zs_children_reap(&wk->kids, &status, 0.02);
        if (slot >= 0) s = report(wk, slot, status, err);
        if (s || (wk->done && wk->kids.n == 0)) break;
        if (zs_sweep_stop_signal && wk->kids.n == 0 && !wk->said_bye) {
            s = send_kind(wk, ZS_MSG_BYE, err); /* stopped here alone: no more work */
            wk->said_bye = 1;
            wk->done = 1;
            break;
        }
        double now = zs_sweep_mono_s();
        if (now - wk->last_beat >= ZS_SWEEP_BEAT_S) {
            s = send_kind(wk, ZS_MSG_BEAT, err);
            wk->last_beat = now;
        }
        if (!s && now - wk->last_ack > wk->o->timeout_s) {
            zs_comm_finalize_skip();
            s = zs_fail(err, ZS_ERR_IO,
                        "MPI: rank 0 (the ledger's owner) has not answered for %.0f s; this "
                        "rank's runs were stopped at a checkpoint",
                        now - wk->last_ack);
        }
    }
    zs_children_stop_wait(&wk->kids);
    return s;
}

zs_status zs_sweep_mpi_worker(const zs_sweep_worker_opts *o, int *interrupted, zs_error *err) {
    zs_worker wk;
    memset(&wk, 0, sizeof wk);
    wk.o = o;
    *interrupted = 0;
    zs_status s = zs_children_init(&wk.kids, o->jobs, err);
    if (!s) s = loop(&wk, err);
    *interrupted = zs_sweep_stop_signal != 0;
    zs_children_free(&wk.kids);
    return s;
}
