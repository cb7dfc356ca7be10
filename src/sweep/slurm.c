/* `zipscale sweep slurm`: a sweep as Slurm job arrays. Writes the array script (each task
 * runs `zipscale sweep run --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`, forwards
 * Slurm's warning signal to it and requeues itself after a time-limit warning), a
 * dataset-preparation job the array waits for, and submits both with sbatch; or, with
 * resubmit, an array of just the runs no ledger of DIR records as finished.
 * docs/cluster.md. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"

#define STALE_S 120.0 /* as the scheduler's: a heartbeat this old is no live worker */

void zs_sweep_slurm_opts_init(zs_sweep_slurm_opts *opts) {
    memset(opts, 0, sizeof *opts);
    opts->cpus_per_task = 1;
    opts->signal = "B:USR1@120";
    opts->sbatch = "sbatch";
}

/* text in single quotes for the shell: ' becomes '\'' */
static void put_quoted(FILE *f, const char *text) {
    fputc('\'', f);
    for (const char *c = text; *c; c++)
        if (*c == '\'')
            fputs("'\\''", f);
        else
            fputc(*c, f);
    fputc('\'', f);
}

static void put_header(FILE *f, const zs_sweep_slurm_opts *o, const char *job_name,
                       const char *log) {
    fprintf(f, "#SBATCH --job-name=%s\n", job_name);
    if (o->partition) fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    if (o->time) fprintf(f, "#SBATCH --time=%s\n", o->time);
    fprintf(f, "#SBATCH --cpus-per-task=%d\n", o->cpus_per_task);
    fprintf(f, "#SBATCH --output=%s\n", log);
    fprintf(f, "#SBATCH --open-mode=append\n");
}

/* The array: shard $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT, in the background so
 * that the shell can pass Slurm's signals on and requeue the task after a time-limit
 * warning (the run checkpoints, exits 130, and the requeued task resumes it). */
static zs_status write_array(const char *path, const zs_sweep_slurm_opts *o, const char *spec,
                             const char *dir, const char *name, const char *run_list, size_t tasks,
                             zs_error *err) {
    zs_atomic_file af;
    zs_status s = zs_atomic_open(&af, path, err);
    if (s) return s;
    FILE *f = af.fp;
    char log[4400], job[128];
    snprintf(log, sizeof log, "%s/slurm/%%A_%%a.out", dir);
    snprintf(job, sizeof job, "zs-%s", name);
    fprintf(f, "#!/bin/bash\n");
    fprintf(f,
            "# Written by `zipscale sweep slurm` (docs/cluster.md): task I of this array trains\n"
            "# shard I of the %s runs, with its own ledger in the sweep directory.\n",
            run_list ? "listed" : "sweep's");
    fprintf(f, "#SBATCH --array=0-%zu", tasks - 1);
    if (o->max_parallel > 0) fprintf(f, "%%%d", o->max_parallel);
    fputc('\n', f);
    put_header(f, o, job, log);
    if (o->signal && o->signal[0]) fprintf(f, "#SBATCH --signal=%s\n", o->signal);
    fprintf(f, "#SBATCH --requeue\n");
    fputs("set -u\n", f);
    put_quoted(f, o->program);
    fputs(" sweep run ", f);
    put_quoted(f, spec);
    fputs(" -o ", f);
    put_quoted(f, dir);
    if (run_list) {
        fputs(" --runs ", f);
        put_quoted(f, run_list);
    }
    fputs(" --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\" "
          "--jobs \"${SLURM_CPUS_PER_TASK:-1}\" --no-analyse &\n"
          "child=$!\n"
          "signalled=\n"
          "trap 'signalled=USR1; kill -USR1 \"$child\" 2>/dev/null' USR1\n"
          "trap 'signalled=TERM; kill -TERM \"$child\" 2>/dev/null' TERM\n"
          "status=0\n"
          "while :; do\n"
          "    wait \"$child\"\n"
          "    status=$?\n"
          "    kill -0 \"$child\" 2>/dev/null || break\n"
          "done\n"
          "# The time-limit warning: the runs checkpointed; the task goes back in the queue.\n"
          "if [ \"$status\" = 130 ] && [ \"$signalled\" = USR1 ]; then\n"
          "    scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
          "fi\n"
          "exit \"$status\"\n",
          f);
    return zs_atomic_commit(&af, err);
}

