/* The child side of a sweep: one process per job, started by the scheduler (runner.c),
 * that prepares one dataset or trains one run and records the outcome in the ledger
 * itself. It dies with its parent (PR_SET_PDEATHSIG), so killing the sweep any way leaves
 * no orphan training; what it leaves is a checkpoint the next attempt resumes from. */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sweep/sweep_worker.h"

/* Set by a stop signal in a training child; the trainer polls it after every step. */
static volatile sig_atomic_t stop_requested;

static void on_stop_request(int sig) {
    stop_requested = sig;
}

void zs_sweep_child_setup(pid_t parent, int trains) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = trains ? on_stop_request : SIG_DFL;
    sa.sa_flags = SA_RESTART; /* the run's file and ledger writes go on; the flag is polled */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(ZS_WORKER_UNRECORDED);
}

/* The test hook of docs/sweeps.md: ZS_SWEEP_TEST_CRASH=MODEL makes every run of that model
 * crash with SIGSEGV before it trains, as a bug in a run would. */
static void maybe_crash(const char *model) {
    const char *victim = getenv("ZS_SWEEP_TEST_CRASH");
    if (victim && strcmp(victim, model) == 0) raise(SIGSEGV);
}

static zs_run_status status_of(zs_train_status s) {
    return s == ZS_TRAIN_COMPLETED  ? ZS_RUN_COMPLETED
           : s == ZS_TRAIN_DIVERGED ? ZS_RUN_DIVERGED
                                    : ZS_RUN_FAILED;
}

/* Trains with the options; a checkpoint that cannot be resumed (written by a run whose
 * options differ, or damaged) is set aside and the run starts over, as the message says. */
static zs_status train(zs_train_opts *opt, zs_train_result *res, char *note, size_t size,
                       zs_error *err) {
    zs_status s = zs_train_run(opt, res, err);
    /* Only a checkpoint the trainer refused (damaged, or another run's options) is set
     * aside: an I/O error or a missing data file fails the run and keeps the checkpoint. */
    if (!s || !opt->resume || (s != ZS_ERR_FORMAT && s != ZS_ERR_USAGE)) return s;
    char old[4200], aside[4300];
    snprintf(old, sizeof old, "%s/checkpoint.safetensors", opt->out_dir);
    snprintf(aside, sizeof aside, "%s/checkpoint.unusable.safetensors", opt->out_dir);
    snprintf(note, size, "started over: the checkpoint could not be resumed (%s)",
             err ? err->msg : "?");
    rename(old, aside);
    opt->resume = NULL;
    return zs_train_run(opt, res, err);
}

/* A checkpoint write cut short by a kill leaves its temporary file: removed before the
 * run goes on (the checkpoint itself is only ever replaced whole). */
static void remove_partial_checkpoints(const char *run_dir) {
    DIR *d = opendir(run_dir);
    if (!d) return;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "checkpoint.safetensors.tmp.", 27) == 0) {
            snprintf(path, sizeof path, "%s/%s", run_dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

/* Without a ledger (an MPI worker rank), the outcome goes up the pipe whole. */
static int report(int fd, const zs_sweep_outcome *o) {
    const char *p = (const char *)o;
    size_t left = sizeof *o;
    while (left > 0) {
        ssize_t put = write(fd, p, left);
        if (put <= 0) return ZS_WORKER_UNRECORDED;
        p += put;
        left -= (size_t)put;
    }
    return ZS_WORKER_REPORTED;
}

int zs_sweep_train_here(const zs_sweep_worker_ctx *w, size_t run, const zs_comm *comm,
                        const volatile sig_atomic_t *stop, void (*on_step)(void *), void *ctx,
                        zs_sweep_outcome *o) {
    zs_sweep_run_paths paths;
    zs_train_opts opt;
    zs_train_result res;
    zs_error err;
    zs_error_clear(&err);
    memset(&res, 0, sizeof res);
    memset(o, 0, sizeof *o);
    zs_status s = zs_sweep_run_train_opts(w->spec, w->plan, run, w->dir, &paths, &opt, &err);
    opt.stop = stop;
    opt.comm = comm;
    opt.on_step = on_step;
    opt.on_step_ctx = ctx;
    if (!s && zs_comm_rank(comm) == 0) remove_partial_checkpoints(paths.out);
    if (!s) s = train(&opt, &res, o->message, sizeof o->message, &err);
    /* Stopped: the checkpoint at the step it reached is on disk; the run goes back to
     * pending (a stop before the first step leaves the last checkpoint). */
    if ((!s && res.status == ZS_TRAIN_HALTED) || (s && stop && *stop)) return 1;
    zs_run_status status = s ? ZS_RUN_FAILED : status_of(res.status);
    o->status = (int32_t)status;
    o->final_loss = s ? NAN : res.final_val_loss;
    o->min_loss = s ? NAN : res.min_val_loss;
    o->wall_s = s ? 0 : res.wall_s;
    if (s || status == ZS_RUN_DIVERGED)
        snprintf(o->message, sizeof o->message, "%s", s ? err.msg : res.diverged);
    return 0;
}

int zs_sweep_child_train(const zs_sweep_worker_ctx *w, size_t run, int report_fd, zs_error *err) {
    const zs_sweep_plan_run *r = &w->plan->runs[run];
    maybe_crash(w->spec->models[r->model].name);
    zs_sweep_outcome o;
    if (zs_sweep_train_here(w, run, NULL, &stop_requested, NULL, NULL, &o))
        return ZS_WORKER_INTERRUPTED;
    if (!w->ledger) return report(report_fd, &o);
    zs_train_result res;
    memset(&res, 0, sizeof res);
    res.final_val_loss = o.final_loss;
    res.min_val_loss = o.min_loss;
    res.wall_s = o.wall_s;
    zs_ledger *lg = NULL;
    zs_status s = zs_ledger_open_file(&lg, w->ledger, 0, -1, err);
    if (!s)
        s = zs_ledger_finish(lg, r->id, (zs_run_status)o.status,
                             o.status == ZS_RUN_FAILED ? NULL : &res, o.message, err);
    zs_ledger_close(lg);
    return s ? ZS_WORKER_UNRECORDED : ZS_WORKER_RECORDED;
}

int zs_sweep_child_prepare(const zs_sweep_worker_ctx *w, size_t dataset, int report_fd,
                           zs_error *err) {
    (void)report_fd;
    zs_ledger_dataset d;
    zs_status s =
        zs_sweep_prepare_dataset(w->spec, dataset, &w->plan->data[dataset], w->dir, 1, &d, err);
    zs_ledger *lg = NULL;
    if (!s) s = zs_ledger_open_file(&lg, w->ledger, 0, -1, err);
    if (!s) s = zs_ledger_dataset_put(lg, &d, err);
    zs_ledger_close(lg);
    return s ? ZS_WORKER_UNRECORDED : ZS_WORKER_RECORDED;
}
