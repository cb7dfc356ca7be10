/* The sweep module's private interface: the plan helpers, the ledger (sweep.db) and the
 * dataset preparation that the scheduler, the exporter and the analysis share. */
#ifndef ZS_SWEEP_INTERNAL_H
#define ZS_SWEEP_INTERNAL_H

#include "zipscale/sweep.h"

/* ---- plan helpers ---- */
double zs_sweep_model_lr(const zs_sweep_spec *spec, const zs_sweep_model *m);
uint64_t zs_sweep_per_step(const zs_sweep_spec *spec, const zs_sweep_model *m);
const zs_sweep_plan_run *zs_sweep_plan_find(const zs_sweep_plan *plan, const char *id);
/* The plan indices (in plan order) of shard `index` of `count` of the plan's runs, or of
 * the runs `run_list` names (a file of ids, one a line, '#' comments). *runs malloc'd.
 * Errors: ZS_ERR_USAGE (index not below count; the list names a run not in the plan:
 * FILE:LINE), ZS_ERR_IO (cannot read the list). */
zs_status zs_sweep_shard_runs(const zs_sweep_plan *plan, size_t index, size_t count,
                              const char *run_list, size_t **runs, size_t *n, zs_error *err);

/* A PCFG dataset's files in the sweep directory: DIR/data/<name>-<id>/{train,val}.npy. */
/* Creates the folder path unless it exists.
 * Errors: ZS_ERR_IO (it cannot be created: the message names it). */
zs_status zs_sweep_make_dir(const char *path, zs_error *err);

void zs_sweep_data_files(const char *dir, const zs_sweep_dataset *d, const zs_sweep_data_id *id,
                         char *train, char *val, size_t size);

/* ---- the ledger ---- */
typedef struct zs_ledger zs_ledger;

#define ZS_LEDGER_FILE "sweep.db" /* the directory's own ledger; shards' are sweep.*.db */

/* Opens DIR/sweep.db, creating it (and DIR) when `create` is set. A file that is not a
 * SQLite database, or one without zipscale's tables, is ZS_ERR_FORMAT naming the file. */
zs_status zs_ledger_open(zs_ledger **out, const char *dir, int create, zs_error *err);
/* The same for one ledger file (":memory:" for an empty one in memory); `wal` 1 makes it
 * WAL (one host), 0 the rollback journal (a shard's ledger on a shared file system), -1
 * leaves it as it is (a reader, or a worker writing into its sweep's ledger). */
zs_status zs_ledger_open_file(zs_ledger **out, const char *path, int create, int wal,
                              zs_error *err);
void zs_ledger_close(zs_ledger *lg);
const char *zs_ledger_path(const zs_ledger *lg);

/* ---- the ledgers of a directory (ledgers.c) ---- */
/* DIR/sweep.db (when there) first, then every DIR/sweep.*.db by name: the fixed order in
 * which their rows are preferred. *paths is malloc'd (free with zs_sweep_ledger_files_free). */
zs_status zs_sweep_ledger_files(const char *dir, char ***paths, size_t *n, zs_error *err);
void zs_sweep_ledger_files_free(char **paths, size_t n);
/* Every ledger of DIR read as one: sweep.db itself when it is the only one, else a union
 * in memory (zs_ledger_absorb of each in order). `skip` (or NULL): a ledger file left out;
 * `tolerant`: a ledger that cannot be read is left out rather than failing (a shard that
 * peeks at the others while they are written). With none to read: ZS_ERR_IO. */
zs_status zs_ledger_open_union(zs_ledger **out, const char *dir, const char *skip, int tolerant,
                               zs_error *err);
/* Merges the ledger file at `path` into lg, in one transaction: a run's row is replaced only
 * by one of a higher rank (completed > diverged > failed > running > pending; ties keep lg's),
 * a run active in either is active, a dataset ready in either is ready, and the meta rows
 * (the spec) come from whichever was synced last. */
zs_status zs_ledger_absorb(zs_ledger *lg, const char *path, zs_error *err);
/* Only these runs may be claimed (and are counted by zs_ledger_counts_active). */
zs_status zs_ledger_limit(zs_ledger *lg, const char *const *ids, size_t n, zs_error *err);

/* Makes the ledger hold exactly the plan's runs as active: new ones pending, runs whose
 * identity left the spec retired (kept, never exported), retired runs back in the spec
 * active again with whatever status they had. Also records the datasets. */
typedef struct {
    size_t added, reused, retired;
} zs_ledger_sync_counts;
zs_status zs_ledger_sync(zs_ledger *lg, const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                         zs_ledger_sync_counts *counts, zs_error *err);

/* A dataset's measured facts (H etc.), stored once it is prepared. */
typedef struct {
    char id[ZS_SWEEP_ID_LEN + 1];
    char name[ZS_SWEEP_NAME_MAX];
    char kind[16];
    char train_path[4096], val_path[4096];
    char sha256[65]; /* of the training file (empty for parity) */
    double h, h_stdev, h_q1, h_q3;
    double unigram_bits;
    double entropy_nats_per_token; /* derivation entropy (PCFG; NAN otherwise) */
    double dropped_fraction;
    double seconds;
    int ready;
} zs_ledger_dataset;

zs_status zs_ledger_dataset_get(zs_ledger *lg, const char *id, zs_ledger_dataset *out, int *found,
                                zs_error *err);
