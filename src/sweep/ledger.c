/* The ledger: DIR/sweep.db, a SQLite database in WAL mode holding the sweep's datasets and
 * runs (identity, status, owner, heartbeat, metrics). Every change is a transaction, so
 * several `sweep run` processes on one directory never claim the same run, and a process
 * killed at any point leaves the ledger consistent. Format: docs/sweeps.md "The ledger". */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"

#define LEDGER_FORMAT "zipscale-sweep"
#define LEDGER_VERSION "1"

struct zs_ledger {
    sqlite3 *db;
    char path[4200];
    char host[256];
};

static const char *const status_names[ZS_RUN_NSTATUS] = {"pending", "running", "completed",
                                                         "diverged", "failed"};

const char *zs_run_status_name(zs_run_status s) {
    return (unsigned)s < ZS_RUN_NSTATUS ? status_names[s] : "?";
}

static zs_run_status status_parse(const char *text) {
    for (int i = 0; i < ZS_RUN_NSTATUS; i++)
        if (text && strcmp(text, status_names[i]) == 0) return (zs_run_status)i;
    return ZS_RUN_FAILED;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static zs_status db_fail(zs_ledger *lg, zs_error *err, const char *what) {
    int code = sqlite3_extended_errcode(lg->db);
    zs_status s = (code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT ? ZS_ERR_FORMAT
                                                                                    : ZS_ERR_IO;
    return zs_fail(err, s, "%s: %s: %s", lg->path, what, sqlite3_errmsg(lg->db));
}

static zs_status exec(zs_ledger *lg, const char *sql, zs_error *err) {
    char *msg = NULL;
    if (sqlite3_exec(lg->db, sql, NULL, NULL, &msg) == SQLITE_OK) return ZS_OK;
    sqlite3_free(msg);
    return db_fail(lg, err, "sqlite");
}

static zs_status prepare(zs_ledger *lg, const char *sql, sqlite3_stmt **st, zs_error *err) {
    if (sqlite3_prepare_v2(lg->db, sql, -1, st, NULL) == SQLITE_OK) return ZS_OK;
    return db_fail(lg, err, "sqlite");
}

/* Steps a statement that returns no rows, then finalises it. */
static zs_status run_stmt(zs_ledger *lg, sqlite3_stmt *st, zs_error *err) {
    int rc = sqlite3_step(st);
    zs_status s = rc == SQLITE_DONE || rc == SQLITE_ROW ? ZS_OK : db_fail(lg, err, "sqlite");
    sqlite3_finalize(st);
    return s;
}

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS datasets(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT,"
    " identity TEXT, train_path TEXT, val_path TEXT, sha256 TEXT, h REAL, h_stdev REAL, h_q1 REAL,"
    " h_q3 REAL, unigram_bits REAL, entropy_nats REAL, dropped REAL, seconds REAL,"
    " ready INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS runs(id TEXT PRIMARY KEY, dataset TEXT NOT NULL,"
    " model TEXT NOT NULL, data_id TEXT NOT NULL, budget INTEGER, seed INTEGER, steps INTEGER,"
    " tokens INTEGER, n_params INTEGER, n_params_nonembed INTEGER, flops REAL,"
    " flops_exact REAL, lr REAL, identity TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending', retired INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0, owner_host TEXT, owner_pid INTEGER,"
    " heartbeat REAL, started REAL, finished REAL, final_loss REAL, min_loss REAL,"
    " wall_s REAL NOT NULL DEFAULT 0, message TEXT);";

/* A new ledger gets the schema and its format stamp; an existing one must carry it. */
static zs_status check_or_init_locked(zs_ledger *lg, int create, zs_error *err) {
    sqlite3_stmt *st = NULL;
    int has_meta = 0;
    zs_status s = prepare(lg, "SELECT count(*) FROM sqlite_master", &st, err);
    if (s) return s;
    int rc = sqlite3_step(st);
    int n_objects = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return db_fail(lg, err, "not a readable SQLite database");
    if (n_objects == 0) {
        if (!create)
            return zs_fail(err, ZS_ERR_FORMAT, "%s: an empty database, not a sweep ledger",
                           lg->path);
        if ((s = exec(lg, schema, err))) return s;
        return exec(lg,
                    "INSERT INTO meta VALUES('format','" LEDGER_FORMAT
                    "'),('format_version','" LEDGER_VERSION "')",
                    err);
    }
    char value[64] = "";
    if ((s = zs_ledger_meta_get(lg, "format", value, sizeof value, &has_meta, NULL)) || !has_meta ||
        strcmp(value, LEDGER_FORMAT) != 0)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: not a zipscale sweep ledger (no meta table with format "
                       "'" LEDGER_FORMAT "'); was this directory made by something else?",
                       lg->path);
    if ((s = zs_ledger_meta_get(lg, "format_version", value, sizeof value, &has_meta, err)))
        return s;
    if (!has_meta || strcmp(value, LEDGER_VERSION) != 0)
        return zs_fail(
            err, ZS_ERR_FORMAT,
            "%s: ledger format version '%s', but this zipscale reads version " LEDGER_VERSION,
            lg->path, has_meta ? value : "(none)");
    return exec(lg, schema, err); /* verifies the tables exist with these names */
}

/* When it may create, in one write transaction: several `sweep run` processes started at
 * once on a new directory must not each see an empty database and each stamp it. */
static zs_status check_or_init(zs_ledger *lg, int create, zs_error *err) {
    if (!create) return check_or_init_locked(lg, 0, err);
    zs_status s = exec(lg, "BEGIN IMMEDIATE", err);
    if (s) return s;
    if (!(s = check_or_init_locked(lg, 1, err))) return exec(lg, "COMMIT", err);
    exec(lg, "ROLLBACK", NULL);
    return s;
}

zs_status zs_ledger_open_file(zs_ledger **out, const char *path, int create, int wal,
                              zs_error *err) {
    *out = NULL;
    zs_ledger *lg = zs_calloc(1, sizeof *lg, "the ledger", err);
    if (!lg) return ZS_ERR_NOMEM;
    snprintf(lg->path, sizeof lg->path, "%s", path);
    if (gethostname(lg->host, sizeof lg->host - 1) != 0) strcpy(lg->host, "localhost");
    struct stat sb;
    if (!create && strcmp(path, ":memory:") != 0 && stat(lg->path, &sb) != 0) {
        zs_status s = zs_fail(err, ZS_ERR_IO,
                              "%s: no sweep ledger here (%s); run `zipscale sweep "
                              "run SPEC -o DIR` first",
                              lg->path, strerror(errno));
        free(lg);
        return s;
    }
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    zs_status s = ZS_OK;
    if (sqlite3_open_v2(lg->path, &lg->db, flags, NULL) != SQLITE_OK)
        s = db_fail(lg, err, "cannot open");
    if (!s) sqlite3_busy_timeout(lg->db, 60000);
    /* The format first: a foreign database is refused before anything changes it. */
    if (!s) s = check_or_init(lg, create, err);
    /* WAL for the directory's own ledger (several processes on one host); a shard's ledger
     * keeps the rollback journal, so every commit is whole in the one file that a reader on
     * another node of a shared file system opens (WAL's shared memory does not cross
     * machines). */
    if (!s && wal >= 0)
        s = exec(lg,
                 wal ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     : "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;",
                 err);
    if (s) {
        zs_ledger_close(lg);
        return s;
    }
    *out = lg;
    return ZS_OK;
}

zs_status zs_ledger_open(zs_ledger **out, const char *dir, int create, zs_error *err) {
    *out = NULL;
    if (create && mkdir(dir, 0777) != 0 && errno != EEXIST)
        return zs_fail(err, ZS_ERR_IO, "%s: cannot create the sweep directory: %s", dir,
                       strerror(errno));
    char path[4200];
    snprintf(path, sizeof path, "%s/" ZS_LEDGER_FILE, dir);
    return zs_ledger_open_file(out, path, create, 1, err);
}

const char *zs_ledger_path(const zs_ledger *lg) {
    return lg->path;
}

void zs_ledger_close(zs_ledger *lg) {
    if (!lg) return;
    sqlite3_close(lg->db);
    free(lg);
}

zs_status zs_ledger_meta_text(zs_ledger *lg, const char *key, char **value, int *found,
                              zs_error *err) {
    sqlite3_stmt *st = NULL;
    *found = 0;
    *value = NULL;
    zs_status s = prepare(lg, "SELECT value FROM meta WHERE key = ?", &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        *value = strdup(v ? v : "");
        if (!*value) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory (ledger meta %s)", key);
        *found = *value != NULL;
    } else if (rc != SQLITE_DONE) {
        s = db_fail(lg, err, "reading meta");
    }
    sqlite3_finalize(st);
    return s;
}

zs_status zs_ledger_meta_get(zs_ledger *lg, const char *key, char *value, size_t size, int *found,
                             zs_error *err) {
    char *text = NULL;
    zs_status s = zs_ledger_meta_text(lg, key, &text, found, err);
    if (!s && *found) snprintf(value, size, "%s", text);
    free(text);
    return s;
}

zs_status zs_ledger_meta_put(zs_ledger *lg, const char *key, const char *value, zs_error *err) {
    sqlite3_stmt *st = NULL;
    zs_status s = prepare(lg, "INSERT OR REPLACE INTO meta VALUES(?, ?)", &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return run_stmt(lg, st, err);
}

/* ---- sync ---------------------------------------------------------------------------- */

static zs_status sync_dataset(zs_ledger *lg, const zs_sweep_dataset *d, const zs_sweep_data_id *id,
                              zs_error *err) {
    sqlite3_stmt *st = NULL;
    zs_status s = prepare(lg,
                          "INSERT INTO datasets(id, name, kind, identity) VALUES(?, ?, ?, ?) "
                          "ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                          &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, id->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, zs_sweep_data_kind_name(d->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, id->identity, -1, SQLITE_STATIC);
    return run_stmt(lg, st, err);
}

static zs_status run_exists(zs_ledger *lg, const char *id, int *exists, zs_error *err) {
    sqlite3_stmt *st = NULL;
    zs_status s = prepare(lg, "SELECT 1 FROM runs WHERE id = ?", &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) s = db_fail(lg, err, "reading runs");
    sqlite3_finalize(st);
    return s;
}

/* Inserts a new run, or re-activates a known one (names refreshed); *added when new. */
static zs_status sync_run(zs_ledger *lg, const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                          const zs_sweep_plan_run *r, int *added, zs_error *err) {
    int known = 0;
    zs_status s = run_exists(lg, r->id, &known, err);
    if (s) return s;
    *added = !known;
    sqlite3_stmt *st = NULL;
    if (known) {
        s = prepare(lg, "UPDATE runs SET retired = 0, dataset = ?, model = ? WHERE id = ?", &st,
                    err);
        if (s) return s;
        sqlite3_bind_text(st, 1, spec->datasets[r->dataset].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, spec->models[r->model].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r->id, -1, SQLITE_STATIC);
        return run_stmt(lg, st, err);
    }
    s = prepare(lg,
                "INSERT INTO runs(id, dataset, model, data_id, budget, seed, steps, tokens, "
                "n_params, n_params_nonembed, flops, flops_exact, lr, identity) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, spec->datasets[r->dataset].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, spec->models[r->model].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, plan->data[r->dataset].id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)r->budget);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->seed);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->steps);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->tokens);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->n_params);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)r->n_params_nonembed);
    sqlite3_bind_double(st, 11, r->flops);
    sqlite3_bind_double(st, 12, r->flops_exact);
    sqlite3_bind_double(st, 13, r->lr);
    sqlite3_bind_text(st, 14, r->identity, -1, SQLITE_STATIC);
    return run_stmt(lg, st, err);
}

zs_status zs_ledger_sync(zs_ledger *lg, const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                         zs_ledger_sync_counts *counts, zs_error *err) {
    memset(counts, 0, sizeof *counts);
    zs_status s = exec(lg, "BEGIN IMMEDIATE", err);
    if (s) return s;
    s = exec(lg, "CREATE TEMP TABLE IF NOT EXISTS active(id TEXT PRIMARY KEY); DELETE FROM active",
             err);
    for (size_t d = 0; !s && d < spec->n_datasets; d++)
        s = sync_dataset(lg, &spec->datasets[d], &plan->data[d], err);
    for (size_t i = 0; !s && i < plan->n_runs; i++) {
        int added = 0;
        s = sync_run(lg, spec, plan, &plan->runs[i], &added, err);
        if (!s) added ? counts->added++ : counts->reused++;
        sqlite3_stmt *st = NULL;
        if (!s && !(s = prepare(lg, "INSERT OR IGNORE INTO active VALUES(?)", &st, err))) {
            sqlite3_bind_text(st, 1, plan->runs[i].id, -1, SQLITE_STATIC);
            s = run_stmt(lg, st, err);
        }
    }
    if (!s)
        s = exec(lg,
                 "UPDATE runs SET retired = 1 WHERE retired = 0 AND id NOT IN "
                 "(SELECT id FROM active)",
                 err);
    if (!s) counts->retired = (size_t)sqlite3_changes(lg->db);
    if (!s && spec->path) s = zs_ledger_meta_put(lg, "spec_path", spec->path, err);
    char when[64];
    snprintf(when, sizeof when, "%.6f", now_s());
    if (!s) s = zs_ledger_meta_put(lg, "synced_at", when, err);
    if (!s) return exec(lg, "COMMIT", err);
    exec(lg, "ROLLBACK", NULL);
    return s;
}

/* ---- datasets ------------------------------------------------------------------------ */

static double col_real(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t size) {
    const char *t = (const char *)sqlite3_column_text(st, i);
    snprintf(buf, size, "%s", t ? t : "");
}

#define DATASET_COLUMNS                                                                            \
    "id, name, kind, train_path, val_path, h, h_stdev, h_q1, h_q3, unigram_bits, entropy_nats, "   \
    "dropped, seconds, ready, sha256"

static void dataset_row(sqlite3_stmt *st, zs_ledger_dataset *d) {
    memset(d, 0, sizeof *d);
    col_text(st, 0, d->id, sizeof d->id);
    col_text(st, 1, d->name, sizeof d->name);
    col_text(st, 2, d->kind, sizeof d->kind);
    col_text(st, 3, d->train_path, sizeof d->train_path);
    col_text(st, 4, d->val_path, sizeof d->val_path);
    d->h = col_real(st, 5);
    d->h_stdev = col_real(st, 6);
    d->h_q1 = col_real(st, 7);
    d->h_q3 = col_real(st, 8);
    d->unigram_bits = col_real(st, 9);
    d->entropy_nats_per_token = col_real(st, 10);
    d->dropped_fraction = col_real(st, 11);
    d->seconds = col_real(st, 12);
    d->ready = sqlite3_column_int(st, 13);
    col_text(st, 14, d->sha256, sizeof d->sha256);
}

zs_status zs_ledger_dataset_get(zs_ledger *lg, const char *id, zs_ledger_dataset *out, int *found,
                                zs_error *err) {
    sqlite3_stmt *st = NULL;
    *found = 0;
    zs_status s = prepare(lg, "SELECT " DATASET_COLUMNS " FROM datasets WHERE id = ?", &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        dataset_row(st, out);
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        s = db_fail(lg, err, "reading datasets");
    }
    sqlite3_finalize(st);
    return s;
}

static void bind_real(sqlite3_stmt *st, int i, double x) {
    if (isfinite(x))
        sqlite3_bind_double(st, i, x);
    else
        sqlite3_bind_null(st, i);
}

zs_status zs_ledger_dataset_put(zs_ledger *lg, const zs_ledger_dataset *d, zs_error *err) {
    sqlite3_stmt *st = NULL;
    zs_status s = prepare(lg,
                          "UPDATE datasets SET train_path = ?, val_path = ?, h = ?, h_stdev = ?, "
                          "h_q1 = ?, h_q3 = ?, unigram_bits = ?, entropy_nats = ?, dropped = ?, "
                          "seconds = ?, ready = ?, sha256 = ? WHERE id = ?",
                          &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, d->train_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->val_path, -1, SQLITE_STATIC);
    bind_real(st, 3, d->h);
    bind_real(st, 4, d->h_stdev);
    bind_real(st, 5, d->h_q1);
    bind_real(st, 6, d->h_q3);
    bind_real(st, 7, d->unigram_bits);
    bind_real(st, 8, d->entropy_nats_per_token);
    bind_real(st, 9, d->dropped_fraction);
    bind_real(st, 10, d->seconds);
    sqlite3_bind_int(st, 11, d->ready);
    sqlite3_bind_text(st, 12, d->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, d->id, -1, SQLITE_STATIC);
    return run_stmt(lg, st, err);
}

/* Every row of a SELECT, each filled by row(st, element) into a grown array of
 * `size`-byte elements (*out malloc'd; NULL and 0 on failure). */
static zs_status read_rows(zs_ledger *lg, const char *sql, size_t size,
                           void (*row)(sqlite3_stmt *, void *), const char *what, void **out,
                           size_t *n, zs_error *err) {
    sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    zs_status s = prepare(lg, sql, &st, err);
    size_t cap = 0;
    while (!s) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            s = db_fail(lg, err, what);
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char *grown = realloc(*out, cap * size);
            if (!grown) {
                s = zs_fail(err, ZS_ERR_NOMEM, "out of memory (%s)", what);
                break;
            }
            *out = grown;
        }
        row(st, (char *)*out + (*n)++ * size);
    }
    sqlite3_finalize(st);
    if (s) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return s;
}

static void dataset_row_any(sqlite3_stmt *st, void *d) {
    dataset_row(st, d);
}

zs_status zs_ledger_datasets(zs_ledger *lg, zs_ledger_dataset **out, size_t *n, zs_error *err) {
    void *rows = NULL;
    zs_status s = read_rows(lg, "SELECT " DATASET_COLUMNS " FROM datasets ORDER BY rowid",
                            sizeof **out, dataset_row_any, "reading datasets", &rows, n, err);
    *out = rows;
    return s;
}

/* ---- claims and outcomes -------------------------------------------------------------- */

/* A process that exists and has not died: a zombie (killed, not yet reaped by its parent)
 * is dead for us. Linux's /proc tells; without it, existing is enough. */
static int process_alive(int pid) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return 0;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* the command name may hold spaces */
    return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

/* The owner of a running run is gone: on this host its process no longer exists (or is a
 * zombie), or its heartbeat is older than stale_s. */
static int owner_gone(zs_ledger *lg, sqlite3_stmt *st, int me, double stale_s) {
    char host[256];
    col_text(st, 2, host, sizeof host);
    int pid = sqlite3_column_int(st, 3);
    double beat = col_real(st, 4);
    if (strcmp(host, lg->host) == 0) {
        if (pid == me) return 0;
        if (pid > 0 && !process_alive(pid)) return 1;
    }
    return !(beat > now_s() - stale_s);
}

zs_status zs_ledger_claim(zs_ledger *lg, int owner_pid, double stale_s,
                          char id[ZS_SWEEP_ID_LEN + 1], zs_error *err) {
    id[0] = '\0';
    zs_status s = exec(lg, "BEGIN IMMEDIATE", err);
    if (s) return s;
    sqlite3_stmt *st = NULL;
    s = prepare(lg,
                "SELECT id, status, owner_host, owner_pid, heartbeat FROM runs WHERE retired = 0 "
                "AND status IN ('pending', 'running') AND id IN (SELECT id FROM temp.active) "
                "ORDER BY flops_exact DESC, id",
                &st, err);
    while (!s) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            s = db_fail(lg, err, "claiming a run");
            break;
        }
        const char *status = (const char *)sqlite3_column_text(st, 1);
        if (strcmp(status, "pending") == 0 || owner_gone(lg, st, owner_pid, stale_s)) {
            col_text(st, 0, id, ZS_SWEEP_ID_LEN + 1);
            break;
        }
    }
    sqlite3_finalize(st);
    if (!s && id[0] &&
        !(s = prepare(lg,
                      "UPDATE runs SET status = 'running', owner_host = ?, "
                      "owner_pid = ?, heartbeat = ?, started = ?, "
                      "attempts = attempts + 1 WHERE id = ?",
                      &st, err))) {
        double t = now_s();
        sqlite3_bind_text(st, 1, lg->host, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, owner_pid);
        sqlite3_bind_double(st, 3, t);
        sqlite3_bind_double(st, 4, t);
        sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
        s = run_stmt(lg, st, err);
    }
    if (!s) return exec(lg, "COMMIT", err);
    exec(lg, "ROLLBACK", NULL);
    id[0] = '\0';
    return s;
}

zs_status zs_ledger_heartbeat(zs_ledger *lg, int owner_pid, zs_error *err) {
    sqlite3_stmt *st = NULL;
    zs_status s = prepare(lg,
                          "UPDATE runs SET heartbeat = ? WHERE status = 'running' AND "
                          "owner_pid = ? AND owner_host = ?",
                          &st, err);
    if (s) return s;
    sqlite3_bind_double(st, 1, now_s());
    sqlite3_bind_int(st, 2, owner_pid);
    sqlite3_bind_text(st, 3, lg->host, -1, SQLITE_STATIC);
    return run_stmt(lg, st, err);
}

zs_status zs_ledger_finish(zs_ledger *lg, const char *id, zs_run_status status,
                           const zs_train_result *res, const char *message, zs_error *err) {
    sqlite3_stmt *st = NULL;
    zs_status s = prepare(lg,
                          "UPDATE runs SET status = ?, finished = ?, message = ?, "
                          "final_loss = ?, min_loss = ?, wall_s = wall_s + ?, "
                          "owner_pid = NULL WHERE id = ?",
                          &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, zs_run_status_name(status), -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, now_s());
    if (message && *message)
        sqlite3_bind_text(st, 3, message, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 3);
    bind_real(st, 4, res ? res->final_val_loss : NAN);
    bind_real(st, 5, res ? res->min_val_loss : NAN);
    sqlite3_bind_double(st, 6, res && isfinite(res->wall_s) ? res->wall_s : 0);
    sqlite3_bind_text(st, 7, id, -1, SQLITE_STATIC);
    return run_stmt(lg, st, err);
}

zs_status zs_ledger_release(zs_ledger *lg, const char *id, int uncount, int max_attempts,
                            const char *message, zs_run_status *now, zs_error *err) {
    zs_status s = exec(lg, "BEGIN IMMEDIATE", err);
    if (s) return s;
    sqlite3_stmt *st = NULL;
    int attempts = 0;
    if (!(s = prepare(lg, "SELECT attempts FROM runs WHERE id = ?", &st, err))) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) attempts = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    if (uncount && attempts > 0) attempts--;
    *now = !uncount && attempts >= max_attempts ? ZS_RUN_FAILED : ZS_RUN_PENDING;
    if (!s && !(s = prepare(lg,
                            "UPDATE runs SET status = ?, attempts = ?, message = ?, "
                            "owner_pid = NULL WHERE id = ?",
                            &st, err))) {
        sqlite3_bind_text(st, 1, zs_run_status_name(*now), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, attempts);
        if (message && *message)
            sqlite3_bind_text(st, 3, message, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
        s = run_stmt(lg, st, err);
    }
    if (!s) return exec(lg, "COMMIT", err);
    exec(lg, "ROLLBACK", NULL);
    return s;
}

/* ---- reading ---------------------------------------------------------------------------- */

static void run_row(sqlite3_stmt *st, zs_ledger_run *r) {
    memset(r, 0, sizeof *r);
    col_text(st, 0, r->id, sizeof r->id);
    col_text(st, 1, r->dataset, sizeof r->dataset);
    col_text(st, 2, r->model, sizeof r->model);
    col_text(st, 3, r->data_id, sizeof r->data_id);
    r->budget = (uint64_t)sqlite3_column_int64(st, 4);
    r->seed = (uint64_t)sqlite3_column_int64(st, 5);
    r->steps = (uint64_t)sqlite3_column_int64(st, 6);
    r->tokens = (uint64_t)sqlite3_column_int64(st, 7);
    r->n_params = (uint64_t)sqlite3_column_int64(st, 8);
    r->n_params_nonembed = (uint64_t)sqlite3_column_int64(st, 9);
    r->flops = col_real(st, 10);
    r->flops_exact = col_real(st, 11);
    r->status = status_parse((const char *)sqlite3_column_text(st, 12));
    r->retired = sqlite3_column_int(st, 13);
    r->attempts = sqlite3_column_int(st, 14);
    r->final_loss = col_real(st, 15);
    r->min_loss = col_real(st, 16);
    r->wall_s = col_real(st, 17);
    col_text(st, 18, r->message, sizeof r->message);
    char host[96];
    col_text(st, 19, host, sizeof host);
    if (host[0]) snprintf(r->worker, sizeof r->worker, "%s:%d", host, sqlite3_column_int(st, 20));
}

#define RUN_COLUMNS                                                                                \
    "id, dataset, model, data_id, budget, seed, steps, tokens, n_params, n_params_nonembed, "      \
    "flops, flops_exact, status, retired, attempts, final_loss, min_loss, wall_s, message, "       \
    "owner_host, owner_pid"

static void run_row_any(sqlite3_stmt *st, void *r) {
    run_row(st, r);
}

zs_status zs_ledger_runs(zs_ledger *lg, zs_ledger_run **runs, size_t *n, zs_error *err) {
    void *rows = NULL;
    zs_status s = read_rows(lg, "SELECT " RUN_COLUMNS " FROM runs ORDER BY flops_exact DESC, id",
                            sizeof **runs, run_row_any, "reading runs", &rows, n, err);
    *runs = rows;
    return s;
}

zs_status zs_ledger_run_get(zs_ledger *lg, const char *id, zs_ledger_run *out, int *found,
                            zs_error *err) {
    sqlite3_stmt *st = NULL;
    *found = 0;
    zs_status s = prepare(lg, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?", &st, err);
    if (s) return s;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        run_row(st, out);
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        s = db_fail(lg, err, "reading runs");
    }
    sqlite3_finalize(st);
    return s;
}

/* Adds k runs of status `status` (a ledger's text) to the counts. */
static void tally(zs_sweep_counts *c, const char *status, size_t k) {
    switch (status_parse(status)) {
    case ZS_RUN_PENDING:
        c->pending += k;
        break;
    case ZS_RUN_RUNNING:
        c->running += k;
        break;
    case ZS_RUN_COMPLETED:
        c->completed += k;
        break;
    case ZS_RUN_DIVERGED:
        c->diverged += k;
        break;
    default:
        c->failed += k;
        break;
    }
}

zs_status zs_ledger_counts(zs_ledger *lg, zs_sweep_counts *c, zs_error *err) {
    memset(c, 0, sizeof *c);
    sqlite3_stmt *st = NULL;
    zs_status s = prepare(lg, "SELECT status, retired, count(*) FROM runs GROUP BY status, retired",
                          &st, err);
    while (!s) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            s = db_fail(lg, err, "counting runs");
            break;
        }
        size_t k = (size_t)sqlite3_column_int64(st, 2);
        if (sqlite3_column_int(st, 1)) {
            c->retired += k;
            continue;
        }
        c->total += k;
        tally(c, (const char *)sqlite3_column_text(st, 0), k);
    }
    sqlite3_finalize(st);
    return s;
}

