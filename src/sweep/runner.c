/* The scheduler: `zipscale sweep run`. Syncs the ledger with the spec, prepares the
 * datasets, then keeps `jobs` child processes busy with the largest pending runs, records
 * what their exits say (a crash or a kill is retried up to max_attempts, an interruption
 * puts the run back), beats the heart of its claims and shows progress. The parent never
 * trains and never uses OpenMP, so forking is safe; each child is single-threaded. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sweep/sweep_progress.h"
#include "sweep/sweep_worker.h"

#define HEARTBEAT_S 5.0
#define STALE_S 120.0 /* a claim without a heartbeat this long is taken over */

typedef struct {
    pid_t pid;
    int fd; /* the read end of the child's message pipe */
    size_t index;
    char id[ZS_SWEEP_ID_LEN + 1];
} zs_child;

typedef int (*zs_child_work)(const zs_sweep_worker_ctx *w, size_t index, zs_error *err);

typedef struct {
    zs_sweep_worker_ctx w;
    zs_ledger *lg;
    zs_child *kids;
    int n_kids, jobs, max_attempts;
    int stopping; /* SIGTERM sent to the children after a stop signal */
    pid_t me;
    zs_sweep_progress progress;
    int sharded;    /* a shard: its own ledger, only its runs */
    int others;     /* DIR holds ledgers other than this process's */
    char *needed;   /* per dataset: one of this process's runs trains on it */
    double stale_s; /* a running claim older than this is taken over */
    char ledger_path[4200];
} zs_runner;

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) {
    stop_signal = sig;
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void nap(double seconds) {
    struct timespec ts = {0, (long)(seconds * 1e9)};
    nanosleep(&ts, NULL); /* a signal cuts it short, as it should */
}

static zs_status spawn(zs_runner *r, zs_child_work work, size_t index, const char *id,
                       zs_error *err) {
    int fds[2];
    if (pipe(fds) != 0) return zs_fail(err, ZS_ERR_IO, "pipe: %s", strerror(errno));
    fflush(NULL);
    /* Stop signals wait until the child has its own dispositions: one that arrived in
     * between would otherwise run the parent's handler in the child, which goes on. */
    sigset_t stops, before;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGUSR1);
    sigprocmask(SIG_BLOCK, &stops, &before);
    pid_t pid = fork();
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &before, NULL);
        close(fds[0]);
        close(fds[1]);
        return zs_fail(err, ZS_ERR_IO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        zs_sweep_child_setup(r->me, work == zs_sweep_child_train);
        sigprocmask(SIG_SETMASK, &before, NULL);
        zs_error e;
        zs_error_clear(&e);
        int code = work(&r->w, index, &e);
        if (code != ZS_WORKER_RECORDED && write(fds[1], e.msg, strlen(e.msg)) < 0) code = 4;
        _exit(code);
    }
    sigprocmask(SIG_SETMASK, &before, NULL);
    close(fds[1]);
    zs_child *k = &r->kids[r->n_kids++];
    k->pid = pid;
    k->fd = fds[0];
    k->index = index;
    snprintf(k->id, sizeof k->id, "%s", id ? id : "");
    return ZS_OK;
}

/* Reads what the child said (it has exited, so the pipe holds all of it). */
static void child_message(zs_child *k, char *buf, size_t size) {
    size_t used = 0;
    ssize_t got;
    while (used + 1 < size && (got = read(k->fd, buf + used, size - 1 - used)) > 0)
        used += (size_t)got;
    buf[used] = '\0';
    close(k->fd);
}

/* Waits (briefly) for one child to exit; *which its slot, -1 when none did. */
static int reap_one(zs_runner *r, int *status, double wait_s) {
    double until = mono_s() + wait_s;
    for (;;) {
        pid_t pid = waitpid(-1, status, WNOHANG);
        for (int i = 0; pid > 0 && i < r->n_kids; i++)
            if (r->kids[i].pid == pid) return i;
        if (mono_s() >= until || (stop_signal && !r->stopping)) return -1; /* stop them first */
        nap(0.002); /* a finished run waits at most 2 ms for its successor */
    }
}

