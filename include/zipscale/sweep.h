/* zipscale sweep: families of training runs (datasets x models x budgets x seeds) from a
 * YAML spec, run by worker processes that claim runs from a SQLite ledger (sweep.db) so
 * that interrupted sweeps resume and finished runs are never re-run; then the analysis
 * that turns the runs into laws, a regression on H, frontiers and the report.
 * Guide: docs/sweeps.md. */
#ifndef ZIPSCALE_SWEEP_H
#define ZIPSCALE_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zipscale/core.h"
#include "zipscale/law.h"
#include "zipscale/nn.h"
#include "zipscale/parity.h"
#include "zipscale/pcfg.h"
#include "zipscale/quanta.h"
#include "zipscale/quanta_experiment.h"
#include "zipscale/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- specs (docs/sweeps.md "Spec files") ---------------------------------------------
 * A YAML mapping. Every key is optional unless marked; unknown keys are errors. Errors
 * read "FILE:LINE: FIELD: what was expected" (FIELD a path such as models[2].d_model). */
typedef enum {
    ZS_SWEEP_DATA_PCFG = 0,   /* a random PCFG generated from knobs, sampled and measured */
    ZS_SWEEP_DATA_FILE = 1,   /* a token file (.npy / .bin) and optionally a held-out file */
    ZS_SWEEP_DATA_PARITY = 2, /* multitask sparse parity (MLP models only) */
} zs_sweep_data_kind;

const char *zs_sweep_data_kind_name(zs_sweep_data_kind kind); /* "pcfg", "file", "parity" */

#define ZS_SWEEP_NAME_MAX 64 /* names: 1-63 characters of [A-Za-z0-9._-] */

typedef struct {
    char name[ZS_SWEEP_NAME_MAX];
    zs_sweep_data_kind kind;
    zs_pcfg_knobs knobs;   /* pcfg: nonterminals, terminals, max_options, max_length, seed */
    uint64_t tokens;       /* pcfg: training tokens sampled (whole 'context'-token documents) */
    uint64_t val_tokens;   /* pcfg: held-out tokens, sampled from the same grammar with
                              seed knobs.seed + 1000003 (default 131072) */
    char *path;            /* file: the training token file (relative to the spec's folder) */
    char *val_path;        /* file: held-out token file, or NULL (val_fraction is held out) */
    zs_parity_spec parity; /* parity: the task (its seed is the task's seed) */
    uint64_t train_size;   /* parity: a fixed training set of this many examples; 0 = online */
    int line;              /* the spec line where the entry starts */
} zs_sweep_dataset;

typedef struct {
    char name[ZS_SWEEP_NAME_MAX];
    zs_model_config model; /* kind GPT: gpt.vocab 0 (set from the data), gpt.context 0 (set
                              from train.context); kind MLP: mlp.n_tasks / n_bits 0 (set
                              from the parity dataset) */
    double lr;             /* this model's peak learning rate; 0 = the spec's rule */
    int line;
} zs_sweep_model;

