/* zipscale train: the training loop that grows the models of nn.h — learning-rate
 * schedules, data windows, evaluation, JSONL logs, metrics, checkpoints and exact resume,
 * per-token losses. The sweep calls it as a library; `zipscale train` is one client.
 * Guide: docs/training.md. */
#ifndef ZIPSCALE_TRAIN_H
#define ZIPSCALE_TRAIN_H

#include <signal.h>

#include "zipscale/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- learning-rate schedules ----------------------------------------------------------
 * Steps are counted from 0; zs_lr_at(s, step) is the rate used for update `step`.
 *   constant: lr_max after warm-up.
 *   cosine:   warm-up, then lr_min + (lr_max-lr_min)(1+cos(π p))/2, p = (step-warmup) /
 *             (total-warmup), reaching lr_min at the last step's end.
 *   wsd:      warm-up, stable at lr_max, then a linear decay to lr_min over the last
 *             decay_steps steps (warmup-stable-decay).
 * Warm-up is linear from lr_max/warmup_steps at step 0 to lr_max at step warmup_steps-1.
 * docs/training.md gives the exact formulas. */
typedef enum { ZS_LR_CONSTANT = 0, ZS_LR_COSINE = 1, ZS_LR_WSD = 2 } zs_lr_kind;

typedef struct {
    zs_lr_kind kind;
    double lr_max;
    double lr_min;
    uint64_t warmup_steps;
    uint64_t total_steps;
    uint64_t decay_steps; /* wsd only */
} zs_lr_schedule;

const char *zs_lr_kind_name(zs_lr_kind kind); /* "constant", "cosine", "wsd" */
/* Errors: ZS_ERR_USAGE (text is not a schedule's name). */
zs_status zs_lr_kind_parse(const char *text, zs_lr_kind *out, zs_error *err);
/* Checks the fields. Errors: ZS_ERR_USAGE (a field out of range: the message names it). */
zs_status zs_lr_schedule_check(const zs_lr_schedule *s, zs_error *err);
double zs_lr_at(const zs_lr_schedule *s, uint64_t step);

/* ---- the training loop ------------------------------------------------------------------
 * zs_train_run grows one model (the GPT on a token file, or the MLP on sparse parity) and
 * writes into out_dir: log.jsonl (one JSON line per logged step: step, tokens, lr,
 * train_loss, val_loss on evaluation steps, grad_norm, tok_per_s; figures.h reads it),
 * metrics.json (sizes, FLOPs, losses, wall time, status, options, data sha256) and
 * checkpoint.safetensors (every checkpoint_every steps and at the end). A run stopped at
 * any checkpoint and resumed reproduces the uninterrupted run bit for bit. Nothing is
 * printed to stdout; `progress` (may be NULL) gets a one-line status each step.
 *
 * Data windows (GPT): the token file's tokens in order (rows of a 2-D file concatenated);
 * window w is tokens [w·T, w·T + T] (T+1 tokens: inputs, then targets shifted by one).
 * Batch row b of micro-step a (of `accum`) at step s reads sample i = (s·A + a)·B + b:
 *   sequential: window i mod n_train;
 *   shuffled:   window perm_e[i mod n_train], e = i div n_train, perm_e a Fisher-Yates
 *               permutation of the training windows from stream (seed, mix(tag
 *               "train.shuffle", e)).
 * With val_fraction the last ceil(F·n_windows) windows are held out; the evaluation set
 * is the first ceil(eval_tokens / T) held-out windows (all of them if fewer).
 * docs/training.md has the details. */
typedef enum { ZS_ORDER_SHUFFLED = 0, ZS_ORDER_SEQUENTIAL = 1 } zs_data_order;
const char *zs_data_order_name(zs_data_order order); /* "shuffled", "sequential" */
/* Errors: ZS_ERR_USAGE (text is not an order's name). */
zs_status zs_data_order_parse(const char *text, zs_data_order *out, zs_error *err);

