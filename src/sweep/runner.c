/* The scheduler: `zipscale sweep run`. Syncs the ledger with the spec, prepares the
 * datasets, then keeps `jobs` child processes busy with the largest pending runs, records
 * what their exits say (a crash or a kill is retried up to max_attempts, an interruption
 * puts the run back), beats the heart of its claims and shows progress. Under an MPI
 * launcher this is rank 0, which also hands runs to the other ranks (mpi_owner.c); they
 * run zs_sweep_mpi_worker. Children: children.c. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep/sweep_runner.h"

#define HEARTBEAT_S 5.0
#define STALE_S 120.0 /* a claim without a heartbeat this long is taken over */

/* How long the loops wait for a child before looking again: under MPI also the delay of
 * other ranks' messages. */
static double poll_s(const zs_runner *r, double alone) {
    return r->link ? 0.02 : alone;
}

/* Under MPI, rank 0 answers its messages while it waits for its children. */
static zs_status service(zs_runner *r, int *changed, zs_error *err) {
    *changed = 0;
    if (!r->link) return ZS_OK;
    zs_status s = zs_owner_service(r, changed, err);
    int timed_out = 0;
    if (!s) s = zs_owner_check(r, &timed_out, err);
    *changed |= timed_out;
    return s;
}

/* ---- datasets ----------------------------------------------------------------------- */

static int file_exists(const char *path) {
    struct stat sb;
    return !path[0] || stat(path, &sb) == 0;
}

/* A shard takes the facts of a dataset another ledger of DIR holds ready (its files made by
 * the sweep's prepare job or by another shard) rather than making it again. Runs under the
 * preparation lock; a ledger that cannot be read now is passed over. */
static zs_status adopt_datasets(zs_runner *r, zs_error *err) {
    zs_ledger *others = NULL;
    zs_error ignored;
    if (zs_ledger_open_union(&others, r->w.dir, r->ledger_path, 1, &ignored)) return ZS_OK;
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < r->w.spec->n_datasets; i++) {
        zs_ledger_dataset mine, theirs;
        int found = 0, found_theirs = 0;
        if (!r->needed[i]) continue;
        s = zs_ledger_dataset_get(r->lg, r->w.plan->data[i].id, &mine, &found, err);
        if (s || (found && mine.ready)) continue;
        if (zs_ledger_dataset_get(others, r->w.plan->data[i].id, &theirs, &found_theirs,
                                  &ignored) ||
            !found_theirs || !theirs.ready || !file_exists(theirs.train_path) ||
            !file_exists(theirs.val_path))
            continue;
        s = zs_ledger_dataset_put(r->lg, &theirs, err);
    }
    zs_ledger_close(others);
    return s;
}

static zs_status prepare_datasets(zs_runner *r, zs_error *err) {
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/.prepare.lock", r->w.dir);
    int lock = open(lock_path, O_CREAT | O_RDWR, 0666);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        if (lock >= 0) close(lock);
        return zs_fail(err, ZS_ERR_IO, "%s: cannot lock: %s", lock_path, strerror(errno));
    }
    zs_status s = r->sharded || r->others ? adopt_datasets(r, err) : ZS_OK;
    char first_error[ZS_ERROR_MSG_MAX + 256] = "";
    size_t next = 0;
    zs_children *c = &r->kids;
    while (!s) {
        while (!s && c->n < r->jobs && next < r->w.spec->n_datasets && !zs_sweep_stop_signal) {
            zs_ledger_dataset d;
            int found = 0;
            size_t i = next++;
            if (!r->needed[i]) continue;
            s = zs_ledger_dataset_get(r->lg, r->w.plan->data[i].id, &d, &found, err);
            if (!s && !(found && d.ready)) {
                zs_sweep_progress_dataset(&r->progress, r->w.spec->datasets[i].name);
                s = zs_children_spawn(c, &r->w, zs_sweep_child_prepare, i, NULL, err);
            }
        }
        if (s || c->n == 0) break;
        int status = 0, changed, slot = zs_children_reap(c, &status, poll_s(r, 0.5));
        if ((s = service(r, &changed, err))) break;
        if (slot < 0) {
            if (zs_sweep_stop_signal && !c->stopping) zs_children_stop(c);
            continue;
        }
        char said[ZS_ERROR_MSG_MAX], why[ZS_ERROR_MSG_MAX + 256];
        zs_children_said(&c->kids[slot], said, sizeof said);
        int recorded = WIFEXITED(status) && WEXITSTATUS(status) == ZS_WORKER_RECORDED;
        if (!recorded && !zs_sweep_stop_signal &&
            !first_error[0]) { /* stopped: not the data's fault */
            zs_children_describe_exit(status, said, why, sizeof why);
            snprintf(first_error, sizeof first_error, "%s",
                     WIFEXITED(status) && said[0] ? said : why);
        }
        zs_children_drop(c, slot);
    }
    if (s) zs_children_stop_wait(c);
    close(lock);
    if (!s && first_error[0]) s = zs_fail(err, ZS_ERR_IO, "%s", first_error);
    return s;
}

