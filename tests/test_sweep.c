/* `zipscale sweep` end to end: the real binary, real child processes, a real SQLite ledger.
 * Tiny specs (PCFG data of 60K tokens, GPTs of d_model 8-16 with one layer) run to
 * completion, are killed mid-run (the parent with SIGKILL, one child with SIGKILL, the
 * parent with SIGTERM and SIGINT), started twice at once on one directory, crash through
 * the test hook, are edited, meet corrupt and foreign ledgers and bad specs, and are
 * analysed; every interrupted sweep must end with the runs table of an uninterrupted one.
 * The ledger is read with python3's sqlite3 (a test-time helper: missing, the tests fail). */
#include <criterion/criterion.h>
#include <dirent.h>
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

#define CSV_HEADER                                                                                 \
    "dataset,N,D,loss,H,flops,seed,steps,n_params,n_params_nonembed,e_max,model,budget,min_loss,"  \
    "wall_s,id"
#define CSV_COLUMNS 16
#define CSV_WALL_S 14 /* the column that differs between equal runs */

/* ---- processes this test started in the background: killed if it fails midway ---------- */

static pid_t started[8];

static void track(pid_t pid) {
    for (int i = 0; i < 8; i++)
        if (!started[i]) {
            started[i] = pid;
            return;
        }
}

static void untrack(pid_t pid) {
    for (int i = 0; i < 8; i++)
        if (started[i] == pid) started[i] = 0;
}

static void kill_leftovers(void) {
    for (int i = 0; i < 8; i++)
        if (started[i] > 0) {
            kill(started[i], SIGKILL);
            waitpid(started[i], NULL, 0);
            started[i] = 0;
        }
}

TestSuite(sweep, .timeout = 240, .fini = kill_leftovers);

/* ---- paths and specs ---------------------------------------------------------------------- */

/* <tmpdir>/name, in one of 16 rotating buffers. */
static const char *at(const char *name) {
    static char buf[16][1024];
    static int slot;
    char *p = buf[slot++ % 16];
    snprintf(p, 1024, "%s/%s", zs_test_tmpdir(), name);
    return p;
}

/* What the tests' specs vary. Every spec has context 32, batch 4 (128 tokens a step). */
typedef struct {
    int datasets;         /* the first 1-3 of a, b, c */
    const char *models;   /* comma-separated, of d8, d12, d16 */
    const char *budgets;  /* a YAML list */
    int checkpoint_every; /* steps */
    int max_attempts;     /* 0: the default (3) */
    int jobs;             /* 0: not given */
    unsigned tokens;      /* each dataset's training tokens; 0: 61440 */
} spec_opts;

/* 30, 60 and 120 steps: about 0.2 s a run (mostly start-up). */
static const spec_opts TINY = {1, "d8,d16", "[3840, 7680, 15360]", 5, 0, 1, 0};
/* 1000 and 2000 steps, a checkpoint every 100: runs long enough (0.3-0.7 s) that a kill
 * aimed after a run's first checkpoint lands before its end. Largest first: d16 256K,
 * d16 128K, d8 256K, d8 128K. */
static const spec_opts LONG = {1, "d8,d16", "[128000, 256000]", 100, 0, 1, 0};
/* The same under the sanitizers (ZS_SANITIZED), where a step is several times slower: a
 * quarter of the steps last as long, and the four tests that use it take half the time. */
static const spec_opts LONG_SANITIZED = {1, "d8,d16", "[32000, 64000]", 25, 0, 1, 0};

static const spec_opts *long_spec(void) {
    static int said;
    const char *san = getenv("ZS_SANITIZED");
    if (!san || !*san || strcmp(san, "0") == 0) return &LONG;
    if (!said++)
        fprintf(stderr, "test_sweep: ZS_SANITIZED: the kill tests run 250-500 steps a run "
                        "instead of 1000-2000 (as long in seconds under the sanitizers)\n");
    return &LONG_SANITIZED;
}

/* Spec lines without their closing ", tokens: N, val_tokens: 4096}". */
static const char *const DATASETS[] = {
    "  - {name: a, pcfg: {nonterminals: 5, terminals: 20, max_options: 3, max_length: 3, seed: 1}",
    "  - {name: b, pcfg: {nonterminals: 8, terminals: 30, max_options: 3, max_length: 3, seed: 2}",
    "  - {name: c, pcfg: {nonterminals: 3, terminals: 20, max_options: 2, max_length: 2, seed: 3}",
};

static const char *model_line(const char *name) {
    if (strcmp(name, "d8") == 0) return "  - {name: d8, d_model: 8, layers: 1, heads: 1}\n";
    if (strcmp(name, "d12") == 0) return "  - {name: d12, d_model: 12, layers: 1, heads: 1}\n";
    if (strcmp(name, "d16") == 0) return "  - {name: d16, d_model: 16, layers: 1, heads: 2}\n";
    cr_assert_fail("no model %s in the tests' list", name);
    return NULL;
}

static void write_spec(const char *path, const spec_opts *o) {
    char text[4096], names[128];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "name: t\ndatasets:\n");
    for (int d = 0; d < o->datasets; d++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s, tokens: %u, val_tokens: 4096}\n",
                              DATASETS[d], o->tokens ? o->tokens : 61440);
    n += (size_t)snprintf(text + n, sizeof text - n, "models:\n");
    snprintf(names, sizeof names, "%s", o->models);
    for (char *m = strtok(names, ","); m; m = strtok(NULL, ","))
        n += (size_t)snprintf(text + n, sizeof text - n, "%s", model_line(m));
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "budgets: %s\n"
                          "train: {context: 32, batch: 4, min_steps: 10, lr: 0.003, "
                          "checkpoint_every: %d, evals: 2, eval_tokens: 1024}\n"
                          "analysis: {bootstrap: 20, holdout_largest: 1}\n",
                          o->budgets, o->checkpoint_every);
    if (o->jobs) n += (size_t)snprintf(text + n, sizeof text - n, "jobs: %d\n", o->jobs);
    if (o->max_attempts)
        n += (size_t)snprintf(text + n, sizeof text - n, "max_attempts: %d\n", o->max_attempts);
    cr_assert_lt(n, sizeof text);
    cr_assert_eq(zs_test_write(path, text, n), 0, "cannot write %s", path);
}

/* ---- running sweeps ------------------------------------------------------------------------ */

/* `zipscale sweep run SPEC -o DIR --no-analyse EXTRA` to its end. */
static zs_run sweep(const char *spec, const char *dir, const char *extra) {
    return zs_test_cli("sweep run '%s' -o '%s' --no-analyse %s", spec, dir, extra);
}

static void sweep_ok(const char *spec, const char *dir, const char *extra) {
    zs_run r = sweep(spec, dir, extra);
    cr_assert_eq(r.exit_code, 0, "sweep run %s -o %s %s: exit %d\n%s", spec, dir, extra,
                 r.exit_code, r.err);
    zs_run_free(&r);
}

