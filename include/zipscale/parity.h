/* zipscale data: multitask sparse parity [QM] (docs/science.md §1). A task spec fixes the
 * subtasks' bit subsets and their Zipf frequencies; deterministic streams (online
 * batches, train, test, per-subtask eval) fill bit-packed example batches for the MLP
 * trainer and for `zipscale parity sample`. Guide and file layout: docs/parity.md. */
#ifndef ZIPSCALE_PARITY_H
#define ZIPSCALE_PARITY_H

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The dataset's knobs. zipf_exponent is the WHOLE exponent of p_i ∝ i^-zipf_exponent,
 * i.e. the paper's α+1 (the reference code calls it `alpha`; 1.4 there is α = 0.4). */
typedef struct {
    uint64_t n_tasks;     /* subtasks, >= 1; n_tasks <= C(n_bits, k) */
    uint64_t n_bits;      /* task bits per input, >= 1; n_tasks + n_bits < 2^32 */
    uint64_t k;           /* bits per subset, 1..n_bits */
    double zipf_exponent; /* >= 0; 0 = uniform subtasks */
    uint64_t seed;
} zs_parity_spec;

/* The default task (the [QM] paper's): 500 subtasks, 100 bits, k 3, zipf_exponent 1.4, seed 0. */
void zs_parity_spec_init(zs_parity_spec *spec);

/* A built task. Subtask ids are 0-based: id s is the paper's subtask i = s+1, with
 * probability probs[s] ∝ (s+1)^-zipf_exponent. */
typedef struct {
    zs_parity_spec spec;
    uint32_t words_per_example; /* 64-bit words of task bits per example: ceil(n_bits/64) */
    uint32_t *subsets;          /* (n_tasks, k): S_s as sorted, distinct bit indices */
    uint64_t *masks;            /* (n_tasks, words_per_example): S_s as a bit mask */
    double *probs;              /* (n_tasks): normalised subtask probabilities */
    zs_alias subtask_table;     /* draws subtask ids from probs */
} zs_parity_task;

/* Checks the spec (errors name the field and the allowed range, code ZS_ERR_USAGE),
 * draws the subsets from stream (seed, "parity.subsets") and builds the tables.
 * Errors: ZS_ERR_USAGE (a spec field out of range: the message names it). */
zs_status zs_parity_init(zs_parity_task *task, const zs_parity_spec *spec, zs_error *err);
void zs_parity_free(zs_parity_task *task);

/* C(n, k), saturated at UINT64_MAX (0 when k > n). */
uint64_t zs_parity_choose(uint64_t n, uint64_t k);

/* Exact test-set proportions: counts[s] for a test set of `examples`, largest-remainder
 * rounding of probs[s] * examples (ties go to the lower id), so the counts sum to
 * `examples` exactly. counts has n_tasks entries. Errors: only ZS_ERR_NOMEM. */
zs_status zs_parity_test_counts(const zs_parity_task *task, uint64_t examples, uint64_t *counts,
                                zs_error *err);

/* ---- examples --------------------------------------------------------------------
 * Bit-packed storage, one row per example. Task bit j of row r is bit (j % 64) of
 * bits[r * words_per_example + j / 64]; unused high bits of the last word are zero. */
typedef struct {
    uint64_t n_examples;
    uint32_t words_per_example;
    uint32_t *subtask; /* (n_examples): 0-based subtask id (the first layer's row index) */
    uint64_t *bits;    /* (n_examples, words_per_example): the task bits */
    uint8_t *label;    /* (n_examples): parity of the task bits in S_subtask, 0 or 1 */
} zs_parity_batch;

/* Room for n_examples rows of task's width (0 rows is allowed); the rows are not filled.
 * Errors: only ZS_ERR_NOMEM (also when the byte count overflows). */
zs_status zs_parity_batch_init(zs_parity_batch *batch, const zs_parity_task *task,
                               uint64_t n_examples, zs_error *err);