/* ---- runs ------------------------------------------------------------------------------ */

static zs_status start_run(zs_runner *r, int *claimed, zs_error *err) {
    char id[ZS_SWEEP_ID_LEN + 1];
    *claimed = 0;
    zs_status s = zs_ledger_claim(r->lg, getpid(), r->stale_s, id, err);
    if (s || !id[0]) return s;
    const zs_sweep_plan_run *run = zs_sweep_plan_find(r->w.plan, id);
    if (!run) /* cannot happen: claims are limited to the plan's runs; give it back */
        return zs_ledger_release(r->lg, id, 1, r->max_attempts, NULL, &(zs_run_status){0}, err);
    *claimed = 1;
    return zs_children_spawn(&r->kids, &r->w, zs_sweep_child_train, (size_t)(run - r->w.plan->runs),
                             id, err);
}

/* DIR/runs.csv follows the ledger as runs finish, so `zipscale fit` can look early. */
static zs_status export_table(zs_runner *r, zs_error *err) {
    char csv[4200];
    size_t rows;
    snprintf(csv, sizeof csv, "%s/runs.csv", r->w.dir);
    if (!r->others) return zs_sweep_export_ledger(r->lg, r->w.spec, r->w.plan, csv, &rows, err);
    zs_ledger *all = NULL; /* shards' ledgers too: the table holds every finished run */
    zs_status s = zs_ledger_open_union(&all, r->w.dir, NULL, 0, err);
    if (!s) s = zs_sweep_export_ledger(all, r->w.spec, r->w.plan, csv, &rows, err);
    zs_ledger_close(all);
    return s;
}

static int stop_signal_number(int sig) {
    return sig == SIGINT || sig == SIGTERM || sig == SIGUSR1;
}

zs_status zs_runner_settle(zs_runner *r, size_t index, int kind, int signal,
                           const zs_sweep_outcome *o, const char *where, zs_error *err) {
    const char *id = r->w.plan->runs[index].id;
    zs_status s = ZS_OK;
    zs_run_status now;
    if (kind == ZS_OUTCOME_FINISHED && o) {
        zs_train_result res;
        memset(&res, 0, sizeof res);
        res.final_val_loss = o->final_loss;
        res.min_val_loss = o->min_loss;
        res.wall_s = o->wall_s;
        s = zs_ledger_finish(r->lg, id, (zs_run_status)o->status, &res, o->message, err);
    } else if (kind == ZS_OUTCOME_INTERRUPTED ||
               (kind == ZS_OUTCOME_KILLED &&
                (zs_sweep_stop_signal || stop_signal_number(signal)))) {
        s = zs_ledger_release(r->lg, id, 1, r->max_attempts,
                              "interrupted; resumes from its checkpoint", &now, err);
    } else if (kind == ZS_OUTCOME_KILLED) {
        s = zs_ledger_release(r->lg, id, 0, r->max_attempts, o ? o->message : "killed", &now, err);
    } else if (kind != ZS_OUTCOME_FINISHED) {
        s = zs_ledger_finish(r->lg, id, ZS_RUN_FAILED, NULL, o ? o->message : "failed", err);
    }
    if (!s) zs_sweep_progress_finished(&r->progress, r->lg, id, where);
    if (!s && !r->sharded) s = export_table(r, err); /* a shard sees only its own runs */
    return s;
}