/* The same in the background (stdout to /dev/null, stderr to <tmpdir>/<log>); the pid. */
static pid_t start_sweep(const char *spec, const char *dir, const char *log, int quiet) {
    char log_path[1024];
    snprintf(log_path, sizeof log_path, "%s", at(log));
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        int err = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (null < 0 || err < 0) _exit(126);
        dup2(null, 0);
        dup2(null, 1);
        dup2(err, 2);
        execl(ZS_CLI_PATH, "zipscale", "sweep", "run", spec, "-o", dir, "--no-analyse",
              quiet ? "-q" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    track(pid);
    return pid;
}

/* Waits for a background sweep; its exit code (128 + N when killed by signal N). */
static int wait_sweep(pid_t pid) {
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid %d: %s", (int)pid, strerror(errno));
    untrack(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int has_file(const char *dir, const char *id, const char *name) {
    char path[2048];
    struct stat st;
    snprintf(path, sizeof path, "%s/runs/%s/%s", dir, id, name);
    return stat(path, &st) == 0;
}

static void nap_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until at least `finished` runs of the sweep `pid` on DIR have finished (their
 * metrics.json written) and another, not `skip`, is mid-run (a checkpoint, no
 * metrics.json); its id in `mid`. Fails if the sweep ends first. */
static void wait_mid_run(pid_t pid, const char *dir, int finished, const char *skip, char mid[32]) {
    char runs[1100];
    snprintf(runs, sizeof runs, "%s/runs", dir);
    for (int polls = 0; polls < 60000; polls++) { /* 2 ms apart: 2 minutes */
        int done = 0;
        mid[0] = '\0';
        DIR *d = opendir(runs);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            if (has_file(dir, e->d_name, "metrics.json"))
                done++;
            else if (has_file(dir, e->d_name, "checkpoint.safetensors") &&
                     !(skip && strcmp(skip, e->d_name) == 0))
                snprintf(mid, 32, "%.31s", e->d_name);
        }
        if (d) closedir(d);
        if (done >= finished && mid[0]) return;
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            untrack(pid);
            cr_assert_fail("the sweep on %s ended (status 0x%x) before a kill could land mid-run "
                           "(%d finished); make the LONG runs longer",
                           dir, status, done);
        }
        nap_ms(2);
    }
    cr_assert_fail("no run of %s got mid-way in 2 minutes", dir);
}

/* The state letter of /proc/PID/stat and its parent; 0 when there is no such process. */
static char proc_state(pid_t pid, pid_t *ppid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *close = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    char state = 0;
    int parent = 0;
    if (!close || sscanf(close + 1, " %c %d", &state, &parent) != 2) return 0;
    if (ppid) *ppid = parent;
    return state;
}

static int alive(pid_t pid) {
    char s = proc_state(pid, NULL);
    return s && s != 'Z' && s != 'X';
}

/* The live children of `parent` (at most max); how many. */
static int children_of(pid_t parent, pid_t *kids, int max) {
    int n = 0;
    DIR *d = opendir("/proc");
    cr_assert(d, "/proc: %s", strerror(errno));
    for (struct dirent *e; (e = readdir(d)) && n < max;) {
        pid_t pid = (pid_t)atoi(e->d_name), ppid = 0;
        if (pid > 0 && alive(pid) && proc_state(pid, &ppid) && ppid == parent) kids[n++] = pid;
    }
    closedir(d);
    return n;
}

/* Live processes (other than this one) with an argument that contains `text`. */
static int processes_naming(const char *text) {
    int n = 0;
    DIR *d = opendir("/proc");
    cr_assert(d, "/proc: %s", strerror(errno));
    for (struct dirent *e; (e = readdir(d));) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0 || pid == getpid() || !alive(pid)) continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
        size_t len = 0;
        char *cmd = zs_test_slurp(path, &len);
        for (size_t i = 0; cmd && i < len; i += strlen(cmd + i) + 1)
            if (strstr(cmd + i, text)) {
                n++;
                break;
            }
        free(cmd);
    }
    closedir(d);
    return n;
}

/* ---- reading results ------------------------------------------------------------------------ */

/* DIR/runs.csv without its wall_s column, checked line by line: the header, 16 columns a
 * row; *rows the data rows. */
static char *read_table(const char *dir, size_t *rows) {
    char path[1100];
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    char *text = zs_test_slurp(path, NULL);
    cr_assert(text, "%s is missing", path);
    cr_assert(strncmp(text, CSV_HEADER "\n", strlen(CSV_HEADER) + 1) == 0, "%s: header:\n%s", path,
              text);
    size_t cap = strlen(text) + 1, n = 0, lines = 0;
    char *out = calloc(cap, 1);
    for (char *line = text, *next; *line; line = next) {
        char *nl = strchr(line, '\n');
        cr_assert(nl, "%s: the last line is unterminated", path);
        *nl = '\0';
        next = nl + 1;
        int col = 0;
        for (char *f = line, *comma;; f = comma + 1, col++) {
            comma = strchr(f, ',');
            if (col != CSV_WALL_S) {
                size_t len = comma ? (size_t)(comma - f) : strlen(f);
                if (col) out[n++] = ',';
                memcpy(out + n, f, len);
                n += len;
            }
            if (!comma) break;
        }
        cr_assert_eq(col + 1, CSV_COLUMNS, "%s line %zu has %d columns: %s", path, lines + 1,
                     col + 1, line);
        out[n++] = '\n';
        lines++;
    }
    free(text);
    if (rows) *rows = lines - 1;
    return out;
}

/* `zipscale sweep export DIR`, then the table as read_table gives it. */
static char *table(const char *dir, size_t *rows) {
    zs_run r = zs_test_cli("sweep export '%s'", dir);
    cr_assert_eq(r.exit_code, 0, "sweep export %s: %s", dir, r.err);
    zs_run_free(&r);
    return read_table(dir, rows);
}

/* An uninterrupted sweep of `o` (jobs 1); its table. Swept once for the whole test program
 * (zs_test_shared_dir: several tests compare against the same one), then only read. */
static const spec_opts *baseline_opts;
static void baseline_fill(const char *shared) {
    char spec[600], dir[600];
    snprintf(spec, sizeof spec, "%s/base.yaml", shared);
    snprintf(dir, sizeof dir, "%s/base", shared);
    write_spec(spec, baseline_opts);
    sweep_ok(spec, dir, "-q --jobs 1");
    zs_run r = zs_test_cli("sweep export '%s'", dir);
    cr_assert_eq(r.exit_code, 0, "sweep export %s: %s", dir, r.err);
    zs_run_free(&r);
}

static char baseline_dir[600]; /* the last baseline's sweep directory */
static char *baseline(const spec_opts *o) {
    baseline_opts = o;
    char *dir = baseline_dir;
    snprintf(dir, sizeof baseline_dir, "%s/base",
             zs_test_shared_dir(o == &TINY   ? "base-tiny"
                                : o == &LONG ? "base-long"
                                             : "base-long-san",
                                baseline_fill));
    return read_table(dir, NULL);
}

ZS_TEST_SHARED_CLEANUP

static void assert_same_table(const char *dir, const char *want) {
    size_t rows = 0;
    char *got = table(dir, &rows);
    cr_assert_str_eq(got, want,
                     "%s/runs.csv (wall_s left out) differs from the uninterrupted "
                     "sweep's:\n%s\nwanted:\n%s",
                     dir, got, want);
    free(got);
}

/* python3 with sqlite3 (zs_test_python: missing, the test fails): it reads the ledger
 * independently of zipscale. */