/* Training children checkpoint at the step they reached and exit; preparing ones die. */
static void stop_children(zs_runner *r) {
    r->stopping = 1;
    for (int i = 0; i < r->n_kids; i++) kill(r->kids[i].pid, SIGTERM);
}

static void drop_child(zs_runner *r, int slot) {
    r->kids[slot] = r->kids[--r->n_kids];
}

static void describe_exit(int status, const char *said, char *buf, size_t size) {
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(buf, size, "killed by signal %d (%s)%s", sig, strsignal(sig),
                 sig == SIGKILL ? "; out of memory (the OOM killer) or killed by hand" : "");
    } else {
        snprintf(buf, size, "worker exited with status %d: %s", WEXITSTATUS(status),
                 said[0] ? said : "no message");
    }
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
    while (!s) {
        while (!s && r->n_kids < r->jobs && next < r->w.spec->n_datasets && !stop_signal) {
            zs_ledger_dataset d;
            int found = 0;
            size_t i = next++;
            if (!r->needed[i]) continue;
            s = zs_ledger_dataset_get(r->lg, r->w.plan->data[i].id, &d, &found, err);
            if (!s && !(found && d.ready)) {
                zs_sweep_progress_dataset(&r->progress, r->w.spec->datasets[i].name);
                s = spawn(r, zs_sweep_child_prepare, i, NULL, err);
            }
        }
        if (r->n_kids == 0) break;
        int status = 0, slot = reap_one(r, &status, 0.5);
        if (slot < 0) {
            if (stop_signal && !r->stopping) stop_children(r);
            continue;
        }
        char said[ZS_ERROR_MSG_MAX], why[ZS_ERROR_MSG_MAX + 256];
        child_message(&r->kids[slot], said, sizeof said);
        int recorded = WIFEXITED(status) && WEXITSTATUS(status) == ZS_WORKER_RECORDED;
        if (!recorded && !stop_signal && !first_error[0]) { /* stopped: not the data's fault */
            describe_exit(status, said, why, sizeof why);
            snprintf(first_error, sizeof first_error, "%s",
                     WIFEXITED(status) && said[0] ? said : why);
        }
        drop_child(r, slot);
    }
    close(lock);
    if (!s && first_error[0]) s = zs_fail(err, ZS_ERR_IO, "%s", first_error);
    return s;
}

/* ---- runs ------------------------------------------------------------------------------ */

static zs_status start_run(zs_runner *r, int *claimed, zs_error *err) {
    char id[ZS_SWEEP_ID_LEN + 1];
    *claimed = 0;
    zs_status s = zs_ledger_claim(r->lg, r->me, r->stale_s, id, err);
    if (s || !id[0]) return s;
    const zs_sweep_plan_run *run = zs_sweep_plan_find(r->w.plan, id);
    if (!run) /* cannot happen: claims are limited to the plan's runs; give it back */
        return zs_ledger_release(r->lg, id, 1, r->max_attempts, NULL, &(zs_run_status){0}, err);
    *claimed = 1;
    return spawn(r, zs_sweep_child_train, (size_t)(run - r->w.plan->runs), id, err);
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

/* What a finished child's exit means for its run. */
static zs_status settle_run(zs_runner *r, int slot, int status, zs_error *err) {
    zs_child *k = &r->kids[slot];
    char said[ZS_ERROR_MSG_MAX], why[ZS_ERROR_MSG_MAX + 256];
    child_message(k, said, sizeof said);
    zs_status s = ZS_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == ZS_WORKER_RECORDED) {
        /* recorded by the child */
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == ZS_WORKER_INTERRUPTED) {
        zs_run_status now;
        s = zs_ledger_release(r->lg, k->id, 1, r->max_attempts,
                              "interrupted; resumes from its checkpoint", &now, err);
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        int interrupted = stop_signal || sig == SIGINT || sig == SIGTERM || sig == SIGUSR1;
        describe_exit(status, said, why, sizeof why);
        zs_run_status now;
        s = zs_ledger_release(r->lg, k->id, interrupted, r->max_attempts,
                              interrupted ? "interrupted; resumes from its checkpoint" : why, &now,
                              err);
    } else {
        describe_exit(status, said, why, sizeof why);
        s = zs_ledger_finish(r->lg, k->id, ZS_RUN_FAILED, NULL, said[0] ? said : why, err);
    }
    if (!s) zs_sweep_progress_finished(&r->progress, r->lg, k->id);
    drop_child(r, slot);
    if (!s && !r->sharded) s = export_table(r, err); /* a shard sees only its own runs */
    return s;
}

