/* Sharded sweeps (docs/cluster.md): the shard arithmetic (every run in exactly one shard,
 * for many run and shard counts), shards run as separate processes giving the unsharded
 * sweep's table, the union of their ledgers (a run finished twice counted once, by the
 * stated rule), `sweep merge` (idempotent, refused while a run is live), a shard finished
 * twice or after a merge trains nothing, and preemption: SIGUSR1 makes a running run write
 * a checkpoint at the step it reached and go back to pending; a shard killed without
 * warning resumes. Ledgers are read with python3's sqlite3, independently of zipscale. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testjson.h"
#include "testutil.h"
#include "zipscale/sweep.h"

static pid_t bg;

static void kill_leftover(void) {
    if (bg > 0) {
        kill(-bg, SIGKILL);
        waitpid(bg, NULL, 0);
        bg = 0;
    }
}

TestSuite(shard, .timeout = 240, .fini = kill_leftover);

static const char *at(const char *name) {
    static char buf[16][1024];
    static int slot;
    char *p = buf[slot++ % 16];
    snprintf(p, 1024, "%s/%s", zs_test_tmpdir(), name);
    return p;
}

/* ---- the arithmetic ----------------------------------------------------------------- */

static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static int descending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

Test(shard, every_item_is_in_exactly_one_shard_and_loads_stay_within_one_item) {
    uint64_t seed = 12345;
    size_t pairs = 0;
    for (size_t n_items = 0; n_items <= 120; n_items += n_items < 20 ? 1 : 17) {
        for (size_t n_shards = 1; n_shards <= 130; n_shards += n_shards < 10 ? 1 : 23) {
            double *cost = calloc(n_items + 1, sizeof *cost);
            size_t *a = calloc(n_items + 1, sizeof *a), *b = calloc(n_items + 1, sizeof *b);
            for (size_t i = 0; i < n_items; i++) /* plan-like: 0 (a parity run) to 1e15 */
                cost[i] = lcg(&seed) % 7 == 0 ? 0.0 : (double)(lcg(&seed) % 1000000) * 1e9;
            qsort(cost, n_items, sizeof *cost, descending);
            zs_error err = {0};
            cr_assert_eq(zs_sweep_shard_assign(cost, n_items, n_shards, a, &err), ZS_OK, "%s",
                         err.msg);
            cr_assert_eq(zs_sweep_shard_assign(cost, n_items, n_shards, b, &err), ZS_OK);
            cr_assert_eq(memcmp(a, b, n_items * sizeof *a), 0, "not deterministic");
            /* Each item's shard is a valid index: so every item is in exactly one shard, and
             * the shards' member lists (counted back) partition the items. */
            double *load = calloc(n_shards, sizeof *load), biggest = 0;
            size_t *members = calloc(n_shards, sizeof *members), total = 0;
            for (size_t i = 0; i < n_items; i++) {
                cr_assert_lt(a[i], n_shards, "item %zu in shard %zu of %zu", i, a[i], n_shards);
                load[a[i]] += cost[i];
                members[a[i]]++;
                if (cost[i] > biggest) biggest = cost[i];
            }
            double lo = INFINITY, hi = 0;
            for (size_t k = 0; k < n_shards; k++) {
                total += members[k];
                if (load[k] < lo) lo = load[k];
                if (load[k] > hi) hi = load[k];
            }
            cr_assert_eq(total, n_items);
            /* greedy list scheduling: the fullest shard was the emptiest when it took its
             * last item, so the spread is at most the largest item */
            cr_assert_leq(hi - lo, biggest, "%zu items, %zu shards: loads %g..%g, largest %g",
                          n_items, n_shards, lo, hi, biggest);
            /* with at least as many shards as items, one item a shard (none doubled up) */
            if (n_shards >= n_items)
                for (size_t k = 0; k < n_shards; k++) cr_assert_leq(members[k], 1);
            free(load);
            free(members);
            free(cost);
            free(a);
            free(b);
            pairs++;
        }
    }
    cr_assert_gt(pairs, 300);
    zs_error err = {0};
    size_t one;
    double c = 1;
    cr_assert_eq(zs_sweep_shard_assign(&c, 1, 0, &one, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.field, "shard_count");
    c = NAN;
    cr_assert_eq(zs_sweep_shard_assign(&c, 1, 2, &one, &err), ZS_ERR_USAGE);
}

Test(shard, ledger_names) {
    char name[256];
    zs_sweep_shard_ledger_name(3, 8, NULL, name, sizeof name);
    cr_assert_str_eq(name, "sweep.shard-3-of-8.db");
    zs_sweep_shard_ledger_name(0, 2, "/x/y/resubmit-4.runs", name, sizeof name);
    cr_assert_str_eq(name, "sweep.resubmit-4.shard-0-of-2.db");
    zs_sweep_shard_ledger_name(1, 2, "my list.txt", name, sizeof name);
    cr_assert_str_eq(name, "sweep.my_list.shard-1-of-2.db");
}

/* ---- shards as processes -------------------------------------------------------------- */

#define TINY_BUDGETS "[3840, 7680, 15360]"

static void run_ok(const char *fmt_args) {
    zs_run r = zs_test_cli("%s", fmt_args);
    cr_assert_eq(r.exit_code, 0, "zipscale %s: exit %d\n%s", fmt_args, r.exit_code, r.err);
    zs_run_free(&r);
}

static void cli_ok(const char *fmt, const char *a, const char *b, const char *c) {
    char line[4096];
    snprintf(line, sizeof line, fmt, a, b, c);
    run_ok(line);
}

static size_t lines(const char *text) {
    size_t n = 0;
    for (const char *p = text; *p; p++) n += *p == '\n';
    return n;
}

static json_t *status_json(const char *dir) {
    zs_run r = zs_test_cli("sweep status '%s' --json", dir);
    cr_assert_eq(r.exit_code, 0, "sweep status %s: %s", dir, r.err);
    json_t *j = parse_json(r.out);
    zs_run_free(&r);
    return j;
}

Test(shard, shards_run_apart_give_the_unsharded_table_and_each_run_trains_once) {
    const char *spec = at("s.yaml"), *whole = at("whole"), *dir = at("sharded");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    cli_ok("sweep run '%s' -o '%s' -q --no-analyse --jobs 2%s", spec, whole, "");
    char *want = zs_test_sweep_table(whole);
    /* 5 shards of 12 runs, 3 at a time then 2 (on one directory, as on a shared one) */
    zs_run r = zs_test_sh("for i in 0 1 2; do '%s' sweep run '%s' -o '%s' -q --shard $i/5 "
                          "--jobs 1 & done; wait; for i in 3 4; do '%s' sweep run '%s' -o '%s' "
                          "-q --shard $i/5 --jobs 1 & done; wait",
                          ZS_CLI_PATH, spec, dir, ZS_CLI_PATH, spec, dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_eq(strstr(r.err, "zipscale: shard") != NULL, 1, "%s", r.err);
    zs_run_free(&r);
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want, "sharded:\n%s\nunsharded:\n%s", got, want);
    free(got);
    /* every run trained in exactly one shard ledger, once */
    char *done =
        zs_test_ledger_query(dir, "SELECT id, attempts FROM runs WHERE status = 'completed'");
    cr_assert_eq(lines(done), 12, "completed rows over the shard ledgers:\n%s", done);
    cr_assert(!strstr(done, "|2\n"), "a run trained twice:\n%s", done);
    free(done);
    /* the datasets were made once each (the other shards took them from that ledger) */
    char *made = zs_test_ledger_query(dir, "SELECT id, seconds FROM datasets WHERE ready = 1");
    zs_run distinct = zs_test_sh("printf '%%s' '%s' | cut -d'|' -f2- | sort -u | wc -l", made);
    cr_assert_eq(distinct.out[0], '2', "datasets prepared more than once:\n%s", made);
    zs_run_free(&distinct);
    free(made);
    json_t *j = status_json(dir);
    cr_assert_eq(json_num(j, "total"), 12);
    cr_assert_eq(json_num(j, "completed"), 12);
    json_decref(j);

    /* a shard finished twice trains nothing and changes no result */
    char *before =
        zs_test_ledger_query(dir, "SELECT id, status, attempts, final_loss, wall_s FROM runs "
                                  "ORDER BY id");
    cli_ok("sweep run '%s' -o '%s' -q --shard 2/5%s", spec, dir, "");
    char *after =
        zs_test_ledger_query(dir, "SELECT id, status, attempts, final_loss, wall_s FROM runs "
                                  "ORDER BY id");
    cr_assert_str_eq(after, before);
    free(after);

    /* merged: one ledger, the same table; merging again and running a shard again after
     * the merge change nothing */
    cli_ok("sweep merge '%s'%s%s", dir, "", "");
    zs_run ls = zs_test_sh("ls '%s' | grep -c '^sweep.*db$'", dir);
    cr_assert_str_eq(ls.out, "1\n", "ledgers after the merge: %s", ls.out);
    zs_run_free(&ls);
    got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    free(got);
    cli_ok("sweep merge '%s'%s%s", dir, "", "");
    cli_ok("sweep run '%s' -o '%s' -q --shard 4/5%s", spec, dir, "");
    char *again = zs_test_ledger_query(dir, "SELECT count(*) FROM runs WHERE status = 'completed'");
    cr_assert(strstr(again, "sweep.shard-4-of-5.db|0\n"), "shard 4 after the merge:\n%s", again);
    free(again);
    got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    free(got);
    free(before);
    free(want);
}

Test(shard, union_counts_a_run_finished_twice_once_by_the_stated_rule) {
    const char *spec = at("u.yaml"), *dir = at("u");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    cli_ok("sweep run '%s' -o '%s' -q --shard 0/2%s", spec, dir, "");
    cli_ok("sweep run '%s' -o '%s' -q --shard 1/2%s", spec, dir, "");
    char *want = zs_test_sweep_table(dir);
    /* A copy of shard 0's ledger under a later name, its losses changed: the run is in
     * two ledgers, completed in both; the first by name (shard-0) must win. */
    const char *py = zs_test_python("sqlite3");
    zs_run cp = zs_test_sh(
        "cp '%s/sweep.shard-0-of-2.db' '%s/sweep.shard-9-of-9.db' && '%s' -c \"import sqlite3; "
        "db = sqlite3.connect('%s/sweep.shard-9-of-9.db'); db.execute('UPDATE runs SET "
        "final_loss = 99 WHERE status = \\\"completed\\\"'); db.commit()\"",
        dir, dir, py, dir);
    cr_assert_eq(cp.exit_code, 0, "%s", cp.err);
    zs_run_free(&cp);
    json_t *j = status_json(dir);
    cr_assert_eq(json_num(j, "total"), 12);
    cr_assert_eq(json_num(j, "completed"), 12);
    json_decref(j);
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want, "the later ledger's copy won:\n%s", got);
    free(got);
    /* A pending row never hides a completed one, whatever the order: shard 1's runs
     * pending in a ledger that sorts first. */
    zs_run cp2 = zs_test_sh(
        "cp '%s/sweep.shard-1-of-2.db' '%s/sweep.a.shard-0-of-1.db' && '%s' -c \"import sqlite3; "
        "db = sqlite3.connect('%s/sweep.a.shard-0-of-1.db'); db.execute('UPDATE runs SET "
        "status = \\\"pending\\\"'); db.commit()\"",
        dir, dir, py, dir);
    cr_assert_eq(cp2.exit_code, 0, "%s", cp2.err);
    zs_run_free(&cp2);
    got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    free(got);
    /* merge refuses while a run is live (a fresh heartbeat), and says which */
    zs_run live = zs_test_sh(
        "'%s' -c \"import sqlite3, time; db = sqlite3.connect('%s/sweep.a.shard-0-of-1.db'); "
        "db.execute('UPDATE runs SET status = \\\"running\\\", owner_host = \\\"elsewhere\\\", "
        "heartbeat = ? WHERE rowid = 1', (time.time(),)); db.commit()\"",
        py, dir);
    cr_assert_eq(live.exit_code, 0, "%s", live.err);
    zs_run_free(&live);
    zs_run m = zs_test_cli("sweep merge '%s'", dir);
    cr_assert_eq(m.exit_code, 2, "merge with a live run: exit %d %s", m.exit_code, m.err);
    cr_assert(strstr(m.err, "is being trained (elsewhere:"), "%s", m.err);
    zs_run_free(&m);
    free(want);
}