zs_status zs_ledger_retry(zs_ledger *lg, int failed, int diverged, size_t *n, zs_error *err) {
    *n = 0;
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE runs SET status = 'pending', attempts = 0, message = NULL WHERE retired = 0 "
             "AND status IN ('%s', '%s')",
             failed ? "failed" : "-", diverged ? "diverged" : "-");
    zs_status s = exec(lg, sql, err);
    if (!s) *n = (size_t)sqlite3_changes(lg->db);
    return s;
}

/* ---- several ledgers (shards) -------------------------------------------------------------- */

zs_status zs_ledger_limit(zs_ledger *lg, const char *const *ids, size_t n, zs_error *err) {
    zs_status s = exec(lg, "BEGIN IMMEDIATE; DELETE FROM temp.active", err);
    for (size_t i = 0; !s && i < n; i++) {
        sqlite3_stmt *st = NULL;
        if (!(s = prepare(lg, "INSERT OR IGNORE INTO temp.active VALUES(?)", &st, err))) {
            sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
            s = run_stmt(lg, st, err);
        }
    }
    if (!s) return exec(lg, "COMMIT", err);
    exec(lg, "ROLLBACK", NULL);
    return s;
}

zs_status zs_ledger_counts_active(zs_ledger *lg, zs_sweep_counts *c, zs_error *err) {
    memset(c, 0, sizeof *c);
    sqlite3_stmt *st = NULL;
    zs_status s = prepare(lg,
                          "SELECT status, count(*) FROM runs WHERE id IN (SELECT id FROM "
                          "temp.active) GROUP BY status",
                          &st, err);
    while (!s) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            s = db_fail(lg, err, "counting runs");
            break;
        }
        size_t k = (size_t)sqlite3_column_int64(st, 1);
        c->total += k;
        tally(c, (const char *)sqlite3_column_text(st, 0), k);
    }
    sqlite3_finalize(st);
    return s;
}

