/* `zipscale sweep slurm`: a sweep as a Slurm job array (its scripts written into DIR and
 * submitted with sbatch, or printed), or an array of its unfinished runs (--resubmit).
 * A thin client of zs_sweep_slurm; docs/cluster.md. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "zipscale/sweep.h"

static struct {
    const char *dir, *partition, *time, *signal, *sbatch;
    int cpus, max_parallel, dry_run, resubmit;
    uint64_t tasks;
} a;

static void slurm_defaults(void) {
    zs_sweep_slurm_opts o;
    zs_sweep_slurm_opts_init(&o);
    memset(&a, 0, sizeof a);
    a.cpus = o.cpus_per_task;
    a.signal = o.signal;
    a.sbatch = o.sbatch;
    a.max_parallel = o.max_parallel;
    a.tasks = o.tasks;
}

static const zs_opt slurm_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &a.dir, "DIR",
     "the sweep directory, on a file system every node shares", .required = 1},
    {"partition", 0, ZS_OPT_STRING, &a.partition, "P", "the partition (sbatch --partition)"},
    {"time", 0, ZS_OPT_STRING, &a.time, "T", "each task's time limit (sbatch --time)"},
    {"cpus-per-task", 'c', ZS_OPT_INT, &a.cpus, "C", "CPUs of each task = its runs at once"},
    {"tasks", 0, ZS_OPT_U64, &a.tasks, "N", "the array's tasks; 0 = one per run"},
    {"max-parallel", 0, ZS_OPT_INT, &a.max_parallel, "K", "tasks at once (--array=...%K); 0 = all"},
    {"signal", 0, ZS_OPT_STRING, &a.signal, "SIG",
     "sbatch --signal: the warning before the time limit; '' for none"},
    {"resubmit", 0, ZS_OPT_FLAG, &a.resubmit, NULL,
     "submit an array of just the runs no ledger of DIR holds as finished"},
    {"dry-run", 'n', ZS_OPT_FLAG, &a.dry_run, NULL, "write and print the scripts, submit nothing"},
    {"sbatch", 0, ZS_OPT_STRING, &a.sbatch, "PROGRAM", "the submitting program"},
    ZS_OPT_END,
};

static const zs_cli_spec slurm_spec = {
    "sweep slurm",
    "SPEC.yaml -o DIR [--partition P] [--time T] [--cpus-per-task C] [--tasks N]\n"
    "       [--max-parallel K] [--signal SIG] [--resubmit] [--dry-run]",
    "run a sweep as a Slurm job array (or resubmit its unfinished runs)",
    "Writes DIR/prepare.sbatch (the datasets, one task) and DIR/sweep.sbatch (an array: task\n"
    "I trains shard I of N with `zipscale sweep run --shard I/N`, into its own ledger) and\n"
    "submits them with sbatch, the array after the datasets. A task warned before its time\n"
    "limit (--signal) or preempted checkpoints its runs, and a requeued task resumes them.\n"
    "--resubmit writes DIR/resubmit-K.runs (the runs no ledger holds as finished) and an\n"
    "array over just those. Then `zipscale sweep status|export|analyse DIR` read every\n"
    "ledger; `zipscale sweep merge DIR` folds them into one (docs/cluster.md).",
    slurm_opts,
    1,
    1,
    .defaults = slurm_defaults,
};

static const zs_cli_field slurm_fields[] = {{"cpus_per_task", "cpus-per-task"}, {NULL, NULL}};

static void print_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    printf("# ---- %s\n", path);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
}

static int slurm_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&slurm_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return zs_cli_usage_error(&slurm_spec, "cannot find the zipscale binary's path");
    self[len] = '\0';
    zs_sweep_slurm_opts o;
    zs_sweep_slurm_opts_init(&o);
    o.program = self;
    o.partition = a.partition;
    o.time = a.time;
    o.cpus_per_task = a.cpus;
    o.tasks = (size_t)a.tasks;
    o.max_parallel = a.max_parallel;
    o.signal = a.signal;
    o.dry_run = a.dry_run;
    o.resubmit = a.resubmit;
    o.sbatch = a.sbatch;
    zs_sweep_slurm_result res;
    zs_error err = {0};
    if (zs_sweep_slurm(pos[0], a.dir, &o, &res, &err))
        return zs_cli_fail_cmd(&slurm_spec, slurm_fields, &err);
    if (res.runs == 0) {
        printf("nothing to submit: every run of %s is finished in %s's ledgers\n", pos[0], a.dir);
        return ZS_EXIT_OK;
    }
    if (a.dry_run) {
        if (res.prepare_script[0]) print_file(res.prepare_script);
        print_file(res.script);
        printf("# ---- to submit:\n");
        if (res.prepare_script[0])
            printf("# jid=$(%s --parsable %s)\n# %s --dependency=afterok:$jid %s\n", a.sbatch,
                   res.prepare_script, a.sbatch, res.script);
        else
            printf("# %s %s\n", a.sbatch, res.script);
        return ZS_EXIT_OK;
    }
    if (res.prepare_job_id[0])
        printf("submitted job %s (datasets, %s)\n", res.prepare_job_id, res.prepare_script);
    printf("submitted array job %s: %zu runs in %zu tasks (%s)%s%s\n", res.job_id, res.runs,
           res.tasks, res.script, res.run_list[0] ? ", runs listed in " : "", res.run_list);
    printf("watch it with `zipscale sweep status %s`; after it, `zipscale sweep slurm %s -o %s "
           "--resubmit` trains what is left\n",
           a.dir, pos[0], a.dir);
    return ZS_EXIT_OK;
}

const zs_command zs_cmd_sweep_slurm = {&slurm_spec, slurm_run};