static zs_status write_prepare(const char *path, const zs_sweep_slurm_opts *o, const char *spec,
                               const char *dir, const char *name, zs_error *err) {
    zs_atomic_file af;
    zs_status s = zs_atomic_open(&af, path, err);
    if (s) return s;
    FILE *f = af.fp;
    char log[4400], job[128];
    snprintf(log, sizeof log, "%s/slurm/prepare-%%j.out", dir);
    snprintf(job, sizeof job, "zs-%s-data", name);
    fprintf(f, "#!/bin/bash\n"
               "# Written by `zipscale sweep slurm` (docs/cluster.md): the sweep's datasets, made\n"
               "# once before the array's tasks start.\n");
    put_header(f, o, job, log);
    fputs("exec ", f);
    put_quoted(f, o->program);
    fputs(" sweep run ", f);
    put_quoted(f, spec);
    fputs(" -o ", f);
    put_quoted(f, dir);
    fputs(" --prepare-only --jobs \"${SLURM_CPUS_PER_TASK:-1}\"\n", f);
    return zs_atomic_commit(&af, err);
}

/* Runs `sbatch --parsable [--dependency=afterok:AFTER] SCRIPT`; its job id. */
static zs_status submit(const zs_sweep_slurm_opts *o, const char *script, const char *after,
                        char *job_id, size_t size, zs_error *err) {
    int fds[2];
    if (pipe(fds) != 0) return zs_fail(err, ZS_ERR_IO, "pipe: %s", strerror(errno));
    char dep[160] = "";
    if (after && after[0]) snprintf(dep, sizeof dep, "--dependency=afterok:%s", after);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return zs_fail(err, ZS_ERR_IO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (dep[0])
            execlp(o->sbatch, o->sbatch, "--parsable", dep, script, (char *)NULL);
        else
            execlp(o->sbatch, o->sbatch, "--parsable", script, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s", o->sbatch, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    char out[2048];
    size_t used = 0;
    ssize_t got;
    while ((got = read(fds[0], out + used, sizeof out - 1 - used)) > 0 && used + 1 < sizeof out)
        used += (size_t)got;
    out[used] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    while (used > 0 && (out[used - 1] == '\n' || out[used - 1] == '\r')) out[--used] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return zs_fail(err, ZS_ERR_IO, "%s %s: failed (%s)", o->sbatch, script,
                       out[0] ? out : "no output");
    size_t n = strspn(out, "0123456789"); /* "ID" or "ID;cluster" */
    if (n == 0)
        return zs_fail(err, ZS_ERR_IO, "%s %s: no job id in its answer '%s'", o->sbatch, script,
                       out);
    snprintf(job_id, size, "%.*s", (int)n, out);
    return ZS_OK;
}

/* The plan's runs no ledger records as finished; refused while one is being trained. */
static zs_status unfinished_runs(const char *dir, const zs_sweep_plan *plan, char *keep, size_t *n,
                                 zs_error *err) {
    zs_ledger *lg = NULL;
    zs_ledger_run live, row;
    int found = 0;
    *n = 0;
    zs_status s = zs_sweep_live_run(dir, &live, &found, err);
    if (!s) s = zs_ledger_open_union(&lg, dir, NULL, 0, err);
    if (!s && found)
        s = zs_fail(err, ZS_ERR_USAGE,
                    "%s: run %s is being trained (%s, heartbeat within %.0f s): resubmit once "
                    "the sweep's tasks have ended (squeue), or scancel them",
                    dir, live.id, live.worker, STALE_S);
    for (size_t i = 0; !s && i < plan->n_runs; i++) {
        s = zs_ledger_run_get(lg, plan->runs[i].id, &row, &found, err);
        keep[i] = !s && !(found && (row.status == ZS_RUN_COMPLETED ||
                                    row.status == ZS_RUN_DIVERGED || row.status == ZS_RUN_FAILED));
        if (keep[i]) (*n)++;
    }
    zs_ledger_close(lg);
    return s;
}

static zs_status write_run_list(const char *path, const zs_sweep_plan *plan, const char *keep,
                                zs_error *err) {
    zs_atomic_file af;
    zs_status s = zs_atomic_open(&af, path, err);
    if (s) return s;
    fputs("# runs no ledger records as finished (zipscale sweep slurm --resubmit)\n", af.fp);
    for (size_t i = 0; i < plan->n_runs; i++)
        if (keep[i]) fprintf(af.fp, "%s\n", plan->runs[i].id);
    return zs_atomic_commit(&af, err);
}

/* The first K >= 1 for which DIR/resubmit-K.runs does not exist. */
static int next_resubmit(const char *dir) {
    char path[4400];
    struct stat sb;
    for (int k = 1;; k++) {
        snprintf(path, sizeof path, "%s/resubmit-%d.runs", dir, k);
        if (stat(path, &sb) != 0) return k;
    }
}

static zs_status slurm(const zs_sweep_spec *spec, const zs_sweep_plan *plan, const char *spec_abs,
                       const char *dir, const zs_sweep_slurm_opts *o, zs_sweep_slurm_result *res,
                       zs_error *err) {
    char logs[4400];
    snprintf(logs, sizeof logs, "%s/slurm", dir);
    zs_status s = zs_sweep_make_dir(logs, err);
    if (s) return s;
    const char *list = NULL;
    res->runs = plan->n_runs;
    if (o->resubmit) {
        char *keep = zs_calloc(plan->n_runs + 1, 1, "resubmitted runs", err);
        if (!keep) return ZS_ERR_NOMEM;
        s = unfinished_runs(dir, plan, keep, &res->runs, err);
        int k = next_resubmit(dir);
        if (!s && res->runs > 0) {
            snprintf(res->run_list, sizeof res->run_list, "%s/resubmit-%d.runs", dir, k);
            s = write_run_list(res->run_list, plan, keep, err);
            list = res->run_list;
        }
        free(keep);
        if (!s) snprintf(res->script, sizeof res->script, "%s/resubmit-%d.sbatch", dir, k);
    } else {
        snprintf(res->script, sizeof res->script, "%s/sweep.sbatch", dir);
        snprintf(res->prepare_script, sizeof res->prepare_script, "%s/prepare.sbatch", dir);
    }
    if (s || res->runs == 0) {
        res->script[0] = res->prepare_script[0] = '\0';
        return s;
    }
    res->tasks = o->tasks > 0 && o->tasks < res->runs ? o->tasks : res->runs;
    if (res->prepare_script[0])
        s = write_prepare(res->prepare_script, o, spec_abs, dir, spec->name, err);
    if (!s) s = write_array(res->script, o, spec_abs, dir, spec->name, list, res->tasks, err);
    if (s || o->dry_run) return s;
    if (res->prepare_script[0])
        s = submit(o, res->prepare_script, NULL, res->prepare_job_id, sizeof res->prepare_job_id,
                   err);
    if (!s) s = submit(o, res->script, res->prepare_job_id, res->job_id, sizeof res->job_id, err);
    return s;
}

zs_status zs_sweep_slurm(const char *spec_path, const char *dir, const zs_sweep_slurm_opts *opts,
                         zs_sweep_slurm_result *res, zs_error *err) {
    memset(res, 0, sizeof *res);
    if (!opts->program || opts->program[0] != '/')
        return zs_fail_field(err, ZS_ERR_USAGE, "program",
                             "program: the zipscale binary the tasks run must be an absolute "
                             "path, not '%s'",
                             opts->program ? opts->program : "(none)");
    if (opts->cpus_per_task < 1)
        return zs_fail_field(err, ZS_ERR_USAGE, "cpus_per_task",
                             "cpus_per_task: %d, expected at least 1", opts->cpus_per_task);
    if (opts->max_parallel < 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "max_parallel",
                             "max_parallel: %d, expected 0 (no limit) or more", opts->max_parallel);
    zs_sweep_spec spec;
    zs_sweep_plan plan;
    memset(&plan, 0, sizeof plan);
    zs_status s = zs_sweep_spec_read(spec_path, &spec, err);
    if (s) return s;
    s = zs_sweep_plan_build(&spec, &plan, err);
    /* The tasks may start anywhere: every path they see is absolute. */
    char spec_abs[PATH_MAX], dir_abs[PATH_MAX];
    if (!s && !realpath(spec_path, spec_abs))
        s = zs_fail(err, ZS_ERR_IO, "%s: %s", spec_path, strerror(errno));
    if (!s) s = zs_sweep_make_dir(dir, err);
    if (!s && !realpath(dir, dir_abs)) s = zs_fail(err, ZS_ERR_IO, "%s: %s", dir, strerror(errno));
    if (!s) s = slurm(&spec, &plan, spec_abs, dir_abs, opts, res, err);
    zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    if (s) memset(res, 0, sizeof *res);
    return s;
}