/* Peak learning rate of a model: lr if set; else lr_c * d_model^-lr_p (MLP: width). */
typedef struct {
    char *path;     /* the spec file as given (NULL when parsed from text) */
    char *base_dir; /* the folder relative paths are taken from */
    char name[ZS_SWEEP_NAME_MAX];
    zs_sweep_dataset *datasets; /* at least one; names unique */
    size_t n_datasets;
    zs_sweep_model *models; /* at least one; names unique; all GPT or all MLP */
    size_t n_models;
    uint64_t *budgets; /* training tokens (GPT) or examples (MLP); >= 1 entry */
    size_t n_budgets;
    uint64_t *seeds; /* default [0] */
    size_t n_seeds;
    /* train: */
    uint32_t context;          /* GPT window T (default 256) */
    uint32_t batch;            /* sequences (examples) per step (default 8) */
    uint64_t min_steps;        /* a (model, budget) with fewer steps is a spec error
                                  (default 100: shorter runs are not in the scaling regime) */
    zs_precision precision;    /* default fp32 */
    zs_lr_kind schedule;       /* default cosine */
    double lr;                 /* one peak rate for every model (0 = use the rule) */
    double lr_c, lr_p;         /* the rule lr = lr_c * d_model^-lr_p (default 3e-3, 0) */
    double lr_min_ratio;       /* lr_min = lr_min_ratio * peak (default 0.1) */
    double warmup_fraction;    /* warm-up steps = ceil(fraction * steps) (default 0.05) */
    double weight_decay;       /* default 0.1 */
    double grad_clip;          /* default 1.0; 0 = none */
    uint64_t eval_tokens;      /* held-out tokens (examples) per evaluation (default 65536) */
    uint64_t evals;            /* evaluations per run, evenly spaced (default 4) */
    uint64_t checkpoint_every; /* steps between checkpoints (default 0 = about every
                                  30 s of the run's estimated time, at least 25 steps) */
    double val_fraction;       /* file data without val_path (default 0.05) */
    uint64_t parity_test_size; /* parity: test examples per evaluation (default 10000) */
    uint64_t parity_eval_per_subtask; /* parity: examples per subtask (default 1000) */
    uint64_t early_stop_patience;     /* zs_train_opts's early stopping (default 0 = off) */
    uint64_t early_stop_after;
    /* analysis: */
    int fit_nonembed;       /* 1 (default): the laws' N is the non-embedding count */
    size_t bootstrap;       /* replicates (default 200) */
    size_t holdout_largest; /* runs per dataset held out and predicted (default 2) */
    int bound_e;            /* 1 (default): for PCFG data E <= derivation entropy */
    int fix_e;              /* 1 (default): with bound_e, E = the derivation entropy (not
                               fitted) for a PCFG dataset whose runs all stay above it */
    double reference_flops; /* the budget of the headline's tokens/param (default: the
                               largest run's 6ND) */
    /* workers: */
    int jobs;         /* runs at once (default 0 = one per core) */
    int max_attempts; /* a run killed by a signal is retried up to this (3) */
    /* Under `mpirun ... sweep run` (docs/cluster.md): MPI ranks that train one run together,
       data parallel (1). With R > 1 rank 0 only hands out runs, and ranks 1.. form groups
       of R; train.batch must be a multiple of R. Ignored in one process. Not part of a
       run's id: the same runs, their losses equal to fp32 rounding. */
    int ranks_per_run;
} zs_sweep_spec;

/* Reads and validates a spec file (all fields above, defaults filled in).
 * Errors: ZS_ERR_IO (cannot open or read path), ZS_ERR_FORMAT (not YAML, or a field
 * missing, unknown or out of range: the message names the line and field). On failure
 * *spec is zeroed. */
zs_status zs_sweep_spec_read(const char *path, zs_sweep_spec *spec, zs_error *err);
/* The same from text; `name` stands for the file in messages, base_dir for relative paths.
 * Errors: ZS_ERR_USAGE (text is NULL), ZS_ERR_FORMAT (as zs_sweep_spec_read). */
zs_status zs_sweep_spec_parse(const char *text, size_t len, const char *name, const char *base_dir,
                              zs_sweep_spec *spec, zs_error *err);
void zs_sweep_spec_free(zs_sweep_spec *spec);

/* The built-in specs: "quick", "default", "paper" (zipscale demo's presets). The YAML
 * text, or NULL for an unknown name. */
const char *zs_sweep_preset(const char *name);

/* ---- plans: the runs a spec names ------------------------------------------------------
 * One run per (dataset, model, budget, seed). A run's id is the first 16 hex digits of the
 * SHA-256 of its identity: canonical JSON of every option that decides its numbers (the
 * dataset's identity: PCFG knobs, seed and token counts, or the token files' SHA-256; the
 * model; the budget; the seed; the training options). Editing a spec changes the ids of
 * exactly the runs whose numbers it changes. */
#define ZS_SWEEP_ID_LEN 16

typedef struct {
    char id[ZS_SWEEP_ID_LEN + 1]; /* of the identity */
    char *identity;               /* canonical JSON */
    uint32_t vocab;               /* GPT: the data's vocabulary; MLP: 0 */
    uint64_t n_tokens;            /* pcfg: training tokens sampled; file: in the file */
} zs_sweep_data_id;

typedef struct {
    char id[ZS_SWEEP_ID_LEN + 1];
    char *identity;        /* canonical JSON */
    size_t dataset, model; /* indices into the spec */
    uint64_t budget, seed;
    uint64_t steps;  /* optimiser steps: ceil(budget / per-step) */
    uint64_t tokens; /* D: steps x tokens (examples) per step */
    uint64_t n_params, n_params_nonembed;
    double flops;       /* 6 N D, N = every parameter */
    double flops_exact; /* the training steps' exact count */
    double lr;          /* peak learning rate */
} zs_sweep_plan_run;

