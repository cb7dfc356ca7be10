/* Rank 0 of a sweep across MPI ranks (sweep_runner.h): it owns the ledger, claims runs
 * largest first for the other ranks' free slots, records what they report, answers their
 * beats, and takes a rank that stays silent for rank_timeout_s for dead: its runs go back
 * to pending (the attempt counted) and are trained elsewhere, resuming from their
 * checkpoints. Its own children are the scheduler's (runner.c). docs/cluster.md. */
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_runner.h"

zs_status zs_owner_init(zs_runner *r, zs_error *err) {
    int size = zs_sweep_link_size(r->link);
    r->ranks = zs_calloc((size_t)size, sizeof *r->ranks, "MPI ranks", err);
    if (!r->ranks) return ZS_ERR_NOMEM;
    double now = zs_sweep_mono_s();
    for (int i = 0; i < size; i++) r->ranks[i].heard = now;
    return ZS_OK;
}

void zs_owner_free(zs_runner *r) {
    free(r->ranks);
    free(r->flights);
    r->ranks = NULL;
    r->flights = NULL;
    r->n_flights = r->cap_flights = 0;
}

static zs_status send_kind(zs_runner *r, int rank, int kind, int64_t run, zs_error *err) {
    zs_sweep_msg m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.run = run;
    m.lost = r->lost;
    return zs_sweep_link_send(r->link, rank, &m, err);
}

static void where(const zs_runner *r, int rank, char *buf, size_t size) {
    snprintf(buf, size, " on rank %d (%s)", rank, r->ranks[rank].host);
}

/* The flight of `run` on `rank`, or -1. */
static long find_flight(const zs_runner *r, int rank, int64_t run) {
    for (size_t i = 0; i < r->n_flights; i++)
        if (r->flights[i].rank == rank && (int64_t)r->flights[i].index == run) return (long)i;
    return -1;
}

static void drop_flight(zs_runner *r, size_t i) {
    r->ranks[r->flights[i].rank].busy--;
    r->flights[i] = r->flights[--r->n_flights];
}

static zs_status on_hello(zs_runner *r, int rank, const zs_sweep_msg *m, zs_error *err) {
    unsigned char mine[32];
    zs_sweep_plan_digest(r->w.plan, mine);
    zs_rank_state *st = &r->ranks[rank];
    snprintf(st->host, sizeof st->host, "%s", m->host);
    if (memcmp(mine, m->plan, sizeof mine) != 0)
        return zs_fail(err, ZS_ERR_USAGE,
                       "MPI: rank %d (%s) read another plan from the spec than rank 0: every "
                       "rank must read the same spec file (a shared file system) with the same "
                       "zipscale",
                       rank, m->host);
    st->hello = 1;
    st->member = m->jobs == 0;
    st->slots = m->jobs;
    return ZS_OK;
}

static zs_status on_result(zs_runner *r, int rank, const zs_sweep_msg *m, int *changed,
                           zs_error *err) {
    long f = find_flight(r, rank, m->run);
    if (f < 0) return ZS_OK; /* taken for dead before it spoke: its run was handed out again */
    size_t index = r->flights[f].index;
    drop_flight(r, (size_t)f);
    *changed = 1;
    char at[160];
    where(r, rank, at, sizeof at);
    zs_sweep_outcome o = m->o;
    o.message[sizeof o.message - 1] = '\0';
    if (m->outcome == ZS_OUTCOME_KILLED || m->outcome == ZS_OUTCOME_FAILED) {
        char said[sizeof o.message];
        snprintf(said, sizeof said, "%s", o.message);
        snprintf(o.message, sizeof o.message, "rank %d (%.63s): %.1000s", rank, r->ranks[rank].host,
                 said);
    }
    return zs_runner_settle(r, index, m->outcome, m->signal, &o, at, err);
}

/* A rank that left or died: its runs go back to pending. */
static zs_status let_go(zs_runner *r, int rank, int counted, const char *why, zs_error *err) {
    r->ranks[rank].gone = 1;
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < r->n_flights;) {
        if (r->flights[i].rank != rank) {
            i++;
            continue;
        }
        zs_sweep_outcome o;
        memset(&o, 0, sizeof o);
        snprintf(o.message, sizeof o.message, "rank %d (%s) %s", rank, r->ranks[rank].host, why);
        size_t index = r->flights[i].index;
        drop_flight(r, i);
        char at[160];
        where(r, rank, at, sizeof at);
        s = zs_runner_settle(r, index, counted ? ZS_OUTCOME_KILLED : ZS_OUTCOME_INTERRUPTED,
                             counted ? -1 : 0, &o, at, err);
    }
    return s;
}

