/* Summary statistics of a sample (gzip ratios, bootstrap replicates): median, mean,
 * sample stdev, quartiles, extremes. The definitions match Python's statistics module and
 * numpy.quantile's default, so the numbers can be checked against the reference's own
 * printout. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/core.h"

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double zs_quantile_sorted(const double *sorted, uint64_t n, double p) {
    if (!(p > 0)) return sorted[0]; /* p <= 0 and NaN: the minimum */
    if (p >= 1) return sorted[n - 1];
    double position = p * (double)(n - 1);
    uint64_t lower = (uint64_t)floor(position);
    if (lower >= n - 1) return sorted[n - 1];
    double frac = position - (double)lower;
    return sorted[lower] + frac * (sorted[lower + 1] - sorted[lower]);
}

zs_status zs_summarize(const double *values, uint64_t n, zs_summary *out, zs_error *err) {
    *out = (zs_summary){0};
    if (n == 0) return zs_fail(err, ZS_ERR_RANGE, "summary of 0 values: expected at least one");
    double *sorted = zs_alloc(n * sizeof *sorted, "sorted ratios", err);
    if (!sorted) return ZS_ERR_NOMEM;
    memcpy(sorted, values, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    /* Sums run over the sorted copy so the result does not depend on input order. */
    double sum = 0;
    for (uint64_t i = 0; i < n; i++) sum += sorted[i];
    double mean = sum / (double)n;
    double squares = 0;
    for (uint64_t i = 0; i < n; i++) squares += (sorted[i] - mean) * (sorted[i] - mean);
    out->n = n;
    out->mean = mean;
    out->stdev = n > 1 ? sqrt(squares / (double)(n - 1)) : NAN;
    out->median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    out->q1 = zs_quantile_sorted(sorted, n, 0.25);
    out->q3 = zs_quantile_sorted(sorted, n, 0.75);
    out->min = sorted[0];
    out->max = sorted[n - 1];
    free(sorted);
    return ZS_OK;
}
