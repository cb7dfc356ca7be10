/* One fit's frontier over a list of budgets (zs_frontier_table): the points, their
 * bootstrap intervals and the iso-FLOP curves, what `zipscale frontier` prints per fit. */
#include <stdlib.h>

#include "zipscale/frontier.h"

zs_status zs_frontier_table_init(zs_frontier_table *table, const zs_lawfit *fit,
                                 const double *budgets, size_t n_budgets,
                                 const zs_isoflop_opts *isoflop, zs_error *err) {
    *table = (zs_frontier_table){0};
    zs_status s = zs_frontier_exponents_of(&fit->law, &table->exponents, err);
    if (s) return s;
    size_t n = n_budgets ? n_budgets : 1;
    table->n_budgets = n_budgets;
    table->points = zs_calloc(n, sizeof *table->points, "frontier points", err);
    if (!table->points) s = ZS_ERR_NOMEM;
    if (!s && fit->has_bootstrap) {
        table->intervals = zs_calloc(n, sizeof *table->intervals, "frontier intervals", err);
        if (!table->intervals) s = ZS_ERR_NOMEM;
    }
    for (size_t i = 0; !s && i < n_budgets; i++) {
        s = zs_frontier_point_at(&fit->law, budgets[i], &table->points[i], err);
        if (!s && table->intervals)
            s = zs_frontier_interval_at(fit->bootstrap.samples, fit->bootstrap.replicates,
                                        budgets[i], fit->bootstrap.level, &table->intervals[i],
                                        err);
    }
    if (!s && isoflop) {
        table->isoflop_points = isoflop->points;
        s = zs_isoflop_opts_check(isoflop, err);
        if (!s) {
            table->isoflop =
                zs_calloc(n * isoflop->points, sizeof *table->isoflop, "iso-FLOP curves", err);
            if (!table->isoflop) s = ZS_ERR_NOMEM;
        }
        for (size_t i = 0; !s && i < n_budgets; i++)
            s = zs_frontier_isoflop_points(&fit->law, budgets[i], isoflop,
                                           &table->isoflop[i * isoflop->points], err);
    }
    if (s) zs_frontier_table_free(table);
    return s;
}

void zs_frontier_table_free(zs_frontier_table *table) {
    if (!table) return;
    free(table->points);
    free(table->intervals);
    free(table->isoflop);
    *table = (zs_frontier_table){0};
}