/* The order in which two ledgers' rows for one run are preferred: a finished outcome over
 * an unfinished one, completed first. */
#define RANK(t)                                                                                    \
    "(CASE " t " WHEN 'completed' THEN 4 WHEN 'diverged' THEN 3 WHEN 'failed' THEN 2 "             \
    "WHEN 'running' THEN 1 ELSE 0 END)"

static const char *const absorb_sql =
    "INSERT INTO main.runs SELECT * FROM src.runs WHERE 1 ON CONFLICT(id) DO UPDATE SET "
    "dataset = excluded.dataset, model = excluded.model, data_id = excluded.data_id, "
    "budget = excluded.budget, seed = excluded.seed, steps = excluded.steps, "
    "tokens = excluded.tokens, n_params = excluded.n_params, "
    "n_params_nonembed = excluded.n_params_nonembed, flops = excluded.flops, "
    "flops_exact = excluded.flops_exact, lr = excluded.lr, identity = excluded.identity, "
    "status = excluded.status, attempts = excluded.attempts, "
    "owner_host = excluded.owner_host, owner_pid = excluded.owner_pid, "
    "heartbeat = excluded.heartbeat, started = excluded.started, finished = excluded.finished, "
    "final_loss = excluded.final_loss, min_loss = excluded.min_loss, wall_s = excluded.wall_s, "
    "message = excluded.message WHERE " RANK("excluded.status") " > " RANK(
        "runs.status") ";"
                       "UPDATE main.runs SET retired = 0 WHERE retired = 1 AND id IN "
                       "(SELECT id FROM src.runs WHERE retired = 0);"
                       "INSERT INTO main.datasets SELECT * FROM src.datasets WHERE 1 ON "
                       "CONFLICT(id) DO UPDATE SET "
                       "name = excluded.name, kind = excluded.kind, identity = excluded.identity, "
                       "train_path = excluded.train_path, val_path = excluded.val_path, sha256 = "
                       "excluded.sha256, "
                       "h = excluded.h, h_stdev = excluded.h_stdev, h_q1 = excluded.h_q1, h_q3 = "
                       "excluded.h_q3, "
                       "unigram_bits = excluded.unigram_bits, entropy_nats = "
                       "excluded.entropy_nats, "
                       "dropped = excluded.dropped, seconds = excluded.seconds, ready = "
                       "excluded.ready "
                       "WHERE excluded.ready > datasets.ready;"
                       "INSERT OR REPLACE INTO main.meta SELECT * FROM src.meta WHERE "
                       "NOT EXISTS (SELECT 1 FROM main.meta WHERE key = 'spec_text') OR "
                       "(SELECT CAST(value AS REAL) FROM src.meta WHERE key = 'synced_at') > "
                       "COALESCE((SELECT CAST(value AS REAL) FROM main.meta WHERE key = "
                       "'synced_at'), -1);";