typedef struct {
    zs_sweep_data_id *data;  /* one per spec dataset */
    zs_sweep_plan_run *runs; /* largest flops_exact first (ties: id) */
    size_t n_runs;
    double flops_exact_total;
} zs_sweep_plan;

/* Resolves every dataset (a token file's header and SHA-256 are read) and lists the runs.
 * Errors: ZS_ERR_IO (cannot open or read a token file), ZS_ERR_FORMAT (a malformed token
 * file), ZS_ERR_RANGE (a vocabulary too large for the GPT). On failure *plan is zeroed. */
zs_status zs_sweep_plan_build(const zs_sweep_spec *spec, zs_sweep_plan *plan, zs_error *err);
void zs_sweep_plan_free(zs_sweep_plan *plan, size_t n_datasets);

/* The trainer's options for a run; dataset files as prepared in the sweep directory.
 * Strings point into `paths` (which must outlive the options). */
typedef struct {
    char data[4096], val[4096], out[4096];
} zs_sweep_run_paths;
/* Errors: ZS_ERR_USAGE (sweep_dir's path too long for a run directory). */
zs_status zs_sweep_run_train_opts(const zs_sweep_spec *spec, const zs_sweep_plan *plan, size_t run,
                                  const char *sweep_dir, zs_sweep_run_paths *paths,
                                  zs_train_opts *opt, zs_error *err);

/* Seconds per training step (forward, backward, AdamW) and per forward pass of a batch, of
 * each (dataset, model): speeds[dataset * n_models + model], malloc'd. Measured here with
 * one thread on random data, the second of two steps timed. */
typedef struct {
    double step_s, forward_s;
} zs_sweep_speed;
/* Errors: ZS_ERR_USAGE (a model the nn module refuses). On failure *speeds is NULL. */
zs_status zs_sweep_measure_speed(const zs_sweep_spec *spec, const zs_sweep_plan *plan,
                                 zs_sweep_speed **speeds, zs_error *err);
/* A run's estimated seconds: its steps and its evaluations' forward passes. */
double zs_sweep_estimate_s(const zs_sweep_spec *spec, const zs_sweep_plan_run *run,
                           const zs_sweep_speed *speeds);

/* ---- running a sweep (docs/sweeps.md "Running") ------------------------------------------
 * Prepares the datasets, then runs every pending run of the ledger in `jobs` child processes
 * (one thread each, largest first), recording each run's outcome in DIR/sweep.db (a
 * shard: its own ledger); runs killed by a signal are retried up to max_attempts;
 * SIGINT/SIGTERM/SIGUSR1 make the workers checkpoint at their current step and stop, and
 * leave their runs pending (they resume from those checkpoints). Safe to start several
 * times on one directory at once: runs are claimed in transactions. */
typedef struct {
    int jobs; /* 0 = the spec's (0 there = one per core) */
    /* Shards (docs/cluster.md): with shard_count n > 0 this process trains only shard
       shard_index (0 <= i < n) of the runs (zs_sweep_shard_assign), keeps its own ledger
       DIR/sweep[.LIST].shard-I-of-N.db (zs_sweep_shard_ledger_name), skips runs another
       ledger of DIR records as finished, prepares only the datasets its runs need (or takes
       them from another ledger that has them ready), writes no runs.csv and never
       analyses. Any number of shards may run at once, on any machines sharing DIR. */
    size_t shard_index, shard_count;
    const char *run_list; /* a file of run ids, one a line (the runs to shard instead of
                             the whole plan: what `sweep slurm --resubmit` writes), or NULL */
    int prepare_only;     /* prepare the datasets into DIR/sweep.db, train nothing */
    FILE *progress;       /* a live line on a terminal, plain lines otherwise; NULL = quiet */
    int progress_tty;     /* progress is a terminal */
    int analyse;          /* run zs_sweep_analyse at the end (when nothing failed to finish) */
    /* Under an MPI launcher with 2+ ranks (docs/cluster.md "MPI across runs"): rank 0 owns
       the ledger and hands out runs, largest first; every rank (rank 0 too) trains `jobs`
       (default 1) at once, each in a child process, and reports back. A rank silent for
       rank_timeout_s (0 = 120) is taken for dead and its runs are retried elsewhere. */
    double rank_timeout_s;
} zs_sweep_run_opts;

