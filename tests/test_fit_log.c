/* Tests for the fit's vectorisable logarithm (src/fit/fit_log.h) against long double logl
 * (the x87 80-bit log, 11 more bits than a double and another implementation than glibc's
 * double log): within 1 ulp over the whole normal range, exact where the log is exact. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>

#include "fit/fit_log.h"
#include "zipscale/core.h"

/* |got - log x| in ulps of the double nearest log x. */
static double ulps(double x, double got) {
    long double want = logl((long double)x);
    double w = (double)want;
    if (w == 0) return got == 0 ? 0 : INFINITY;
    double ulp = nextafter(fabs(w), INFINITY) - fabs(w);
    return (double)fabsl((long double)got - want) / ulp;
}

Test(fit_log, within_one_ulp_of_logl) {
    zs_rng rng;
    zs_rng_seed(&rng, 7, zs_rng_tag("test.fit_log"));
    double worst = 0, worst_x = 0;
    for (int i = 0; i < 2000000; i++) {
        /* Alternately: anywhere in the normal range (exponent uniform), and near 1 and the
         * reduction's seam at sqrt(2), where the series works hardest. */
        double x = i % 2
                       ? ldexp(1 + zs_rng_uniform(&rng), (int)(zs_rng_uniform(&rng) * 2044) - 1022)
                       : (i % 4 ? M_SQRT2 : 1.0) * (1 + 0.02 * (zs_rng_uniform(&rng) - 0.5));
        double e = ulps(x, zs_fit_log(x));
        if (e > worst) worst = e, worst_x = x;
    }
    cr_assert_leq(worst, 1.0, "worst %.3f ulp at x = %.17g", worst, worst_x);
}

Test(fit_log, exact_cases_and_range_ends) {
    cr_assert_eq(zs_fit_log(1.0), 0.0);
    for (int k = -1022; k <= 1023; k += 7)
        cr_assert_leq(ulps(ldexp(1, k), zs_fit_log(ldexp(1, k))), 0.5, "2^%d", k);
    const double ends[] = {
        DBL_MIN, DBL_MAX, M_SQRT2, M_SQRT1_2, nextafter(M_SQRT2, 0), nextafter(M_SQRT1_2, 2),
        1e-250,  1e250};
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
        cr_assert_leq(ulps(ends[i], zs_fit_log(ends[i])), 1.0, "x = %.17g: %.17g", ends[i],
                      zs_fit_log(ends[i]));
}