Test(shard, bad_shards_and_run_lists_are_refused_by_flag) {
    const char *spec = at("b.yaml"), *dir = at("b");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    zs_run r = zs_test_cli("sweep run '%s' -o '%s' --shard 2/2", spec, dir);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--shard: '2/2' is not I/N with 0 <= I < N"), "%s", r.err);
    zs_run_free(&r);
    cr_assert_eq(zs_test_write(at("bad.runs"), "# a list\n0123456789abcdef\n", 27), 0);
    r = zs_test_cli("sweep run '%s' -o '%s' --runs '%s'", spec, dir, at("bad.runs"));
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "--runs: ") && strstr(r.err, "bad.runs:2: run '0123456789abcdef' is "
                                                         "not in the spec's plan"),
              "%s", r.err);
    zs_run_free(&r);
}

/* ---- signals -------------------------------------------------------------------------- */

/* `zipscale sweep run` in the background, in its own process group; its pid. */
static pid_t start(const char *spec, const char *dir, const char *shard) {
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (shard)
            execl(ZS_CLI_PATH, "zipscale", "sweep", "run", spec, "-o", dir, "--jobs", "1",
                  "--shard", shard, (char *)NULL);
        else
            execl(ZS_CLI_PATH, "zipscale", "sweep", "run", spec, "-o", dir, "--jobs", "1",
                  "--no-analyse", (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    bg = pid;
    return pid;
}

static int finish(pid_t pid) {
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    bg = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void nap_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits for a run of DIR to be running in `ledger` (a file name in DIR); its id. The sweep
 * may have made its ledger file but not yet its tables when a poll comes ("no such table":
 * once in CI): such a poll counts as no run yet. */
static void wait_running(const char *dir, const char *ledger, char id[32]) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE status = 'running'");
    for (int t = 0; t < 600; t++, nap_ms(50)) {
        char *out = zs_test_ledger_poll(dir, sql);
        char *hit = out ? strstr(out, ledger) : NULL;
        if (hit) {
            snprintf(id, 32, "%.16s", hit + strlen(ledger) + 1);
            free(out);
            return;
        }
        free(out);
    }
    cr_assert_fail("no run of %s started in 30 s", dir);
}

static int exists(const char *dir, const char *id, const char *file) {
    char path[2048];
    struct stat sb;
    snprintf(path, sizeof path, "%s/runs/%s/%s", dir, id, file);
    return stat(path, &sb) == 0;
}

/* 6,000-12,000 steps a run in the release build (1-2 s on an idle machine: long enough that
 * the run is still training when the test, polling the ledger, finds it and signals;
 * 1,000-2,000 steps were over before the signal once in CI), 1,000-2,000 under ASan (which
 * trains them many times slower: the longer ones ran past the test's time limit);
 * checkpoints only at the end: a checkpoint found after the signal was written by it, at
 * the step the run had reached. */
#define LONG_BUDGETS (getenv("ZS_SANITIZED") ? "[128000, 256000]" : "[768000, 1536000]")

/* The signal tests' spec: one dataset, d8 and d16, LONG_BUDGETS (4 runs), a checkpoint every
 * checkpoint_every steps. */
static void long_spec(const char *path, int checkpoint_every) {
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "name: t\n"
                     "datasets:\n"
                     "  - {name: a, pcfg: {nonterminals: 5, terminals: 20, max_options: 3, "
                     "max_length: 3, seed: 1}, tokens: 61440, val_tokens: 4096}\n"
                     "models:\n"
                     "  - {name: d8, d_model: 8, layers: 1, heads: 1}\n"
                     "  - {name: d16, d_model: 16, layers: 1, heads: 2}\n"
                     "budgets: %s\n"
                     "train: {context: 32, batch: 4, min_steps: 10, lr: 0.003, "
                     "checkpoint_every: %d, evals: 2, eval_tokens: 1024}\n",
                     LONG_BUDGETS, checkpoint_every);
    cr_assert_eq(zs_test_write(path, text, (size_t)n), 0);
}

/* The uninterrupted table of long_spec, swept once for the test program (zs_test_shared_dir:
 * both signal tests compare against it; the checkpoint interval changes no number). */
static void long_base_fill(const char *shared) {
    char spec[600];
    snprintf(spec, sizeof spec, "%s/base.yaml", shared);
    long_spec(spec, 1000000);
    cli_ok("sweep run '%s' -o '%s/base' -q --no-analyse --jobs 2%s", spec, shared, "");
}

static char *long_base_table(void) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/base", zs_test_shared_dir("long-base", long_base_fill));
    return zs_test_sweep_table(dir);
}

