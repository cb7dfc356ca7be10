/* Tests for multitask sparse parity (module data): the spec's errors, the subsets, the
 * Zipf frequencies, labels against an independent parity on unpacked bits, the streams'
 * determinism and independence, and the `parity sample` command with a numpy cross-check. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/parity.h"
#include "zipscale/tokens.h"

static zs_parity_task make_task(uint64_t n_tasks, uint64_t n_bits, uint64_t k, double exponent,
                                uint64_t seed) {
    zs_parity_spec spec = {n_tasks, n_bits, k, exponent, seed};
    zs_parity_task task;
    zs_error err;
    zs_status st = zs_parity_init(&task, &spec, &err);
    cr_assert_eq(st, ZS_OK, "init: %s", err.msg);
    return task;
}

static zs_parity_batch make_batch(const zs_parity_task *task, uint64_t n) {
    zs_parity_batch batch;
    zs_error err;
    cr_assert_eq(zs_parity_batch_init(&batch, task, n, &err), ZS_OK, "%s", err.msg);
    return batch;
}

static void fill(const zs_parity_task *task, zs_parity_stream stream, uint64_t first,
                 zs_parity_batch *batch, int threads) {
    zs_error err;
    zs_status st = zs_parity_fill(task, &stream, first, batch, threads, &err);
    cr_assert_eq(st, ZS_OK, "fill: %s", err.msg);
}

static int same_batch(const zs_parity_batch *a, const zs_parity_batch *b) {
    return a->n_examples == b->n_examples && a->words_per_example == b->words_per_example &&
           memcmp(a->subtask, b->subtask, a->n_examples * sizeof *a->subtask) == 0 &&
           memcmp(a->bits, b->bits, a->n_examples * a->words_per_example * sizeof *a->bits) == 0 &&
           memcmp(a->label, b->label, a->n_examples) == 0;
}

/* ---- spec errors: one test each, checking the message ---------------------------- */

static void expect_spec_error(uint64_t n_tasks, uint64_t n_bits, uint64_t k, double exponent,
                              const char *needle) {
    zs_parity_spec spec = {n_tasks, n_bits, k, exponent, 1};
    zs_parity_task task;
    zs_error err;
    cr_assert_eq(zs_parity_init(&task, &spec, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, needle), "message: %s", err.msg);
}

Test(parity_spec, k_above_n_bits) {
    expect_spec_error(3, 4, 5, 1.4, "parity spec: k = 5, expected 1 <= k <= n_bits (4)");
}

Test(parity_spec, k_zero) {
    expect_spec_error(3, 4, 0, 1.4, "parity spec: k = 0, expected 1 <= k <= n_bits (4)");
}

Test(parity_spec, more_tasks_than_subsets) {
    expect_spec_error(11, 5, 2, 1.4,
                      "n_tasks = 11, expected at most C(n_bits, k) = C(5, 2) = 10 distinct");
}

Test(parity_spec, negative_exponent) {
    expect_spec_error(3, 4, 2, -0.5, "zipf_exponent = -0.5, expected a finite number >= 0");
}

Test(parity_spec, nan_exponent) {
    expect_spec_error(3, 4, 2, NAN, "zipf_exponent = nan, expected a finite number >= 0");
}

Test(parity_spec, zero_tasks) {
    expect_spec_error(0, 4, 2, 1.4, "parity spec: n_tasks = 0, expected at least 1 subtask");
}

Test(parity_spec, zero_bits) {
    expect_spec_error(1, 0, 1, 1.4, "parity spec: n_bits = 0, expected at least 1 task bit");
}

Test(parity_spec, input_too_long) {
    expect_spec_error(
        10, 4294967286ULL, 1, 1.4,
        "n_tasks + n_bits = 10 + 4294967286, expected an input length of at most 2^32 - 1");
}

/* C(n, k) against Pascal's triangle; saturation far beyond 64 bits. */
Test(parity_spec, choose_matches_pascal) {
    static uint64_t row[68];
    memset(row, 0, sizeof row);
    row[0] = 1;
    for (uint64_t n = 0; n <= 66; n++) {
        for (uint64_t k = 0; k <= n + 1; k++)
            cr_assert_eq(zs_parity_choose(n, k), row[k], "C(%lu, %lu)", (unsigned long)n,
                         (unsigned long)k);
        for (uint64_t k = n + 1; k >= 1; k--) row[k] += row[k - 1];
    }
    cr_assert_eq(zs_parity_choose(200, 100), UINT64_MAX);
    cr_assert_eq(zs_parity_choose(100, 3), 161700);
}

/* ---- subsets -------------------------------------------------------------------- */

static void check_subsets(const zs_parity_task *t) {
    const uint64_t n = t->spec.n_tasks, k = t->spec.k;
    for (uint64_t s = 0; s < n; s++) {
        const uint32_t *a = t->subsets + s * k;
        for (uint64_t i = 0; i < k; i++) {
            cr_assert_lt(a[i], t->spec.n_bits, "S_%lu[%lu] out of range", (unsigned long)s,
                         (unsigned long)i);
            if (i) cr_assert_lt(a[i - 1], a[i], "S_%lu not strictly sorted", (unsigned long)s);
        }
        for (uint64_t r = 0; r < s; r++)
            cr_assert_neq(memcmp(a, t->subsets + r * k, k * sizeof *a), 0, "S_%lu equals S_%lu",
                          (unsigned long)s, (unsigned long)r);
    }
}

