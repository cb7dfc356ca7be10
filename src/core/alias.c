/* Walker's alias method (Vose's stable construction): O(1) draws from a fixed discrete
 * distribution, used for grammar options and Zipf-distributed subtasks. One draw takes
 * one 64-bit word: the high half picks a column, the whole word's low bits the coin. */
#include "zipscale/core.h"

#include <math.h>
#include <stdlib.h>

zs_status zs_alias_init(zs_alias *t, const double *w, uint32_t n, zs_error *err) {
    t->n = 0;
    t->threshold = NULL;
    t->alias = NULL;
    if (n == 0) return zs_fail(err, ZS_ERR_RANGE, "alias table: no outcomes");
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!isfinite(w[i]) || w[i] < 0)
            return zs_fail(err, ZS_ERR_RANGE, "alias table: weight %u is %g, expected finite >= 0",
                           i, w[i]);
        sum += w[i];
    }
    if (!(sum > 0)) return zs_fail(err, ZS_ERR_RANGE, "alias table: weights sum to 0");

    double *scaled = zs_alloc(n * sizeof *scaled, "alias table", err);
    uint32_t *small = zs_alloc(n * sizeof *small, "alias table", err);
    uint32_t *large = zs_alloc(n * sizeof *large, "alias table", err);
    t->threshold = zs_alloc(n * sizeof *t->threshold, "alias table", err);
    t->alias = zs_alloc(n * sizeof *t->alias, "alias table", err);
    if (!scaled || !small || !large || !t->threshold || !t->alias) {
        free(scaled), free(small), free(large);
        zs_alias_free(t);
        return ZS_ERR_NOMEM;
    }
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        scaled[i] = w[i] / sum * n;
        if (scaled[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[nl - 1];
        t->alias[s] = l;
        t->threshold[s] = scaled[s] >= 1.0 ? UINT64_MAX : (uint64_t)ldexp(scaled[s], 64);
        scaled[l] -= 1.0 - scaled[s];
        if (scaled[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    /* Leftovers are 1 up to rounding: always accept. */
    while (nl) {
        uint32_t l = large[--nl];
        t->alias[l] = l;
        t->threshold[l] = UINT64_MAX;
    }
    while (ns) {
        uint32_t s = small[--ns];
        t->alias[s] = s;
        t->threshold[s] = UINT64_MAX;
    }
    free(scaled), free(small), free(large);
    t->n = n;
    return ZS_OK;
}

uint32_t zs_alias_draw(const zs_alias *t, zs_rng *rng) {
    uint64_t r = zs_rng_u64(rng);
    uint32_t col = (uint32_t)(((unsigned __int128)r * t->n) >> 64);
    /* The low 64 bits of r*n are again uniform given col; use them as the coin. */
    uint64_t coin = (uint64_t)((unsigned __int128)r * t->n);
    return coin < t->threshold[col] || t->threshold[col] == UINT64_MAX ? col : t->alias[col];
}

void zs_alias_free(zs_alias *t) {
    if (!t) return;
    free(t->threshold);
    free(t->alias);
    t->threshold = NULL;
    t->alias = NULL;
    t->n = 0;
}