static zs_status run_all(zs_runner *r, zs_error *err) {
    zs_status s = ZS_OK;
    double last_beat = mono_s();
    int exhausted = 0;
    while (!s) {
        while (!s && !stop_signal && !exhausted && r->n_kids < r->jobs) {
            int claimed = 0;
            s = start_run(r, &claimed, err);
            exhausted = !claimed;
        }
        if (r->n_kids == 0 && (exhausted || stop_signal)) break;
        if (stop_signal && !r->stopping) stop_children(r);
        int status = 0, slot = reap_one(r, &status, 0.25);
        if (slot >= 0) {
            s = settle_run(r, slot, status, err);
            exhausted = 0;
        }
        if (!s && mono_s() - last_beat >= HEARTBEAT_S) {
            s = zs_ledger_heartbeat(r->lg, r->me, err);
            last_beat = mono_s();
        }
        if (!s) zs_sweep_progress_tick(&r->progress, r->lg, r->n_kids);
    }
    if (s) { /* the ledger failed us: stop the children and leave their runs to a restart */
        stop_children(r);
        while (r->n_kids > 0) {
            int status;
            waitpid(r->kids[0].pid, &status, 0);
            close(r->kids[0].fd);
            drop_child(r, 0);
        }
    }
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
    if ((r->sharded || r->others) && (s = select_shard(r, opts, err))) return s;
    if ((s = prepare_datasets(r, err))) return s;
    if (!stop_signal && !opts->prepare_only && (s = run_all(r, err))) return s;
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
    counts->interrupted = stop_signal != 0;
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

zs_status zs_sweep_run(const char *spec_path, const char *dir, const zs_sweep_run_opts *opts,
                       zs_sweep_counts *counts, zs_error *err) {
    zs_sweep_spec spec;
    zs_sweep_plan plan;
    zs_runner r;
    memset(&r, 0, sizeof r);
    memset(counts, 0, sizeof *counts);
    zs_status s = zs_sweep_spec_read(spec_path, &spec, err);
    if (s) return s;
    if ((s = zs_sweep_plan_build(&spec, &plan, err))) {
        zs_sweep_spec_free(&spec);
        return s;
    }
    r.w = (zs_sweep_worker_ctx){&spec, &plan, dir, r.ledger_path};
    r.jobs = opts->jobs > 0 ? opts->jobs : spec.jobs > 0 ? spec.jobs : default_jobs();
    r.max_attempts = spec.max_attempts;
    r.me = getpid();
    r.stale_s = STALE_S;
    zs_sweep_progress_init(&r.progress, opts->progress, opts->progress_tty);
    r.kids = zs_calloc((size_t)r.jobs, sizeof *r.kids, "sweep workers", err);
    r.needed = zs_calloc(spec.n_datasets, 1, "sweep datasets", err);
    if (!r.kids || !r.needed) s = ZS_ERR_NOMEM;
    if (!s) s = open_ledger(&r, dir, opts, err);
    if (!s) s = count_others(&r, err);
    if (!r.sharded) memset(r.needed, 1, spec.n_datasets);
    char runs_dir[4200];
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", dir);
    if (!s && mkdir(runs_dir, 0777) != 0 && errno != EEXIST)
        s = zs_fail(err, ZS_ERR_IO, "%s: cannot create: %s", runs_dir, strerror(errno));
    struct sigaction sa, old_int, old_term, old_usr1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGUSR1, &sa, &old_usr1);
    if (!s) s = sweep(&r, spec_path, opts, counts, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGUSR1, &old_usr1, NULL);
    zs_ledger_close(r.lg);
    free(r.kids);
    free(r.needed);
    zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    if (s) memset(counts, 0, sizeof *counts);
    return s;
}
