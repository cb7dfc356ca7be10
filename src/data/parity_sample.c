/* Multitask sparse parity, the example streams: bit-packed batches and the four
 * deterministic streams (online, train, test, eval). Every example seeds its own RNG from
 * (seed, tag, [step or subtask,] index), so fill order and thread count never matter. */
#include "zipscale/parity.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

zs_status zs_parity_batch_init(zs_parity_batch *batch, const zs_parity_task *task,
                               uint64_t n_examples, zs_error *err) {
    batch->n_examples = 0;
    batch->words_per_example = task->words_per_example;
    batch->subtask = NULL;
    batch->bits = NULL;
    batch->label = NULL;
    if (n_examples >= (SIZE_MAX / sizeof *batch->bits - 1) / task->words_per_example) {
        batch->words_per_example = 0;
        return zs_fail(err, ZS_ERR_NOMEM,
                       "parity batch: %" PRIu64
                       " examples of %u words each exceed the address space",
                       n_examples, task->words_per_example);
    }
    batch->n_examples = n_examples;
    /* +1 so that an empty batch still owns (distinct, freeable) storage. */
    batch->subtask = zs_alloc((n_examples + 1) * sizeof *batch->subtask, "parity subtasks", err);
    batch->bits = zs_alloc((n_examples * task->words_per_example + 1) * sizeof *batch->bits,
                           "parity task bits", err);
    batch->label = zs_alloc(n_examples + 1, "parity labels", err);
    if (!batch->subtask || !batch->bits || !batch->label) {
        zs_parity_batch_free(batch);
        return ZS_ERR_NOMEM;
    }
    return ZS_OK;
}

void zs_parity_batch_free(zs_parity_batch *batch) {
    if (!batch) return;
    free(batch->subtask);
    free(batch->bits);
    free(batch->label);
    memset(batch, 0, sizeof *batch);
}

zs_parity_batch zs_parity_batch_rows(const zs_parity_batch *batch, uint64_t first, uint64_t count) {
    zs_parity_batch view = *batch;
    view.n_examples = count;
    view.subtask += first;
    view.bits += first * batch->words_per_example;
    view.label += first;
    return view;
}