ZS_TEST_SHARED_CLEANUP

Test(shard, sigusr1_checkpoints_a_run_at_its_step_and_a_rerun_finishes_it_exactly) {
    const char *spec = at("p.yaml"), *dir = at("p");
    long_spec(spec, 1000000);
    char *want = long_base_table();
    pid_t pid = start(spec, dir, NULL);
    char id[32];
    wait_running(dir, "sweep.db", id);
    nap_ms(150);
    cr_assert(!exists(dir, id, "checkpoint.safetensors"), "a checkpoint before the signal");
    cr_assert_eq(kill(pid, SIGUSR1), 0);
    cr_assert_eq(finish(pid), 130, "a sweep stopped by SIGUSR1 exits 130");
    cr_assert(exists(dir, id, "checkpoint.safetensors"), "run %s wrote no checkpoint on SIGUSR1",
              id);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT status, attempts, message FROM runs WHERE id = '%s'", id);
    char *row = zs_test_ledger_query(dir, sql);
    cr_assert(strstr(row, "sweep.db|pending|0|interrupted; resumes from its checkpoint"), "%s",
              row);
    free(row);
    /* the run halted at a step short of its end (from metrics.json: the log may not have a
       line yet when the signal comes early, as under ASan) */
    char metrics[2048];
    snprintf(metrics, sizeof metrics, "%s/runs/%s/metrics.json", dir, id);
    zs_run m = zs_test_sh("grep -o '\"steps\": [0-9]*' '%s' | head -n 1", metrics);
    const char *colon = strchr(m.out, ':');
    cr_assert(colon, "%s has no steps: %s%s", metrics, m.out, m.err);
    long step = strtol(colon + 1, NULL, 10);
    cr_assert(step > 0 && step < 12000, "run %s halted at step %ld", id, step);
    zs_run_free(&m);
    cli_ok("sweep run '%s' -o '%s' -q --no-analyse --jobs 1%s", spec, dir, "");
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want, "after resuming:\n%s\nuninterrupted:\n%s", got, want);
    free(got);
    free(want);
}

