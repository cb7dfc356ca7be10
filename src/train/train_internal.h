/* train internal: the state one training run shares between its files (the loop, the
 * data windows, the parity task, evaluation, the log, checkpoints). Only src/train/
 * includes this; the public API is zipscale/train.h. */
#ifndef ZS_TRAIN_INTERNAL_H
#define ZS_TRAIN_INTERNAL_H

#include <jansson.h>

#include "train/model.h"
#include "zipscale/tokens.h"
#include "zipscale/train.h"

/* ---- the ranks of a data-parallel run (comm.c); every function is a no-op (ZS_OK) for a
 * NULL or one-rank group, and a collective: every rank of the group calls it. ---- */
int zs_comm_parallel(const zs_comm *c); /* more than one rank */
/* Rank's contiguous share [first, first+count) of n items among size ranks (the first
 * n mod size ranks one more); zs_comm_share is this rank's. */
void zs_train_share(uint64_t n, int rank, int size, uint64_t *first, uint64_t *count);
void zs_comm_share(const zs_comm *c, uint64_t n, uint64_t *first, uint64_t *count);
/* Sums buf over the ranks, in place. */
zs_status zs_comm_sum_f32(const zs_comm *c, float *buf, size_t n, zs_error *err);
zs_status zs_comm_sum_f64(const zs_comm *c, double *buf, int n, zs_error *err);
/* Every rank's status s in; out, on every rank: ZS_OK when all were OK, else the first
 * failing rank's status, with its error copied into *err. */
zs_status zs_comm_agree(const zs_comm *c, zs_status s, zs_error *err);
/* Rank 0's bytes to every rank. */
zs_status zs_comm_bcast(const zs_comm *c, void *buf, size_t bytes, zs_error *err);
/* buf holds n items of per_item floats; each rank has filled its zs_comm_share of them;
 * afterwards every rank holds all of them. */
zs_status zs_comm_gather_f32(const zs_comm *c, float *buf, uint64_t n, uint64_t per_item,
                             zs_error *err);
/* ZS_ERR_INTERNAL unless buf holds the same bytes on every rank. */
zs_status zs_comm_check_same(const zs_comm *c, const float *buf, size_t n, uint64_t step,
                             zs_error *err);
/* This rank's rows of each micro-step's batch: B / P (opt->batch for one process). */
static inline uint32_t zs_train_local_batch(const zs_train_opts *o) {
    return o->batch / (uint32_t)zs_comm_size(o->comm);
}

/* ---- GPT data: windows of T+1 tokens over a token file (windows.c) ---- */
typedef struct {
    zs_tokens train; /* the training file */
    zs_tokens val;   /* the --val file, when has_val_file */
    int has_val_file;
    uint64_t T;               /* window length: the model's context */
    uint64_t n_train;         /* training windows: 0 .. n_train-1 of the training file */
    const zs_tokens *val_src; /* the file the held-out windows come from */
    uint64_t val_first;       /* first held-out window in val_src */
    uint64_t n_eval;          /* evaluation windows: val_first .. val_first+n_eval-1 */
    uint64_t data_vocab;      /* the data's vocabulary (sidecar, else largest id + 1) */
    char train_sha256[65], val_sha256[65];
    zs_data_order order;
    uint64_t seed;
    uint32_t *perm;      /* the current epoch's permutation (shuffled order) */
    uint64_t perm_epoch; /* which epoch perm holds; UINT64_MAX = none yet */
} zs_train_windows;

/* Opens the files, checks their lengths and vocabularies against T (errors name the file
 * and the option) and works out the split. */
zs_status zs_train_windows_open(zs_train_windows *w, const zs_train_opts *opt, uint64_t T,
                                zs_error *err);
void zs_train_windows_close(zs_train_windows *w);
/* The window training sample i reads (i = (step·A + micro)·B + row). */
uint64_t zs_train_windows_index(zs_train_windows *w, uint64_t sample);
/* Fills inputs and targets (rows, T) from windows first_sample .. first_sample+rows-1. */
zs_status zs_train_windows_batch(zs_train_windows *w, uint64_t first_sample, uint32_t rows,
                                 uint32_t *inputs, uint32_t *targets, zs_error *err);
/* Reads window `window` of src into inputs[0..T) and targets[0..T). */
zs_status zs_train_window_read(const zs_tokens *src, uint64_t window, uint64_t T, uint32_t *inputs,
                               uint32_t *targets, zs_error *err);

/* Mean loss of gpt over windows first .. first+n-1 of src, one window a forward (evaluate.c
 * says why); token_loss_nats (n·T, may be NULL) receives every position's loss. */
zs_status zs_train_eval_windows(zs_gpt *gpt, const zs_tokens *src, uint64_t first, uint64_t n,
                                double *loss_nats, float *token_loss_nats, zs_error *err);
/* The same across the ranks of comm (a collective): each scores its share of the windows,
 * the per-position losses are gathered, and every rank sums them all in window order. */
zs_status zs_train_eval_windows_ranks(const zs_comm *comm, zs_gpt *gpt, const zs_tokens *src,
                                      uint64_t first, uint64_t n, double *loss_nats,
                                      float *token_loss_nats, zs_error *err);