void zs_sweep_run_opts_init(zs_sweep_run_opts *opts);

typedef struct {
    size_t total, completed, diverged, failed, pending, running, retired;
    int interrupted; /* stopped by SIGINT, SIGTERM or SIGUSR1 */
    int mpi_rank;    /* this process's rank under MPI: only rank 0 counts (others: zeros); an
                        error every rank meets alike comes back from the others without a
                        message (rank 0 says it) */
} zs_sweep_counts;

/* Shards: item i (of n_items, in the order given: the plan's, largest first) goes to the
 * shard whose summed cost is smallest when its turn comes (ties: the lowest shard), so
 * every item is in exactly one shard and the shards' costs differ by at most the largest
 * item (greedy LPT scheduling, Graham 1969: within 4/3 of the best makespan). Deterministic:
 * it depends only on the costs and n_shards. shard_of[i] receives item i's shard.
 * Errors: ZS_ERR_USAGE (n_shards 0, or a cost negative or not finite). */
zs_status zs_sweep_shard_assign(const double *cost, size_t n_items, size_t n_shards,
                                size_t *shard_of, zs_error *err);
/* A shard's ledger file name (no folder): "sweep.shard-I-of-N.db", with a run list
 * "sweep.STEM.shard-I-of-N.db" (STEM: the list's file name without its extension, any
 * character outside [A-Za-z0-9_-] written '_'). */
void zs_sweep_shard_ledger_name(size_t shard_index, size_t shard_count, const char *run_list,
                                char *name, size_t size);

/* Signals: SIGINT, SIGTERM and SIGUSR1 (what Slurm sends on preemption, scancel or
 * `--signal` before a time limit) stop the sweep: each training worker writes a
 * checkpoint at the step it reached (zs_train_opts.stop) and its run goes back to pending,
 * its attempt not counted; counts->interrupted is set.
 * Errors: ZS_ERR_IO (cannot read the spec or the run list, create or lock DIR, open or
 * write the ledger, prepare a dataset, start a worker), ZS_ERR_USAGE (a shard index not
 * below the count, a run list naming a run the plan does not hold), ZS_ERR_FORMAT (a
 * malformed spec, ledger or token file), ZS_ERR_RANGE (a vocabulary too large), and with
 * opts->analyse those of zs_sweep_analyse. A run's own failure is recorded in the ledger, not
 * returned. On failure *counts is zeroed. */
zs_status zs_sweep_run(const char *spec_path, const char *dir, const zs_sweep_run_opts *opts,
                       zs_sweep_counts *counts, zs_error *err);

/* ---- analysis --------------------------------------------------------------------------
 * DIR/runs.csv (the completed runs: dataset, N, D, loss, H, flops, seed, steps, n_params,
 * n_params_nonembed, e_max, model, budget, min_loss, wall_s, id; N is the non-embedding
 * count unless the spec says analysis.n: all), DIR/law.json (one law per dataset, bootstrap
 * intervals, hold-out), DIR/regression.json (3+ datasets with H), DIR/summary.json
 * (zipscale-sweep-summary, below) and DIR/report.html. */
typedef struct {
    char name[ZS_SWEEP_NAME_MAX];
    double h, h_stdev;
    double entropy_nats; /* derivation entropy per token (PCFG), else NAN */
    size_t n_runs;       /* completed runs fitted (hold-out included) */
    zs_chinchilla law;
    double e_lo, e_hi, alpha_lo, alpha_hi, beta_lo, beta_hi; /* bootstrap percentile CIs */
    double a, a_lo, a_hi;                                    /* beta / (alpha + beta) */
    double tokens_per_param, tpp_lo, tpp_hi; /* D_opt / N_opt at the reference budget */
    double residual_rms;                     /* of log loss */
    double holdout_rmse;                     /* nats, NAN without hold-out */
    int e_bounded;                           /* the E bound was active */
    int e_fixed;                             /* E fixed at the derivation entropy, not fitted */
} zs_sweep_summary_row;

typedef struct {
    char id[ZS_SWEEP_ID_LEN + 1];
    char dataset[ZS_SWEEP_NAME_MAX], model[ZS_SWEEP_NAME_MAX];
    uint64_t tokens, seed;
    char status[16];
    char message[512];
} zs_sweep_failure;