static const char *python(void) {
    return zs_test_python("sqlite3");
}

/* The rows of a query on DIR/sweep.db, one a line, columns joined by '|'. */
static char *ledger(const char *dir, const char *sql) {
    const char *script = at("ledger.py");
    static const char code[] = "import sqlite3, sys\n"
                               "db = sqlite3.connect(sys.argv[1])\n"
                               "for row in db.execute(sys.argv[2]):\n"
                               "    print('|'.join(str(x) for x in row))\n";
    cr_assert_eq(zs_test_write(script, code, sizeof code - 1), 0);
    zs_run r = zs_test_sh("'%s' '%s' '%s/sweep.db' \"%s\"", python(), script, dir, sql);
    cr_assert_eq(r.exit_code, 0, "%s on %s/sweep.db: %s", sql, dir, r.err);
    free(r.err);
    return r.out;
}

static long ledger_count(const char *dir, const char *where) {
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE %s", where);
    char *out = ledger(dir, sql);
    long n = strtol(out, NULL, 10);
    free(out);
    return n;
}

/* `sweep status DIR --json`. */
static json_t *status_json(const char *dir) {
    zs_run r = zs_test_cli("sweep status '%s' --json", dir);
    cr_assert_eq(r.exit_code, 0, "sweep status %s: %s", dir, r.err);
    json_t *j = parse_json(r.out);
    zs_run_free(&r);
    return j;
}

static void assert_counts(const char *dir, int total, int completed, int running, int pending,
                          int failed, int retired) {
    json_t *j = status_json(dir);
    int got[6] = {(int)json_num(j, "total"),   (int)json_num(j, "completed"),
                  (int)json_num(j, "running"), (int)json_num(j, "pending"),
                  (int)json_num(j, "failed"),  (int)json_num(j, "retired")};
    int want[6] = {total, completed, running, pending, failed, retired};
    cr_assert(memcmp(got, want, sizeof got) == 0,
              "%s: total %d completed %d running %d pending %d failed %d retired %d; wanted "
              "%d %d %d %d %d %d",
              dir, got[0], got[1], got[2], got[3], got[4], got[5], total, completed, running,
              pending, failed, retired);
    cr_assert_eq(json_num(j, "diverged"), 0);
    json_decref(j);
}

static size_t count_of(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* A run's log.jsonl without the tok_per_s field (the one thing timing changes). */
static char *log_numbers(const char *dir, const char *id) {
    char path[1200];
    snprintf(path, sizeof path, "%s/runs/%s/log.jsonl", dir, id);
    char *text = zs_test_slurp(path, NULL);
    cr_assert(text, "%s is missing", path);
    char *out = calloc(strlen(text) + 1, 1);
    size_t n = 0;
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        char *speed = strstr(line, ",\"tok_per_s\":");
        cr_assert(speed, "%s: no tok_per_s in %s", path, line);
        n += (size_t)sprintf(out + n, "%.*s%s\n", (int)(speed - line), line, strchr(speed, '}'));
    }
    free(text);
    return out;
}

/* Its first line as written, tok_per_s (a wall-clock measure) included. */
static char *log_first_line(const char *dir, const char *id) {
    char path[1200];
    snprintf(path, sizeof path, "%s/runs/%s/log.jsonl", dir, id);
    char *text = zs_test_slurp(path, NULL);
    cr_assert(text && strchr(text, '\n'), "%s has no complete line", path);
    *strchr(text, '\n') = '\0';
    return text;
}

/* ---- the tests ------------------------------------------------------------------------------ */