/* ---- sparse parity for the MLP (parity_data.c) ---- */
typedef struct {
    zs_parity_task task;
    zs_parity_batch train_set;   /* the fixed training set (train_size > 0), else empty */
    zs_parity_batch step_batch;  /* one micro-step's examples */
    zs_parity_batch test_set;    /* the test stream's first test_size examples */
    zs_parity_batch subtask_set; /* (n_tasks · eval_per_subtask): subtask s in rows
                                    s·eval_per_subtask ... */
    uint64_t eval_per_subtask;
    uint64_t train_size;
    int threads;
    const zs_comm *comm; /* the ranks evaluations are split across (opt->comm) */
    uint64_t row0;       /* this rank's first row of every micro-step's batch */
} zs_train_parity;

zs_status zs_train_parity_open(zs_train_parity *p, const zs_train_opts *opt, zs_error *err);
void zs_train_parity_close(zs_train_parity *p);
/* The examples of micro-step `micro` of step `step` (batch B, accumulation A): online, the
 * stream of that step from row micro·B; a fixed set, rows (step·A + micro)·B + b mod D.
 * With ranks, this rank's rows row0 .. row0 + B/P - 1 of them. */
zs_status zs_train_parity_batch(zs_train_parity *p, uint64_t step, uint32_t micro, uint32_t batch,
                                uint32_t accum, zs_error *err);
/* Mean loss on the test set, and each subtask's mean loss (n_tasks entries); with ranks
 * (p->comm) a collective, each set split across them. */
zs_status zs_train_parity_eval(zs_train_parity *p, zs_mlp *mlp, uint32_t max_rows,
                               double *test_loss_nats, double *subtask_loss_nats, zs_error *err);

/* ---- one run (loop.c drives it) ---- */
typedef struct {
    const zs_train_opts *opt;
    zs_train_model *model; /* the model and its data (train/model.h) */
    zs_adamw adamw;
    int adamw_ready;
    zs_lr_schedule schedule;
    uint64_t steps_total;
    uint64_t samples_per_step; /* B·A sequences or examples */
    uint64_t tokens_per_step;  /* B·A·T (B·A examples for parity) */
    json_t *options;           /* the options as JSON (metrics.json, checkpoint metadata) */
    uint64_t step;             /* updates done */
    double last_val_loss;      /* NAN before the first evaluation */
    double min_val_loss;
    uint64_t min_val_step;
    uint64_t val_rises; /* evaluations in a row whose loss rose above the one before */
    FILE *log;          /* <out>/log.jsonl, appended a line at a time */
    uint64_t log_lines; /* whole lines in it */
    char *log_path, *metrics_path, *checkpoint_path;
} zs_train_ctx;

/* The options that determine the numbers, as JSON (data files by sha256): stored in the
 * checkpoint and metrics.json, and compared on resume. */
json_t *zs_train_options_json(const zs_train_ctx *ctx);
/* Refuses a checkpoint whose stored options differ from ctx's, naming the first field. */
zs_status zs_train_options_compare(const char *ckpt_path, const char *stored_json,
                                   const json_t *current, zs_error *err);

/* A checkpoint path as given, or <dir>/checkpoint.safetensors when path is a directory
 * (malloc'd; NULL only when out of memory). */
char *zs_train_checkpoint_resolve(const char *path, zs_error *err);
/* Writes <out>/checkpoint.safetensors: the model, AdamW and the loop's state. */
zs_status zs_train_checkpoint_save(const zs_train_ctx *ctx, zs_error *err);
/* Loads a checkpoint (a file, or a directory holding checkpoint.safetensors) into ctx:
 * params, moments, step, best loss; *log_lines is the log length to continue from. */
zs_status zs_train_checkpoint_resume(zs_train_ctx *ctx, const char *path, uint64_t *log_lines,
                                     zs_error *err);

/* The JSONL log: opened fresh (truncated), or on resume cut back to its first log_lines
 * lines and continued. */
zs_status zs_train_log_open(zs_train_ctx *ctx, int resume, uint64_t log_lines, zs_error *err);
typedef struct {
    uint64_t step, tokens;
    double lr, train_loss, val_loss, grad_norm, tok_per_s; /* val_loss NAN: none */
    const double *subtask_loss;                            /* NULL or n_tasks values */
    size_t n_subtasks;
} zs_train_log_line;
zs_status zs_train_log_write(zs_train_ctx *ctx, const zs_train_log_line *line, zs_error *err);
void zs_train_log_close(zs_train_ctx *ctx);

/* metrics.json, atomically. */
zs_status zs_train_metrics_write(const zs_train_ctx *ctx, const zs_train_result *r,
                                 const char *diverged_what, zs_error *err);

/* Per-token losses (windows, T) as float32 .npy with a JSON sidecar <path>.json (which also
 * names the model's size, for `zipscale quanta tokens`). */
zs_status zs_train_token_losses_write(const char *path, const float *losses, uint64_t windows,
                                      uint64_t T, double mean_loss_nats, const char *data_path,
                                      uint64_t first_window, uint64_t step, uint64_t n_params,
                                      uint64_t n_params_nonembed, zs_error *err);

/* "NNN.NK"-style rates and "1m52s" durations for the progress line. */
void zs_train_progress_print(FILE *out, uint64_t step, uint64_t total, double loss,
                             double tok_per_s, double eta_s);

#endif
