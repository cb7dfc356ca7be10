/* A sweep across the ranks of a real `mpirun` (Open MPI; never a mock), docs/cluster.md "MPI
 * across runs": three ranks train the tiny sweep's 12 runs, rank 0 owning the ledger, and
 * the table equals a one-process sweep's; a rank that dies mid-sweep (the test hook
 * ZS_SWEEP_TEST_KILL_RANK) loses only its run, which another rank trains again, under
 * `mpirun --enable-recovery`; without it mpirun ends the job, and the same command again
 * finishes the sweep without training a finished run twice; a stop signal to mpirun
 * checkpoints every rank's run and the same command resumes them. Release build only
 * (Open MPI's allocations at MPI_Init read as leaks under LeakSanitizer). Ledgers are read
 * with python3's sqlite3. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define TINY_BUDGETS "[3840, 7680, 15360]"
/* 4,800-7,200 steps (about 1 s each on an idle machine): a signal finds them running */
#define LONG_BUDGETS "[614400, 768000, 921600]"

#define MPIRUN_ENV                                                                                 \
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "                                   \
    "OMPI_MCA_btl_vader_single_copy_mechanism=none "

/* `[env] mpirun [flags] -np 3 zipscale sweep run SPEC -o DIR --no-analyse [more]` */
static zs_run mpi_sweep(const char *env, const char *flags, const char *spec, const char *dir,
                        const char *more) {
    return zs_test_sh(MPIRUN_ENV "%s %s --oversubscribe --bind-to none %s -np 3 %s sweep run "
                                 "'%s' -o '%s' --no-analyse %s",
                      env, ZS_MPIEXEC, flags, ZS_CLI_PATH, spec, dir, more);
}

/* The table of the same sweep run in one process, into DIR. */
static char *local_table(const char *spec, const char *dir) {
    zs_run r = zs_test_cli("sweep run '%s' -o '%s' -q --no-analyse --jobs 2", spec, dir);
    cr_assert_eq(r.exit_code, 0, "sweep run %s: %s", spec, r.err);
    zs_run_free(&r);
    return zs_test_sweep_table(dir);
}

static size_t count(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

Test(sweep_mpi, three_ranks_train_the_sweep_and_give_the_one_process_table) {
    zs_test_need_mpirun();
    const char *spec = zs_test_path("s.yaml"), *dir = zs_test_path("m");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    char *want = local_table(spec, zs_test_path("local"));
    zs_run r = mpi_sweep("", "--enable-recovery", spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "sweep: 3 MPI ranks, 1 job each; rank 0 owns the ledger"), "%s", r.err);
    /* rank 0 trains too; ranks 1 and 2 trained some (each run's line says where) */
    cr_assert_gt(count(r.err, " on rank 1 ("), 0, "%s", r.err);
    cr_assert_gt(count(r.err, " on rank 2 ("), 0, "%s", r.err);
    cr_assert(strstr(r.err, "12 completed, 0 diverged, 0 failed, 0 pending"), "%s", r.err);
    zs_run_free(&r);
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    char *attempts = zs_test_ledger_query(dir, "SELECT count(*) FROM runs WHERE attempts != 1");
    cr_assert_str_eq(attempts, "sweep.db|0\n");
    /* done: the same command trains nothing */
    r = mpi_sweep("", "--enable-recovery", spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "12 from the ledger"), "%s", r.err);
    cr_assert_eq(count(r.err, " on rank "), 0, "%s", r.err);
    zs_run_free(&r);
    free(got);
    free(attempts);
    free(want);
}

Test(sweep_mpi, a_rank_killed_mid_sweep_loses_only_its_run_which_another_rank_trains) {
    zs_test_need_mpirun();
    const char *spec = zs_test_path("s.yaml"), *dir = zs_test_path("k");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    char *want = local_table(spec, zs_test_path("local"));
    zs_run r =
        mpi_sweep("ZS_SWEEP_TEST_KILL_RANK=2", "--enable-recovery -x ZS_SWEEP_TEST_KILL_RANK", spec,
                  dir, "--rank-timeout 3");
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "on rank 2 (") && strstr(r.err, "went silent for"), "%s", r.err);
    cr_assert(strstr(r.err, "12 completed, 0 diverged, 0 failed, 0 pending"), "%s", r.err);
    zs_run_free(&r);
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    /* the killed rank's run: two attempts; every other run one */
    char *attempts = zs_test_ledger_query(dir, "SELECT attempts, count(*) FROM runs GROUP BY "
                                               "attempts ORDER BY attempts");
    cr_assert_str_eq(attempts, "sweep.db|1|11\nsweep.db|2|1\n");
    free(got);
    free(attempts);
    free(want);
}