/* What a finished child's exit means for its run (a child that recorded its outcome in the
 * ledger has nothing left to record). */
static zs_status settle_child(zs_runner *r, int slot, int status, zs_error *err) {
    zs_child *k = &r->kids.kids[slot];
    zs_sweep_outcome o;
    memset(&o, 0, sizeof o);
    char said[ZS_ERROR_MSG_MAX];
    zs_children_said(k, said, sizeof said);
    size_t index = k->index;
    zs_children_drop(&r->kids, slot);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == ZS_WORKER_RECORDED)
        return zs_runner_settle(r, index, ZS_OUTCOME_FINISHED, 0, NULL, "", err);
    if (code == ZS_WORKER_INTERRUPTED)
        return zs_runner_settle(r, index, ZS_OUTCOME_INTERRUPTED, 0, NULL, "", err);
    zs_children_describe_exit(status, said, o.message, sizeof o.message);
    if (WIFSIGNALED(status))
        return zs_runner_settle(r, index, ZS_OUTCOME_KILLED, WTERMSIG(status), &o, "", err);
    if (said[0]) snprintf(o.message, sizeof o.message, "%s", said);
    return zs_runner_settle(r, index, ZS_OUTCOME_FAILED, 0, &o, "", err);
}

static zs_status run_all(zs_runner *r, zs_error *err) {
    zs_status s = ZS_OK;
    double last_beat = zs_sweep_mono_s();
    int exhausted = 0;
    zs_children *c = &r->kids;
    while (!s) {
        while (!s && !zs_sweep_stop_signal && !exhausted && c->n < r->train_jobs) {
            int claimed = 0;
            s = start_run(r, &claimed, err);
            exhausted = !claimed;
        }
        if (!s && r->link && !zs_sweep_stop_signal && !exhausted)
            s = zs_owner_hand_out(r, &exhausted, err);
        if (s) break;
        if (c->n == 0 && r->n_flights == 0 && (exhausted || zs_sweep_stop_signal)) break;
        if (r->link && r->train_jobs == 0 && r->n_flights == 0 && zs_owner_live(r) == 0) {
            s = zs_fail(err, ZS_ERR_IO,
                        "MPI: every rank that trains has gone silent (taken for dead); the "
                        "runs left are pending: run the same command again");
            break;
        }
        if (zs_sweep_stop_signal && !c->stopping) zs_children_stop(c);
        if (zs_sweep_stop_signal && r->link && (s = zs_owner_stop(r, err))) break;
        int status = 0, changed = 0, slot = zs_children_reap(c, &status, poll_s(r, 0.25));
        if (slot >= 0) {
            s = settle_child(r, slot, status, err);
            exhausted = 0;
        }
        if (!s) s = service(r, &changed, err);
        if (changed) exhausted = 0;
        if (!s && zs_sweep_mono_s() - last_beat >= HEARTBEAT_S) {
            s = zs_ledger_heartbeat(r->lg, getpid(), err);
            last_beat = zs_sweep_mono_s();
        }
        if (!s) zs_sweep_progress_tick(&r->progress, r->lg, c->n + (int)r->n_flights);
    }
    /* the ledger failed us: stop the children and leave their runs to a restart */
    if (s) zs_children_stop_wait(c);
    return s;
}

/* ---- the whole ------------------------------------------------------------------------- */

void zs_sweep_run_opts_init(zs_sweep_run_opts *opts) {
    memset(opts, 0, sizeof *opts);
    opts->analyse = 1;
}

