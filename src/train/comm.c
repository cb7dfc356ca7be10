/* The ranks of a data-parallel run (zipscale/train.h "data parallelism"): starting MPI when
 * an MPI launcher started the process, and the few collectives the trainer needs — the
 * gradient sum, the agreement on a status (the first failing rank's error, everywhere),
 * broadcasts of the resumed state, the gather of per-position evaluation losses and a
 * check that every rank holds the same parameters. A NULL or one-rank group does nothing:
 * the single-process trainer never calls MPI. The guide is docs/cluster.md. */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

struct zs_comm {
    MPI_Comm comm; /* our duplicate: errors return, other traffic never mixes with ours */
    int rank, size;
};

static int we_initialised; /* zs_comm_world called MPI_Init_thread */

int zs_comm_launched(void) {
    /* Open MPI's mpirun, any PMIx launcher (Open MPI 5, srun --mpi=pmix), PMI-1/2 (MPICH's
       hydra, srun --mpi=pmi2). */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

static zs_status mpi_fail(zs_error *err, int code, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "?");
    return zs_fail(err, ZS_ERR_IO, "MPI: %s failed: %s", what, text);
}

static zs_status wrap(zs_comm **out, MPI_Comm parent, zs_error *err) {
    *out = NULL;
    zs_comm *c = zs_calloc(1, sizeof *c, "MPI communicator", err);
    if (!c) return ZS_ERR_NOMEM;
    int rc = MPI_Comm_dup(parent, &c->comm);
    if (rc != MPI_SUCCESS) {
        free(c);
        return mpi_fail(err, rc, "MPI_Comm_dup");
    }
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(c->comm, &c->rank);
    MPI_Comm_size(c->comm, &c->size);
    *out = c;
    return ZS_OK;
}

zs_status zs_comm_world(zs_comm **out, zs_error *err) {
    *out = NULL;
    int ready = 0, done = 0;
    MPI_Finalized(&done);
    if (done) return zs_fail(err, ZS_ERR_USAGE, "MPI: already finalised in this process");
    MPI_Initialized(&ready);
    if (!ready) {
        int provided = 0;
        /* Only the main thread calls MPI; the matmuls' OpenMP threads never do. */
        int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Init_thread");
        we_initialised = 1;
    }
    return wrap(out, MPI_COMM_WORLD, err);
}

zs_status zs_comm_from_mpi(zs_comm **out, const void *mpi_comm, zs_error *err) {
    *out = NULL;
    int ready = 0;
    MPI_Initialized(&ready);
    if (!ready || !mpi_comm)
        return zs_fail(err, ZS_ERR_USAGE, "MPI: not initialised, or no communicator given");
    return wrap(out, *(const MPI_Comm *)mpi_comm, err);
}

const void *zs_comm_mpi(const zs_comm *c) {
    return c ? &c->comm : NULL;
}

int zs_comm_rank(const zs_comm *c) {
    return c ? c->rank : 0;
}

int zs_comm_size(const zs_comm *c) {
    return c ? c->size : 1;
}

void zs_comm_free(zs_comm *c) {
    if (!c) return;
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Comm_free(&c->comm);
    free(c);
}

void zs_comm_barrier(const zs_comm *c) {
    if (zs_comm_parallel(c)) MPI_Barrier(c->comm);
}

void zs_comm_finalize_skip(void) {
    we_initialised = 0;
}

void zs_comm_finalize(void) {
    int done = 0;
    MPI_Finalized(&done);
    if (we_initialised && !done) MPI_Finalize();
}

/* ---- the trainer's collectives (train_internal.h) ---- */

int zs_comm_parallel(const zs_comm *c) {
    return c && c->size > 1;
}

void zs_train_share(uint64_t n, int rank, int size, uint64_t *first, uint64_t *count) {
    uint64_t P = (uint64_t)size, r = (uint64_t)rank;
    uint64_t base = n / P, extra = n % P;
    *first = r * base + (r < extra ? r : extra);
    *count = base + (r < extra);
}

void zs_comm_share(const zs_comm *c, uint64_t n, uint64_t *first, uint64_t *count) {
    zs_train_share(n, zs_comm_rank(c), zs_comm_size(c), first, count);
}

