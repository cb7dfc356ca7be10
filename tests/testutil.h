/* Shared test helpers: run the `zipscale` command or a shell line and capture its
 * output, make a scratch directory, find Debian's python3 for cross-checks, skip visibly. */
#ifndef ZS_TESTUTIL_H
#define ZS_TESTUTIL_H

#include <stddef.h>

typedef struct {
    int exit_code; /* the command's exit status; 128+N if killed by signal N */
    char *out;     /* stdout, NUL-terminated (never NULL) */
    char *err;     /* stderr, NUL-terminated (never NULL) */
} zs_run;

/* Runs `<zipscale binary> <args>` through /bin/sh (args is a printf format). */
zs_run zs_test_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs an arbitrary shell line. */
zs_run zs_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void zs_run_free(zs_run *r);

/* A fresh directory under $TMPDIR (or /tmp), removed at process exit. */
const char *zs_test_tmpdir(void);
/* Path inside zs_test_tmpdir(): a static buffer per call slot (8 rotating). */
const char *zs_test_path(const char *name);

/* A directory that every test process of one run of a test program shares, filled once:
 * the first test to ask calls fill(dir) under a lock while the others wait, then all use
 * it (a fill that fails, failing its test, leaves the next caller to fill it again). For
 * fixtures that cost more than the tests (training a model under ASan). Keyed by the
 * Criterion runner's pid (the tests' parent); the runner removes it at the end when the
 * test file has ZS_TEST_SHARED_CLEANUP. */
const char *zs_test_shared_dir(const char *name, void (*fill)(const char *dir));
void zs_test_shared_remove(void);
#define ZS_TEST_SHARED_CLEANUP                                                                     \
    ReportHook(POST_ALL)(struct criterion_global_stats * stats) {                                  \
        (void)stats;                                                                               \
        zs_test_shared_remove();                                                                   \
    }

/* Skips the running test: prints "SKIP suite::test: <reason>" on stderr (ctest keeps it
 * in its log; scripts/test-skips.sh counts these lines after the suite) and ends the test
 * as skipped. */
__attribute__((noreturn, format(printf, 1, 2))) void zs_test_skip(const char *fmt, ...);

/* The python3 for a cross-check ($ZS_PYTHON, default /usr/bin/python3), checked to import
 * each of the space-separated `modules` ("" for python alone). Never returns NULL: when it
 * is missing, the test fails with what to install, or, with ZS_ALLOW_SKIP=1 set, is
 * skipped (zs_test_skip) saying what is missing. */
const char *zs_test_python(const char *modules);

/* Under the sanitizer build (ZS_SANITIZED set) skips the running test with `reason`: for
 * the few numbers-only cross-checks that the release run makes and ASan would only slow. */
void zs_test_release_only(const char *reason);

/* Whole-file helpers. */
char *zs_test_slurp(const char *path, size_t *len);
int zs_test_write(const char *path, const void *data, size_t len);

/* Fails the running test unless the build found an mpirun that can be run (CMake's
 * MPIEXEC_EXECUTABLE, naming the package to install); skips it under ASan (Open MPI's
 * allocations at MPI_Init read as leaks). */
void zs_test_need_mpirun(void);

/* ---- sweeps ---- */
/* A tiny sweep spec at path: two PCFG datasets, two models (d_model 8, 16), the budgets
 * (a YAML list, e.g. "[3840, 7680, 15360]": 12 runs of 30-120 steps at that), a checkpoint
 * every checkpoint_every steps. */
void zs_test_tiny_sweep_spec(const char *path, const char *budgets, int checkpoint_every);
/* The sweep's table (`zipscale sweep export`) without wall_s (column 15): equal for two
 * sweeps that trained the same runs, wherever and however often they were interrupted. */
char *zs_test_sweep_table(const char *dir);
/* Rows of an SQL query over every ledger file of DIR, read with python3's sqlite3 (not
 * zipscale's code): "FILE|col|col..." a line. */
char *zs_test_ledger_query(const char *dir, const char *sql);
/* The same for polling a ledger that a sweep is still creating: NULL where a ledger cannot
 * answer yet (its file made but its tables not yet, or locked). */
char *zs_test_ledger_poll(const char *dir, const char *sql);

#endif