Test(shard, a_shard_killed_without_warning_resumes_its_run_on_the_next_start) {
    const char *spec = at("k.yaml"), *dir = at("k");
    long_spec(spec, 100);
    char *want = long_base_table();
    pid_t pid = start(spec, dir, "0/2");
    char id[32];
    wait_running(dir, "sweep.shard-0-of-2.db", id);
    for (int t = 0; t < 400 && !exists(dir, id, "checkpoint.safetensors"); t++) nap_ms(5);
    cr_assert(exists(dir, id, "checkpoint.safetensors"));
    cr_assert_eq(kill(-pid, SIGKILL), 0); /* the task and its workers, no warning */
    cr_assert_eq(finish(pid), 128 + SIGKILL);
    /* the next start of the shard takes its own orphaned claim over at once */
    cli_ok("sweep run '%s' -o '%s' -q --shard 0/2%s", spec, dir, "");
    cli_ok("sweep run '%s' -o '%s' -q --shard 1/2%s", spec, dir, "");
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT status, attempts FROM runs WHERE id = '%s'", id);
    char *row = zs_test_ledger_query(dir, sql);
    cr_assert(strstr(row, "sweep.shard-0-of-2.db|completed|2"), "%s", row);
    free(row);
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
}

/* ---- the Slurm scripts, without Slurm ----------------------------------------------------- */

