/* Shared test helpers (see testutil.h). */
#include "testutil.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static void remove_tmpdir(void) {
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    }
}

const char *zs_test_tmpdir(void) {
    static pid_t owner;
    if (!tmpdir[0] || owner != getpid()) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/zstest.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            abort();
        }
        owner = getpid();
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *zs_test_path(const char *name) {
    static char slots[8][512];
    static int next;
    char *p = slots[next++ % 8];
    snprintf(p, 512, "%s/%s", zs_test_tmpdir(), name);
    return p;
}

static void shared_path(char *out, size_t size, pid_t runner, const char *name) {
    const char *base = getenv("TMPDIR");
    snprintf(out, size, "%s/zsshared.%ld.%s", base && *base ? base : "/tmp", (long)runner,
             name ? name : "");
}

const char *zs_test_shared_dir(const char *name, void (*fill)(const char *dir)) {
    static char dir[512];
    shared_path(dir, sizeof dir, getppid(), name);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        cr_assert_fail("mkdir %s: %s", dir, strerror(errno));
    char lock[600], ready[600];
    snprintf(lock, sizeof lock, "%s/.lock", dir);
    snprintf(ready, sizeof ready, "%s/.ready", dir);
    int fd = open(lock, O_CREAT | O_RDWR, 0600);
    cr_assert(fd >= 0 && flock(fd, LOCK_EX) == 0, "lock %s: %s", lock, strerror(errno));
    if (access(ready, F_OK) != 0) {
        fill(dir);
        cr_assert_eq(zs_test_write(ready, "", 0), 0, "%s", ready);
    }
    close(fd); /* releases the lock */
    return dir;
}

void zs_test_shared_remove(void) {
    char pattern[512], cmd[600];
    shared_path(pattern, sizeof pattern, getpid(), NULL);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'*", pattern);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s*\n", pattern);
}