/* ---- data parallelism over MPI ranks (docs/cluster.md) --------------------------------
 * A zs_comm is a group of MPI ranks that train one run together: each rank computes the
 * gradient of its share of every step's batch, the gradients are summed (MPI_Allreduce),
 * and every rank takes the same AdamW step; rank 0 alone writes the run directory.
 * zs_train_opts.comm NULL (or a group of one rank) is the single-process trainer, which
 * never calls MPI. */
typedef struct zs_comm zs_comm;

/* 1 when an MPI launcher started this process (mpirun, or srun with PMI/PMIx: the
 * environment has OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or PMI_SIZE), else 0. */
int zs_comm_launched(void);
/* All the job's ranks (a duplicate of MPI_COMM_WORLD), MPI initialised first unless the
 * program has done it (zs_comm_finalize then finalises it).
 * Errors: ZS_ERR_USAGE (MPI already finalised), ZS_ERR_IO (MPI failed to start). */
zs_status zs_comm_world(zs_comm **out, zs_error *err);
/* A group over an MPI communicator of the caller's (mpi_comm points at an MPI_Comm; it is
 * duplicated, so the caller's traffic never mixes with the trainer's).
 * Errors: ZS_ERR_USAGE (MPI not initialised, mpi_comm NULL), ZS_ERR_IO (MPI_Comm_dup failed). */
zs_status zs_comm_from_mpi(zs_comm **out, const void *mpi_comm, zs_error *err);
/* The group's MPI communicator (a pointer to its MPI_Comm, ours: the caller may send on it
 * but must not free it), for a program that talks to the same ranks itself; NULL for NULL. */
const void *zs_comm_mpi(const zs_comm *comm);
int zs_comm_rank(const zs_comm *comm); /* 0 for NULL */
int zs_comm_size(const zs_comm *comm); /* 1 for NULL */
void zs_comm_free(zs_comm *comm);
/* Waits until every rank of comm has reached it (nothing for NULL or one rank); a failure
 * of MPI itself is ignored: this only orders what the ranks print before they exit. */
void zs_comm_barrier(const zs_comm *comm);
/* MPI_Finalize, when zs_comm_world started MPI; call it last (after zs_comm_free). */
void zs_comm_finalize(void);
/* A rank of the job has died (under `mpirun --enable-recovery`): MPI_Finalize could wait
 * for it forever, so zs_comm_finalize does nothing and the process exits without it. */
void zs_comm_finalize_skip(void);

typedef enum { ZS_TRAIN_COMPLETED = 0, ZS_TRAIN_DIVERGED = 1, ZS_TRAIN_HALTED = 2 } zs_train_status;
const char *zs_train_status_name(zs_train_status status); /* "completed", ... */

