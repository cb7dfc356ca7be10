/* Runs a fuzz harness's LLVMFuzzerTestOneInput on every file in the folders given (a
 * missing folder is empty), as libFuzzer would with -runs=0: linked into the normal and
 * the sanitizer builds, it makes the seed corpus and tests/fuzz/crashes/<name>/ regression
 * tests of `make test`. A finding aborts (ASan, UBSan or a harness check). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return fprintf(stderr, "replay: cannot open %s\n", path), 1;
    uint8_t *data = NULL;
    size_t size = 0, cap = 0, n;
    uint8_t buf[65536];
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (size + n > cap) {
            cap = (size + n) * 2;
            uint8_t *p = realloc(data, cap);
            if (!p) return fprintf(stderr, "replay: out of memory\n"), fclose(f), free(data), 1;
            data = p;
        }
        memcpy(data + size, buf, n);
        size += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) return fprintf(stderr, "replay: cannot read %s\n", path), free(data), 1;
    /* An exact-size copy, so that ASan sees a read past the input's end. */
    uint8_t *exact = malloc(size ? size : 1);
    if (!exact) return free(data), 1;
    if (size) memcpy(exact, data, size);
    free(data);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    return 0;
}

int main(int argc, char **argv) {
    size_t total = 0;
    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        if (!d) {
            if (errno == ENOENT) continue;
            return fprintf(stderr, "replay: cannot open %s\n", argv[a]), 1;
        }
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char **p = realloc(names, (n + 1) * sizeof *names);
            if (!p || !(p[n] = strdup(e->d_name))) return closedir(d), 1;
            names = p;
            n++;
        }
        closedir(d);
        qsort(names, n, sizeof *names, by_name);
        for (size_t i = 0; i < n; i++) {
            char path[FUZZ_PATH_MAX];
            int len = snprintf(path, sizeof path, "%s/%s", argv[a], names[i]);
            if (len < 0 || (size_t)len >= sizeof path) return 1;
            fprintf(stderr, "replay: %s\n", path);
            if (replay_file(path)) return 1;
            free(names[i]);
            total++;
        }
        free(names);
    }
    fprintf(stderr, "replay: %zu inputs, no finding\n", total);
    return 0;
}
