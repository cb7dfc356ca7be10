/* The log-spaced x of a simulated curve (zs_quanta_sim_grid, `zipscale quanta simulate`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "zipscale/quanta_theory.h"

void zs_quanta_sim_range_init(zs_quanta_sim_range *range) {
    *range = (zs_quanta_sim_range){.from = 1e3, .to = 1e6, .points = 31};
}

zs_status zs_quanta_sim_grid(const zs_quanta_sim_range *range, double *x, zs_error *err) {
    const double from = range->from, to = range->to;
    if (!(isfinite(from) && from > 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "from", "%g: expected x > 0", from);
    if (!(isfinite(to) && to > from))
        return zs_fail_field(err, ZS_ERR_USAGE, "to", "%g: expected more than from (%g)", to, from);
    if (range->points < 2 || range->points > ZS_QUANTA_SIM_MAX_POINTS)
        return zs_fail_field(err, ZS_ERR_USAGE, "points", "%llu: expected 2 to %d",
                             (unsigned long long)range->points, ZS_QUANTA_SIM_MAX_POINTS);
    const size_t n = (size_t)range->points;
    for (size_t i = 0; i + 1 < n; i++) {
        char text[32];
        snprintf(text, sizeof text, "%.12g", from * pow(to / from, (double)i / (double)(n - 1)));
        x[i] = strtod(text, NULL);
    }
    x[n - 1] = to;
    return ZS_OK;
}