char *zs_test_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int zs_test_write(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

static zs_run run_line(const char *line) {
    zs_run r = {0};
    char out_path[600], err_path[600];
    static int counter;
    snprintf(out_path, sizeof out_path, "%s/.run%d.out", zs_test_tmpdir(), counter);
    snprintf(err_path, sizeof err_path, "%s/.run%d.err", zs_test_tmpdir(), counter++);
    size_t n = strlen(line) + 2 * sizeof out_path + 32;
    char *cmd = malloc(n);
    snprintf(cmd, n, "( %s ) >'%s' 2>'%s' </dev/null", line, out_path, err_path);
    int status = system(cmd);
    free(cmd);
    if (status == -1)
        r.exit_code = -1;
    else if (WIFEXITED(status))
        r.exit_code = WEXITSTATUS(status);
    else
        r.exit_code = 128 + WTERMSIG(status);
    r.out = zs_test_slurp(out_path, NULL);
    r.err = zs_test_slurp(err_path, NULL);
    if (!r.out) r.out = strdup("");
    if (!r.err) r.err = strdup("");
    unlink(out_path);
    unlink(err_path);
    return r;
}

zs_run zs_test_sh(const char *fmt, ...) {
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return run_line(line);
}

zs_run zs_test_cli(const char *fmt, ...) {
    char args[8192], line[8800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "'%s' %s", ZS_CLI_PATH, args);
    return run_line(line);
}

void zs_run_free(zs_run *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

void zs_test_skip(const char *fmt, ...) {
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    const struct criterion_test *t = criterion_current_test;
    fprintf(stderr, "SKIP %s::%s: %s\n", t ? t->category : "?", t ? t->name : "?", reason);
    fflush(stderr);
    cr_skip_test("%s", reason);
}

void zs_test_release_only(const char *reason) {
    const char *s = getenv("ZS_SANITIZED");
    if (s && *s) zs_test_skip("sanitizer build, %s", reason);
}

/* ZS_ALLOW_SKIP set to anything but "" or "0". */
static int skips_allowed(void) {
    const char *s = getenv("ZS_ALLOW_SKIP");
    return s && *s && strcmp(s, "0") != 0;
}

const char *zs_test_python(const char *modules) {
    const char *py = getenv("ZS_PYTHON");
    if (!py || !*py) py = "/usr/bin/python3";
    char why[512] = "";
    if (access(py, X_OK) != 0) {
        snprintf(why, sizeof why, "%s is not an executable", py);
    } else {
        char imports[512] = "import sys;";
        char copy[256];
        snprintf(copy, sizeof copy, "%s", modules ? modules : "");
        for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
            strncat(imports, "import ", sizeof imports - strlen(imports) - 1);
            strncat(imports, tok, sizeof imports - strlen(imports) - 1);
            strncat(imports, ";", sizeof imports - strlen(imports) - 1);
        }
        char line[1024];
        snprintf(line, sizeof line, "'%s' -c '%s'", py, imports);
        zs_run r = run_line(line);
        if (r.exit_code != 0) {
            /* the last line of python's traceback names the module */
            size_t n = strlen(r.err);
            while (n > 0 && r.err[n - 1] == '\n') r.err[--n] = '\0';
            const char *last = strrchr(r.err, '\n');
            snprintf(why, sizeof why, "%s cannot import %s (%s)", py,
                     modules && *modules ? modules : "sys", last ? last + 1 : r.err);
        }
        zs_run_free(&r);
    }
    if (!why[0]) return py;
    if (skips_allowed())
        zs_test_skip("ZS_ALLOW_SKIP is set and this cross-check's reference is missing: %s", why);
    cr_assert_fail("missing reference: %s. Install the Debian packages (scripts/deps.sh), point "
                   "ZS_PYTHON at a python3 that has them, or set ZS_ALLOW_SKIP=1 to skip the "
                   "cross-checks that need them (docs/testing.md)",
                   why);
    return NULL; /* not reached: cr_assert_fail ends the test */
}

void zs_test_need_mpirun(void) {
    zs_test_release_only("Open MPI's allocations at MPI_Init are reported as leaks");
    const char *mpiexec = ZS_MPIEXEC;
    cr_assert(*mpiexec && access(mpiexec, X_OK) == 0,
              "mpirun not found (CMake's MPIEXEC_EXECUTABLE is '%s'): install openmpi-bin "
              "(scripts/deps.sh) and reconfigure",
              mpiexec);
}

/* ---- sweeps ---- */

void zs_test_tiny_sweep_spec(const char *path, const char *budgets, int checkpoint_every) {
    char text[2048];
    int n = snprintf(
        text, sizeof text,
        "name: t\n"
        "datasets:\n"
        "  - {name: a, pcfg: {nonterminals: 5, terminals: 20, max_options: 3, max_length: 3, "
        "seed: 1}, tokens: 61440, val_tokens: 4096}\n"
        "  - {name: b, pcfg: {nonterminals: 8, terminals: 30, max_options: 3, max_length: 3, "
        "seed: 2}, tokens: 61440, val_tokens: 4096}\n"
        "models:\n"
        "  - {name: d8, d_model: 8, layers: 1, heads: 1}\n"
        "  - {name: d16, d_model: 16, layers: 1, heads: 2}\n"
        "budgets: %s\n"
        "train: {context: 32, batch: 4, min_steps: 10, lr: 0.003, checkpoint_every: %d, "
        "evals: 2, eval_tokens: 1024}\n"
        "analysis: {bootstrap: 20, holdout_largest: 1}\n",
        budgets, checkpoint_every);
    cr_assert_eq(zs_test_write(path, text, (size_t)n), 0);
}

char *zs_test_sweep_table(const char *dir) {
    char csv[1100];
    snprintf(csv, sizeof csv, "%s.csv", dir);
    zs_run r = zs_test_cli("sweep export '%s' -o '%s'", dir, csv);
    cr_assert_eq(r.exit_code, 0, "sweep export %s: %s", dir, r.err);
    zs_run_free(&r);
    zs_run cut = zs_test_sh("cut -d, -f1-14,16 '%s'", csv);
    free(cut.err);
    return cut.out;
}

/* The query on every ledger file of DIR; NULL (when `early`) if a ledger could not answer it. */
static char *ledger_query(const char *dir, const char *sql, int early) {
    const char *py = zs_test_python("sqlite3");
    static const char code[] =
        "import glob, os, sqlite3, sys\n"
        "for path in sorted(glob.glob(os.path.join(sys.argv[1], 'sweep*.db'))):\n"
        "    db = sqlite3.connect(path)\n"
        "    for row in db.execute(sys.argv[2]):\n"
        "        print('|'.join([os.path.basename(path)] + [str(x) for x in row]))\n";
    zs_run r = zs_test_sh("'%s' -c \"$(cat <<'ZSPY'\n%sZSPY\n)\" '%s' \"%s\"", py, code, dir, sql);
    if (early && r.exit_code != 0) {
        zs_run_free(&r);
        return NULL;
    }
    cr_assert_eq(r.exit_code, 0, "%s on %s: %s", sql, dir, r.err);
    free(r.err);
    return r.out;
}

char *zs_test_ledger_query(const char *dir, const char *sql) {
    return ledger_query(dir, sql, 0);
}

char *zs_test_ledger_poll(const char *dir, const char *sql) {
    return ledger_query(dir, sql, 1);
}