typedef struct {
    int fit_nonembed;
    double reference_flops;
    size_t n_rows;
    zs_sweep_summary_row *rows;
    size_t n_failures;
    zs_sweep_failure *failures;
    /* a = beta/(alpha+beta) regressed on H across datasets (3+ with H), with the slope's
       bootstrap percentile interval; NAN when fewer */
    double a_slope, a_slope_lo, a_slope_hi;
    size_t level_pct; /* the intervals' level, percent */
} zs_sweep_summary;

typedef struct {
    int threads;             /* 0 = all cores */
    const char *report_date; /* NULL = now (fixes the report's date line for tests) */
} zs_sweep_analyse_opts;

void zs_sweep_analyse_opts_init(zs_sweep_analyse_opts *opts);
/* Writes DIR/runs.csv from the ledger; *rows how many runs it holds.
 * Errors: ZS_ERR_IO (no ledger in dir, cannot read it or write csv_path), ZS_ERR_FORMAT (a
 * ledger that is not one, or without its spec), as zs_sweep_plan_build. *rows 0 on
 * failure. */
zs_status zs_sweep_export(const char *dir, const char *csv_path, size_t *rows, zs_error *err);
/* Everything above; `summary` (may be NULL) receives what summary.json holds.
 * Errors: those of zs_sweep_export, ZS_ERR_USAGE (no completed run yet), ZS_ERR_RANGE and
 * ZS_ERR_NUMERIC (a fit that cannot be made: zs_fit_table), and zs_report_write's. On
 * failure *summary is zeroed; the files written before the failure stay (each whole). */
zs_status zs_sweep_analyse(const char *dir, const zs_sweep_analyse_opts *opts,
                           zs_sweep_summary *summary, zs_error *err);
void zs_sweep_summary_free(zs_sweep_summary *summary);
/* The headline: a table per dataset (H, E, alpha, beta, a with CIs, tokens per parameter)
 * and one sentence on the frontier's direction as H grows, with how sure it is. */
void zs_sweep_summary_print(const zs_sweep_summary *summary, FILE *out);

/* ---- the ledger, read and tended (docs/sweeps.md "The ledger") ------------------------- */
/* Every reader below reads all of DIR's ledgers as one: DIR/sweep.db and the shards'
 * DIR/sweep.*.db (docs/cluster.md "Ledgers"); a run recorded in several counts once, with
 * its most finished outcome (completed > diverged > failed > running > pending; equal
 * outcomes: the first ledger, sweep.db then the others by file name).
 * Counts of the runs.
 * Errors: ZS_ERR_IO (no ledger in dir, cannot read it), ZS_ERR_FORMAT (not a sweep
 * ledger). On failure *counts is zeroed. */
zs_status zs_sweep_status(const char *dir, zs_sweep_counts *counts, zs_error *err);
/* Prints the counts, a table of the runs and the failures with their messages.
 * Errors: ZS_ERR_IO (no ledger in dir, cannot read it, cannot write to out),
 * ZS_ERR_FORMAT (not a sweep ledger). */
zs_status zs_sweep_status_print(const char *dir, FILE *out, zs_error *err);
/* Failed and/or diverged runs back to pending (their checkpoints removed, so they start
 * over); *n how many. Errors: ZS_ERR_IO (no ledger in dir, cannot read or update it),
 * ZS_ERR_FORMAT (not a sweep ledger). */
zs_status zs_sweep_retry(const char *dir, int failed, int diverged, size_t *n, zs_error *err);
/* Folds every shard ledger DIR/sweep.*.db into DIR/sweep.db (created when missing) by the
 * rule above, then removes them; *merged how many were folded. Merging again, or after a
 * merge cut short, gives the same sweep.db.
 * Errors: ZS_ERR_IO (no ledger in dir, cannot read one, write sweep.db or remove a shard's),
 * ZS_ERR_FORMAT (a file that is not a sweep ledger), ZS_ERR_USAGE (a run is still being
 * trained: its heartbeat is younger than 120 s). */
zs_status zs_sweep_merge(const char *dir, size_t *merged, zs_error *err);

/* ---- Slurm job arrays (docs/cluster.md) ----------------------------------------------------
 * zs_sweep_slurm writes DIR/prepare.sbatch (one task: `sweep run --prepare-only`, the
 * datasets) and DIR/sweep.sbatch (an array: task I runs `sweep run SPEC -o DIR --shard
 * I/N --jobs C`, passes SIGUSR1/SIGTERM on to it, and requeues itself when the time-limit
 * warning stopped it), then submits both with sbatch, the array after the preparation
 * (afterok). With resubmit: DIR/resubmit-K.runs (the plan's runs that no ledger of DIR
 * records as completed, diverged or failed) and DIR/resubmit-K.sbatch, an array over just
 * those. Task logs go to DIR/slurm/. Paths in the scripts are absolute. */