Test(parity_subsets, distinct_sorted_in_range_main_setting) {
    zs_parity_task t = make_task(500, 100, 3, 1.4, 7);
    check_subsets(&t);
    zs_parity_free(&t);
}

/* n_tasks = C(n_bits, k): the subsets must be every k-subset, each once. */
Test(parity_subsets, all_subsets_when_saturated) {
    zs_parity_task t = make_task(20, 6, 3, 0, 3);
    check_subsets(&t);
    zs_parity_free(&t);
    t = make_task(1, 70, 70, 1.4, 3);
    for (uint32_t i = 0; i < 70; i++) cr_assert_eq(t.subsets[i], i);
    zs_parity_free(&t);
}

/* Each index is equally likely to be in a subset: over 2000 subsets of 3 of 40 bits,
 * the 6000 memberships per index ~ Binomial(6000, 1/40): mean 150, sd 12.1; allow 5 sd. */
Test(parity_subsets, indices_uniform) {
    zs_parity_task t = make_task(2000, 40, 3, 1.4, 11);
    int counts[40] = {0};
    for (uint64_t i = 0; i < 2000 * 3; i++) counts[t.subsets[i]]++;
    for (int j = 0; j < 40; j++)
        cr_assert_lt(fabs(counts[j] - 150.0), 5 * 12.1, "index %d in %d subsets", j, counts[j]);
    zs_parity_free(&t);
}

Test(parity_subsets, same_seed_same_subsets) {
    zs_parity_task a = make_task(500, 100, 3, 1.4, 42), b = make_task(500, 100, 3, 1.4, 42);
    zs_parity_task c = make_task(500, 100, 3, 1.4, 43);
    cr_assert_eq(memcmp(a.subsets, b.subsets, 500 * 3 * sizeof *a.subsets), 0);
    cr_assert_neq(memcmp(a.subsets, c.subsets, 500 * 3 * sizeof *a.subsets), 0);
    zs_parity_free(&a), zs_parity_free(&b), zs_parity_free(&c);
}

/* ---- Zipf frequencies ---------------------------------------------------------- */

Test(parity_zipf, probabilities_closed_form) {
    zs_parity_task t = make_task(500, 100, 3, 1.4, 1);
    double z = 0;
    for (int i = 1; i <= 500; i++) z += pow(i, -1.4);
    for (int i = 1; i <= 500; i++)
        cr_assert_lt(fabs(t.probs[i - 1] - pow(i, -1.4) / z), 1e-15, "p_%d", i);
    zs_parity_free(&t);
    t = make_task(7, 10, 2, 0, 1);
    for (int i = 0; i < 7; i++) cr_assert_lt(fabs(t.probs[i] - 1.0 / 7), 1e-15);
    zs_parity_free(&t);
}

/* Drawn subtask frequencies (train and online streams) against p_i ∝ i^-1.4, 30 subtasks:
 * Pearson chi-square, 29 dof; P(chi2 > 58.30) = 0.001. */
