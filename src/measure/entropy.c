/* Unigram entropy of a whole token stream (or byte stream), in bits per symbol: the
 * zeroth-order baseline beside gzip, blind to any order in the data. Ids below 65536 (most
 * vocabularies) are counted in a plain array, larger ones in an open-addressing table
 * (they may be sparse and up to 2^31); bytes in a plain array. */
#include <math.h>
#include <stdlib.h>

#include "zipscale/measure.h"

enum { READ_CHUNK_TOKENS = 1 << 16, DENSE_IDS = 1 << 16 };

/* Keys are stored as id + 1 so that 0 marks an empty slot. */
typedef struct {
    uint64_t *keys;
    uint64_t *counts;
    uint64_t capacity; /* a power of two */
    uint64_t used;
} counter;

static uint64_t slot_of(uint64_t key, uint64_t capacity) {
    return (key * 0x9E3779B97F4A7C15ull) >> 17 & (capacity - 1);
}

static zs_status counter_init(counter *c, uint64_t capacity, zs_error *err) {
    c->capacity = capacity;
    c->used = 0;
    c->keys = zs_calloc(capacity, sizeof *c->keys, "token counts", err);
    c->counts = zs_calloc(capacity, sizeof *c->counts, "token counts", err);
    if (!c->keys || !c->counts) {
        free(c->keys);
        free(c->counts);
        c->keys = c->counts = NULL;
        return ZS_ERR_NOMEM;
    }
    return ZS_OK;
}

static void counter_free(counter *c) {
    free(c->keys);
    free(c->counts);
}

static void counter_put(counter *c, uint64_t key, uint64_t count) {
    uint64_t i = slot_of(key, c->capacity);
    while (c->keys[i] && c->keys[i] != key) i = (i + 1) & (c->capacity - 1);
    if (!c->keys[i]) {
        c->keys[i] = key;
        c->used++;
    }
    c->counts[i] += count;
}

/* Doubles the table once it is half full. */
static zs_status counter_add(counter *c, uint32_t id, zs_error *err) {
    if (2 * (c->used + 1) > c->capacity) {
        counter bigger;
        zs_status s = counter_init(&bigger, 2 * c->capacity, err);
        if (s) return s;
        for (uint64_t i = 0; i < c->capacity; i++)
            if (c->keys[i]) counter_put(&bigger, c->keys[i], c->counts[i]);
        counter_free(c);
        *c = bigger;
    }
    counter_put(c, (uint64_t)id + 1, 1);
    return ZS_OK;
}

static double entropy_of_counts(const uint64_t *counts, uint64_t n_slots, uint64_t total) {
    double bits = 0;
    for (uint64_t i = 0; i < n_slots; i++) {
        if (!counts[i]) continue;
        double p = (double)counts[i] / (double)total;
        bits -= p * log2(p);
    }
    return bits;
}

static uint64_t nonzero(const uint64_t *counts, uint64_t n) {
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; i++) k += counts[i] != 0;
    return k;
}

/* Counts one chunk: small ids in dense, the rest in sparse; rejects ids beyond int32. */
static zs_status count_chunk(const uint32_t *ids, uint64_t count, uint64_t first_token,
                             const char *name, uint64_t *dense, counter *sparse, zs_error *err) {
    for (uint64_t i = 0; i < count; i++) {
        uint32_t id = ids[i];
        if (id < DENSE_IDS) {
            dense[id]++;
            continue;
        }
        if (id > ZS_GZIP_MAX_ID)
            return zs_fail(err, ZS_ERR_RANGE,
                           "%s: token %llu: id %u does not fit the signed 4-byte layout of "
                           "[GZ] (expected an id <= %u)",
                           name, (unsigned long long)(first_token + i), id, ZS_GZIP_MAX_ID);
        zs_status s = counter_add(sparse, id, err);
        if (s) return s;
    }
    return ZS_OK;
}

zs_status zs_measure_entropy_tokens(const zs_token_source *src, double *bits_per_token,
                                    uint64_t *distinct_tokens, zs_error *err) {
    const char *name = src->name ? src->name : "tokens";
    if (src->n_tokens == 0)
        return zs_fail(err, ZS_ERR_FORMAT, "%s: no tokens: expected at least one", name);
    uint32_t *chunk = zs_alloc(READ_CHUNK_TOKENS * sizeof *chunk, "token chunk", err);
    uint64_t *dense = zs_calloc(DENSE_IDS, sizeof *dense, "token counts", err);
    counter sparse = {0};
    zs_status s = chunk && dense ? counter_init(&sparse, 1024, err) : ZS_ERR_NOMEM;
    for (uint64_t start = 0; !s && start < src->n_tokens; start += READ_CHUNK_TOKENS) {
        uint64_t count = src->n_tokens - start;
        if (count > READ_CHUNK_TOKENS) count = READ_CHUNK_TOKENS;
        s = src->read(src->ctx, start, count, chunk, err);
        if (!s) s = count_chunk(chunk, count, start, name, dense, &sparse, err);
    }
    if (!s) {
        *bits_per_token = entropy_of_counts(dense, DENSE_IDS, src->n_tokens) +
                          entropy_of_counts(sparse.counts, sparse.capacity, src->n_tokens);
        *distinct_tokens = nonzero(dense, DENSE_IDS) + sparse.used;
    }
    free(chunk);
    free(dense);
    counter_free(&sparse);
    return s;
}

zs_status zs_measure_entropy_bytes(const void *data, uint64_t bytes, double *bits_per_byte,
                                   uint64_t *distinct_bytes, zs_error *err) {
    if (bytes == 0)
        return zs_fail(err, ZS_ERR_FORMAT, "entropy of 0 bytes: expected at least one byte");
    uint64_t counts[256] = {0};
    const uint8_t *p = data;
    for (uint64_t i = 0; i < bytes; i++) counts[p[i]]++;
    *bits_per_byte = entropy_of_counts(counts, 256, bytes);
    *distinct_bytes = nonzero(counts, 256);
    return ZS_OK;
}
