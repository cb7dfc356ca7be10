/* The child processes of a sweep (sweep_children.h). The parent never trains and never uses
 * OpenMP, so forking is safe; each child is single-threaded unless its run says otherwise.
 * Stop signals reach a child only once it has its own dispositions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sweep/sweep_children.h"

volatile sig_atomic_t zs_sweep_stop_signal;

static void on_stop(int sig) {
    zs_sweep_stop_signal = sig;
}

static const int stop_signals[3] = {SIGINT, SIGTERM, SIGUSR1};

void zs_sweep_catch_stops(zs_sweep_stops *saved) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    zs_sweep_stop_signal = 0;
    for (int i = 0; i < 3; i++) sigaction(stop_signals[i], &sa, &saved->old[i]);
}

void zs_sweep_restore_stops(const zs_sweep_stops *saved) {
    for (int i = 0; i < 3; i++) sigaction(stop_signals[i], &saved->old[i], NULL);
}

double zs_sweep_mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void nap(double seconds) {
    struct timespec ts = {0, (long)(seconds * 1e9)};
    nanosleep(&ts, NULL); /* a signal cuts it short, as it should */
}

zs_status zs_children_init(zs_children *c, int cap, zs_error *err) {
    memset(c, 0, sizeof *c);
    c->me = getpid();
    c->cap = cap > 0 ? cap : 1;
    c->kids = zs_calloc((size_t)c->cap, sizeof *c->kids, "sweep workers", err);
    return c->kids ? ZS_OK : ZS_ERR_NOMEM;
}

void zs_children_free(zs_children *c) {
    free(c->kids);
    c->kids = NULL;
    c->n = c->cap = 0;
}

zs_status zs_children_spawn(zs_children *c, const zs_sweep_worker_ctx *w, zs_sweep_work work,
                            size_t index, const char *id, zs_error *err) {
    if (c->n >= c->cap) return zs_fail(err, ZS_ERR_INTERNAL, "sweep: no free worker slot");
    int fds[2];
    if (pipe(fds) != 0) return zs_fail(err, ZS_ERR_IO, "pipe: %s", strerror(errno));
    fflush(NULL);
    /* Stop signals wait until the child has its own dispositions: one that arrived in
     * between would otherwise run the parent's handler in the child, which goes on. */
    sigset_t stops, before;
    sigemptyset(&stops);
    for (int i = 0; i < 3; i++) sigaddset(&stops, stop_signals[i]);
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
        zs_sweep_child_setup(c->me, work == zs_sweep_child_train);
        sigprocmask(SIG_SETMASK, &before, NULL);
        zs_error e;
        zs_error_clear(&e);
        int code = work(w, index, fds[1], &e);
        if (code != ZS_WORKER_RECORDED && code != ZS_WORKER_REPORTED &&
            write(fds[1], e.msg, strlen(e.msg)) < 0)
            code = ZS_WORKER_UNRECORDED;
        _exit(code);
    }
    sigprocmask(SIG_SETMASK, &before, NULL);
    close(fds[1]);
    zs_child *k = &c->kids[c->n++];
    k->pid = pid;
    k->fd = fds[0];
    k->index = index;
    snprintf(k->id, sizeof k->id, "%s", id ? id : "");
    return ZS_OK;
}

size_t zs_children_said(zs_child *k, char *buf, size_t size) {
    size_t used = 0;
    ssize_t got;
    while (used + 1 < size && (got = read(k->fd, buf + used, size - 1 - used)) > 0)
        used += (size_t)got;
    buf[used] = '\0';
    close(k->fd);
    k->fd = -1;
    return used;
}

int zs_children_reap(zs_children *c, int *status, double wait_s) {
    double until = zs_sweep_mono_s() + wait_s;
    for (;;) {
        pid_t pid = waitpid(-1, status, WNOHANG);
        for (int i = 0; pid > 0 && i < c->n; i++)
            if (c->kids[i].pid == pid) return i;
        if (zs_sweep_mono_s() >= until || (zs_sweep_stop_signal && !c->stopping))
            return -1; /* stop them first */
        nap(0.002);    /* a finished run waits at most 2 ms for its successor */
    }
}

void zs_children_drop(zs_children *c, int slot) {
    if (c->kids[slot].fd >= 0) close(c->kids[slot].fd);
    c->kids[slot] = c->kids[--c->n];
}

void zs_children_stop(zs_children *c) {
    c->stopping = 1;
    for (int i = 0; i < c->n; i++) kill(c->kids[i].pid, SIGTERM);
}

void zs_children_stop_wait(zs_children *c) {
    zs_children_stop(c);
    while (c->n > 0) {
        int status;
        waitpid(c->kids[0].pid, &status, 0);
        zs_children_drop(c, 0);
    }
}

void zs_children_describe_exit(int status, const char *said, char *buf, size_t size) {
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(buf, size, "killed by signal %d (%s)%s", sig, strsignal(sig),
                 sig == SIGKILL ? "; out of memory (the OOM killer) or killed by hand" : "");
    } else {
        snprintf(buf, size, "worker exited with status %d: %s", WEXITSTATUS(status),
                 said[0] ? said : "no message");
    }
}