zs_status zs_owner_service(zs_runner *r, int *changed, zs_error *err) {
    zs_sweep_msg m;
    int source;
    zs_status s = ZS_OK;
    *changed = 0;
    while (!s && zs_sweep_link_poll(r->link, &m, &source)) {
        if (source <= 0 || source >= zs_sweep_link_size(r->link)) continue;
        zs_rank_state *st = &r->ranks[source];
        st->heard = zs_sweep_mono_s();
        if (st->gone && m.kind != ZS_MSG_HELLO) { /* taken for dead, yet it speaks: leave */
            s = send_kind(r, source, ZS_MSG_DONE, -1, err);
            continue;
        }
        switch (m.kind) {
        case ZS_MSG_HELLO:
            st->gone = 0;
            s = on_hello(r, source, &m, err);
            break;
        case ZS_MSG_BEAT:
            s = send_kind(r, source, ZS_MSG_ACK, -1, err);
            break;
        case ZS_MSG_RESULT:
            s = on_result(r, source, &m, changed, err);
            break;
        case ZS_MSG_BYE:
            *changed |= st->busy > 0;
            s = let_go(r, source, 0, "was stopped; resumes from its checkpoint", err);
            break;
        default:
            break;
        }
    }
    return s;
}

zs_status zs_owner_hand_out(zs_runner *r, int *exhausted, zs_error *err) {
    zs_status s = ZS_OK;
    int size = zs_sweep_link_size(r->link);
    for (int rank = 1; !s && !*exhausted && rank < size; rank++) {
        zs_rank_state *st = &r->ranks[rank];
        while (!s && st->hello && !st->gone && st->busy < st->slots) {
            char id[ZS_SWEEP_ID_LEN + 1];
            s = zs_ledger_claim(r->lg, r->kids.me, r->stale_s, id, err);
            if (s) break;
            if (!id[0]) {
                *exhausted = 1;
                break;
            }
            const zs_sweep_plan_run *run = zs_sweep_plan_find(r->w.plan, id);
            if (!run) /* cannot happen: claims are limited to the plan's runs */
                return zs_fail(err, ZS_ERR_INTERNAL, "sweep: claimed run %s is not in the plan",
                               id);
            if (r->n_flights == r->cap_flights) {
                size_t cap = r->cap_flights ? 2 * r->cap_flights : 16;
                zs_flight *grown = realloc(r->flights, cap * sizeof *grown);
                if (!grown) return zs_fail(err, ZS_ERR_NOMEM, "MPI: out of memory");
                r->flights = grown;
                r->cap_flights = cap;
            }
            size_t index = (size_t)(run - r->w.plan->runs);
            r->flights[r->n_flights++] = (zs_flight){rank, index};
            st->busy++;
            s = send_kind(r, rank, ZS_MSG_WORK, (int64_t)index, err);
        }
    }
    return s;
}

zs_status zs_owner_check(zs_runner *r, int *changed, zs_error *err) {
    zs_status s = ZS_OK;
    double now = zs_sweep_mono_s();
    *changed = 0;
    for (int rank = 1; !s && rank < zs_sweep_link_size(r->link); rank++) {
        zs_rank_state *st = &r->ranks[rank];
        if (st->gone || st->member || now - st->heard <= r->rank_timeout_s) continue;
        r->lost = 1;
        zs_comm_finalize_skip(); /* MPI_Finalize would wait for the dead rank */
        zs_sweep_progress_lost(&r->progress, rank, st->host, now - st->heard);
        char why[128];
        snprintf(why, sizeof why, "went silent for %.0f s (its process died?); retried",
                 now - st->heard);
        *changed = 1;
        s = let_go(r, rank, 1, why, err);
    }
    return s;
}

int zs_owner_live(const zs_runner *r) {
    int live = 0;
    for (int rank = 1; rank < zs_sweep_link_size(r->link); rank++)
        live += !r->ranks[rank].gone && !r->ranks[rank].member;
    return live;
}

zs_status zs_owner_stop(zs_runner *r, zs_error *err) {
    if (r->told_stop) return ZS_OK;
    r->told_stop = 1;
    zs_status s = ZS_OK;
    for (int rank = 1; !s && rank < zs_sweep_link_size(r->link); rank++)
        if (!r->ranks[rank].gone && !r->ranks[rank].member)
            s = send_kind(r, rank, ZS_MSG_STOP, -1, err);
    return s;
}

void zs_owner_done(zs_runner *r) {
    if (!r->ranks) return;
    zs_error ignored;
    for (int rank = 1; rank < zs_sweep_link_size(r->link); rank++)
        if (!r->ranks[rank].gone && !r->ranks[rank].member) {
            send_kind(r, rank, ZS_MSG_DONE, -1, &ignored);
            r->ranks[rank].gone = 1;
        }
}
