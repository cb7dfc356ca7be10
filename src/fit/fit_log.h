/* A natural logarithm the compiler can vectorise: the fit's objective takes one log per
 * point per evaluation, and glibc's log is an opaque call that keeps the loop over points
 * scalar. Branch-free, integer and double arithmetic only, so a loop of it vectorises at
 * any width and gives the same bits scalar or vector, on any x86-64 (the build has no FMA
 * contraction). Within 1 ulp of the exact log on normal positive x (tests/test_fit_log.c
 * checks it against glibc's log); garbage, but no trap, on 0, subnormals, inf and NaN,
 * which the objective sends down its own path. docs/fitting.md, "Speed". */
#ifndef ZS_FIT_LOG_H
#define ZS_FIT_LOG_H

#include <stdint.h>
#include <string.h>

/* x = 2^k m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), z = f / (2 + f), so that
 * log m = log((1 + z) / (1 - z)) = 2 atanh z = 2z + z R(z^2) with the series
 * R(w) = sum_{j>=1} 2 w^j / (2j + 1); |z| <= 0.1716, w <= 0.0295, and the ten terms kept
 * leave a truncation below 1e-17 relative. 2z is rewritten as f - hfsq + z hfsq
 * (hfsq = f^2 / 2), the form of Sun's fdlibm e_log.c, so the large terms are exact and
 * the rounding falls on the small correction. k ln 2 is split into a high part with
 * trailing zeros (k ln2_hi is exact for |k| < 2^11) and a low part. */
static inline double zs_fit_log(double x) {
    const uint64_t sqrt_half = 0x3fe6a09e667f3bcdULL; /* the bits of sqrt(1/2) */
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t t = bits - sqrt_half;
    /* k = floor(log2(x / sqrt(1/2))): the exponent field of t, sign-extended. */
    int32_t k = (int32_t)((int64_t)t >> 52);
    uint64_t m_bits = (t & 0x000fffffffffffffULL) + sqrt_half;
    double m;
    memcpy(&m, &m_bits, sizeof m);
    const double f = m - 1.0;
    const double z = f / (2.0 + f), w = z * z;
    const double r =
        w * (2.0 / 3 +
             w * (2.0 / 5 +
                  w * (2.0 / 7 +
                       w * (2.0 / 9 +
                            w * (2.0 / 11 +
                                 w * (2.0 / 13 +
                                      w * (2.0 / 15 +
                                           w * (2.0 / 17 + w * (2.0 / 19 + w * (2.0 / 21))))))))));
    const double hfsq = 0.5 * f * f;
    const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
    const double ln2_lo = 1.90821492927058770002e-10; /* ln 2 - ln2_hi */
    const double dk = (double)k;
    return dk * ln2_hi - ((hfsq - (z * (hfsq + r) + dk * ln2_lo)) - f);
}

#endif