static int default_jobs(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The spec's text and folder go into the ledger: the analysis and the export read the
 * sweep's settings from there, wherever the spec file is later. */
static zs_status record_spec(zs_runner *r, const char *spec_path, zs_error *err) {
    char *text = NULL;
    size_t len = 0;
    zs_status s = zs_read_file(spec_path, &text, &len, err);
    if (!s) s = zs_ledger_meta_put(r->lg, "spec_text", text, err);
    if (!s) s = zs_ledger_meta_put(r->lg, "spec_base_dir", r->w.spec->base_dir, err);
    free(text);
    return s;
}

static int finished(zs_run_status st) {
    return st == ZS_RUN_COMPLETED || st == ZS_RUN_DIVERGED || st == ZS_RUN_FAILED;
}

/* A shard claims only its runs that no other ledger of DIR records as finished (a shard
 * run again after `sweep merge`, a resubmitted run its first task finished after all); so
 * does an unsharded sweep on a directory that shards have worked in. */
static zs_status select_shard(zs_runner *r, const zs_sweep_run_opts *opts, zs_error *err) {
    size_t *idx = NULL, n = 0, kept = 0;
    size_t count = opts->shard_count ? opts->shard_count : 1;
    zs_status s =
        zs_sweep_shard_runs(r->w.plan, opts->shard_index, count, opts->run_list, &idx, &n, err);
    const char **ids = s ? NULL : zs_calloc(n + 1, sizeof *ids, "shard runs", err);
    if (!s && !ids) s = ZS_ERR_NOMEM;
    zs_ledger *others = NULL;
    zs_error ignored;
    if (!s && zs_ledger_open_union(&others, r->w.dir, r->ledger_path, 1, &ignored)) others = NULL;
    for (size_t i = 0; !s && i < n; i++) {
        const zs_sweep_plan_run *run = &r->w.plan->runs[idx[i]];
        zs_ledger_run row;
        int found = 0;
        if (others && !zs_ledger_run_get(others, run->id, &row, &found, &ignored) && found &&
            finished(row.status))
            continue;
        ids[kept++] = run->id;
        r->needed[run->dataset] = 1;
    }
    zs_ledger_close(others);
    if (!s) s = zs_ledger_limit(r->lg, ids, kept, err);
    if (!s && r->sharded)
        zs_sweep_progress_shard(&r->progress, opts->shard_index, count, kept, n - kept);
    free(ids);
    free(idx);
    return s;
}

static zs_status sweep(zs_runner *r, const char *spec_path, const zs_sweep_run_opts *opts,
                       zs_sweep_counts *counts, zs_error *err) {
    zs_ledger_sync_counts sc;
    zs_status s = zs_ledger_sync(r->lg, r->w.spec, r->w.plan, &sc, err);
    if (!s) s = record_spec(r, spec_path, err);
    if (s) return s;
    zs_sweep_progress_start(&r->progress, r->w.plan, &sc, r->jobs);
    if (r->link)
        zs_sweep_progress_mpi(&r->progress, zs_sweep_link_size(r->link), r->train_jobs,
                              r->w.spec->ranks_per_run);
    if ((r->sharded || r->others) && (s = select_shard(r, opts, err))) return s;
    if ((s = prepare_datasets(r, err))) return s;
    if (!zs_sweep_stop_signal && !opts->prepare_only && (s = run_all(r, err))) return s;
    if (r->link) zs_owner_done(r); /* before the analysis: the other ranks may leave */
    if (r->sharded) {
        s = zs_ledger_counts_active(r->lg, counts, err);
    } else if (r->others) { /* the sweep's counts, over every ledger */
        zs_ledger *all = NULL;
        s = zs_ledger_open_union(&all, r->w.dir, NULL, 0, err);
        if (!s) s = zs_ledger_counts(all, counts, err);
        zs_ledger_close(all);
    } else {
        s = zs_ledger_counts(r->lg, counts, err);
    }
    if (s) return s;
    counts->interrupted = zs_sweep_stop_signal != 0;
    zs_sweep_progress_end(&r->progress, counts);
    if (opts->analyse && !r->sharded && !opts->prepare_only && !counts->interrupted &&
        counts->pending == 0 && counts->running == 0 && counts->completed > 0) {
        zs_sweep_analyse_opts ao;
        zs_sweep_analyse_opts_init(&ao);
        s = zs_sweep_analyse(r->w.dir, &ao, NULL, err);
    }
    return s;
}

static zs_status count_others(zs_runner *r, zs_error *err) {
    char **paths = NULL;
    size_t n = 0;
    zs_status s = zs_sweep_ledger_files(r->w.dir, &paths, &n, err);
    for (size_t i = 0; !s && i < n; i++)
        if (strcmp(paths[i], r->ledger_path) != 0) r->others = 1;
    zs_sweep_ledger_files_free(paths, n);
    return s;
}

/* The ledger this process writes: DIR/sweep.db, or a shard's own. */
static zs_status open_ledger(zs_runner *r, const char *dir, const zs_sweep_run_opts *opts,
                             zs_error *err) {
    r->sharded = opts->shard_count > 0 || opts->run_list;
    if (!r->sharded) {
        snprintf(r->ledger_path, sizeof r->ledger_path, "%s/" ZS_LEDGER_FILE, dir);
        return zs_ledger_open(&r->lg, dir, 1, err);
    }
    size_t count = opts->shard_count ? opts->shard_count : 1;
    if (opts->shard_index >= count)
        return zs_fail_field(err, ZS_ERR_USAGE, "shard_index",
                             "shard %zu of %zu: the index must be below the count (0 <= i < n)",
                             opts->shard_index, count);
    if (opts->prepare_only)
        return zs_fail_field(err, ZS_ERR_USAGE, "prepare_only",
                             "prepare_only: prepares into DIR/" ZS_LEDGER_FILE
                             ", not a shard's ledger; drop the shard");
    if ((mkdir(dir, 0777) != 0 && errno != EEXIST))
        return zs_fail(err, ZS_ERR_IO, "%s: cannot create the sweep directory: %s", dir,
                       strerror(errno));
    char name[256];
    zs_sweep_shard_ledger_name(opts->shard_index, count, opts->run_list, name, sizeof name);
    snprintf(r->ledger_path, sizeof r->ledger_path, "%s/%s", dir, name);
    /* One process owns a shard's ledger (Slurm runs each array task once at a time), so a
     * run it finds running was left by an earlier incarnation: taken over at once. */
    r->stale_s = 0;
    return zs_ledger_open_file(&r->lg, r->ledger_path, 1, 0, err);
}

/* ranks_per_run R > 1: ranks 1.. split into whole groups of R, each rank's share of the
 * batch whole. Every rank checks the same numbers, so all stop together. */
static zs_status check_groups(const zs_sweep_spec *spec, int size, zs_error *err) {
    int R = spec->ranks_per_run;
    if ((size - 1) % R != 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "ranks_per_run",
                             "ranks_per_run %d: the %d ranks after rank 0 (which hands out the "
                             "runs) do not split into groups of %d; start 1 + a multiple of %d "
                             "ranks (mpirun -np %d)",
                             R, size - 1, R, R, 1 + R * ((size - 1) / R > 0 ? (size - 1) / R : 1));
    if (spec->batch % (uint32_t)R != 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "ranks_per_run",
                             "ranks_per_run %d does not divide train.batch %u: each rank of a "
                             "group takes batch / ranks_per_run rows of every step",
                             R, spec->batch);
    return ZS_OK;
}

/* A rank other than 0 of a sweep across MPI ranks: it trains what rank 0 hands out. */
static zs_status work_for_rank0(zs_runner *r, zs_sweep_counts *counts, zs_error *err) {
    zs_sweep_worker_ctx w = r->w;
    w.ledger = NULL; /* the children report to this rank, this rank to rank 0 */
    zs_sweep_worker_opts wo = {r->link, &w, r->jobs, r->rank_timeout_s};
    int interrupted = 0;
    zs_status s = r->group ? zs_sweep_mpi_group(&wo, r->group, &interrupted, err)
                           : zs_sweep_mpi_worker(&wo, &interrupted, err);
    counts->interrupted = interrupted;
    if (s) { /* which rank says it */
        char msg[ZS_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        snprintf(err->msg, sizeof err->msg, "rank %d: %.1000s", counts->mpi_rank, msg);
    }
    return s;
}

zs_status zs_sweep_run(const char *spec_path, const char *dir, const zs_sweep_run_opts *opts,
                       zs_sweep_counts *counts, zs_error *err) {
    zs_sweep_spec spec;
    zs_sweep_plan plan;
    zs_runner r;
    memset(&r, 0, sizeof r);
    memset(counts, 0, sizeof *counts);
    zs_status s = zs_sweep_link_open(&r.link, err);
    if (s) return s;
    counts->mpi_rank = zs_sweep_link_rank(r.link);
    if ((s = zs_sweep_spec_read(spec_path, &spec, err))) {
        zs_sweep_link_close(r.link);
        return s;
    }
    if ((s = zs_sweep_plan_build(&spec, &plan, err))) {
        zs_sweep_spec_free(&spec);
        zs_sweep_link_close(r.link);
        return s;
    }
    r.w = (zs_sweep_worker_ctx){&spec, &plan, dir, r.ledger_path};
    /* Under MPI one job a rank unless asked: a launcher puts a rank on each core (or node) */
    r.jobs = opts->jobs > 0 ? opts->jobs : r.link ? 1 : spec.jobs > 0 ? spec.jobs : default_jobs();
    r.max_attempts = spec.max_attempts;
    r.stale_s = STALE_S;
    r.rank_timeout_s = opts->rank_timeout_s > 0 ? opts->rank_timeout_s : ZS_SWEEP_RANK_TIMEOUT_S;
    zs_sweep_progress_init(&r.progress, counts->mpi_rank == 0 ? opts->progress : NULL,
                           opts->progress_tty);
    r.train_jobs = r.jobs;
    if (r.link && spec.ranks_per_run > 1) { /* groups: rank 0 hands out runs, trains none */
        s = check_groups(&spec, zs_sweep_link_size(r.link), err);
        if (s && counts->mpi_rank > 0) err->msg[0] = '\0'; /* rank 0 says it, once */
        if (!s) s = zs_sweep_link_groups(r.link, spec.ranks_per_run, &r.group, err);
        r.train_jobs = 0;
    }
    zs_sweep_stops stops;
    zs_sweep_catch_stops(&stops);
    if (!s) s = zs_children_init(&r.kids, r.jobs, err);
    if (!s && counts->mpi_rank > 0) {
        s = work_for_rank0(&r, counts, err);
    } else if (!s) {
        r.needed = zs_calloc(spec.n_datasets, 1, "sweep datasets", err);
        if (!r.needed) s = ZS_ERR_NOMEM;
        if (!s && r.link) s = zs_owner_init(&r, err);
        if (!s) s = open_ledger(&r, dir, opts, err);
        if (!s) s = count_others(&r, err);
        if (!s && !r.sharded) memset(r.needed, 1, spec.n_datasets);
        char runs_dir[4200];
        snprintf(runs_dir, sizeof runs_dir, "%s/runs", dir);
        if (!s && mkdir(runs_dir, 0777) != 0 && errno != EEXIST)
            s = zs_fail(err, ZS_ERR_IO, "%s: cannot create: %s", runs_dir, strerror(errno));
        if (!s) s = sweep(&r, spec_path, opts, counts, err);
        if (r.link) zs_owner_done(&r); /* every way out: no rank waits for work forever */
        zs_ledger_close(r.lg);
        zs_owner_free(&r);
        free(r.needed);
    }
    zs_sweep_restore_stops(&stops);
    zs_children_free(&r.kids);
    zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    zs_comm_free(r.group);
    zs_sweep_link_close(r.link);
    if (s) {
        int rank = counts->mpi_rank;
        memset(counts, 0, sizeof *counts);
        counts->mpi_rank = rank;
    }
    return s;
}