typedef struct {
    const char *program;   /* the zipscale binary the tasks run: an absolute path */
    const char *partition; /* sbatch --partition, or NULL (the cluster's default) */
    const char *time;      /* sbatch --time of each task, or NULL (the partition's) */
    int cpus_per_task;     /* each task's CPUs, and its `--jobs` (1) */
    size_t tasks;          /* the array's tasks; 0 = one per run */
    int max_parallel;      /* tasks at once (--array=...%K); 0 = no limit */
    const char *signal;    /* sbatch --signal ("B:USR1@120": the shell, 120 s before the
                              limit); NULL or "" = none */
    int dry_run;           /* write the scripts, submit nothing */
    int resubmit;          /* an array of the unfinished runs only */
    const char *sbatch;    /* the program that submits ("sbatch") */
} zs_sweep_slurm_opts;

void zs_sweep_slurm_opts_init(zs_sweep_slurm_opts *opts);

typedef struct {
    size_t runs;  /* runs the array trains (resubmit: unfinished; 0 = nothing to do) */
    size_t tasks; /* its tasks */
    char script[4400], prepare_script[4400], run_list[4400]; /* written ("" = none) */
    char job_id[64], prepare_job_id[64];                     /* submitted ("" = none) */
} zs_sweep_slurm_result;

/* Errors: ZS_ERR_USAGE (program not absolute, cpus_per_task < 1, max_parallel < 0; with
 * resubmit, a run still being trained: heartbeat younger than 120 s), ZS_ERR_IO (cannot read
 * the spec, create DIR or write a script; with resubmit no ledger in DIR; sbatch failed or
 * gave no job id: its answer is in the message), and zs_sweep_spec_read's and
 * zs_sweep_plan_build's. The scripts written before a failed submission stay, whole. On
 * failure *res is zeroed. */
zs_status zs_sweep_slurm(const char *spec_path, const char *dir, const zs_sweep_slurm_opts *opts,
                         zs_sweep_slurm_result *res, zs_error *err);

/* ---- the quantization model's experiments (docs/quanta.md) ------------------------------
 * Three sweeps on one multitask sparse-parity task [QM], in DIR/params, DIR/data and
 * DIR/steps: MLPs of several widths on online data (loss against N), one width on fixed
 * training sets of several sizes with early stopping (the minimum test loss against D),
 * and one long run (loss against steps). Each is an ordinary sweep (its spec is
 * DIR/AXIS/spec.yaml, its ledger DIR/AXIS/sweep.db); any sweep of MLPs on one parity task
 * laid out this way can be analysed. */

/* ---- per-token losses of a sweep's models (docs/quanta.md "From a sweep") ----------------
 * For `zipscale quanta tokens --sweep`: the completed GPT runs of one dataset at one budget
 * and seed (models of increasing size trained on the same tokens), each with its per-token
 * losses on the run's held-out windows in DIR/runs/ID/token_losses.npy (+ .json sidecar):
 * kept when there, else recomputed from the run's final checkpoint
 * (zs_train_dump_token_losses, one thread as the run) and its mean checked against the
 * ledger's final loss (relative 1e-5; at the same binary and thread count they are equal). */
typedef struct {
    const char *dataset; /* NULL: the spec's only dataset */
    uint64_t budget;     /* 0: the largest budget at which two or more models completed */
    uint64_t seed;       /* with has_seed; else the spec's first seed */
    int has_seed;
    FILE *progress; /* a line per dump made, or NULL */
} zs_sweep_token_opts;

void zs_sweep_token_opts_init(zs_sweep_token_opts *opts);

typedef struct {
    char run_id[ZS_SWEEP_ID_LEN + 1];
    char model[ZS_SWEEP_NAME_MAX];
    uint64_t n_params, n_params_nonembed;
    double final_loss; /* the ledger's */
    double dump_loss;  /* the recomputed mean when made here, else NAN */
    int made;          /* 1: recomputed now from the checkpoint; 0: the file was there */
    char path[4200];   /* DIR/runs/ID/token_losses.npy */
} zs_sweep_token_dump;