/* MPI counts are ints: long buffers go in pieces. */
enum { CHUNK = 1 << 28 };

zs_status zs_comm_sum_f32(const zs_comm *c, float *buf, size_t n, zs_error *err) {
    if (!zs_comm_parallel(c)) return ZS_OK;
    for (size_t done = 0; done < n;) {
        int len = n - done < CHUNK ? (int)(n - done) : CHUNK;
        int rc = MPI_Allreduce(MPI_IN_PLACE, buf + done, len, MPI_FLOAT, MPI_SUM, c->comm);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Allreduce (gradients)");
        done += (size_t)len;
    }
    return ZS_OK;
}

zs_status zs_comm_sum_f64(const zs_comm *c, double *buf, int n, zs_error *err) {
    if (!zs_comm_parallel(c)) return ZS_OK;
    int rc = MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, c->comm);
    return rc == MPI_SUCCESS ? ZS_OK : mpi_fail(err, rc, "MPI_Allreduce");
}

zs_status zs_comm_agree(const zs_comm *c, zs_status s, zs_error *err) {
    if (!zs_comm_parallel(c)) return s;
    int mine = s ? c->rank : c->size, first = c->size;
    int rc = MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, c->comm);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Allreduce (status)");
    if (first == c->size) return ZS_OK;
    /* Every rank returns the first failing rank's error, so that each says the same. */
    zs_error local = {0};
    if (c->rank == first) local = err ? *err : (zs_error){.code = s};
    rc = MPI_Bcast(&local, (int)sizeof local, MPI_BYTE, first, c->comm);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Bcast (error)");
    if (local.code == ZS_OK) local.code = ZS_ERR_INTERNAL;
    if (err) *err = local;
    return local.code;
}

zs_status zs_comm_bcast(const zs_comm *c, void *buf, size_t bytes, zs_error *err) {
    if (!zs_comm_parallel(c)) return ZS_OK;
    for (size_t done = 0; done < bytes;) {
        int len = bytes - done < CHUNK ? (int)(bytes - done) : CHUNK;
        int rc = MPI_Bcast((char *)buf + done, len, MPI_BYTE, 0, c->comm);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Bcast");
        done += (size_t)len;
    }
    return ZS_OK;
}

zs_status zs_comm_gather_f32(const zs_comm *c, float *buf, uint64_t n, uint64_t per_item,
                             zs_error *err) {
    if (!zs_comm_parallel(c)) return ZS_OK;
    if (n * per_item > INT_MAX)
        return zs_fail(err, ZS_ERR_RANGE,
                       "MPI: %llu evaluation losses exceed one gather's %d; evaluate fewer",
                       (unsigned long long)(n * per_item), INT_MAX);
    int *counts = zs_alloc(2 * (size_t)c->size * sizeof *counts, "gather counts", err);
    if (!counts) return ZS_ERR_NOMEM;
    int *displs = counts + c->size;
    for (int r = 0; r < c->size; r++) {
        uint64_t first, count;
        zs_train_share(n, r, c->size, &first, &count);
        counts[r] = (int)(count * per_item);
        displs[r] = (int)(first * per_item);
    }
    int rc =
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_FLOAT, c->comm);
    free(counts);
    return rc == MPI_SUCCESS ? ZS_OK : mpi_fail(err, rc, "MPI_Allgatherv (evaluation losses)");
}

zs_status zs_comm_check_same(const zs_comm *c, const float *buf, size_t n, uint64_t step,
                             zs_error *err) {
    if (!zs_comm_parallel(c)) return ZS_OK;
    /* FNV-1a over the 32-bit words: equal buffers give equal hashes. */
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        uint32_t w;
        memcpy(&w, buf + i, sizeof w);
        h = (h ^ w) * 1099511628211ull;
    }
    uint64_t lo = h, hi = h;
    int rc = MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, c->comm);
    if (rc == MPI_SUCCESS) rc = MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, c->comm);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Allreduce (parameter check)");
    if (lo != hi)
        return zs_fail(err, ZS_ERR_INTERNAL,
                       "MPI: the ranks' parameters differ after step %llu (the all-reduce gave "
                       "ranks different sums)",
                       (unsigned long long)step);
    return ZS_OK;
}
