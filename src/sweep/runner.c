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
        zs_sweep_child_setup(r->me);
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

static zs_status prepare_datasets(zs_runner *r, zs_error *err) {
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/.prepare.lock", r->w.dir);
    int lock = open(lock_path, O_CREAT | O_RDWR, 0666);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        if (lock >= 0) close(lock);
        return zs_fail(err, ZS_ERR_IO, "%s: cannot lock: %s", lock_path, strerror(errno));
    }
    zs_status s = ZS_OK;
    char first_error[ZS_ERROR_MSG_MAX + 256] = "";
    size_t next = 0;
    while (!s) {
        while (!s && r->n_kids < r->jobs && next < r->w.spec->n_datasets && !stop_signal) {
            zs_ledger_dataset d;
            int found = 0;
            size_t i = next++;
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
    zs_status s = zs_ledger_claim(r->lg, r->me, STALE_S, id, err);
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
    return zs_sweep_export_ledger(r->lg, r->w.spec, r->w.plan, csv, &rows, err);
}

/* What a finished child's exit means for its run. */
static zs_status settle_run(zs_runner *r, int slot, int status, zs_error *err) {
    zs_child *k = &r->kids[slot];
    char said[ZS_ERROR_MSG_MAX], why[ZS_ERROR_MSG_MAX + 256];
    child_message(k, said, sizeof said);
    zs_status s = ZS_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == ZS_WORKER_RECORDED) {
        /* recorded by the child */
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        int interrupted = stop_signal || sig == SIGINT || sig == SIGTERM;
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
    if (!s) s = export_table(r, err);
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

static zs_status sweep(zs_runner *r, const char *spec_path, const zs_sweep_run_opts *opts,
                       zs_sweep_counts *counts, zs_error *err) {
    zs_ledger_sync_counts sc;
    zs_status s = zs_ledger_sync(r->lg, r->w.spec, r->w.plan, &sc, err);
    if (!s) s = record_spec(r, spec_path, err);
    if (s) return s;
    zs_sweep_progress_start(&r->progress, r->w.plan, &sc, r->jobs);
    if ((s = prepare_datasets(r, err))) return s;
    if (!stop_signal && (s = run_all(r, err))) return s;
    if ((s = zs_ledger_counts(r->lg, counts, err))) return s;
    counts->interrupted = stop_signal != 0;
    zs_sweep_progress_end(&r->progress, counts);
    if (opts->analyse && !counts->interrupted && counts->pending == 0 && counts->running == 0 &&
        counts->completed > 0) {
        zs_sweep_analyse_opts ao;
        zs_sweep_analyse_opts_init(&ao);
        s = zs_sweep_analyse(r->w.dir, &ao, NULL, err);
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
    zs_status s = zs_sweep_spec_read(spec_path, &spec, err);
    if (s) return s;
    if ((s = zs_sweep_plan_build(&spec, &plan, err))) {
        zs_sweep_spec_free(&spec);
        return s;
    }
    r.w = (zs_sweep_worker_ctx){&spec, &plan, dir};
    r.jobs = opts->jobs > 0 ? opts->jobs : spec.jobs > 0 ? spec.jobs : default_jobs();
    r.max_attempts = spec.max_attempts;
    r.me = getpid();
    zs_sweep_progress_init(&r.progress, opts->progress, opts->progress_tty);
    r.kids = zs_calloc((size_t)r.jobs, sizeof *r.kids, "sweep workers", err);
    if (!r.kids) s = ZS_ERR_NOMEM;
    if (!s) s = zs_ledger_open(&r.lg, dir, 1, err);
    char runs_dir[4200];
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", dir);
    if (!s && mkdir(runs_dir, 0777) != 0 && errno != EEXIST)
        s = zs_fail(err, ZS_ERR_IO, "%s: cannot create: %s", runs_dir, strerror(errno));
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    if (!s) s = sweep(&r, spec_path, opts, counts, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    zs_ledger_close(r.lg);
    free(r.kids);
    zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    if (s) memset(counts, 0, sizeof *counts);
    return s;
}