zs_status zs_ledger_absorb(zs_ledger *lg, const char *path, zs_error *err) {
    /* The source is checked as a ledger first (format and version), then attached. */
    zs_ledger *src = NULL;
    zs_status s = zs_ledger_open_file(&src, path, 0, -1, err);
    zs_ledger_close(src);
    if (s) return s;
    sqlite3_stmt *st = NULL;
    if ((s = prepare(lg, "ATTACH DATABASE ? AS src", &st, err))) return s;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    if ((s = run_stmt(lg, st, err))) return s;
    s = exec(lg, "BEGIN IMMEDIATE", err);
    if (!s) {
        char *msg = NULL;
        if (sqlite3_exec(lg->db, absorb_sql, NULL, NULL, &msg) != SQLITE_OK) {
            s = zs_fail(err, ZS_ERR_IO, "%s: merging %s: %s", lg->path, path,
                        msg ? msg : sqlite3_errmsg(lg->db));
            sqlite3_free(msg);
            exec(lg, "ROLLBACK", NULL);
        } else {
            s = exec(lg, "COMMIT", err);
        }
    }
    exec(lg, "DETACH DATABASE src", s ? NULL : err);
    return s;
}

zs_status zs_ledger_live_run(zs_ledger *lg, double stale_s, zs_ledger_run *out, int *found,
                             zs_error *err) {
    sqlite3_stmt *st = NULL;
    *found = 0;
    zs_status s = prepare(lg,
                          "SELECT " RUN_COLUMNS " FROM runs WHERE retired = 0 AND "
                          "status = 'running' AND heartbeat > ? ORDER BY flops_exact DESC, id",
                          &st, err);
    if (s) return s;
    sqlite3_bind_double(st, 1, now_s() - stale_s);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        run_row(st, out);
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        s = db_fail(lg, err, "reading runs");
    }
    sqlite3_finalize(st);
    return s;
}
