/* Deterministic random streams: xoshiro256** (Blackman & Vigna) seeded by splitmix64
 * from a (seed, stream) pair, so every item of a parallel job owns a reproducible stream. */
#include "zipscale/core.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t zs_rng_mix(uint64_t a, uint64_t b) {
    uint64_t x = a;
    uint64_t h = splitmix64(&x);
    x = h ^ b;
    return splitmix64(&x);
}

void zs_rng_seed(zs_rng *rng, uint64_t seed, uint64_t stream) {
    uint64_t x = zs_rng_mix(seed, stream);
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
    /* xoshiro's only bad state is all zeros; splitmix64 output makes it practically
     * impossible, but keep the invariant explicit. */
    if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3])) rng->s[0] = 1;
}

uint64_t zs_rng_u64(zs_rng *rng) {
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t zs_rng_below(zs_rng *rng, uint64_t n) {
    /* Lemire, "Fast Random Integer Generation in an Interval" (2019). */
    unsigned __int128 m = (unsigned __int128)zs_rng_u64(rng) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)zs_rng_u64(rng) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double zs_rng_uniform(zs_rng *rng) {
    return (double)(zs_rng_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t zs_rng_tag(const char *label) {
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}