typedef struct {
    zs_model_config model; /* kind and shape; gpt.vocab 0 = the data's vocabulary, and
                              gpt.context is the window length T */
    zs_precision precision;
    int threads; /* matmul threads; results are identical at a fixed count */
    /* GPT data */
    const char *data_path;
    const char *val_path; /* NULL: hold out val_fraction of the training windows */
    double val_fraction;  /* in (0, 1) when val_path is NULL */
    zs_data_order order;
    uint64_t eval_tokens; /* held-out tokens per evaluation (rounded up to whole windows) */
    /* sparse parity (model.kind MLP): task spec, fixed train set or online stream */
    zs_parity_spec parity;
    uint64_t train_size;       /* examples in a fixed, cycled training set; 0 = online */
    uint64_t test_size;        /* examples of the test stream per evaluation */
    uint64_t eval_per_subtask; /* examples per subtask for the per-subtask losses */
    /* length: exactly one of tokens (steps = ceil(tokens / (B·A·T)); examples for
       parity) and steps is non-zero */
    uint64_t tokens, steps;
    uint32_t batch, accum; /* sequences (examples) per micro-step; micro-steps per step */
    zs_adamw_opts adamw;
    zs_lr_schedule schedule;   /* total_steps is filled in from the run's length */
    double grad_clip;          /* max global norm; 0 = none */
    uint64_t eval_every;       /* evaluate after every K steps (and after the last) */
    uint64_t log_every;        /* a log line every K steps (and at evaluations, the last) */
    uint64_t checkpoint_every; /* 0 = only at the end */
    uint64_t seed;
    const char *out_dir; /* created if missing */
    const char *resume;  /* a run directory or checkpoint file, or NULL */
    uint64_t halt_after; /* stop after this many steps with status "halted"; 0 = no */
    /* A stop request, or NULL: when *stop is non-zero after a step (a signal handler sets
       it: preemption, a time limit), the run writes a checkpoint at the step it reached and
       ends with status "halted", as halt_after does; resuming it continues bit for bit.
       With comm, a request on any rank halts every rank at the same step. */
    const volatile sig_atomic_t *stop;
    /* Called at the start of every step (on every rank), or NULL: a caller's heartbeat or
       message check while the run trains (it may set *stop). */
    void (*on_step)(void *ctx);
    void *on_step_ctx;
    /* Early stopping (docs/training.md "Early stopping"): the run ends, completed, at the
       first evaluation after step early_stop_after whose held-out loss is the
       early_stop_patience-th rise in a row (each evaluation's loss above the one before);
       0 = never. The run's loss is then best read as min_val_loss. */
    uint64_t early_stop_patience;
    uint64_t early_stop_after;
    const char *dump_token_losses; /* .npy of the final evaluation's per-token losses, or NULL */
    FILE *progress;                /* a progress line (carriage-return updated), or NULL */
    /* Data parallelism: NULL = this process alone. With P > 1 ranks every rank calls
       zs_train_run with the same options; batch must be a multiple of P, and rank r takes
       rows r·B/P .. (r+1)·B/P - 1 of every micro-step, so the run sees the single-process
       run's examples at every step. A checkpoint records P and resumes only with P ranks. */
    const zs_comm *comm;
} zs_train_opts;

/* The defaults, which `zipscale train` shows: a GPT of zs_gpt_config_init's shape (the
 * MLP zs_mlp_config_init's, the task zs_parity_spec_init's), lr 1e-3 constant, AdamW
 * defaults, batch 8, accum 1, eval every 100 steps on 8192 tokens, log every step, val
 * fraction 0.1, shuffled, fp32, 1 thread, seed 0; parity: test 10000 examples, 1000 per
 * subtask. Data, length and out_dir are left unset. */
void zs_train_opts_init(zs_train_opts *opts);
/* Checks every field that needs no file.
 * Errors: ZS_ERR_USAGE (a field missing or out of range: the message names it). */
zs_status zs_train_opts_check(const zs_train_opts *opt, zs_error *err);

typedef struct {
    zs_train_status status;
    uint64_t n_params, n_params_nonembed;
    uint64_t steps;     /* updates taken (all of them, across resumes) */
    uint64_t tokens;    /* D = steps·B·A·T (examples for parity) */
    double flops_6nd;   /* 6·N·D with N = n_params (all, as docs/science.md §6 counts models) */
    double flops_exact; /* the training steps' exact count (evaluations excluded) */
    double final_val_loss; /* nats/token (GPT), nats/example on the test stream (MLP) */
    double min_val_loss;   /* NAN when never evaluated */
    uint64_t min_val_step;
    int stopped_early;  /* ended by early stopping, before the planned steps */
    double wall_s;      /* this invocation's */
    char diverged[128]; /* status diverged: what was not finite, at which step */
} zs_train_result;

/* Errors: ZS_ERR_USAGE (bad options, a vocabulary below the data's, a resume whose stored
 * options differ, among them the number of ranks; a batch not a multiple of the ranks),
 * ZS_ERR_IO (cannot read the data or checkpoint, create out_dir or write a file in it; an
 * MPI call failed), ZS_ERR_FORMAT (a malformed token file, checkpoint or log to resume),
 * ZS_ERR_RANGE (a token id beyond the vocabulary, more windows than shuffling handles),
 * ZS_ERR_INTERNAL (the ranks' parameters differ). With several ranks every rank returns
 * the same status and message: the first failing rank's.
 * On failure *result is zeroed; out_dir, once created, keeps what was written before the
 * failure (the log so far and the last checkpoint: a run to resume), nothing else. */