Test(sweep, uninterrupted_sweep_completes_and_a_rerun_trains_nothing) {
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, &TINY);
    zs_run r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: 6 runs (6 new, 0 from the ledger, 0 retired)"), "%s", r.err);
    cr_assert(strstr(r.err, "sweep: preparing dataset a\n"), "%s", r.err);
    cr_assert_eq(count_of(r.err, " nats ("), 6, "one line per finished run:\n%s", r.err);
    cr_assert(strstr(r.err, ": 6 completed, 0 diverged, 0 failed, 0 pending, 0 running "
                            "elsewhere"),
              "%s", r.err);
    zs_run_free(&r);

    cr_assert_eq(ledger_count(dir, "status = 'completed' AND attempts = 1 AND retired = 0 AND "
                                   "final_loss > 0 AND wall_s > 0"),
                 6);
    char *ids = ledger(dir, "SELECT id FROM runs ORDER BY id");
    for (char *id = strtok(ids, "\n"); id; id = strtok(NULL, "\n"))
        cr_assert(has_file(dir, id, "metrics.json") && has_file(dir, id, "log.jsonl"),
                  "run %s left no metrics.json/log.jsonl", id);
    free(ids);

    /* runs.csv: spec order (dataset, model, budget), steps = budget / 128 */
    r = zs_test_cli("sweep export '%s'", dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "6 runs written to"), "%s", r.out);
    zs_run_free(&r);
    size_t rows = 0;
    free(read_table(dir, &rows));
    cr_assert_eq(rows, 6);
    char csv_path[1100];
    snprintf(csv_path, sizeof csv_path, "%s/runs.csv", dir);
    char *csv = zs_test_slurp(csv_path, NULL);
    const char *want_model[] = {"d8", "d8", "d8", "d16", "d16", "d16"};
    const unsigned want_steps[] = {30, 60, 120, 30, 60, 120};
    const char *line = strchr(csv, '\n') + 1;
    for (int i = 0; i < 6; i++, line = strchr(line, '\n') + 1) {
        char dataset[16], model[16];
        double n, d, loss, h, flops, e_max, min_loss, wall;
        unsigned seed, steps, budget, n_params, n_nonemb;
        cr_assert_eq(sscanf(line, "%15[^,],%lf,%lf,%lf,%lf,%lf,%u,%u,%u,%u,%lf,%15[^,],%u,%lf,%lf",
                            dataset, &n, &d, &loss, &h, &flops, &seed, &steps, &n_params, &n_nonemb,
                            &e_max, model, &budget, &min_loss, &wall),
                     15, "row %d: %.200s", i, line);
        cr_assert_str_eq(dataset, "a");
        cr_assert_str_eq(model, want_model[i], "row %d", i);
        cr_assert_eq(steps, want_steps[i], "row %d", i);
        cr_assert_eq(budget, want_steps[i] * 128u, "row %d", i);
        cr_assert_eq(d, budget, "row %d: D", i);
        cr_assert_eq(n, n_nonemb, "row %d: N is the non-embedding count", i);
        cr_assert(n_params > n_nonemb, "row %d", i);
        cr_assert(loss > 0 && loss < log(21.0) && min_loss <= loss, "row %d: loss %g", i, loss);
        cr_assert(h > 0 && h < 1 && e_max > 0, "row %d: H %g e_max %g", i, h, e_max);
        cr_assert(fabs(flops - 6 * n * d) <= 1e-9 * flops, "row %d", i);
        cr_assert_eq(seed, 0);
    }

    /* sweep status: counts and table */
    r = zs_test_cli("sweep status '%s'", dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    char want[1200];
    snprintf(want, sizeof want,
             "%s: 6 runs: 6 completed, 0 running, 0 pending, 0 diverged, 0 failed (0 retired "
             "from earlier specs)\n",
             dir);
    cr_assert(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
    cr_assert_eq(count_of(r.out, " completed "), 6, "%s", r.out);
    cr_assert_null(strstr(r.out, "messages:"), "%s", r.out);
    zs_run_free(&r);
    assert_counts(dir, 6, 6, 0, 0, 0, 0);

    /* again: nothing trains, nothing changes */
    char *before = ledger(dir, "SELECT id, status, attempts, wall_s, finished, final_loss FROM "
                               "runs ORDER BY id");
    r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: 6 runs (0 new, 6 from the ledger, 0 retired)"), "%s", r.err);
    cr_assert_null(strstr(r.err, "preparing dataset"), "%s", r.err);
    cr_assert_eq(count_of(r.err, " nats ("), 0, "nothing may train again:\n%s", r.err);
    cr_assert(strstr(r.err, ": 6 completed, 0 diverged"), "%s", r.err);
    zs_run_free(&r);
    char *after = ledger(dir, "SELECT id, status, attempts, wall_s, finished, final_loss FROM "
                              "runs ORDER BY id");
    cr_assert_str_eq(after, before, "the ledger changed on a rerun");
    r = zs_test_cli("sweep export '%s'", dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *csv2 = zs_test_slurp(csv_path, NULL);
    cr_assert_str_eq(csv2, csv, "runs.csv (wall_s included) changed on a rerun");
    free(csv);
    free(csv2);
    free(before);
    free(after);
}

Test(sweep, parent_killed_mid_run_resumes_to_the_uninterrupted_table) {
    char *want = baseline(long_spec());
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, long_spec());
    pid_t pid = start_sweep(spec, dir, "run1.err", 1);
    char mid[32];
    pid_t kids[16];
    int n_kids = 0;
    for (int tries = 0; tries < 50 && n_kids == 0; tries++) { /* between two runs: none */
        wait_mid_run(pid, dir, 1, NULL, mid);
        n_kids = children_of(pid, kids, 16);
    }
    cr_assert_gt(n_kids, 0, "no child process of the sweep %d found", (int)pid);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    cr_assert_eq(wait_sweep(pid), 128 + SIGKILL);
    /* the children die with their parent (PR_SET_PDEATHSIG) */
    for (int i = 0; i < n_kids; i++) {
        for (int t = 0; t < 200 && alive(kids[i]); t++) nap_ms(10);
        cr_assert(!alive(kids[i]), "child %d of the killed sweep still runs", (int)kids[i]);
    }
    cr_assert(!has_file(dir, mid, "metrics.json"), "run %s finished after its sweep was killed",
              mid);
    cr_assert_eq(processes_naming(dir), 0, "a process still works on %s", dir);
    /* its claim stays in the ledger until a sweep finds its owner gone */
    cr_assert_geq(ledger_count(dir, "status = 'running'"), 1);
    cr_assert(has_file(dir, mid, "checkpoint.safetensors"));
    char *first = log_first_line(dir, mid);

    zs_run r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: 4 runs (0 new, 4 from the ledger, 0 retired)"), "%s", r.err);
    cr_assert(strstr(r.err, ": 4 completed, 0 diverged, 0 failed, 0 pending"), "%s", r.err);
    zs_run_free(&r);
    assert_counts(dir, 4, 4, 0, 0, 0, 0);
    char where[128];
    snprintf(where, sizeof where, "id = '%s' AND attempts = 2 AND status = 'completed'", mid);
    cr_assert_eq(ledger_count(dir, where), 1, "the killed run %s was not re-claimed", mid);
    cr_assert_eq(ledger_count(dir, "attempts = 1"), 3);
    /* resumed, not restarted: the log's first line, with its wall-clock tok_per_s, survived,
       and the log's numbers are the uninterrupted run's */
    char *first_after = log_first_line(dir, mid);
    cr_assert_str_eq(first_after, first, "run %s started over instead of resuming", mid);
    char *got_log = log_numbers(dir, mid), *want_log = log_numbers(baseline_dir, mid);
    cr_assert_str_eq(got_log, want_log, "run %s: the resumed log differs", mid);
    assert_same_table(dir, want);
    free(first);
    free(first_after);
    free(got_log);
    free(want_log);
    free(want);
}

Test(sweep, child_killed_mid_run_is_retried_and_the_sweep_goes_on) {
    char *want = baseline(long_spec());
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, long_spec());
    pid_t pid = start_sweep(spec, dir, "run.err", 0);
    char mid[32];
    pid_t kids[16];
    int n_kids = 0;
    for (int tries = 0; tries < 50 && n_kids == 0; tries++) {
        wait_mid_run(pid, dir, 1, NULL, mid);
        n_kids = children_of(pid, kids, 16);
    }
    cr_assert_eq(n_kids, 1, "jobs 1, but %d children", n_kids);
    cr_assert_eq(kill(kids[0], SIGKILL), 0);
    cr_assert_eq(wait_sweep(pid), 0, "%s", zs_test_slurp(at("run.err"), NULL));
    char *err = zs_test_slurp(at("run.err"), NULL);
    cr_assert(strstr(err, "pending: killed by signal 9"), "the kill is reported:\n%s", err);
    cr_assert(strstr(err, ": 4 completed, 0 diverged, 0 failed, 0 pending"), "%s", err);
    free(err);
    assert_counts(dir, 4, 4, 0, 0, 0, 0);
    char where[128];
    snprintf(where, sizeof where, "id = '%s' AND attempts = 2", mid);
    cr_assert_eq(ledger_count(dir, where), 1, "the killed run %s was not retried", mid);
    cr_assert_eq(ledger_count(dir, "attempts = 1"), 3);
    char *got_log = log_numbers(dir, mid), *want_log = log_numbers(baseline_dir, mid);
    cr_assert_str_eq(got_log, want_log, "run %s: the retried run's log differs", mid);
    assert_same_table(dir, want);
    free(got_log);
    free(want_log);
    free(want);
}

Test(sweep, sigterm_and_sigint_leave_runs_pending_and_a_rerun_finishes) {
    char *want = baseline(long_spec());
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, long_spec());
    const int sigs[2] = {SIGTERM, SIGINT};
    char mids[2][32];
    for (int k = 0; k < 2; k++) {
        pid_t pid = start_sweep(spec, dir, "run.err", 1);
        wait_mid_run(pid, dir, 1 + k, k ? mids[0] : NULL, mids[k]);
        cr_assert_eq(kill(pid, sigs[k]), 0);
        char *err = NULL;
        int code = wait_sweep(pid);
        err = zs_test_slurp(at("run.err"), NULL);
        cr_assert_eq(code, 130, "%s: exit %d: %s", strsignal(sigs[k]), code, err);
        cr_assert(strstr(err, "sweep interrupted; run the same command to resume"), "%s", err);
        free(err);
        cr_assert_eq(processes_naming(dir), 0, "a worker outlived the interrupted sweep");
        cr_assert_eq(ledger_count(dir, "status IN ('running', 'failed', 'diverged')"), 0,
                     "%s left runs running or failed", strsignal(sigs[k]));
        char where[200];
        snprintf(where, sizeof where,
                 "id = '%s' AND status = 'pending' AND attempts = 0 AND message = "
                 "'interrupted; resumes from its checkpoint'",
                 mids[k]);
        cr_assert_eq(ledger_count(dir, where), 1, "%s: run %s", strsignal(sigs[k]), mids[k]);
        cr_assert(has_file(dir, mids[k], "checkpoint.safetensors"));
        cr_assert_geq(ledger_count(dir, "status = 'completed'"), 1 + k);
    }
    char *first = log_first_line(dir, mids[1]);
    zs_run r = sweep(spec, dir, "-q");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    assert_counts(dir, 4, 4, 0, 0, 0, 0);
    /* an interruption is not an attempt */
    cr_assert_eq(ledger_count(dir, "attempts = 1 AND message IS NULL"), 4);
    char *first_after = log_first_line(dir, mids[1]);
    cr_assert_str_eq(first_after, first, "run %s started over instead of resuming", mids[1]);
    assert_same_table(dir, want);
    free(first);
    free(first_after);
    free(want);
}