zs_status zs_ledger_dataset_put(zs_ledger *lg, const zs_ledger_dataset *d, zs_error *err);

/* Claims the largest pending run of the plan this connection synced (or a running one whose
 * owner died: same host and its process gone, or no heartbeat for stale_s seconds) for
 * `owner_pid` in one transaction. *id is "" when nothing is left to claim. Call
 * zs_ledger_sync first: it records the plan's runs for this connection. */
zs_status zs_ledger_claim(zs_ledger *lg, int owner_pid, double stale_s,
                          char id[ZS_SWEEP_ID_LEN + 1], zs_error *err);
/* Refreshes the heartbeat of every run this process owns. */
zs_status zs_ledger_heartbeat(zs_ledger *lg, int owner_pid, zs_error *err);

typedef enum {
    ZS_RUN_PENDING = 0,
    ZS_RUN_RUNNING,
    ZS_RUN_COMPLETED,
    ZS_RUN_DIVERGED,
    ZS_RUN_FAILED,
    ZS_RUN_NSTATUS
} zs_run_status;
const char *zs_run_status_name(zs_run_status s);

/* Records a finished run: completed or diverged with its result, failed with a message. */
zs_status zs_ledger_finish(zs_ledger *lg, const char *id, zs_run_status status,
                           const zs_train_result *res, const char *message, zs_error *err);
/* Puts a running run back to pending (interrupted: the attempt is not counted when
 * `uncount` is set), or fails it when it has used its attempts. */
zs_status zs_ledger_release(zs_ledger *lg, const char *id, int uncount, int max_attempts,
                            const char *message, zs_run_status *now, zs_error *err);

/* One row of the runs table as the status, export and analysis read it. */
typedef struct {
    char id[ZS_SWEEP_ID_LEN + 1];
    char dataset[ZS_SWEEP_NAME_MAX], model[ZS_SWEEP_NAME_MAX];
    char data_id[ZS_SWEEP_ID_LEN + 1];
    uint64_t budget, seed, steps, tokens, n_params, n_params_nonembed;
    double flops, flops_exact;
    zs_run_status status;
    int retired, attempts;
    double final_loss, min_loss, wall_s;
    char message[512];
    char worker[128];
} zs_ledger_run;

/* Every run (retired ones too), in plan order (largest first, then id). */
zs_status zs_ledger_runs(zs_ledger *lg, zs_ledger_run **runs, size_t *n, zs_error *err);
zs_status zs_ledger_run_get(zs_ledger *lg, const char *id, zs_ledger_run *out, int *found,
                            zs_error *err);
/* Every dataset row. */
zs_status zs_ledger_datasets(zs_ledger *lg, zs_ledger_dataset **out, size_t *n, zs_error *err);
zs_status zs_ledger_counts(zs_ledger *lg, zs_sweep_counts *counts, zs_error *err);
/* The counts of the claimable runs only (those of zs_ledger_sync or zs_ledger_limit). */
zs_status zs_ledger_counts_active(zs_ledger *lg, zs_sweep_counts *counts, zs_error *err);
/* A running run whose heartbeat is younger than stale_s (*found 0 when none): a live worker. */
zs_status zs_ledger_live_run(zs_ledger *lg, double stale_s, zs_ledger_run *out, int *found,
                             zs_error *err);
/* A running run with a heartbeat younger than 120 s in any ledger of DIR (a live worker;
 * *found 0 when none). Errors: ZS_ERR_IO (no ledger, cannot read one), ZS_ERR_FORMAT. */
zs_status zs_sweep_live_run(const char *dir, zs_ledger_run *run, int *found, zs_error *err);
/* Failed and/or diverged runs back to pending with their attempts reset; *n how many. */
zs_status zs_ledger_retry(zs_ledger *lg, int failed, int diverged, size_t *n, zs_error *err);
/* The spec path and the sweep's settings the analysis needs, stored by sync. */
zs_status zs_ledger_meta_get(zs_ledger *lg, const char *key, char *value, size_t size, int *found,
                             zs_error *err);
/* The same, malloc'd (*value NULL when not found). */
zs_status zs_ledger_meta_text(zs_ledger *lg, const char *key, char **value, int *found,
                              zs_error *err);
zs_status zs_ledger_meta_put(zs_ledger *lg, const char *key, const char *value, zs_error *err);

/* ---- the spec as recorded, and the export ---- */
/* The spec text the last `sweep run` stored in the ledger, parsed. */
zs_status zs_sweep_ledger_spec(zs_ledger *lg, const char *dir, zs_sweep_spec *spec, zs_error *err);
zs_status zs_sweep_export_ledger(zs_ledger *lg, const zs_sweep_spec *spec,
                                 const zs_sweep_plan *plan, const char *csv_path, size_t *rows,
                                 zs_error *err);

/* ---- datasets ---- */
/* Makes a dataset's files and measures them (in the calling process; threads for the
 * sampler and the measurement). PCFG: generate, sample train and val, analyse, measure H.
 * File: measure H of the training file. Parity: nothing to write. */
zs_status zs_sweep_prepare_dataset(const zs_sweep_spec *spec, size_t dataset,
                                   const zs_sweep_data_id *id, const char *dir, int threads,
                                   zs_ledger_dataset *out, zs_error *err);

#endif