static void check_zipf(zs_parity_stream stream) {
    const uint64_t n = 200000;
    zs_parity_task t = make_task(30, 10, 2, 1.4, 5);
    zs_parity_batch b = make_batch(&t, n);
    fill(&t, stream, 0, &b, 0);
    long counts[30] = {0};
    for (uint64_t r = 0; r < n; r++) counts[b.subtask[r]]++;
    double z = 0, chi2 = 0;
    for (int i = 1; i <= 30; i++) z += pow(i, -1.4);
    for (int i = 1; i <= 30; i++) {
        double expected = (double)n * pow(i, -1.4) / z;
        chi2 += pow(counts[i - 1] - expected, 2) / expected;
    }
    cr_assert_lt(chi2, 58.30, "%s stream: chi2 = %g", zs_parity_stream_name(stream.kind), chi2);
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

Test(parity_zipf, train_frequencies_chi_square) {
    check_zipf((zs_parity_stream){.kind = ZS_PARITY_TRAIN});
}

Test(parity_zipf, online_frequencies_chi_square) {
    check_zipf((zs_parity_stream){.kind = ZS_PARITY_ONLINE, .step = 3});
}

/* A huge exponent underflows every weight but the first: only subtask 0 is drawn. */
Test(parity_zipf, huge_exponent_draws_first_subtask) {
    zs_parity_task t = make_task(50, 12, 2, 1000, 5);
    zs_parity_batch b = make_batch(&t, 1000);
    fill(&t, (zs_parity_stream){.kind = ZS_PARITY_TRAIN}, 0, &b, 1);
    for (uint64_t r = 0; r < 1000; r++) cr_assert_eq(b.subtask[r], 0);
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

/* ---- labels and the dense / packed views --------------------------------------- */

/* Recomputes every label from the dense u8 vector and the subsets, checks the one-hot
 * control code, and that the f32 view matches. */
static void check_labels(const zs_parity_task *t, const zs_parity_batch *b) {
    const uint64_t len = zs_parity_input_len(t), n_tasks = t->spec.n_tasks, k = t->spec.k;
    uint8_t *x = malloc(len);
    float *f = malloc(len * sizeof *f);
    for (uint64_t r = 0; r < b->n_examples; r++) {
        zs_parity_unpack_u8(t, b, r, x);
        zs_parity_unpack_f32(t, b, r, f);
        uint64_t hot = 0, which = 0;
        for (uint64_t i = 0; i < n_tasks; i++) hot += x[i], which = x[i] ? i : which;
        cr_assert_eq(hot, 1, "row %lu: control code not one-hot", (unsigned long)r);
        cr_assert_eq(which, b->subtask[r]);
        const uint32_t *subset = t->subsets + (uint64_t)b->subtask[r] * k;
        unsigned sum = 0;
        for (uint64_t i = 0; i < k; i++) sum += x[n_tasks + subset[i]];
        cr_assert_eq(b->label[r], sum % 2, "row %lu: label", (unsigned long)r);
        uint64_t differ = 0;
        for (uint64_t i = 0; i < len; i++) differ += f[i] != (float)x[i];
        cr_assert_eq(differ, 0, "row %lu: f32 and u8 views differ", (unsigned long)r);
    }
    free(x);
    free(f);
}

Test(parity_labels, match_independent_parity_every_stream) {
    zs_parity_task t = make_task(500, 100, 3, 1.4, 9);
    zs_parity_batch b = make_batch(&t, 3000);
    const zs_parity_stream streams[] = {
        {.kind = ZS_PARITY_ONLINE, .step = 17},
        {.kind = ZS_PARITY_TRAIN},
        {.kind = ZS_PARITY_TEST, .size = 3000},
        {.kind = ZS_PARITY_EVAL, .subtask = 499},
    };
    for (int i = 0; i < 4; i++) {
        fill(&t, streams[i], 0, &b, 2);
        check_labels(&t, &b);
    }
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

/* Task bits spanning several words, with k large and an odd bit count. */
Test(parity_labels, match_with_many_words) {
    zs_parity_task t = make_task(40, 150, 75, 0.5, 2);
    zs_parity_batch b = make_batch(&t, 2000);
    fill(&t, (zs_parity_stream){.kind = ZS_PARITY_TRAIN}, 0, &b, 2);
    check_labels(&t, &b);
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

/* The packed vector against packing the dense vector by hand, most significant bit first
 * (numpy.packbits' default order). */
Test(parity_labels, pack_matches_dense_vector) {
    zs_parity_task t = make_task(13, 70, 3, 1.4, 4);
    zs_parity_batch b = make_batch(&t, 200);
    fill(&t, (zs_parity_stream){.kind = ZS_PARITY_TRAIN}, 0, &b, 1);
    const uint64_t len = zs_parity_input_len(&t), bytes = zs_parity_packed_bytes(&t);
    cr_assert_eq(bytes, 11); /* ceil(83 / 8) */
    uint8_t x[83], packed[11], expected[11];
    for (uint64_t r = 0; r < 200; r++) {
        zs_parity_unpack_u8(&t, &b, r, x);
        memset(expected, 0, sizeof expected);
        for (uint64_t e = 0; e < len; e++) expected[e / 8] |= (uint8_t)(x[e] << (7 - e % 8));
        memset(packed, 0xff, sizeof packed);
        zs_parity_pack_input(&t, &b, r, packed);
        cr_assert_eq(memcmp(packed, expected, bytes), 0, "row %lu", (unsigned long)r);
    }
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

/* ---- balance ------------------------------------------------------------------- */

/* 20000 train examples x 100 bits. Each position's ones ~ Binomial(20000, 1/2): sd 70.7;
 * the total ~ Binomial(2e6, 1/2): sd 707; labels ~ Binomial(20000, 1/2). Allow 5 sd.
 * The 28 padding bits of the second word must be zero. */
Test(parity_balance, bits_and_labels_balanced) {
    const uint64_t n = 20000;
    zs_parity_task t = make_task(500, 100, 3, 1.4, 21);
    zs_parity_batch b = make_batch(&t, n);
    fill(&t, (zs_parity_stream){.kind = ZS_PARITY_TRAIN}, 0, &b, 0);
    long per_bit[100] = {0}, total = 0, positive = 0;
    for (uint64_t r = 0; r < n; r++) {
        cr_assert_eq(b.bits[r * 2 + 1] >> 36, 0, "row %lu: padding bits set", (unsigned long)r);
        for (int j = 0; j < 100; j++) per_bit[j] += zs_parity_bit(&b, r, (uint64_t)j);
        positive += b.label[r];
    }
    for (int j = 0; j < 100; j++) {
        total += per_bit[j];
        cr_assert_lt(fabs(per_bit[j] - n / 2.0), 5 * 70.7, "bit %d: %ld ones", j, per_bit[j]);
    }
    cr_assert_lt(fabs(total - n * 50.0), 5 * 707.1, "%ld ones in all", total);
    cr_assert_lt(fabs(positive - n / 2.0), 5 * 70.7, "%ld positive labels", positive);
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

/* ---- test and eval sets -------------------------------------------------------- */

static void counts_of(const zs_parity_task *t, uint64_t m, uint64_t *counts) {
    zs_error err;
    cr_assert_eq(zs_parity_test_counts(t, m, counts, &err), ZS_OK, "%s", err.msg);
}

/* Hand-computed: p = (2/3, 1/3), M = 10: quotas 6.67, 3.33 -> 7, 3. Uniform over 3,
 * M = 10: quotas 3.33 each, the tie goes to the lowest id -> 4, 3, 3. */
Test(parity_test_set, counts_hand_computed) {
    uint64_t c[3];
    zs_parity_task t = make_task(2, 4, 2, 1.0, 1);
    counts_of(&t, 10, c);
    cr_assert(c[0] == 7 && c[1] == 3, "counts %lu %lu", (unsigned long)c[0], (unsigned long)c[1]);
    zs_parity_free(&t);
    t = make_task(3, 4, 2, 0, 1);
    counts_of(&t, 10, c);
    cr_assert(c[0] == 4 && c[1] == 3 && c[2] == 3);
    counts_of(&t, 0, c);
    cr_assert(c[0] == 0 && c[1] == 0 && c[2] == 0);
    zs_parity_free(&t);
}

/* Main setting, M = 10007: the counts sum to M, each is its quota rounded down or up, and
 * every id rounded up had a remainder at least as large as every id rounded down (the
 * defining property of largest-remainder rounding). The filled set holds exactly those
 * counts, grouped by id in order. */
Test(parity_test_set, exact_proportions) {
    const uint64_t m = 10007;
    zs_parity_task t = make_task(500, 100, 3, 1.4, 8);
    uint64_t counts[500], seen[500] = {0}, sum = 0;
    counts_of(&t, m, counts);
    double z = 0, min_up = 1, max_down = 0;
    for (int i = 1; i <= 500; i++) z += pow(i, -1.4);
    for (int s = 0; s < 500; s++) {
        double quota = (double)m * pow(s + 1, -1.4) / z, whole = floor(quota);
        sum += counts[s];
        cr_assert(counts[s] == whole || counts[s] == whole + 1, "subtask %d: %lu for quota %g", s,
                  (unsigned long)counts[s], quota);
        if (counts[s] > whole)
            min_up = fmin(min_up, quota - whole);
        else
            max_down = fmax(max_down, quota - whole);
    }
    cr_assert_eq(sum, m);
    cr_assert_geq(min_up, max_down - 1e-9);
    zs_parity_batch b = make_batch(&t, m);
    fill(&t, (zs_parity_stream){.kind = ZS_PARITY_TEST, .size = m}, 0, &b, 2);
    for (uint64_t r = 0; r < m; r++) {
        seen[b.subtask[r]]++;
        if (r) cr_assert_leq(b.subtask[r - 1], b.subtask[r], "test set not grouped by id");
    }
    cr_assert_eq(memcmp(seen, counts, sizeof counts), 0);
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

Test(parity_test_set, eval_holds_only_its_subtask) {
    zs_parity_task t = make_task(500, 100, 3, 1.4, 8);
    zs_parity_batch b = make_batch(&t, 1000);
    for (uint32_t s = 0; s < 500; s += 123) {
        fill(&t, (zs_parity_stream){.kind = ZS_PARITY_EVAL, .subtask = s}, 0, &b, 2);
        for (uint64_t r = 0; r < 1000; r++) cr_assert_eq(b.subtask[r], s);
        check_labels(&t, &b);
    }
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

/* ---- determinism ----------------------------------------------------------------- */

static const zs_parity_stream all_streams[] = {
    {.kind = ZS_PARITY_ONLINE, .step = 5},
    {.kind = ZS_PARITY_TRAIN},
    {.kind = ZS_PARITY_TEST, .size = 1000},
    {.kind = ZS_PARITY_EVAL, .subtask = 3},
};

/* Threads 1, 2 and 4, and one row at a time in reverse order, give the same bytes; so
 * does a second task built from the same seed. */
Test(parity_determinism, any_thread_count_or_fill_order) {
    const uint64_t n = 1000;
    zs_parity_task t = make_task(500, 100, 3, 1.4, 77), u = make_task(500, 100, 3, 1.4, 77);
    zs_parity_batch one = make_batch(&t, n), other = make_batch(&t, n);
    for (int i = 0; i < 4; i++) {
        fill(&t, all_streams[i], 0, &one, 1);
        const int threads[] = {2, 4};
        for (int j = 0; j < 2; j++) {
            memset(other.bits, 0, n * 2 * sizeof *other.bits);
            fill(&t, all_streams[i], 0, &other, threads[j]);
            cr_assert(same_batch(&one, &other), "%s stream, %d threads",
                      zs_parity_stream_name(all_streams[i].kind), threads[j]);
        }
        memset(other.label, 7, n);
        for (uint64_t r = n; r-- > 0;) {
            zs_parity_batch row = zs_parity_batch_rows(&other, r, 1);
            fill(&t, all_streams[i], r, &row, 1);
        }
        cr_assert(same_batch(&one, &other), "%s stream, reverse order",
                  zs_parity_stream_name(all_streams[i].kind));
        fill(&u, all_streams[i], 0, &other, 2);
        cr_assert(same_batch(&one, &other), "%s stream, same seed",
                  zs_parity_stream_name(all_streams[i].kind));
    }
    zs_parity_batch_free(&one), zs_parity_batch_free(&other);
    zs_parity_free(&t), zs_parity_free(&u);
}

/* A smaller train set is a prefix of a larger one; a smaller online batch a prefix of a
 * larger one of the same step; a smaller test set shares each subtask's first examples. */
Test(parity_determinism, smaller_sets_are_prefixes) {
    zs_parity_task t = make_task(50, 20, 3, 1.4, 6);
    zs_parity_batch big = make_batch(&t, 1000), small = make_batch(&t, 300);
    zs_parity_stream streams[] = {{.kind = ZS_PARITY_TRAIN}, {.kind = ZS_PARITY_ONLINE, .step = 9}};
    for (int i = 0; i < 2; i++) {
        fill(&t, streams[i], 0, &big, 2);
        fill(&t, streams[i], 0, &small, 1);
        zs_parity_batch head = zs_parity_batch_rows(&big, 0, 300);
        cr_assert(same_batch(&head, &small), "%s", zs_parity_stream_name(streams[i].kind));
    }
    fill(&t, (zs_parity_stream){.kind = ZS_PARITY_TEST, .size = 1000}, 0, &big, 2);
    fill(&t, (zs_parity_stream){.kind = ZS_PARITY_TEST, .size = 300}, 0, &small, 2);
    zs_parity_batch first_big = zs_parity_batch_rows(&big, 0, 50);
    zs_parity_batch first_small = zs_parity_batch_rows(&small, 0, 50);
    cr_assert(same_batch(&first_big, &first_small), "subtask 0's test examples differ");
    zs_parity_batch_free(&big), zs_parity_batch_free(&small);
    zs_parity_free(&t);
}

/* Streams are independent: between any two (and between two online steps) the same rows
 * agree on about half their task bits. 2000 rows x 100 bits: agreement ~ Binomial(2e5, 1/2),
 * sd 224; allow 5 sd. */
Test(parity_determinism, streams_independent) {
    const uint64_t n = 2000;
    zs_parity_task t = make_task(500, 100, 3, 0, 12);
    zs_parity_stream streams[5] = {
        {.kind = ZS_PARITY_ONLINE, .step = 0},
        {.kind = ZS_PARITY_ONLINE, .step = 1},
        {.kind = ZS_PARITY_TRAIN},
        {.kind = ZS_PARITY_TEST, .size = n},
        {.kind = ZS_PARITY_EVAL, .subtask = 0},
    };
    zs_parity_batch b[5];
    for (int i = 0; i < 5; i++) {
        b[i] = make_batch(&t, n);
        fill(&t, streams[i], 0, &b[i], 2);
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++) {
            long agree = 0;
            for (uint64_t w = 0; w < n * 2; w++)
                agree += __builtin_popcountll(~(b[i].bits[w] ^ b[j].bits[w]) &
                                              (w % 2 ? (1ULL << 36) - 1 : ~0ULL));
            cr_assert_lt(fabs(agree - n * 50.0), 5 * 223.6, "streams %d and %d agree on %ld bits",
                         i, j, agree);
        }
    for (int i = 0; i < 5; i++) zs_parity_batch_free(&b[i]);
    zs_parity_free(&t);
}

/* ---- fill errors: one test each ---------------------------------------------------- */

static void expect_fill_error(zs_parity_stream stream, uint64_t first, uint64_t rows,
                              const char *needle) {
    zs_parity_task t = make_task(5, 10, 2, 1.4, 1);
    zs_parity_batch b = make_batch(&t, rows);
    zs_error err;
    cr_assert_eq(zs_parity_fill(&t, &stream, first, &b, 1, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, needle), "message: %s", err.msg);
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
}

Test(parity_fill_errors, test_rows_beyond_size) {
    expect_fill_error((zs_parity_stream){.kind = ZS_PARITY_TEST, .size = 100}, 90, 20,
                      "parity fill: test examples 90..109 requested, expected indices below "
                      "the test set's size 100");
}

Test(parity_fill_errors, eval_subtask_out_of_range) {
    expect_fill_error((zs_parity_stream){.kind = ZS_PARITY_EVAL, .subtask = 5}, 0, 10,
                      "parity fill: eval subtask 5, expected an id below n_tasks (5)");
}

Test(parity_fill_errors, unknown_stream_kind) {
    expect_fill_error((zs_parity_stream){.kind = (zs_parity_stream_kind)9}, 0, 10,
                      "parity fill: stream kind 9, expected online, train, test or eval");
}

Test(parity_fill_errors, batch_of_another_task) {
    zs_parity_task t = make_task(5, 10, 2, 1.4, 1), wide = make_task(5, 100, 2, 1.4, 1);
    zs_parity_batch b = make_batch(&t, 4);
    zs_error err;
    zs_parity_stream s = {.kind = ZS_PARITY_TRAIN};
    cr_assert_eq(zs_parity_fill(&wide, &s, 0, &b, 1, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "the batch holds 1 words per example, the task needs 2"), "%s",
              err.msg);
    zs_parity_batch_free(&b);
    zs_parity_free(&t), zs_parity_free(&wide);
}

Test(parity_fill_errors, batch_too_large_for_memory) {
    zs_parity_task t = make_task(5, 100, 2, 1.4, 1);
    zs_parity_batch b;
    zs_error err;
    cr_assert_eq(zs_parity_batch_init(&b, &t, UINT64_MAX / 4, &err), ZS_ERR_NOMEM);
    cr_assert(strstr(err.msg, "parity batch: 4611686018427387903 examples of 2 words each exceed "
                              "the address space"),
              "%s", err.msg);
    zs_parity_free(&t);
}

/* ---- the command ------------------------------------------------------------------ */

/* The last `bytes` bytes of a file: an .npy array's payload. */
static uint8_t *npy_payload(const char *path, size_t bytes) {
    size_t len;
    char *data = zs_test_slurp(path, &len);
    cr_assert(data && len >= bytes, "%s: %zu bytes, payload %zu", path, len, bytes);
    uint8_t *payload = malloc(bytes + 1);
    memcpy(payload, data + len - bytes, bytes);
    free(data);
    return payload;
}

/* data.npy opens as a 2-D byte token file whose sidecar records the spec and the subsets. */
static void check_token_file(const char *path, const zs_parity_task *t, uint64_t examples) {
    zs_tokens tokens;
    zs_error err;
    cr_assert_eq(zs_tokens_open(&tokens, path, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert(tokens.ndim == 2 && tokens.shape[0] == examples &&
              tokens.shape[1] == zs_parity_packed_bytes(t));
    cr_assert(tokens.has_sidecar && tokens.sidecar.has_seed);
    cr_assert_eq(tokens.sidecar.seed, t->spec.seed);
    cr_assert_str_eq(tokens.sidecar.generator, "parity");
    json_t *params = json_loads(tokens.sidecar.params_json, 0, NULL);
    cr_assert(params, "params: %s", tokens.sidecar.params_json);
    cr_assert_eq(json_integer_value(json_object_get(params, "n_tasks")), t->spec.n_tasks);
    cr_assert_eq(json_integer_value(json_object_get(params, "n_bits")), t->spec.n_bits);
    cr_assert_eq(json_real_value(json_object_get(params, "zipf_exponent")), t->spec.zipf_exponent);
    json_t *subsets = json_object_get(params, "subsets");
    cr_assert_eq(json_array_size(subsets), t->spec.n_tasks);
    for (uint64_t s = 0; s < t->spec.n_tasks; s++) {
        json_t *subset = json_array_get(subsets, s);
        cr_assert_eq(json_array_size(subset), t->spec.k);
        for (uint64_t i = 0; i < t->spec.k; i++)
            cr_assert_eq(json_integer_value(json_array_get(subset, i)),
                         t->subsets[s * t->spec.k + i], "S_%lu", (unsigned long)s);
    }
    json_decref(params);
    zs_tokens_close(&tokens);
}

/* The files hold exactly what the library makes from the same spec: packed inputs, labels
 * and subtask ids of the train stream; the summary counts them. */
Test(parity_cli, train_set_matches_library) {
    const char *out = zs_test_path("train.npy");
    zs_run r = zs_test_cli("parity sample --tasks 50 --bits 30 --k 4 --zipf-exponent 1.2 "
                           "--seed 5 --train-size 3000 -o '%s'",
                           out);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "3000 train examples of 80 input bits (10 bytes each)"), "%s", r.out);
    zs_parity_task t = make_task(50, 30, 4, 1.2, 5);
    zs_parity_batch b = make_batch(&t, 3000);
    fill(&t, (zs_parity_stream){.kind = ZS_PARITY_TRAIN}, 0, &b, 1);
    uint8_t *packed = malloc(3000 * 10);
    zs_parity_pack_batch(&t, &b, packed, 1);
    uint8_t *file = npy_payload(out, 3000 * 10);
    cr_assert_eq(memcmp(file, packed, 3000 * 10), 0, "packed inputs differ");
    free(file);
    file = npy_payload(zs_test_path("train.labels.npy"), 3000);
    cr_assert_eq(memcmp(file, b.label, 3000), 0, "labels differ");
    free(file);
    file = npy_payload(zs_test_path("train.subtasks.npy"), 3000 * 4);
    cr_assert_eq(memcmp(file, b.subtask, 3000 * 4), 0, "subtask ids differ");
    free(file);
    uint64_t positive = 0, present = 0;
    int seen[50] = {0};
    for (int r_ = 0; r_ < 3000; r_++) {
        positive += b.label[r_];
        present += !seen[b.subtask[r_]];
        seen[b.subtask[r_]] = 1;
    }
    char line[128];
    snprintf(line, sizeof line, "subtasks present: %lu of 50; positive labels: %.2f%%",
             (unsigned long)present, 100.0 * (double)positive / 3000);
    cr_assert(strstr(r.out, line), "expected '%s' in: %s", line, r.out);
    free(packed);
    check_token_file(out, &t, 3000);
    zs_parity_batch_free(&b);
    zs_parity_free(&t);
    zs_run_free(&r);
}

Test(parity_cli, same_bytes_for_any_thread_count) {
    const char *args = "parity sample --seed 3 --test-size 4000";
    zs_run r = zs_test_cli("%s --threads 1 -o '%s'", args, zs_test_path("one.npy"));
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("%s --threads 3 -o '%s'", args, zs_test_path("three.npy"));
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    zs_run_free(&r);
    const char *suffixes[] = {".npy", ".labels.npy", ".subtasks.npy"};
    for (int i = 0; i < 3; i++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "one%s", suffixes[i]);
        snprintf(b, sizeof b, "three%s", suffixes[i]);
        r = zs_test_sh("cmp '%s' '%s'", zs_test_path(a), zs_test_path(b));
        cr_assert_eq(r.exit_code, 0, "%s differs between 1 and 3 threads", suffixes[i]);
        zs_run_free(&r);
    }
}

Test(parity_cli, json_summary) {
    zs_run r = zs_test_cli("parity sample --tasks 10 --bits 12 --k 2 --per-subtask 40 --json "
                           "-o '%s'",
                           zs_test_path("eval.npy"));
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    cr_assert(j, "not JSON: %s", r.out);
    cr_assert_str_eq(json_string_value(json_object_get(j, "stream")), "eval");
    cr_assert_eq(json_integer_value(json_object_get(j, "examples")), 400);
    cr_assert_eq(json_integer_value(json_object_get(j, "subtasks_present")), 10);
    cr_assert_eq(json_integer_value(json_object_get(j, "input_bits")), 22);
    cr_assert_eq(json_integer_value(json_object_get(j, "bytes_per_example")), 3);
    json_decref(j);
    zs_run_free(&r);
}

static void expect_cli_usage_error(const char *args, const char *needle) {
    zs_run r = zs_test_cli("parity sample %s", args);
    cr_assert_eq(r.exit_code, 2, "'%s': exit %d, stderr: %s", args, r.exit_code, r.err);
    cr_assert(strstr(r.err, needle), "'%s': stderr: %s", args, r.err);
    zs_run_free(&r);
}

Test(parity_cli, no_size) {
    expect_cli_usage_error("-o x.npy",
                           "expected exactly one of --train-size, --test-size, --per-subtask");
}

Test(parity_cli, two_sizes) {
    expect_cli_usage_error("--train-size 10 --test-size 10 -o x.npy",
                           "expected exactly one of --train-size, --test-size, --per-subtask");
}

Test(parity_cli, zero_size) {
    expect_cli_usage_error("--test-size 0 -o x.npy", "--test-size 0: expected at least 1 example");
}

Test(parity_cli, output_not_npy) {
    expect_cli_usage_error("--train-size 10 -o x.bin", "-o FILE.npy is required");
}

Test(parity_cli, output_missing) {
    expect_cli_usage_error("--train-size 10", "-o FILE.npy is required");
}

Test(parity_cli, spec_error_exits_2) {
    expect_cli_usage_error("--bits 4 --k 5 --train-size 10 -o x.npy",
                           "zipscale: parity spec: k = 5, expected 1 <= k <= n_bits (4)");
}

Test(parity_cli, too_many_per_subtask_examples) {
    expect_cli_usage_error("--per-subtask 1e18 -o x.npy",
                           "--per-subtask 1000000000000000000: too many examples");
}

Test(parity_cli, missing_directory_fails_with_path) {
    zs_run r =
        zs_test_cli("parity sample --train-size 100 -o '%s/missing/x.npy'", zs_test_tmpdir());
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale: ") && strstr(r.err, "missing/x.labels.npy"), "stderr: %s",
              r.err);
    zs_run_free(&r);
}

/* The packed file cannot be renamed into place (a directory has its name): exit 1, and
 * neither the labels and subtask ids written before it nor any temporary file remain. */
Test(parity_cli, failed_write_leaves_nothing) {
    const char *dir = zs_test_path("blocked");
    zs_run r = zs_test_sh("mkdir -p '%s/blocked.npy'", dir);
    zs_run_free(&r);
    r = zs_test_cli("parity sample --train-size 100 -o '%s/blocked.npy'", dir);
    cr_assert_eq(r.exit_code, 1, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "blocked.npy"), "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_sh("ls -A '%s'", dir);
    cr_assert_str_eq(r.out, "blocked.npy\n", "left behind: %s", r.out);
    zs_run_free(&r);
}

/* numpy reads the files and recomputes everything from the sidecar alone: the one-hot
 * control code equals the subtask ids, padding bits are zero, the labels are the parity
 * of the task bits in each subset, and a test set has the largest-remainder counts. */
static const char *const numpy_check =
    "import json, sys\n"
    "import numpy as np\n"
    "def check(path):\n"
    "  meta = json.load(open(path + '.json'))\n"
    "  p = meta['params']\n"
    "  if meta['generator'] != 'parity': raise SystemExit(meta['generator'])\n"
    "  T, N = p['n_tasks'], p['n_bits']\n"
    "  stem = path[:-len('.npy')]\n"
    "  data = np.load(path)\n"
    "  labels = np.load(stem + '.labels.npy')\n"
    "  subtasks = np.load(stem + '.subtasks.npy')\n"
    "  if data.dtype != np.uint8 or data.shape != (p['examples'], (T + N + 7) // 8):\n"
    "    raise SystemExit(f'{data.dtype} {data.shape}')\n"
    "  x = np.unpackbits(data, axis=1)\n"
    "  if x[:, T + N:].any(): raise SystemExit('padding bits set')\n"
    "  control, bits = x[:, :T], x[:, T:T + N]\n"
    "  if not (control.sum(axis=1) == 1).all(): raise SystemExit('control code not one-hot')\n"
    "  if not (control.argmax(axis=1) == subtasks).all():\n"
    "    raise SystemExit('control code != subtask ids')\n"
    "  S = np.array(p['subsets'])\n"
    "  if S.shape != (T, p['k']): raise SystemExit(f'subsets of shape {S.shape}')\n"
    "  if len({tuple(s) for s in S.tolist()}) != T: raise SystemExit('subsets not distinct')\n"
    "  rows = np.arange(len(subtasks))[:, None]\n"
    "  expected = bits[rows, S[subtasks]].sum(axis=1) % 2\n"
    "  if not (expected == labels).all(): raise SystemExit('labels != parity of the subset bits')\n"
    "  if p['stream'] == 'test':\n"
    "      w = np.arange(1, T + 1, dtype=float) ** -p['zipf_exponent']\n"
    "      quota = w / w.sum() * len(labels)\n"
    "      counts = np.floor(quota).astype(int)\n"
    "      order = sorted(range(T), key=lambda s: (-(quota[s] - counts[s]), s))\n"
    "      counts[order[:len(labels) - counts.sum()]] += 1\n"
    "      if not (np.bincount(subtasks, minlength=T) == counts).all():\n"
    "          raise SystemExit('test proportions')\n"
    "  if p['stream'] == 'eval':\n"
    "      if not (subtasks == np.repeat(np.arange(T), p['per_subtask'])).all():\n"
    "          raise SystemExit('eval subtasks not in blocks of per_subtask')\n"
    "  print('ok', len(labels), labels.mean())\n"
    "for path in sys.argv[1:]:\n"
    "  check(path)\n";

/* One python run checks the three streams' files (numpy's import dominates the time). */
Test(parity_cli, numpy_cross_check_every_stream) {
    const char *py = zs_test_python("numpy");
    const char *script = zs_test_path("parity_check.py");
    cr_assert_eq(zs_test_write(script, numpy_check, strlen(numpy_check)), 0);
    const char *const runs[3][2] = {
        {"--seed 11 --train-size 5000", "py_train.npy"},
        {"--seed 12 --test-size 4321", "py_test.npy"},
        {"--tasks 37 --bits 70 --k 5 --zipf-exponent 0 --seed 13 --per-subtask 25", "py_eval.npy"},
    };
    char paths[3][512];
    for (int i = 0; i < 3; i++) {
        snprintf(paths[i], sizeof paths[i], "%s", zs_test_path(runs[i][1]));
        zs_run r = zs_test_cli("parity sample %s -o '%s'", runs[i][0], paths[i]);
        cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
        zs_run_free(&r);
    }
    zs_run r = zs_test_sh("'%s' '%s' '%s' '%s' '%s'", py, script, paths[0], paths[1], paths[2]);
    cr_assert_eq(r.exit_code, 0, "numpy check failed: %s%s", r.out, r.err);
    cr_assert(strstr(r.out, "ok 5000 ") && strstr(r.out, "ok 4321 ") && strstr(r.out, "ok 925 "),
              "%s", r.out);
    zs_run_free(&r);
}

/* The error contract: free accepts NULL and a zeroed struct, and leaves the struct zeroed. */
Test(contract, parity_free_accepts_null_and_zeroes) {
    zs_parity_free(NULL);
    zs_parity_batch_free(NULL);
    zs_parity_task task = {0};
    zs_parity_free(&task);
    zs_parity_spec spec = {.n_tasks = 3, .n_bits = 8, .k = 2, .zipf_exponent = 1.4, .seed = 1};
    zs_error err;
    cr_assert_eq(zs_parity_init(&task, &spec, &err), ZS_OK, "%s", err.msg);
    zs_parity_batch batch;
    cr_assert_eq(zs_parity_batch_init(&batch, &task, 4, &err), ZS_OK, "%s", err.msg);
    zs_parity_batch_free(&batch);
    cr_assert_eq(batch.words_per_example, 0);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
    cr_assert_eq(task.spec.n_tasks, 0);
    zs_parity_free(&task);
}