Test(sweep, interrupted_while_preparing_a_dataset_exits_130_and_prepares_it_again) {
    spec_opts o = TINY;
    o.tokens = 4000000; /* a preparation that lasts (about 1 s) */
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, &o);
    pid_t pid = start_sweep(spec, dir, "run.err", 0), kid;
    for (int polls = 0; children_of(pid, &kid, 1) == 0; polls++) {
        cr_assert_lt(polls, 60000, "no dataset worker in 2 minutes");
        nap_ms(2);
    }
    cr_assert_eq(kill(pid, SIGINT), 0);
    int code = wait_sweep(pid);
    char *err = zs_test_slurp(at("run.err"), NULL);
    cr_assert_eq(code, 130, "exit %d: %s", code, err);
    cr_assert(strstr(err, "sweep interrupted; run the same command to resume"), "%s", err);
    cr_assert_null(strstr(err, "killed by signal"), "%s", err);
    free(err);
    char *ready = ledger(dir, "SELECT name, ready FROM datasets");
    cr_assert_str_eq(ready, "a|0\n", "the interrupt did not land during the preparation");
    free(ready);
    assert_counts(dir, 6, 0, 0, 6, 0, 0);
    zs_run r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: preparing dataset a\n"), "%s", r.err);
    zs_run_free(&r);
    assert_counts(dir, 6, 6, 0, 0, 0, 0);
}

Test(sweep, two_sweeps_at_once_share_the_runs) {
    char *want = baseline(long_spec());
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, long_spec());
    pid_t a = start_sweep(spec, dir, "a.err", 0), b = start_sweep(spec, dir, "b.err", 0);
    int code_a = wait_sweep(a), code_b = wait_sweep(b);
    char *err_a = zs_test_slurp(at("a.err"), NULL), *err_b = zs_test_slurp(at("b.err"), NULL);
    cr_assert(code_a == 0 && code_b == 0, "exits %d and %d:\n%s\n%s", code_a, code_b, err_a, err_b);
    assert_counts(dir, 4, 4, 0, 0, 0, 0);
    cr_assert_eq(ledger_count(dir, "attempts = 1"), 4, "a run was claimed twice");
    /* each run trained by exactly one of the two */
    char *ids = ledger(dir, "SELECT id FROM runs");
    for (char *id = strtok(ids, "\n"); id; id = strtok(NULL, "\n")) {
        char finished[64];
        snprintf(finished, sizeof finished, "sweep: %s ", id);
        size_t n = count_of(err_a, finished) + count_of(err_b, finished);
        cr_assert_eq(n, 1, "run %s finished %zu times:\n%s\n%s", id, n, err_a, err_b);
    }
    cr_assert_eq(count_of(err_a, "preparing dataset") + count_of(err_b, "preparing dataset"), 1,
                 "the dataset was prepared twice:\n%s\n%s", err_a, err_b);
    assert_same_table(dir, want);
    free(ids);
    free(err_a);
    free(err_b);
    free(want);
}

Test(sweep, crashing_runs_fail_with_the_signal_and_retry_completes_them) {
    char *want = baseline(&TINY);
    spec_opts o = TINY;
    o.max_attempts = 2;
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, &o);
    /* ASan would turn the SIGSEGV into a report and an abort: let it through */
    zs_run r = zs_test_sh("ZS_SWEEP_TEST_CRASH=d8 ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}"
                          "handle_segv=0\" '%s' sweep run '%s' -o '%s' --no-analyse",
                          ZS_CLI_PATH, spec, dir);
    cr_assert_eq(r.exit_code, 1, "failed runs: exit 1 once the rest are done: %s", r.err);
    cr_assert(strstr(r.err, "zipscale: 3 runs failed: `zipscale sweep status "), "%s", r.err);
    cr_assert_eq(count_of(r.err, "d8 D="), 6, "each d8 run twice:\n%s", r.err);
    cr_assert_eq(count_of(r.err, ": pending: killed by signal 11 (Segmentation fault)"), 3, "%s",
                 r.err);
    cr_assert_eq(count_of(r.err, ": failed: killed by signal 11 (Segmentation fault)"), 3, "%s",
                 r.err);
    cr_assert(strstr(r.err, ": 3 completed, 0 diverged, 3 failed, 0 pending"), "%s", r.err);
    zs_run_free(&r);
    cr_assert_eq(ledger_count(dir, "model = 'd8' AND status = 'failed' AND attempts = 2 AND "
                                   "message = 'killed by signal 11 (Segmentation fault)'"),
                 3);
    cr_assert_eq(ledger_count(dir, "model = 'd16' AND status = 'completed' AND attempts = 1"), 3);
    assert_counts(dir, 6, 3, 0, 0, 3, 0);

    r = zs_test_cli("sweep status '%s'", dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, ": 6 runs: 3 completed, 0 running, 0 pending, 0 diverged, 3 failed"),
              "%s", r.out);
    const char *msgs = strstr(r.out, "\nmessages:\n");
    cr_assert(msgs, "%s", r.out);
    cr_assert_eq(count_of(msgs, ", d8, D="), 3, "%s", r.out);
    cr_assert_eq(count_of(msgs, "): failed: killed by signal 11 (Segmentation fault)\n"), 3, "%s",
                 r.out);
    char *ids = ledger(dir, "SELECT id FROM runs WHERE model = 'd8'");
    for (char *id = strtok(ids, "\n"); id; id = strtok(NULL, "\n"))
        cr_assert(strstr(msgs, id), "status does not list %s:\n%s", id, r.out);
    free(ids);
    zs_run_free(&r);
    size_t rows = 0;
    free(table(dir, &rows));
    cr_assert_eq(rows, 3, "runs.csv holds completed runs only");

    r = zs_test_cli("sweep retry '%s'", dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "3 runs back to pending"), "%s", r.out);
    zs_run_free(&r);
    assert_counts(dir, 6, 3, 0, 3, 0, 0);
    cr_assert_eq(ledger_count(dir, "model = 'd8' AND attempts = 0 AND message IS NULL"), 3);

    r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: 6 runs (0 new, 6 from the ledger, 0 retired)"), "%s", r.err);
    cr_assert_eq(count_of(r.err, " nats ("), 3, "only the failed runs train:\n%s", r.err);
    zs_run_free(&r);
    assert_counts(dir, 6, 6, 0, 0, 0, 0);
    assert_same_table(dir, want);
    free(want);
}

