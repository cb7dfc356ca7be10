/* Multitask sparse parity, the task itself [QM]: validates a spec, draws the distinct
 * subsets S_s once per dataset, and holds the Zipf subtask probabilities (and their
 * exact test-set proportions). Example streams live in parity_sample.c. */
#include "zipscale/parity.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t zs_parity_choose(uint64_t n, uint64_t k) {
    if (k > n) return 0;
    if (k > n - k) k = n - k;
    /* c runs through C(n-k+i, i), i = 1..k: integers, non-decreasing, so saturate early. */
    unsigned __int128 c = 1;
    for (uint64_t i = 1; i <= k; i++) {
        c = c * (n - k + i) / i;
        if (c > UINT64_MAX) return UINT64_MAX;
    }
    return (uint64_t)c;
}

static zs_status check_spec(const zs_parity_spec *spec, zs_error *err) {
    if (spec->n_tasks == 0)
        return zs_fail(err, ZS_ERR_USAGE, "parity spec: n_tasks = 0, expected at least 1 subtask");
    if (spec->n_bits == 0)
        return zs_fail(err, ZS_ERR_USAGE, "parity spec: n_bits = 0, expected at least 1 task bit");
    if (spec->k == 0 || spec->k > spec->n_bits)
        return zs_fail(err, ZS_ERR_USAGE,
                       "parity spec: k = %" PRIu64 ", expected 1 <= k <= n_bits (%" PRIu64 ")",
                       spec->k, spec->n_bits);
    if (!isfinite(spec->zipf_exponent) || spec->zipf_exponent < 0)
        return zs_fail(err, ZS_ERR_USAGE,
                       "parity spec: zipf_exponent = %g, expected a finite number >= 0 "
                       "(0 = uniform subtasks)",
                       spec->zipf_exponent);
    if (spec->n_tasks > UINT32_MAX || spec->n_bits > UINT32_MAX - spec->n_tasks)
        return zs_fail(err, ZS_ERR_USAGE,
                       "parity spec: n_tasks + n_bits = %" PRIu64 " + %" PRIu64
                       ", expected an input length of at most 2^32 - 1",
                       spec->n_tasks, spec->n_bits);
    uint64_t subsets = zs_parity_choose(spec->n_bits, spec->k);
    if (spec->n_tasks > subsets)
        return zs_fail(err, ZS_ERR_USAGE,
                       "parity spec: n_tasks = %" PRIu64
                       ", expected at most C(n_bits, k) = C(%" PRIu64 ", %" PRIu64 ") = %" PRIu64
                       " distinct subsets",
                       spec->n_tasks, spec->n_bits, spec->k, subsets);
    return ZS_OK;
}

/* k distinct indices of n, sorted, by Floyd's algorithm on a bitmap of n bits (all zero
 * on entry and on exit). */
static void draw_subset(zs_rng *rng, uint64_t n, uint64_t k, uint64_t *bitmap, uint32_t *out) {
    for (uint64_t j = n - k; j < n; j++) {
        uint64_t t = zs_rng_below(rng, j + 1);
        uint64_t pick = (bitmap[t / 64] >> (t % 64)) & 1u ? j : t;
        bitmap[pick / 64] |= 1ULL << (pick % 64);
    }
    uint64_t m = 0;
    for (uint64_t w = 0; w < (n + 63) / 64 && m < k; w++) {
        for (uint64_t word = bitmap[w]; word; word &= word - 1)
            out[m++] = (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(word));
        bitmap[w] = 0;
    }
}

static uint64_t hash_subset(const uint32_t *s, uint64_t k) {
    uint64_t h = k;
    for (uint64_t i = 0; i < k; i++) h = zs_rng_mix(h, s[i]);
    return h;
}

/* Draws S_0, S_1, ... in order from one stream, redrawing any subset equal to an
 * earlier one (an open-addressing set of subtask ids, keyed by the subset's hash). */
static zs_status draw_subsets(zs_parity_task *task, zs_error *err) {
    const uint64_t n_tasks = task->spec.n_tasks, n = task->spec.n_bits, k = task->spec.k;
    uint64_t capacity = 16;
    while (capacity < 2 * n_tasks) capacity *= 2;
    uint32_t *slots = zs_calloc(capacity, sizeof *slots, "parity subset set", err);
    uint64_t *bitmap = zs_calloc((n + 63) / 64, sizeof *bitmap, "parity subset bitmap", err);
    if (!slots || !bitmap) {
        free(slots), free(bitmap);
        return ZS_ERR_NOMEM;
    }
    zs_rng rng;
    zs_rng_seed(&rng, task->spec.seed, zs_rng_tag("parity.subsets"));
    for (uint64_t s = 0; s < n_tasks;) {
        uint32_t *subset = task->subsets + s * k;
        draw_subset(&rng, n, k, bitmap, subset);
        uint64_t slot = hash_subset(subset, k) & (capacity - 1);
        int duplicate = 0;
        for (; slots[slot]; slot = (slot + 1) & (capacity - 1)) {
            const uint32_t *other = task->subsets + (uint64_t)(slots[slot] - 1) * k;
            if (memcmp(other, subset, k * sizeof *subset) == 0) {
                duplicate = 1;
                break;
            }
        }
        if (duplicate) continue;
        slots[slot] = (uint32_t)(s + 1);
        s++;
    }
    free(slots), free(bitmap);
    return ZS_OK;
}

