/* Sums of k^-s: the Hurwitz zeta function zeta(s, q) and finite power sums
 * sum_{k=first}^{last} k^-s, each as a few terms summed directly plus the Euler-Maclaurin
 * formula for the rest (docs/quanta.md, "Numerics"). The quanta theory's normalisers and
 * tails rest on them. */
#include <math.h>

#include "quanta/theory_internal.h"
#include "zipscale/quanta_theory.h"

/* B_2j / (2j)! for j = 1..15. */
static const double BERNOULLI_OVER_FACTORIAL[] = {
    8.3333333333333333333e-2,  -1.3888888888888888889e-3,  3.3068783068783068783e-5,
    -8.2671957671957671958e-7, 2.0876756987868098979e-8,   -5.2841901386874931848e-10,
    1.3382536530684678833e-11, -3.3896802963225828668e-13, 8.5860620562778445641e-15,
    -2.174868698558061873e-16, 5.5090028283602295152e-18,  -1.3954464685812523341e-19,
    3.5347070396294674717e-21, -8.9535174270375468504e-23, 2.2679524523376830603e-24,
};
enum { N_BERNOULLI = sizeof BERNOULLI_OVER_FACTORIAL / sizeof BERNOULLI_OVER_FACTORIAL[0] };

/* Terms below this fraction of the running sum are dropped (2^-60, under 1e-18). */
#define NEGLIGIBLE 0x1p-60
/* A finite sum with fewer terms than this is summed directly. */
#define DIRECT_TERMS 64

/* The Euler-Maclaurin formula starts at k = a >= max(DIRECT_FROM, 2 s): there its
 * corrections shrink by about ((s + 2j)/(2 pi a))^2 a term, below 0.03 for s <= 10, so the
 * fifteen Bernoulli terms reach double precision with room to spare. */
#define DIRECT_FROM 32.0

/* Neumaier's compensated sum. */
typedef struct {
    double sum, carry;
} ksum;

static void ksum_add(ksum *k, double x) {
    double t = k->sum + x;
    if (fabs(k->sum) >= fabs(x))
        k->carry += (k->sum - t) + x;
    else
        k->carry += (x - t) + k->sum;
    k->sum = t;
}

static double ksum_value(const ksum *k) {
    return k->sum + k->carry;
}

/* expm1(x)/x, 1 at 0. */
static double expm1_over(double x) {
    return x == 0 ? 1 : expm1(x) / x;
}

double zs_quanta__power_integral(double s, double a, double span) {
    if (isinf(span)) return pow(a, 1 - s) / (s - 1);
    return pow(a, 1 - s) * span * expm1_over((1 - s) * span);
}

/* sum_j B_2j/(2j)! (s)_{2j-1} (a^{-s-2j+1} - b^{-s-2j+1}), b = a e^span (INFINITY: b = inf):
 * the Euler-Maclaurin corrections to integral + (f(a) + f(b))/2 for f(x) = x^-s. Stops when a
 * term falls below NEGLIGIBLE times scale. */
static double em_corrections(double s, double a, double span, double scale) {
    ksum total = {0, 0};
    double rising = s;               /* (s)_{2j-1} = s (s+1) ... (s+2j-2) */
    double a_power = pow(a, -s - 1); /* a^{-s-2j+1} */
    for (int j = 1; j <= N_BERNOULLI && rising != 0; j++) {
        double order = s + 2 * j - 1;
        /* a^-order - b^-order = a^-order (1 - e^{-order span}) */
        double difference = isinf(span) ? a_power : -a_power * expm1(-order * span);
        double term = BERNOULLI_OVER_FACTORIAL[j - 1] * rising * difference;
        ksum_add(&total, term);
        if (fabs(term) <= NEGLIGIBLE * fabs(scale)) break;
        rising *= order * (order + 1);
        a_power /= a * a;
    }
    return ksum_value(&total);
}

double zs_hurwitz_zeta(double s, double q) {
    if (!(isfinite(s) && s > 1 && isfinite(q) && q > 0)) return NAN;
    const double from = fmax(DIRECT_FROM, 2 * s);
    ksum sum = {0, 0};
    double k = 0;
    for (; q + k < from; k++) {
        double term = pow(q + k, -s);
        ksum_add(&sum, term);
        /* The terms fall at least geometrically from here (ratio <= e^-1/2 below 2s), so
         * what is left is below a few such terms. */
        if (term <= NEGLIGIBLE * sum.sum) return ksum_value(&sum);
    }
    double a = q + k;
    double head = zs_quanta__power_integral(s, a, INFINITY) + pow(a, -s) / 2;
    ksum_add(&sum, em_corrections(s, a, INFINITY, head));
    ksum_add(&sum, head);
    return ksum_value(&sum);
}

double zs_power_sum(double s, uint64_t first, uint64_t last) {
    if (!(isfinite(s) && s >= 0) || first < 1) return NAN;
    if (last < first) return 0;
    ksum sum = {0, 0};
    if (last - first < DIRECT_TERMS) {
        /* Smallest terms first. */
        for (uint64_t k = last;; k--) {
            ksum_add(&sum, pow((double)k, -s));
            if (k == first) break;
        }
        return ksum_value(&sum);
    }
    const double from = fmax(DIRECT_FROM, 2 * s);
    uint64_t k = first;
    for (; (double)k < from; k++) {
        if (k > last) return ksum_value(&sum);
        double term = pow((double)k, -s);
        ksum_add(&sum, term);
        if (term <= NEGLIGIBLE * sum.sum) return ksum_value(&sum);
    }
    if (k > last) return ksum_value(&sum);
    double a = (double)k, b = (double)last;
    double span = log1p((b - a) / a);
    double head = zs_quanta__power_integral(s, a, span) + (pow(a, -s) + pow(b, -s)) / 2;
    ksum_add(&sum, em_corrections(s, a, span, head));
    ksum_add(&sum, head);
    return ksum_value(&sum);
}
