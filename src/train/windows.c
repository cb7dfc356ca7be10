/* The GPT's data: windows of T+1 tokens over a token file (inputs and targets shifted by
 * one), the held-out split, and which window each batch row of each step reads
 * (sequential, or a seeded permutation per epoch). Formulas: zipscale/train.h and
 * docs/training.md. */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

/* Opens one file and finds its vocabulary: the sidecar's vocab_size, else largest id + 1. */
static zs_status open_file(zs_tokens *t, const char *path, uint64_t *vocab, zs_error *err) {
    zs_status s = zs_tokens_open(t, path, NULL, err);
    if (s) return s;
    if (t->vocab_size) {
        *vocab = t->vocab_size;
        return ZS_OK;
    }
    uint64_t lo, hi;
    s = zs_tokens_id_range(t, &lo, &hi, err);
    if (s) {
        zs_tokens_close(t);
        return s;
    }
    *vocab = hi + 1;
    return ZS_OK;
}

static zs_status check_length(const zs_tokens *t, const char *field, uint64_t T, uint64_t need,
                              zs_error *err) {
    uint64_t windows = t->n_tokens ? (t->n_tokens - 1) / T : 0;
    if (windows >= need) return ZS_OK;
    return zs_fail_field(err, ZS_ERR_USAGE, field,
                         "%s %s: %llu tokens make %llu windows of T+1 = %llu tokens (context "
                         "%llu); need at least %llu",
                         field, t->path, (unsigned long long)t->n_tokens,
                         (unsigned long long)windows, (unsigned long long)(T + 1),
                         (unsigned long long)T, (unsigned long long)need);
}

zs_status zs_train_windows_open(zs_train_windows *w, const zs_train_opts *opt, uint64_t T,
                                zs_error *err) {
    memset(w, 0, sizeof *w);
    w->T = T;
    w->order = opt->order;
    w->seed = opt->seed;
    w->perm_epoch = UINT64_MAX;
    uint64_t vocab = 0, val_vocab = 0;
    zs_status s = open_file(&w->train, opt->data_path, &vocab, err);
    if (s) return s;
    if (opt->val_path) {
        s = open_file(&w->val, opt->val_path, &val_vocab, err);
        if (s) {
            zs_tokens_close(&w->train);
            return s;
        }
        w->has_val_file = 1;
    }
    w->data_vocab = vocab > val_vocab ? vocab : val_vocab;
    if ((s = zs_sha256_file(opt->data_path, w->train_sha256, err))) goto fail;
    if (opt->val_path && (s = zs_sha256_file(opt->val_path, w->val_sha256, err))) goto fail;
    if ((s = check_length(&w->train, "data_path", T, opt->val_path ? 1 : 2, err))) goto fail;
    uint64_t n_windows = (w->train.n_tokens - 1) / T;
    uint64_t eval_windows = (opt->eval_tokens + T - 1) / T;
    if (opt->val_path) {
        if ((s = check_length(&w->val, "val_path", T, 1, err))) goto fail;
        w->n_train = n_windows;
        w->val_src = &w->val;
        w->val_first = 0;
        uint64_t n_val = (w->val.n_tokens - 1) / T;
        w->n_eval = eval_windows < n_val ? eval_windows : n_val;
    } else {
        uint64_t n_val = (uint64_t)((double)n_windows * opt->val_fraction);
        if ((double)n_val < (double)n_windows * opt->val_fraction) n_val++;
        if (n_val >= n_windows) {
            s = zs_fail_field(
                err, ZS_ERR_USAGE, "val_fraction",
                "val_fraction %g of the %llu windows of data_path %s leaves none to train on",
                opt->val_fraction, (unsigned long long)n_windows, opt->data_path);
            goto fail;
        }
        w->n_train = n_windows - n_val;
        w->val_src = &w->train;
        w->val_first = w->n_train;
        w->n_eval = eval_windows < n_val ? eval_windows : n_val;
    }
    if (w->order == ZS_ORDER_SHUFFLED) {
        if (w->n_train > UINT32_MAX) {
            s = zs_fail_field(err, ZS_ERR_RANGE, "data_path",
                              "data_path %s: %llu windows; shuffling handles up to 2^32-1",
                              opt->data_path, (unsigned long long)w->n_train);
            goto fail;
        }
        w->perm = zs_alloc(w->n_train * sizeof *w->perm, "window permutation", err);
        if (!w->perm) {
            s = ZS_ERR_NOMEM;
            goto fail;
        }
    }
    return ZS_OK;
fail:
    zs_train_windows_close(w);
    return s;
}

void zs_train_windows_close(zs_train_windows *w) {
    zs_tokens_close(&w->train);
    if (w->has_val_file) zs_tokens_close(&w->val);
    free(w->perm);
    memset(w, 0, sizeof *w);
}

/* perm_e: Fisher-Yates over 0..n_train-1 from stream (seed, mix(tag, e)). */
static void shuffle(zs_train_windows *w, uint64_t epoch) {
    zs_rng rng;
    zs_rng_seed(&rng, w->seed, zs_rng_mix(zs_rng_tag("train.shuffle"), epoch));
    for (uint64_t i = 0; i < w->n_train; i++) w->perm[i] = (uint32_t)i;
    for (uint64_t i = w->n_train; i > 1; i--) {
        uint64_t j = zs_rng_below(&rng, i);
        uint32_t tmp = w->perm[i - 1];
        w->perm[i - 1] = w->perm[j];
        w->perm[j] = tmp;
    }
    w->perm_epoch = epoch;
}

uint64_t zs_train_windows_index(zs_train_windows *w, uint64_t sample) {
    uint64_t pos = sample % w->n_train;
    if (w->order == ZS_ORDER_SEQUENTIAL) return pos;
    uint64_t epoch = sample / w->n_train;
    if (epoch != w->perm_epoch) shuffle(w, epoch);
    return w->perm[pos];
}

zs_status zs_train_window_read(const zs_tokens *src, uint64_t window, uint64_t T, uint32_t *inputs,
                               uint32_t *targets, zs_error *err) {
    zs_status s = zs_tokens_read_u32(src, window * T, T, inputs, err);
    if (!s) s = zs_tokens_read_u32(src, window * T + 1, T, targets, err);
    return s;
}

zs_status zs_train_windows_batch(zs_train_windows *w, uint64_t first_sample, uint32_t rows,
                                 uint32_t *inputs, uint32_t *targets, zs_error *err) {
    for (uint32_t b = 0; b < rows; b++) {
        uint64_t window = zs_train_windows_index(w, first_sample + b);
        zs_status s = zs_train_window_read(&w->train, window, w->T, inputs + (size_t)b * w->T,
                                           targets + (size_t)b * w->T, err);
        if (s) return s;
    }
    return ZS_OK;
}
