/* The ledgers of one sweep directory: DIR/sweep.db and the shards' DIR/sweep.*.db (one per
 * shard, each written by one process on one machine, never shared). Status, export and
 * analysis read them as one (a union in memory); `sweep merge` folds them into sweep.db.
 * docs/cluster.md "Ledgers". */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"

#define STALE_S 120.0 /* as the scheduler's: a heartbeat this old is no live worker */

static int is_shard_ledger(const char *name) {
    size_t n = strlen(name);
    return n > 9 && strncmp(name, "sweep.", 6) == 0 && strcmp(name + n - 3, ".db") == 0 &&
           strcmp(name, ZS_LEDGER_FILE) != 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void zs_sweep_ledger_files_free(char **paths, size_t n) {
    for (size_t i = 0; paths && i < n; i++) free(paths[i]);
    free(paths);
}

static zs_status push(char ***paths, size_t *n, size_t *cap, const char *dir, const char *name,
                      zs_error *err) {
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        char **grown = realloc(*paths, *cap * sizeof **paths);
        if (!grown) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (ledger list)");
        *paths = grown;
    }
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (!p) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (ledger list)");
    snprintf(p, len, "%s/%s", dir, name);
    (*paths)[(*n)++] = p;
    return ZS_OK;
}

zs_status zs_sweep_ledger_files(const char *dir, char ***paths, size_t *n, zs_error *err) {
    *paths = NULL;
    *n = 0;
    size_t cap = 0;
    DIR *d = opendir(dir);
    if (!d && errno == ENOENT) return ZS_OK; /* no directory, no ledgers: the caller says so */
    if (!d)
        return zs_fail(err, ZS_ERR_IO, "%s: cannot read the sweep directory: %s", dir,
                       strerror(errno));
    zs_status s = ZS_OK;
    int own = 0;
    struct dirent *e;
    while (!s && (e = readdir(d))) {
        if (strcmp(e->d_name, ZS_LEDGER_FILE) == 0)
            own = 1;
        else if (is_shard_ledger(e->d_name))
            s = push(paths, n, &cap, dir, e->d_name, err);
    }
    closedir(d);
    if (!s && *n > 1) qsort(*paths, *n, sizeof **paths, by_name);
    if (!s && own) { /* sweep.db first */
        s = push(paths, n, &cap, dir, ZS_LEDGER_FILE, err);
        if (!s) {
            char *last = (*paths)[*n - 1];
            memmove(*paths + 1, *paths, (*n - 1) * sizeof **paths);
            (*paths)[0] = last;
        }
    }
    if (s) {
        zs_sweep_ledger_files_free(*paths, *n);
        *paths = NULL;
        *n = 0;
    }
    return s;
}

zs_status zs_ledger_open_union(zs_ledger **out, const char *dir, const char *skip, int tolerant,
                               zs_error *err) {
    *out = NULL;
    char **paths = NULL;
    size_t n = 0;
    zs_status s = zs_sweep_ledger_files(dir, &paths, &n, err);
    if (s) return s;
    size_t first = 0, used = 0;
    for (size_t i = 0; i < n; i++)
        if (!skip || strcmp(paths[i], skip) != 0) {
            if (used++ == 0) first = i;
        }
    if (used == 0) {
        s = zs_fail(err, ZS_ERR_IO,
                    "%s/" ZS_LEDGER_FILE ": no sweep ledger here (no %s or sweep.*.db); run "
                    "`zipscale sweep run SPEC -o DIR` first",
                    dir, ZS_LEDGER_FILE);
    } else if (used == 1 && !skip && strcmp(strrchr(paths[first], '/') + 1, ZS_LEDGER_FILE) == 0) {
        s = zs_ledger_open_file(out, paths[first], 0, -1, err); /* the usual case: one ledger */
    } else {
        s = zs_ledger_open_file(out, ":memory:", 1, 0, err);
        for (size_t i = 0; !s && i < n; i++) {
            if (skip && strcmp(paths[i], skip) == 0) continue;
            zs_error ignored;
            s = zs_ledger_absorb(*out, paths[i], tolerant ? &ignored : err);
            if (tolerant && s != ZS_ERR_NOMEM) s = ZS_OK;
        }
        if (s) {
            zs_ledger_close(*out);
            *out = NULL;
        }
    }
    zs_sweep_ledger_files_free(paths, n);
    return s;
}

zs_status zs_sweep_live_run(const char *dir, zs_ledger_run *run, int *found, zs_error *err) {
    char **paths = NULL;
    size_t n = 0;
    *found = 0;
    zs_status s = zs_sweep_ledger_files(dir, &paths, &n, err);
    if (!s && n == 0)
        s = zs_fail(err, ZS_ERR_IO,
                    "%s/" ZS_LEDGER_FILE ": no sweep ledger here (no %s or sweep.*.db); run "
                    "`zipscale sweep run SPEC -o DIR` first",
                    dir, ZS_LEDGER_FILE);
    for (size_t i = 0; !s && !*found && i < n; i++) {
        zs_ledger *lg = NULL;
        s = zs_ledger_open_file(&lg, paths[i], 0, -1, err);
        if (!s) s = zs_ledger_live_run(lg, STALE_S, run, found, err);
        zs_ledger_close(lg);
    }
    zs_sweep_ledger_files_free(paths, n);
    return s;
}

zs_status zs_sweep_merge(const char *dir, size_t *merged, zs_error *err) {
    *merged = 0;
    char **paths = NULL;
    size_t n = 0;
    zs_ledger *lg = NULL;
    zs_ledger_run live;
    int found = 0;
    /* Runs still being trained would lose what their workers record after the merge. */
    zs_status s = zs_sweep_live_run(dir, &live, &found, err);
    if (!s && found)
        s = zs_fail(err, ZS_ERR_USAGE,
                    "%s: run %s is being trained (%s, heartbeat within %.0f s): merge the "
                    "ledgers once every shard has stopped",
                    dir, live.id, live.worker, STALE_S);
    if (!s) s = zs_sweep_ledger_files(dir, &paths, &n, err);
    if (!s) s = zs_ledger_open(&lg, dir, 1, err);
    size_t start = n > 0 && strcmp(strrchr(paths[0], '/') + 1, ZS_LEDGER_FILE) == 0;
    for (size_t i = start; !s && i < n; i++) s = zs_ledger_absorb(lg, paths[i], err);
    zs_ledger_close(lg);
    /* Only once sweep.db holds them all: a merge cut short is merged again, the same. */
    for (size_t i = start; !s && i < n; i++) {
        char journal[4300];
        snprintf(journal, sizeof journal, "%s-journal", paths[i]);
        if (unlink(paths[i]) != 0 && errno != ENOENT)
            s = zs_fail(err, ZS_ERR_IO, "%s: cannot remove after merging: %s", paths[i],
                        strerror(errno));
        unlink(journal);
        if (!s) (*merged)++;
    }
    zs_sweep_ledger_files_free(paths, n);
    return s;
}