void zs_parity_spec_init(zs_parity_spec *spec) {
    *spec = (zs_parity_spec){.n_tasks = 500, .n_bits = 100, .k = 3, .zipf_exponent = 1.4};
}

zs_status zs_parity_init(zs_parity_task *task, const zs_parity_spec *spec, zs_error *err) {
    memset(task, 0, sizeof *task);
    zs_status st = check_spec(spec, err);
    if (st) return st;
    task->spec = *spec;
    const uint64_t n_tasks = spec->n_tasks, k = spec->k;
    task->words_per_example = (uint32_t)((spec->n_bits + 63) / 64);
    /* n_tasks and k are below 2^32, so their product fits; calloc checks the byte count. */
    task->subsets = zs_calloc(n_tasks * k, sizeof *task->subsets, "parity subsets", err);
    task->masks = zs_calloc(n_tasks * task->words_per_example, sizeof *task->masks,
                            "parity subset masks", err);
    task->probs = zs_alloc(n_tasks * sizeof *task->probs, "parity subtask probabilities", err);
    if (!task->subsets || !task->masks || !task->probs) {
        zs_parity_free(task);
        return ZS_ERR_NOMEM;
    }
    if ((st = draw_subsets(task, err))) {
        zs_parity_free(task);
        return st;
    }
    for (uint64_t s = 0; s < n_tasks; s++)
        for (uint64_t i = 0; i < k; i++) {
            uint32_t j = task->subsets[s * k + i];
            task->masks[s * task->words_per_example + j / 64] |= 1ULL << (j % 64);
        }
    double sum = 0;
    for (uint64_t s = 0; s < n_tasks; s++) {
        task->probs[s] = pow((double)(s + 1), -spec->zipf_exponent);
        sum += task->probs[s];
    }
    for (uint64_t s = 0; s < n_tasks; s++) task->probs[s] /= sum;
    if ((st = zs_alias_init(&task->subtask_table, task->probs, (uint32_t)n_tasks, err))) {
        zs_parity_free(task);
        return st;
    }
    return ZS_OK;
}

void zs_parity_free(zs_parity_task *task) {
    if (!task) return;
    free(task->subsets);
    free(task->masks);
    free(task->probs);
    zs_alias_free(&task->subtask_table);
    memset(task, 0, sizeof *task);
}

/* Sort key for largest-remainder rounding: larger remainder first, then lower id. */
typedef struct {
    double remainder;
    uint64_t id;
} remainder_entry;

static int by_remainder(const void *a, const void *b) {
    const remainder_entry *x = a, *y = b;
    if (x->remainder != y->remainder) return x->remainder > y->remainder ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

zs_status zs_parity_test_counts(const zs_parity_task *task, uint64_t examples, uint64_t *counts,
                                zs_error *err) {
    const uint64_t n_tasks = task->spec.n_tasks;
    remainder_entry *order = zs_alloc(n_tasks * sizeof *order, "parity test counts", err);
    if (!order) return ZS_ERR_NOMEM;
    uint64_t assigned = 0;
    for (uint64_t s = 0; s < n_tasks; s++) {
        double quota = task->probs[s] * (double)examples;
        double whole = floor(quota);
        counts[s] = (uint64_t)whole;
        assigned += counts[s];
        order[s] = (remainder_entry){quota - whole, s};
    }
    if (assigned > examples) {
        free(order);
        return zs_fail(err, ZS_ERR_INTERNAL,
                       "parity test counts: the floors of the quotas sum to %" PRIu64
                       ", above the %" PRIu64 " examples",
                       assigned, examples);
    }
    qsort(order, n_tasks, sizeof *order, by_remainder);
    /* The deficit is below n_tasks up to rounding; the wrap keeps the sum exact anyway. */
    for (uint64_t i = 0; assigned < examples; i = (i + 1) % n_tasks) {
        counts[order[i].id]++;
        assigned++;
    }
    free(order);
    return ZS_OK;
}
