/* Which sequences the measure compresses: a uniform sample without replacement (a
 * partial Fisher-Yates shuffle on one seeded RNG stream), returned in ascending order.
 * Drawn before any threads start, so the sample never depends on the thread count. */
#include <stdlib.h>

#include "zipscale/measure.h"

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

zs_status zs_measure_sample_indices(uint64_t total, uint64_t sample, uint64_t seed,
                                    uint64_t **indices, uint64_t *n_indices, zs_error *err) {
    *indices = NULL;
    *n_indices = 0;
    if (total == 0) return zs_fail(err, ZS_ERR_RANGE, "sampling from 0 sequences");
    uint64_t n = sample == 0 || sample >= total ? total : sample;
    uint64_t *all = zs_alloc(total * sizeof *all, "sequence indices", err);
    if (!all) return ZS_ERR_NOMEM;
    for (uint64_t i = 0; i < total; i++) all[i] = i;
    if (n < total) {
        zs_rng rng;
        zs_rng_seed(&rng, seed, zs_rng_tag("measure.sample"));
        for (uint64_t i = 0; i < n; i++) {
            uint64_t j = i + zs_rng_below(&rng, total - i);
            uint64_t t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        qsort(all, n, sizeof *all, compare_u64);
    }
    *indices = all;
    *n_indices = n;
    return ZS_OK;
}