Test(shard, slurm_scripts_and_their_submission_through_a_stand_in_sbatch) {
    const char *spec = at("sl.yaml"), *dir = at("sl"), *fake = at("fake-sbatch");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    /* A stand-in sbatch: records its arguments, answers job ids 41 and 42. */
    char script[2048];
    int n = snprintf(script, sizeof script,
                     "#!/bin/sh\necho \"$@\" >> '%s.args'\nn=$(wc -l < '%s.args')\n"
                     "echo \"$((40 + n));cluster\"\n",
                     fake, fake);
    cr_assert_eq(zs_test_write(fake, script, (size_t)n), 0);
    cr_assert_eq(chmod(fake, 0755), 0);
    zs_run r = zs_test_cli("sweep slurm '%s' -o '%s' --sbatch '%s' --tasks 5 --max-parallel 2 "
                           "--time 1:00:00 --partition short -c 3",
                           spec, dir, fake);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "submitted job 41 (datasets"), "%s", r.out);
    cr_assert(strstr(r.out, "submitted array job 42: 12 runs in 5 tasks"), "%s", r.out);
    zs_run_free(&r);
    char args_path[1100];
    snprintf(args_path, sizeof args_path, "%s.args", fake);
    char *args = zs_test_slurp(args_path, NULL);
    char want[4096];
    snprintf(want, sizeof want,
             "--parsable %s/prepare.sbatch\n--parsable --dependency=afterok:41 %s/sweep.sbatch\n",
             dir, dir);
    cr_assert_str_eq(args, want);
    free(args);
    char path[1100];
    snprintf(path, sizeof path, "%s/sweep.sbatch", dir);
    char *text = zs_test_slurp(path, NULL);
    const char *lines[] = {"#SBATCH --array=0-4%2\n",
                           "#SBATCH --partition=short\n",
                           "#SBATCH --time=1:00:00\n",
                           "#SBATCH --cpus-per-task=3\n",
                           "#SBATCH --signal=B:USR1@120\n",
                           "#SBATCH --requeue\n",
                           "' sweep run '",
                           " --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\" --jobs "
                           "\"${SLURM_CPUS_PER_TASK:-1}\"",
                           "scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        cr_assert(strstr(text, lines[i]), "no '%s' in:\n%s", lines[i], text);
    cr_assert(strstr(text, "'" ZS_CLI_PATH "' sweep run '"), "not the absolute binary:\n%s", text);
    free(text);
    /* bash reads it */
    zs_run syn = zs_test_sh("bash -n '%s'", path);
    cr_assert_eq(syn.exit_code, 0, "%s", syn.err);
    zs_run_free(&syn);

    /* a resubmission before anything ran: every run, one task each, with its list */
    r = zs_test_cli("sweep run '%s' -o '%s' -q --shard 0/4", spec, dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    json_t *j = status_json(dir);
    int left = 12 - (int)json_num(j, "completed");
    json_decref(j);
    cr_assert(left > 0 && left < 12, "%d left", left);
    r = zs_test_cli("sweep slurm '%s' -o '%s' --sbatch '%s' --resubmit", spec, dir, fake);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    char said[128];
    snprintf(said, sizeof said, "submitted array job 43: %d runs in %d tasks", left, left);
    cr_assert(strstr(r.out, said), "wanted '%s':\n%s", said, r.out);
    zs_run_free(&r);
    snprintf(path, sizeof path, "%s/resubmit-1.runs", dir);
    text = zs_test_slurp(path, NULL);
    cr_assert_not_null(text);
    size_t ids = 0;
    for (char *p = text; (p = strchr(p, '\n')); p++) ids++;
    cr_assert_eq(ids, (size_t)left + 1, "a comment and %d ids:\n%s", left, text);
    free(text);
    snprintf(path, sizeof path, "%s/resubmit-1.sbatch", dir);
    text = zs_test_slurp(path, NULL);
    char array[64];
    snprintf(array, sizeof array, "#SBATCH --array=0-%d\n", left - 1);
    cr_assert(strstr(text, array) && strstr(text, "/resubmit-1.runs' --shard"), "%s", text);
    free(text);
    /* sbatch failing: its answer in the message */
    r = zs_test_cli("sweep slurm '%s' -o '%s' --sbatch false", spec, dir);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "false ") && strstr(r.err, "prepare.sbatch: failed"), "%s", r.err);
    zs_run_free(&r);
}

