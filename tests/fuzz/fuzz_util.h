/* Shared by the fuzz harnesses (tests/fuzz/fuzz_<name>.c): a scratch directory per process,
 * the fuzz input written to a file in it (most readers take paths), and a check that aborts
 * so that libFuzzer (or tests/fuzz/replay.c) reports a broken property as a crash. */
#ifndef ZS_FUZZ_UTIL_H
#define ZS_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_PATH_MAX 4096

static char fuzz_dir_path[FUZZ_PATH_MAX];

static inline void fuzz_dir_remove(void) {
    if (!fuzz_dir_path[0]) return;
    char cmd[FUZZ_PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir_path);
}

/* The scratch directory, made on first use under $TMPDIR (else /tmp), removed at exit. */
static inline const char *fuzz_dir(void) {
    if (!fuzz_dir_path[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/zs-fuzz-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir_path)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir_path;
}

/* DIR/name into path (FUZZ_PATH_MAX bytes). */
static inline void fuzz_path(char *path, const char *name) {
    int n = snprintf(path, FUZZ_PATH_MAX, "%s/%s", fuzz_dir(), name);
    if (n < 0 || n >= FUZZ_PATH_MAX) abort();
}

/* Writes the input to DIR/name (replacing it) and puts that path into path. */
static inline void fuzz_write(char *path, const char *name, const uint8_t *data, size_t size) {
    fuzz_path(path, name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz: cannot write the input file");
        abort();
    }
}

/* A property the reader promises; a broken one is a finding. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: check failed: %s: ", #cond);                                    \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