Test(sweep, spec_edits_add_retire_and_reactivate_runs) {
    spec_opts o = TINY;
    o.budgets = "[3840, 7680]";
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, &o);
    sweep_ok(spec, dir, "-q");
    assert_counts(dir, 4, 4, 0, 0, 0, 0);
    char *old = ledger(dir, "SELECT id, wall_s, finished FROM runs ORDER BY id");

    /* a budget more: two new runs, the four others kept */
    o.budgets = "[3840, 7680, 15360]";
    write_spec(spec, &o);
    zs_run r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: 6 runs (2 new, 4 from the ledger, 0 retired)"), "%s", r.err);
    cr_assert_eq(count_of(r.err, " nats ("), 2, "%s", r.err);
    cr_assert_eq(count_of(r.err, "D=15360"), 2, "%s", r.err);
    zs_run_free(&r);
    char *kept = ledger(dir, "SELECT id, wall_s, finished FROM runs WHERE budget < 15000 ORDER "
                             "BY id");
    cr_assert_str_eq(kept, old, "the old runs were touched");
    size_t rows = 0;
    char *full = table(dir, &rows);
    cr_assert_eq(rows, 6);
    assert_counts(dir, 6, 6, 0, 0, 0, 0);
    char *everything = ledger(dir, "SELECT id, wall_s, finished FROM runs ORDER BY id");

    /* a model less: its runs retired, out of runs.csv */
    o.models = "d8";
    write_spec(spec, &o);
    r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: 3 runs (0 new, 3 from the ledger, 3 retired)"), "%s", r.err);
    cr_assert_eq(count_of(r.err, " nats ("), 0, "%s", r.err);
    zs_run_free(&r);
    char *d8 = table(dir, &rows);
    cr_assert_eq(rows, 3);
    cr_assert_null(strstr(d8, ",d16,"), "%s", d8);
    assert_counts(dir, 3, 3, 0, 0, 0, 3);
    r = zs_test_cli("sweep status '%s'", dir);
    cr_assert(strstr(r.out, ": 3 runs: 3 completed, 0 running, 0 pending, 0 diverged, 0 failed "
                            "(3 retired from earlier specs)"),
              "%s", r.out);
    cr_assert_null(strstr(r.out, " d16 "), "retired runs are not listed:\n%s", r.out);
    zs_run_free(&r);

    /* back: reactivated, not retrained */
    o.models = "d8,d16";
    write_spec(spec, &o);
    r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: 6 runs (0 new, 6 from the ledger, 0 retired)"), "%s", r.err);
    cr_assert_eq(count_of(r.err, " nats ("), 0, "%s", r.err);
    zs_run_free(&r);
    assert_counts(dir, 6, 6, 0, 0, 0, 0);
    char *again = ledger(dir, "SELECT id, wall_s, finished FROM runs ORDER BY id");
    cr_assert_str_eq(again, everything, "reactivated runs were retrained");
    char *back = table(dir, &rows);
    cr_assert_str_eq(back, full);
    free(old);
    free(kept);
    free(full);
    free(everything);
    free(d8);
    free(again);
    free(back);
}

/* A command that must fail cleanly (exit 1, not a signal) saying `what` about `path`. */
static void assert_clean_failure(zs_run *r, const char *what, const char *path, const char *cmd) {
    cr_assert_eq(r->exit_code, 1, "%s: exit %d: %s", cmd, r->exit_code, r->err);
    cr_assert(strstr(r->err, path) && strstr(r->err, what), "%s: wanted '%s' about %s, got: %s",
              cmd, what, path, r->err);
    cr_assert_null(strstr(r->err, "Sanitizer"), "%s", r->err);
    zs_run_free(r);
}

Test(sweep, corrupt_foreign_and_missing_ledgers_are_refused_clearly) {
    const char *spec = at("s.yaml");
    write_spec(spec, &TINY);
    char garbage[8192];
    srand(7);
    for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (char)(rand() & 0xff);
    const char *bad = at("bad");
    char db[1100];
    snprintf(db, sizeof db, "%s/sweep.db", bad);
    cr_assert_eq(mkdir(bad, 0777), 0);
    cr_assert_eq(zs_test_write(db, garbage, sizeof garbage), 0);
    zs_run r = zs_test_cli("sweep status '%s'", bad);
    assert_clean_failure(&r, "file is not a database", db, "status");
    r = zs_test_cli("sweep status '%s' --json", bad);
    assert_clean_failure(&r, "file is not a database", db, "status --json");
    r = sweep(spec, bad, "-q");
    assert_clean_failure(&r, "file is not a database", db, "run");
    r = zs_test_cli("sweep analyse '%s'", bad);
    assert_clean_failure(&r, "file is not a database", db, "analyse");
    size_t len = 0;
    char *now = zs_test_slurp(db, &len);
    cr_assert(len == sizeof garbage && memcmp(now, garbage, len) == 0, "the garbage was changed");
    free(now);
    struct stat st;
    char runs[1100];
    snprintf(runs, sizeof runs, "%s/runs", bad);
    cr_assert_neq(stat(runs, &st), 0, "sweep run worked on a corrupt ledger");

    const char *foreign = at("foreign");
    snprintf(db, sizeof db, "%s/sweep.db", foreign);
    cr_assert_eq(mkdir(foreign, 0777), 0);
    r = zs_test_sh("'%s' -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
                   "db.execute(\"CREATE TABLE x(a)\"); db.commit()' '%s'",
                   python(), db);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("sweep status '%s'", foreign);
    assert_clean_failure(&r, "not a zipscale sweep ledger", db, "status");
    r = sweep(spec, foreign, "-q");
    assert_clean_failure(&r, "not a zipscale sweep ledger", db, "run");
    r = zs_test_cli("sweep retry '%s'", foreign);
    assert_clean_failure(&r, "not a zipscale sweep ledger", db, "retry");
    r = zs_test_cli("sweep export '%s'", foreign);
    assert_clean_failure(&r, "not a zipscale sweep ledger", db, "export");
    char *tables = ledger(foreign, "SELECT name FROM sqlite_master ORDER BY name");
    cr_assert_str_eq(tables, "x\n", "the foreign database was changed");
    free(tables);

    const char *missing = at("missing");
    snprintf(db, sizeof db, "%s/sweep.db", missing);
    r = zs_test_cli("sweep status '%s'", missing);
    assert_clean_failure(&r, "no sweep ledger here", db, "status");
    r = zs_test_cli("sweep analyse '%s'", missing);
    assert_clean_failure(&r, "no sweep ledger here", db, "analyse");
    cr_assert_neq(stat(missing, &st), 0, "reading a missing sweep created it");
    r = sweep(spec, at("missing/deeper"), "-q");
    assert_clean_failure(&r, "cannot create the sweep directory", at("missing/deeper"), "run");
}

