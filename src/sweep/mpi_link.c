/* The messages of a sweep across MPI ranks (sweep_mpi.h): fixed-size records on the job's
 * communicator, sent without blocking and taken by polling, so no rank ever waits on
 * another (a rank that dies must not hang the rest: run them with `mpirun
 * --enable-recovery`). The ranks run the same binary on the same kind of machine, so a
 * record goes as its bytes. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sweep/sweep_mpi.h"

#define ZS_SWEEP_TAG 7301

typedef struct {
    MPI_Request req;
    zs_sweep_msg msg; /* the copy the send reads from until it completes */
} zs_outgoing;

struct zs_sweep_link {
    zs_comm *comm;
    MPI_Comm mpi;
    zs_outgoing **out; /* sends in flight */
    size_t n_out, cap_out;
};

static zs_status mpi_fail(zs_error *err, int rc, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "?");
    return zs_fail(err, ZS_ERR_IO, "MPI: %s failed: %s", what, text);
}

zs_status zs_sweep_link_open(zs_sweep_link **out, zs_error *err) {
    *out = NULL;
    if (!zs_comm_launched()) return ZS_OK;
    zs_comm *c = NULL;
    zs_status s = zs_comm_world(&c, err);
    if (s) return s;
    if (zs_comm_size(c) < 2) {
        zs_comm_free(c);
        return ZS_OK;
    }
    zs_sweep_link *l = zs_calloc(1, sizeof *l, "MPI link", err);
    if (!l) {
        zs_comm_free(c);
        return ZS_ERR_NOMEM;
    }
    l->comm = c;
    l->mpi = *(const MPI_Comm *)zs_comm_mpi(c);
    *out = l;
    return ZS_OK;
}

/* Frees the sends that have completed. */
static void settle_sends(zs_sweep_link *l) {
    size_t kept = 0;
    for (size_t i = 0; i < l->n_out; i++) {
        int done = 0;
        if (MPI_Test(&l->out[i]->req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) done = 1;
        if (done)
            free(l->out[i]);
        else
            l->out[kept++] = l->out[i];
    }
    l->n_out = kept;
}

void zs_sweep_link_close(zs_sweep_link *l) {
    if (!l) return;
    settle_sends(l);
    for (size_t i = 0; i < l->n_out; i++) { /* to a rank that is gone: never to complete */
        MPI_Cancel(&l->out[i]->req);
        MPI_Request_free(&l->out[i]->req);
        free(l->out[i]);
    }
    free(l->out);
    zs_comm_free(l->comm);
    free(l);
}

int zs_sweep_link_rank(const zs_sweep_link *l) {
    return l ? zs_comm_rank(l->comm) : 0;
}

int zs_sweep_link_size(const zs_sweep_link *l) {
    return l ? zs_comm_size(l->comm) : 1;
}

const zs_comm *zs_sweep_link_comm(const zs_sweep_link *l) {
    return l ? l->comm : NULL;
}

zs_status zs_sweep_link_send(zs_sweep_link *l, int dest, const zs_sweep_msg *msg, zs_error *err) {
    settle_sends(l);
    if (l->n_out == l->cap_out) {
        size_t cap = l->cap_out ? 2 * l->cap_out : 16;
        zs_outgoing **grown = realloc(l->out, cap * sizeof *grown);
        if (!grown) return zs_fail(err, ZS_ERR_NOMEM, "MPI link: out of memory");
        l->out = grown;
        l->cap_out = cap;
    }
    zs_outgoing *o = zs_calloc(1, sizeof *o, "MPI message", err);
    if (!o) return ZS_ERR_NOMEM;
    o->msg = *msg;
    int rc = MPI_Isend(&o->msg, (int)sizeof o->msg, MPI_BYTE, dest, ZS_SWEEP_TAG, l->mpi, &o->req);
    if (rc != MPI_SUCCESS) {
        free(o);
        char what[64];
        snprintf(what, sizeof what, "sending to rank %d", dest);
        return mpi_fail(err, rc, what);
    }
    l->out[l->n_out++] = o;
    return ZS_OK;
}

int zs_sweep_link_poll(zs_sweep_link *l, zs_sweep_msg *msg, int *source) {
    int flag = 0;
    MPI_Status st;
    settle_sends(l);
    if (MPI_Iprobe(MPI_ANY_SOURCE, ZS_SWEEP_TAG, l->mpi, &flag, &st) != MPI_SUCCESS || !flag)
        return 0;
    if (MPI_Recv(msg, (int)sizeof *msg, MPI_BYTE, st.MPI_SOURCE, ZS_SWEEP_TAG, l->mpi,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS)
        return 0;
    *source = st.MPI_SOURCE;
    return 1;
}

zs_status zs_sweep_link_groups(zs_sweep_link *l, int ranks_per_run, zs_comm **group,
                               zs_error *err) {
    *group = NULL;
    int rank = zs_sweep_link_rank(l);
    MPI_Comm split;
    int rc = MPI_Comm_split(l->mpi, rank == 0 ? MPI_UNDEFINED : (rank - 1) / ranks_per_run, rank,
                            &split);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Comm_split");
    if (split == MPI_COMM_NULL) return ZS_OK;
    zs_status s = zs_comm_from_mpi(group, &split, err);
    MPI_Comm_free(&split);
    return s;
}

zs_status zs_sweep_group_bcast(const zs_comm *group, int64_t *run, zs_error *err) {
    MPI_Request req;
    int rc = MPI_Ibcast(run, 1, MPI_INT64_T, 0, *(const MPI_Comm *)zs_comm_mpi(group), &req);
    for (int done = 0; rc == MPI_SUCCESS && !done;) {
        rc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (!done) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    return rc == MPI_SUCCESS ? ZS_OK : mpi_fail(err, rc, "MPI_Ibcast");
}

void zs_sweep_plan_digest(const zs_sweep_plan *plan, unsigned char out[32]) {
    zs_sha256 h;
    zs_sha256_init(&h);
    for (size_t i = 0; i < plan->n_runs; i++)
        zs_sha256_update(&h, plan->runs[i].id, strlen(plan->runs[i].id) + 1);
    zs_sha256_final(&h, out);
}