Test(shard, an_unsharded_run_after_a_shard_trains_only_the_rest) {
    const char *spec = at("m.yaml"), *whole = at("mwhole"), *dir = at("m");
    zs_test_tiny_sweep_spec(spec, TINY_BUDGETS, 5);
    cli_ok("sweep run '%s' -o '%s' -q --no-analyse --jobs 2%s", spec, whole, "");
    char *want = zs_test_sweep_table(whole);
    cli_ok("sweep run '%s' -o '%s' -q --shard 1/3%s", spec, dir, "");
    cli_ok("sweep run '%s' -o '%s' -q --no-analyse --jobs 2%s", spec, dir, "");
    /* every run completed in exactly one ledger: none trained twice */
    char *done = zs_test_ledger_query(dir, "SELECT id FROM runs WHERE status = 'completed'");
    cr_assert_eq(lines(done), 12, "%s", done);
    zs_run u = zs_test_sh("printf '%%s' '%s' | cut -d'|' -f2 | sort -u | wc -l", done);
    cr_assert_str_eq(u.out, "12\n", "%s", done);
    zs_run_free(&u);
    free(done);
    json_t *j = status_json(dir);
    cr_assert_eq(json_num(j, "completed"), 12);
    json_decref(j);
    /* its live runs.csv covers the shard's runs too */
    char csv[1100];
    snprintf(csv, sizeof csv, "%s/runs.csv", dir);
    zs_run cut = zs_test_sh("cut -d, -f1-14,16 '%s'", csv);
    cr_assert_str_eq(cut.out, want);
    zs_run_free(&cut);
    char *got = zs_test_sweep_table(dir);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
}