void zs_parity_batch_free(zs_parity_batch *batch);
/* Rows [first, first+count) of batch as a batch that borrows its storage (never free it).
 * first + count must not exceed batch->n_examples. */
zs_parity_batch zs_parity_batch_rows(const zs_parity_batch *batch, uint64_t first, uint64_t count);

/* The four streams. Each example comes from its own RNG stream
 * (seed, tag, [step or subtask,] example index), so any fill order or thread count gives
 * the same bytes, and the streams are independent of each other. */
typedef enum {
    ZS_PARITY_ONLINE, /* tag "parity.online": fresh examples for each training step */
    ZS_PARITY_TRAIN,  /* tag "parity.train": a fixed training set (a prefix of one stream) */
    ZS_PARITY_TEST,   /* tag "parity.test": exact proportions, grouped by subtask id */
    ZS_PARITY_EVAL,   /* tag "parity.eval": examples of one subtask */
} zs_parity_stream_kind;

typedef struct {
    zs_parity_stream_kind kind;
    uint64_t step;    /* ONLINE: the training step */
    uint64_t size;    /* TEST: the whole test set's size (it fixes the proportions) */
    uint32_t subtask; /* EVAL: the subtask id */
} zs_parity_stream;

const char *zs_parity_stream_name(zs_parity_stream_kind kind); /* "online", "train", ... */

/* Fills every row of batch with examples first .. first+n_examples-1 of the stream, on
 * `threads` OpenMP threads (0 = all cores). TEST needs first+n_examples <= size; EVAL a
 * subtask below n_tasks. Errors: ZS_ERR_USAGE (a batch of another task's width, test rows
 * beyond size, an eval subtask >= n_tasks, or an unknown stream kind). */
zs_status zs_parity_fill(const zs_parity_task *task, const zs_parity_stream *stream, uint64_t first,
                         zs_parity_batch *batch, int threads, zs_error *err);

/* ---- reading examples ------------------------------------------------------------ */

/* Task bit j (0 <= j < n_bits) of row r. */
static inline int zs_parity_bit(const zs_parity_batch *batch, uint64_t row, uint64_t j) {
    return (int)((batch->bits[row * batch->words_per_example + j / 64] >> (j % 64)) & 1u);
}

/* Input length: n_tasks control bits, then n_bits task bits. */
static inline uint64_t zs_parity_input_len(const zs_parity_task *task) {
    return task->spec.n_tasks + task->spec.n_bits;
}

/* Row r as the dense input vector (n_tasks + n_bits): one-hot control code, task bits.
 * row < batch->n_examples; out holds zs_parity_input_len(task) values. */
void zs_parity_unpack_f32(const zs_parity_task *task, const zs_parity_batch *batch, uint64_t row,
                          float *out);
void zs_parity_unpack_u8(const zs_parity_task *task, const zs_parity_batch *batch, uint64_t row,
                         uint8_t *out);

/* Bytes of one input vector packed 8 bits a byte: ceil((n_tasks + n_bits) / 8). */
static inline uint64_t zs_parity_packed_bytes(const zs_parity_task *task) {
    return (zs_parity_input_len(task) + 7) / 8;
}
/* Row r's input vector packed as numpy.packbits does by default: element e goes to byte
 * e / 8, bit 7 - e % 8 (most significant first); padding bits are zero. out holds
 * zs_parity_packed_bytes(task) bytes. */
void zs_parity_pack_input(const zs_parity_task *task, const zs_parity_batch *batch, uint64_t row,
                          uint8_t *out);
/* Every row packed so: out is (n_examples, zs_parity_packed_bytes) bytes, row-major;
 * `threads` as for zs_parity_fill (the bytes do not depend on it). */
void zs_parity_pack_batch(const zs_parity_task *task, const zs_parity_batch *batch, uint8_t *out,
                          int threads);

#ifdef __cplusplus
}
#endif
#endif