Test(sweep, spec_errors_name_file_line_and_field) {
    const char *spec = at("bad.yaml"), *dir = at("d");
    char text[2048];
    /* line 6: the second model's d_model */
    snprintf(text, sizeof text,
             "datasets:\n%s, tokens: 61440}\nmodels:\n  - {name: d8, d_model: 8, layers: 1}\n"
             "  # a comment line\n  - {name: d16, d_model: -3, layers: 1}\nbudgets: [3840]\n"
             "train: {context: 32, batch: 4, min_steps: 10}\n",
             DATASETS[0]);
    cr_assert_eq(zs_test_write(spec, text, strlen(text)), 0);
    zs_run r = sweep(spec, dir, "-q");
    char want[1200];
    snprintf(want, sizeof want, "%s:6: models[1].d_model: ", spec);
    cr_assert(r.exit_code > 0 && r.exit_code < 128, "exit %d", r.exit_code);
    cr_assert(strstr(r.err, want), "wanted %s, got: %s", want, r.err);
    zs_run_free(&r);

    /* line 5: a budget below min_steps */
    snprintf(text, sizeof text,
             "datasets:\n%s, tokens: 61440}\nmodels:\n  - {name: d8, d_model: 8, layers: "
             "1}\nbudgets: [3840, 640]\n"
             "train: {context: 32, batch: 4, min_steps: 10}\n",
             DATASETS[0]);
    cr_assert_eq(zs_test_write(spec, text, strlen(text)), 0);
    r = sweep(spec, dir, "-q");
    snprintf(want, sizeof want, "%s:5: budgets[1]: 640 gives 5 steps", spec);
    cr_assert(r.exit_code > 0 && r.exit_code < 128, "exit %d", r.exit_code);
    cr_assert(strstr(r.err, want), "wanted %s, got: %s", want, r.err);
    zs_run_free(&r);

    /* an unknown key on line 4 */
    snprintf(
        text, sizeof text,
        "datasets:\n%s, tokens: 61440}\nmodels: [{name: d8, d_model: 8, layers: 1}]\nbogus: 1\n"
        "budgets: [3840]\n",
        DATASETS[0]);
    cr_assert_eq(zs_test_write(spec, text, strlen(text)), 0);
    r = zs_test_cli("sweep plan '%s'", spec);
    snprintf(want, sizeof want, "%s:4: bogus: unknown key", spec);
    cr_assert(r.exit_code > 0 && r.exit_code < 128, "exit %d", r.exit_code);
    cr_assert(strstr(r.err, want), "wanted %s, got: %s", want, r.err);
    zs_run_free(&r);
    struct stat st;
    cr_assert_neq(stat(dir, &st), 0, "a bad spec created the sweep directory");
}

Test(sweep, jobs_do_not_change_the_numbers) {
    const char *spec = at("s.yaml"), *one = at("one"), *two = at("two");
    write_spec(spec, &TINY);
    sweep_ok(spec, one, "-q --jobs 1");
    zs_run r = sweep(spec, two, "--jobs 2");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "training FLOPs, 2 jobs\n"), "%s", r.err);
    zs_run_free(&r);
    size_t rows = 0;
    char *a = table(one, &rows), *b = table(two, NULL);
    cr_assert_eq(rows, 6);
    cr_assert_str_eq(a, b, "--jobs 1 and --jobs 2 differ");
    free(a);
    free(b);
}

static int finite_in(json_t *obj, const char *key, double lo, double hi) {
    json_t *v = json_object_get(obj, key);
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    return isfinite(x) && x >= lo && x <= hi;
}

Test(sweep, analyse_writes_laws_summary_and_report) {
    const spec_opts o = {3, "d8,d12,d16", "[3840, 7680, 15360]", 5, 0, 2, 0};
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, &o);
    zs_run r = zs_test_cli("sweep run '%s' -o '%s' -q", spec, dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "Fitted laws L(N, D)"), "%s", r.out);
    cr_assert(strstr(r.out, "As H grows, a = beta/(alpha+beta)"), "3 datasets: %s", r.out);
    zs_run_free(&r);
    const char *outputs[] = {"runs.csv", "law.json", "regression.json", "summary.json",
                             "report.html"};
    for (int i = 0; i < 5; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, outputs[i]);
        cr_assert_eq(unlink(path), 0, "sweep run did not write %s", path);
    }
    r = zs_test_cli("sweep analyse '%s' --date 2001-02-03", dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    char want[1200];
    snprintf(want, sizeof want, "report: %s/report.html", dir);
    cr_assert(strstr(r.out, want), "%s", r.out);
    zs_run_free(&r);

    size_t rows = 0;
    free(read_table(dir, &rows));
    cr_assert_eq(rows, 27);
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_error_t jerr;
    json_t *sum = json_load_file(path, 0, &jerr);
    cr_assert(sum, "%s: %s", path, jerr.text);
    cr_assert_str_eq(json_string_value(json_object_get(sum, "format")), "zipscale-sweep-summary");
    json_t *ds = json_object_get(sum, "datasets");
    cr_assert_eq(json_array_size(ds), 3);
    const char *names[] = {"a", "b", "c"};
    for (size_t i = 0; i < 3; i++) {
        json_t *d = json_array_get(ds, i);
        cr_assert_str_eq(json_string_value(json_object_get(d, "dataset")), names[i]);
        cr_assert(finite_in(d, "H", 0.01, 1), "dataset %s: H", names[i]);
        cr_assert_eq(json_integer_value(json_object_get(d, "runs")), 9);
        json_t *law = json_object_get(d, "law");
        cr_assert(finite_in(law, "E", 0, 10) && finite_in(law, "alpha", -100, 100) &&
                      finite_in(law, "beta", -100, 100),
                  "dataset %s: law", names[i]);
        cr_assert(finite_in(d, "holdout_rmse", 0, 10), "dataset %s: hold-out", names[i]);
    }
    cr_assert(finite_in(sum, "a_slope_on_H", -1e6, 1e6), "3 datasets give a slope");
    cr_assert_eq(json_array_size(json_object_get(sum, "failures")), 0);
    json_decref(sum);
    snprintf(path, sizeof path, "%s/law.json", dir);
    json_t *law = json_load_file(path, 0, &jerr);
    cr_assert(law, "%s: %s", path, jerr.text);
    cr_assert_str_eq(json_string_value(json_object_get(law, "format")), "zipscale-law");
    cr_assert_eq(json_array_size(json_object_get(law, "fits")), 3);
    json_decref(law);
    snprintf(path, sizeof path, "%s/regression.json", dir);
    json_t *reg = json_load_file(path, 0, &jerr);
    cr_assert(reg, "%s: %s", path, jerr.text);
    json_decref(reg);
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = zs_test_slurp(path, NULL);
    cr_assert(html && strstr(html, "<html") && strstr(html, "2001-02-03"), "%s", path);
    free(html);

    /* nothing completed: nothing to analyse */
    const spec_opts crash = {1, "d8", "[3840]", 5, 1, 1, 0};
    const char *spec2 = at("c.yaml"), *dir2 = at("c");
    write_spec(spec2, &crash);
    r = zs_test_sh("ZS_SWEEP_TEST_CRASH=d8 ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}"
                   "handle_segv=0\" '%s' sweep run '%s' -o '%s' -q",
                   ZS_CLI_PATH, spec2, dir2);
    cr_assert_eq(r.exit_code, 1, "the run failed: %s", r.err);
    cr_assert(strstr(r.err, "zipscale: 1 run failed: "), "%s", r.err);
    zs_run_free(&r);
    assert_counts(dir2, 1, 0, 0, 0, 1, 0);
    snprintf(path, sizeof path, "%s/summary.json", dir2);
    struct stat st;
    cr_assert_neq(stat(path, &st), 0, "a sweep with no completed run was analysed");
    r = zs_test_cli("sweep analyse '%s'", dir2);
    cr_assert(r.exit_code > 0 && r.exit_code < 128, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, dir2) && strstr(r.err, "no completed runs to analyse"), "%s", r.err);
    zs_run_free(&r);
}