const char *zs_parity_stream_name(zs_parity_stream_kind kind) {
    static const char *const names[] = {
        [ZS_PARITY_ONLINE] = "online",
        [ZS_PARITY_TRAIN] = "train",
        [ZS_PARITY_TEST] = "test",
        [ZS_PARITY_EVAL] = "eval",
    };
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

/* One example from RNG stream `stream_index`: the subtask (drawn from the Zipf table when
 * subtask < 0), then the task bits word by word, then the label. */
static void draw_example(const zs_parity_task *task, uint64_t stream_index, int64_t subtask,
                         zs_parity_batch *batch, uint64_t row) {
    zs_rng rng;
    zs_rng_seed(&rng, task->spec.seed, stream_index);
    const uint32_t id = subtask < 0 ? zs_alias_draw(&task->subtask_table, &rng) : (uint32_t)subtask;
    const uint32_t words = task->words_per_example;
    uint64_t *bits = batch->bits + row * words;
    const uint64_t *mask = task->masks + (uint64_t)id * words;
    unsigned ones = 0;
    for (uint32_t w = 0; w < words; w++) {
        bits[w] = zs_rng_u64(&rng);
        if (w == words - 1 && task->spec.n_bits % 64)
            bits[w] &= (1ULL << task->spec.n_bits % 64) - 1;
        ones += (unsigned)__builtin_popcountll(bits[w] & mask[w]);
    }
    batch->subtask[row] = id;
    batch->label[row] = (uint8_t)(ones & 1u);
}

/* Test set: ids are grouped in order, counts[s] examples of subtask s; `offsets` holds the
 * n_tasks+1 prefix sums. Returns the subtask owning example `index`. */
static uint64_t test_subtask(const uint64_t *offsets, uint64_t n_tasks, uint64_t index) {
    uint64_t lo = 0, hi = n_tasks; /* invariant: offsets[lo] <= index < offsets[hi] */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (offsets[mid] <= index)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static zs_status check_stream(const zs_parity_task *task, const zs_parity_stream *stream,
                              uint64_t first, const zs_parity_batch *batch, zs_error *err) {
    if (batch->words_per_example != task->words_per_example)
        return zs_fail(err, ZS_ERR_USAGE,
                       "parity fill: the batch holds %u words per example, the task needs %u",
                       batch->words_per_example, task->words_per_example);
    switch (stream->kind) {
    case ZS_PARITY_ONLINE:
    case ZS_PARITY_TRAIN:
        return ZS_OK;
    case ZS_PARITY_TEST:
        if (first > stream->size || batch->n_examples > stream->size - first)
            return zs_fail(err, ZS_ERR_USAGE,
                           "parity fill: test examples %" PRIu64 "..%" PRIu64
                           " requested, expected indices below the test set's size %" PRIu64,
                           first, first + batch->n_examples - 1, stream->size);
        return ZS_OK;
    case ZS_PARITY_EVAL:
        if (stream->subtask >= task->spec.n_tasks)
            return zs_fail(err, ZS_ERR_USAGE,
                           "parity fill: eval subtask %u, expected an id below n_tasks (%" PRIu64
                           ")",
                           stream->subtask, task->spec.n_tasks);
        return ZS_OK;
    }
    return zs_fail(err, ZS_ERR_USAGE,
                   "parity fill: stream kind %d, expected online, train, "
                   "test or eval",
                   (int)stream->kind);
}

zs_status zs_parity_fill(const zs_parity_task *task, const zs_parity_stream *stream, uint64_t first,
                         zs_parity_batch *batch, int threads, zs_error *err) {
    zs_status st = check_stream(task, stream, first, batch, err);
    if (st) return st;
    const uint64_t n_tasks = task->spec.n_tasks;
    uint64_t *offsets = NULL;
    if (stream->kind == ZS_PARITY_TEST) {
        offsets = zs_alloc((n_tasks + 1) * sizeof *offsets, "parity test offsets", err);
        if (!offsets) return ZS_ERR_NOMEM;
        if ((st = zs_parity_test_counts(task, stream->size, offsets + 1, err))) {
            free(offsets);
            return st;
        }
        offsets[0] = 0;
        for (uint64_t s = 0; s < n_tasks; s++) offsets[s + 1] += offsets[s];
    }
    const uint64_t online = zs_rng_mix(zs_rng_tag("parity.online"), stream->step);
    const uint64_t train = zs_rng_tag("parity.train"), test = zs_rng_tag("parity.test");
    const uint64_t eval = zs_rng_mix(zs_rng_tag("parity.eval"), stream->subtask);
    const int64_t rows = (int64_t)batch->n_examples;
#pragma omp parallel for schedule(static) num_threads(zs_threads_resolve(threads))
    for (int64_t row = 0; row < rows; row++) {
        const uint64_t index = first + (uint64_t)row;
        switch (stream->kind) {
        case ZS_PARITY_ONLINE:
            draw_example(task, zs_rng_mix(online, index), -1, batch, row);
            break;
        case ZS_PARITY_TRAIN:
            draw_example(task, zs_rng_mix(train, index), -1, batch, row);
            break;
        case ZS_PARITY_TEST: {
            /* Keyed by (subtask, index within it): test sets of different sizes share
             * their examples of each subtask. */
            uint64_t s = test_subtask(offsets, n_tasks, index);
            uint64_t key = zs_rng_mix(zs_rng_mix(test, s), index - offsets[s]);
            draw_example(task, key, (int64_t)s, batch, row);
            break;
        }
        case ZS_PARITY_EVAL:
            draw_example(task, zs_rng_mix(eval, index), stream->subtask, batch, row);
            break;
        }
    }
    free(offsets);
    return ZS_OK;
}