typedef struct {
    char dataset[ZS_SWEEP_NAME_MAX];
    uint64_t budget, seed;
    zs_sweep_token_dump *dumps; /* smallest model first (n_params, then name) */
    size_t n;
} zs_sweep_token_family;

/* Errors: ZS_ERR_USAGE (no such dataset, several and none named, a parity dataset, fewer
 * than two completed runs at the budget), ZS_ERR_IO (cannot read the ledger, data or a
 * checkpoint, or write a dump), ZS_ERR_FORMAT (a damaged ledger or checkpoint; a
 * checkpoint whose evaluation is not the run's recorded final loss: the dump is removed),
 * ZS_ERR_RANGE, ZS_ERR_INTERNAL (the ledger and the plan disagree). On failure *family is
 * empty; dumps made before the failure stay (each is whole and checked). */
zs_status zs_sweep_token_losses(const char *dir, const zs_sweep_token_opts *opts,
                                zs_sweep_token_family *family, zs_error *err);
void zs_sweep_token_family_free(zs_sweep_token_family *family);

/* The built-in specs: preset "quick", "default" or "paper", one per axis. The YAML text, or
 * NULL for an unknown name. */
const char *zs_sweep_quanta_preset(const char *name, zs_quanta_axis axis);

/* Writes a spec's text to DIR/spec.yaml (atomically; DIR created when missing, its parent
 * must exist); path (size bytes) gets the file's path, which zs_sweep_run takes.
 * Errors: ZS_ERR_USAGE (the path does not fit in size), ZS_ERR_IO (cannot create DIR or
 * write the file). */
zs_status zs_sweep_write_spec(const char *dir, const char *text, char *path, size_t size,
                              zs_error *err);

typedef struct {
    const char *preset;         /* default "default" */
    int axes[ZS_QUANTA_N_AXES]; /* which experiments to run (default all) */
    zs_sweep_run_opts run;      /* zs_sweep_run_opts_init's; analyse is ignored */
} zs_sweep_quanta_opts;

void zs_sweep_quanta_opts_init(zs_sweep_quanta_opts *opts);

/* Writes each chosen axis's preset to DIR/AXIS/spec.yaml and runs it as a sweep in
 * DIR/AXIS, in the order params, data, steps; stops after an interrupted one. *counts sums
 * the sweeps' counts.
 * Errors: ZS_ERR_USAGE (an unknown preset), ZS_ERR_IO (cannot create DIR or write a spec),
 * and those of zs_sweep_run. On failure *counts is zeroed; the sweeps run before keep
 * their results. */
zs_status zs_sweep_quanta_run(const char *dir, const zs_sweep_quanta_opts *opts,
                              zs_sweep_counts *counts, zs_error *err);

typedef struct {
    zs_quanta_emergence_opts emergence; /* threshold, bootstrap, level, seed
                                           (zs_quanta_emergence_opts_init's) */
    const char *report_date;            /* the report's date line; NULL = now */
    int threads;                        /* for the report's figures (default 1) */
} zs_sweep_quanta_analyse_opts;

void zs_sweep_quanta_analyse_opts_init(zs_sweep_quanta_analyse_opts *opts);

/* Analyses every experiment DIR holds (DIR/params, DIR/data, DIR/steps with a sweep.db):
 * its completed, current runs as points (params: each run's final evaluation at x = its
 * parameter count; data: each run's evaluation of least test loss at x = its training-set
 * size; seeds at one scale averaged; steps: every evaluation of the first seed's run),
 * learning points and the rank correlation with frequency (zs_quanta_emergence_analyse),
 * the pure power law over the points where subtasks are being learned, and the theory's
 * exponent; writes DIR/quanta.json and DIR/report.html, and fills *out (may be NULL).
 * Errors: ZS_ERR_USAGE (no experiment in DIR, one without completed runs, a sweep whose
 * data is not sparse parity or whose task differs from another's, a data experiment
 * without training-set sizes; options out of range), ZS_ERR_IO, ZS_ERR_FORMAT (a ledger or
 * training log that cannot be read), and those of zs_quanta_result_write and
 * zs_report_write. On failure *out is zeroed; nothing is written but what was complete. */
zs_status zs_sweep_quanta_analyse(const char *dir, const zs_sweep_quanta_analyse_opts *opts,
                                  zs_quanta_result *out, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