/* `sweep plan`: every run listed largest first with an estimate from timed steps; the
 * makespan on 2 jobs lies between half the total and the total; nothing is written; without
 * the timing there is no estimate. (docs/sweeps.md compares an estimate with a real sweep.) */
Test(sweep, plan_lists_runs_with_estimates) {
    const char *spec = at("plan.yaml"), *dir = at("plan-dir");
    write_spec(spec, &TINY);
    zs_run r = zs_test_cli("sweep plan '%s' --jobs 2 --json", spec);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    cr_assert(doc, "not JSON: %s", jerr.text);
    json_t *runs = json_object_get(doc, "runs");
    cr_assert_eq(json_array_size(runs), 6);
    double total = 0, last_flops = INFINITY;
    for (size_t i = 0; i < 6; i++) {
        json_t *run = json_array_get(runs, i);
        double flops = json_number_value(json_object_get(run, "flops_exact"));
        double est = json_number_value(json_object_get(run, "seconds_estimate"));
        cr_assert_leq(flops, last_flops, "run %zu: not largest first", i);
        cr_assert_gt(est, 0, "run %zu: no estimate", i);
        last_flops = flops;
        total += est;
    }
    double makespan = json_number_value(json_object_get(doc, "makespan_seconds_estimate"));
    cr_assert(makespan >= total / 2 - 1e-12 && makespan <= total + 1e-12, "makespan %g of %g",
              makespan, total);
    json_decref(doc);
    zs_run_free(&r);
    cr_assert_neq(access(dir, F_OK), 0, "plan wrote something");
    r = zs_test_cli("sweep plan '%s' --no-measure --json", spec);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"seconds_estimate\": null"), "%s", r.out);
    zs_run_free(&r);
}

/* A run that diverges (a learning rate of 1e6 on d16) is recorded as diverged with what was
 * not finite and at which step ("gradient norm nan at step 2"), is not retried, is left out of
 * runs.csv and listed by `sweep status`; the other model's runs complete. */
Test(sweep, diverged_run_is_recorded_not_retried) {
    const char *spec = at("div.yaml"), *dir = at("div");
    write_spec(spec, &TINY);
    char *text = zs_test_slurp(spec, NULL);
    char edited[8192];
    const char *d16 = strstr(text, "heads: 2}");
    cr_assert(d16, "%s", text);
    snprintf(edited, sizeof edited, "%.*sheads: 2, lr: 1e6}%s", (int)(d16 - text), text,
             d16 + strlen("heads: 2}"));
    free(text);
    cr_assert_eq(zs_test_write(spec, edited, strlen(edited)), 0);
    zs_run r = sweep(spec, dir, "");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "diverged"), "%s", r.err);
    zs_run_free(&r);
    cr_assert_eq(ledger_count(dir, "model = 'd16' AND status = 'diverged' AND attempts = 1 AND "
                                   "message LIKE '% at step %'"),
                 3, "the d16 runs: diverged once each, with what and where");
    cr_assert_eq(ledger_count(dir, "model = 'd8' AND status = 'completed'"), 3);
    char *csv = zs_test_slurp(at("div/runs.csv"), NULL);
    cr_assert_null(strstr(csv, ",d16,"), "a diverged run in runs.csv:\n%s", csv);
    free(csv);
    r = zs_test_cli("sweep status '%s'", dir);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "diverged: "), "%s", r.out);
    zs_run_free(&r);
}

/* A sweep of sparse-parity MLPs (a parity dataset, three widths, three budgets in examples):
 * every run completes, runs.csv leaves H empty (nan), and the analysis fits the law with
 * H null in summary.json. */
Test(sweep, parity_mlp_sweep_runs_and_analyses) {
    const char *spec = at("par.yaml"), *dir = at("par");
    static const char text[] =
        "name: par\n"
        "datasets:\n"
        "  - {name: p, parity: {tasks: 5, bits: 16, k: 3, zipf_exponent: 1.4, seed: 0}}\n"
        "models:\n"
        "  - {name: w32, width: 32}\n"
        "  - {name: w64, width: 64}\n"
        "  - {name: w128, width: 128}\n"
        "budgets: [20000, 40000, 80000]\n"
        "train: {batch: 100, min_steps: 100, lr: 0.003, evals: 2, parity_test_size: 2000}\n"
        "analysis: {bootstrap: 10, holdout_largest: 1}\n";
    cr_assert_eq(zs_test_write(spec, text, sizeof text - 1), 0);
    zs_run r = zs_test_cli("sweep run '%s' -o '%s' -q", spec, dir); /* with the analysis */
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "Too few datasets with H"), "%s", r.out);
    zs_run_free(&r);
    assert_counts(dir, 9, 9, 0, 0, 0, 0);
    char *csv = zs_test_slurp(at("par/runs.csv"), NULL);
    cr_assert(strstr(csv, "\np,770,20000,"), "%s", csv); /* w32: (5+16+3)*32+2 parameters */
    cr_assert(strstr(csv, ",nan,"), "H of a parity dataset: %s", csv);
    free(csv);
    char *summary = zs_test_slurp(at("par/summary.json"), NULL);
    json_t *doc = parse_json(summary);
    json_t *row = json_array_get(json_object_get(doc, "datasets"), 0);
    cr_assert(json_is_null(json_object_get(row, "H")), "%s", summary);
    cr_assert_eq(json_integer_value(json_object_get(row, "runs")), 9);
    json_decref(doc);
    free(summary);
}

/* A damaged checkpoint (a sweep killed, then the checkpoint overwritten with garbage): the
 * run is not failed, its checkpoint is set aside as checkpoint.unusable.safetensors, the run
 * starts over with the message saying so, and the final table equals an uninterrupted one. */
Test(sweep, damaged_checkpoint_is_set_aside_and_the_run_starts_over) {
    char *want = baseline(long_spec());
    const char *spec = at("s.yaml"), *dir = at("d");
    write_spec(spec, long_spec());
    pid_t pid = start_sweep(spec, dir, "run1.err", 1);
    char mid[32];
    wait_mid_run(pid, dir, 1, NULL, mid);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    cr_assert_eq(wait_sweep(pid), 128 + SIGKILL);
    for (int t = 0; t < 200 && processes_naming(dir) > 0; t++) nap_ms(10);
    char path[1200];
    snprintf(path, sizeof path, "%s/runs/%s/checkpoint.safetensors", dir, mid);
    cr_assert_eq(zs_test_write(path, "garbage", 7), 0);
    sweep_ok(spec, dir, "-q");
    assert_counts(dir, 4, 4, 0, 0, 0, 0);
    cr_assert(has_file(dir, mid, "checkpoint.unusable.safetensors"));
    char where[256];
    snprintf(where, sizeof where, "id = '%s' AND message LIKE 'started over:%%'", mid);
    cr_assert_eq(ledger_count(dir, where), 1, "run %s: no 'started over' message", mid);
    assert_same_table(dir, want);
    free(want);
}