zs_status zs_train_run(const zs_train_opts *opt, zs_train_result *result, zs_error *err);

/* A finished GPT run's final evaluation again, from its checkpoint (a file, or the run's
 * directory): the model and the held-out windows built from the run's options `opt` as
 * zs_train_run built them, the checkpoint's stored options compared with them (as a resume
 * does: it must be this run's), its weights loaded, and the model's evaluation at the
 * checkpoint's step run with its per-token losses written to dump_path as
 * opt->dump_token_losses would have (float32 .npy, windows x T, with its .json sidecar);
 * *loss_nats (may be NULL) is the mean. At the run's thread count the numbers are the run's
 * last evaluation's, bit for bit. One process (opt->comm NULL or one rank).
 * Errors: ZS_ERR_USAGE (options that do not check, an MLP, several ranks, a checkpoint of
 * other options), ZS_ERR_IO (cannot read a file or write the dump), ZS_ERR_FORMAT (a
 * malformed checkpoint or token file), ZS_ERR_RANGE (a token id beyond the vocabulary). */
zs_status zs_train_dump_token_losses(const zs_train_opts *opt, const char *checkpoint_path,
                                     const char *dump_path, double *loss_nats, zs_error *err);

/* The mean loss (nats/token) of a GPT checkpoint on the first ceil(eval_tokens / T)
 * windows of a token file (eval_tokens 0 = every whole window), with the checkpoint's
 * context as T; *tokens is how many positions were scored. The trainer's evaluation is
 * this computation.
 * Errors: ZS_ERR_USAGE (not a GPT checkpoint, data shorter than one window), ZS_ERR_IO
 * (cannot open or read a file), ZS_ERR_FORMAT (a malformed checkpoint or token file),
 * ZS_ERR_RANGE (a token id beyond the checkpoint's vocabulary). */
zs_status zs_train_eval_file(const char *checkpoint_path, const char *data_path,
                             uint64_t eval_tokens, zs_precision precision, int threads,
                             double *loss_nats, uint64_t *tokens, zs_error *err);

/* A sparse-parity MLP checkpoint's mean loss on its run's test set, and each subtask's
 * (*subtask_loss_nats: malloc'd, *n_tasks entries), the task rebuilt from the options the
 * trainer stored in the checkpoint: the trainer's last evaluation, recomputed.
 * Errors: ZS_ERR_USAGE (not an MLP checkpoint, stored options that do not check), ZS_ERR_IO
 * (cannot open or read it), ZS_ERR_FORMAT (a malformed checkpoint, its stored options
 * missing or not matching the model). On failure *subtask_loss_nats is NULL. */
zs_status zs_train_eval_parity(const char *checkpoint_path, int threads, double *test_loss_nats,
                               double **subtask_loss_nats, uint64_t *n_tasks, zs_error *err);

/* A sparse-parity MLP checkpoint (file or run directory) as a model of max_batch rows, and
 * the task spec its run stored (tasks, bits, k, zipf_exponent, seed): for analyses of the
 * trained model such as QDG. Errors: as zs_train_eval_parity, and zs_mlp_create's. On failure
 * *mlp is NULL. */
zs_status zs_train_open_parity_mlp(const char *checkpoint_path, uint32_t max_batch, int threads,
                                   zs_mlp **mlp, zs_parity_spec *spec, zs_error *err);

/* A GPT checkpoint (file or run directory) as a model of max_batch sequences of its context,
 * in `precision` on `threads` threads: for analyses of the trained model such as QDG.
 * Errors: ZS_ERR_USAGE (not a GPT checkpoint), ZS_ERR_IO (cannot open or read it),
 * ZS_ERR_FORMAT (a malformed checkpoint), and zs_gpt_create's. On failure *gpt is NULL. */
zs_status zs_train_open_gpt(const char *checkpoint_path, uint32_t max_batch, zs_precision precision,
                            int threads, zs_gpt **gpt, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
