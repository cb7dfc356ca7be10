/* Shared test helpers: run the `zipscale` command or a shell line and capture its
 * output, make a scratch directory, find Debian's python3 for cross-checks. */
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

/* The python3 used for cross-checks ($ZS_PYTHON, default /usr/bin/python3), or NULL if
 * it is missing or lacks one of the space-separated modules. */
const char *zs_test_python(const char *modules);

/* The folder of the reference peers ($ZS_PEERS_DIR, else ../shared/peers beside the
 * source tree) if it holds `script` (e.g. "pcfg_peer.py"), else NULL. */
const char *zs_test_peers_dir(const char *script);

/* Whole-file helpers. */
char *zs_test_slurp(const char *path, size_t *len);
int zs_test_write(const char *path, const void *data, size_t len);

#endif