Test(sweep_mpi, without_recovery_mpirun_ends_the_job_and_the_same_command_finishes_it) {
    zs_test_need_mpirun();
    const char *spec = zs_test_path("s.yaml"), *dir = zs_test_path("a");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    char *want = local_table(spec, zs_test_path("local"));
    zs_run r = mpi_sweep("ZS_SWEEP_TEST_KILL_RANK=2", "-x ZS_SWEEP_TEST_KILL_RANK", spec, dir, "");
    cr_assert_neq(r.exit_code, 0, "mpirun went on without --enable-recovery:\n%s", r.err);
    zs_run_free(&r);
    char *before = zs_test_ledger_query(dir, "SELECT id, final_loss FROM runs WHERE status = "
                                             "'completed' ORDER BY id");
    r = mpi_sweep("", "", spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    zs_run_free(&r);
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    /* what finished before the abort was not trained again: one attempt each */
    char *again = zs_test_ledger_query(dir, "SELECT id, final_loss FROM runs WHERE status = "
                                            "'completed' AND attempts = 1 ORDER BY id");
    for (char *line = strtok(before, "\n"); line; line = strtok(NULL, "\n"))
        cr_assert(strstr(again, line), "%s was trained again:\n%s", line, again);
    free(got);
    free(again);
    free(before);
    free(want);
}

Test(sweep_mpi, a_stop_signal_checkpoints_every_rank_and_the_same_command_resumes) {
    zs_test_need_mpirun();
    const char *spec = zs_test_path("l.yaml"), *dir = zs_test_path("l");
    zs_test_tiny_sweep_spec(spec, LONG_BUDGETS, 200);
    char *want = local_table(spec, zs_test_path("local"));
    /* SIGUSR1 to mpirun (forwarded to every rank) once three runs have a checkpoint */
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             MPIRUN_ENV "%s --oversubscribe --bind-to none -np 3 %s sweep run '%s' -o '%s' "
                        "--no-analyse & pid=$!; "
                        "until [ \"$(ls '%s'/runs/*/checkpoint.safetensors 2>/dev/null | wc -l)\" "
                        "-ge 3 ]; do sleep 0.02; done; kill -USR1 $pid; wait $pid",
             ZS_MPIEXEC, ZS_CLI_PATH, spec, dir, dir);
    zs_run r = zs_test_sh("%s", cmd);
    cr_assert_neq(r.exit_code, 0, "not interrupted:\n%s", r.err);
    cr_assert(strstr(r.err, "sweep interrupted; run the same command to resume"), "%s", r.err);
    zs_run_free(&r);
    char *left = zs_test_ledger_query(dir, "SELECT status, count(*) FROM runs WHERE status IN "
                                           "('running', 'failed') GROUP BY status");
    cr_assert_str_eq(left, "", "runs left claimed or failed by the stop:\n%s", left);
    char *halted = zs_test_ledger_query(dir, "SELECT count(*) FROM runs WHERE status = 'pending' "
                                             "AND message LIKE 'interrupted%'");
    cr_assert_neq(strcmp(halted, "sweep.db|0\n"), 0, "no run was interrupted");
    r = mpi_sweep("", "", spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    zs_run_free(&r);
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    free(got);
    free(halted);
    free(left);
    free(want);
}

/* Tables equal but for the losses (columns 4 and 14 of the export: index 3 and 13 here),
 * which may differ by fp32 rounding of the data-parallel gradient sums. */
static void assert_tables_close(char *got, char *want, double rel_tol) {
    char *gl, *wl, *gs = NULL, *ws = NULL;
    size_t rows = 0;
    for (gl = strtok_r(got, "\n", &gs), wl = strtok_r(want, "\n", &ws); gl || wl;
         gl = strtok_r(NULL, "\n", &gs), wl = strtok_r(NULL, "\n", &ws), rows++) {
        cr_assert(gl && wl, "the tables differ in length at row %zu", rows);
        char *gf, *wf, *gfs = NULL, *wfs = NULL;
        int col = 0;
        for (gf = strtok_r(gl, ",", &gfs), wf = strtok_r(wl, ",", &wfs); gf || wf;
             gf = strtok_r(NULL, ",", &gfs), wf = strtok_r(NULL, ",", &wfs), col++) {
            cr_assert(gf && wf, "row %zu: the rows differ in length", rows);
            if (rows > 0 && (col == 3 || col == 13)) {
                double g = strtod(gf, NULL), w = strtod(wf, NULL);
                cr_assert_leq(fabs(g - w), rel_tol * fabs(w), "row %zu column %d: %s vs %s", rows,
                              col + 1, gf, wf);
            } else {
                cr_assert_str_eq(gf, wf, "row %zu column %d", rows, col + 1);
            }
        }
    }
    cr_assert_eq(rows, 13, "12 runs and a header");
}

/* ranks_per_run 2 on three ranks: rank 0 hands out the runs, ranks 1 and 2 train each one
 * together, data parallel; the losses equal one process's to fp32 rounding (the trainer's
 * two-rank tolerance, docs/cluster.md; measured here: 3e-8 relative at worst). Four ranks do
 * not split into groups of two after rank 0: refused, said once. */
Test(sweep_mpi, ranks_per_run_trains_each_run_on_a_group_of_ranks) {
    zs_test_need_mpirun();
    const char *spec = zs_test_path("g.yaml"), *dir = zs_test_path("g");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    char *want = local_table(spec, zs_test_path("local"));
    FILE *f = fopen(spec, "a");
    cr_assert(f && fputs("ranks_per_run: 2\n", f) >= 0 && fclose(f) == 0);
    zs_run r = mpi_sweep("", "--enable-recovery", spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "1 groups of 2 ranks each train one run at a time"), "%s", r.err);
    cr_assert_eq(count(r.err, " on rank 1 ("), 12, "%s", r.err);
    zs_run_free(&r);
    char *got = zs_test_sweep_table(dir);
    assert_tables_close(got, want, 1e-5);
    r = zs_test_sh(MPIRUN_ENV "%s --oversubscribe --bind-to none -np 4 %s sweep run '%s' -o '%s'",
                   ZS_MPIEXEC, ZS_CLI_PATH, spec, zs_test_path("g4"));
    cr_assert_neq(r.exit_code, 0);
    cr_assert_eq(count(r.err, "ranks_per_run 2: the 3 ranks after rank 0"), 1, "%s", r.err);
    zs_run_free(&r);
    free(got);
    free(want);
}
