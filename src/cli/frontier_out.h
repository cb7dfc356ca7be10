/* Shared by `zipscale frontier` and `zipscale predict`: the budget options (--compute,
 * --compute-range) and the frontier's rows as text and JSON, so both commands print the
 * same columns with the same names. */
#ifndef ZS_CLI_FRONTIER_OUT_H
#define ZS_CLI_FRONTIER_OUT_H

#include <jansson.h>
#include <stdio.h>

#include "cli/args.h"
#include "zipscale/frontier.h"

/* Exactly one of list ("1e20,1e21") and range ("LO:HI:N", log-spaced) must be set; the
 * budgets come back malloc'd. Failures are ZS_ERR_USAGE naming the option. */
zs_status zs_cli_budgets(const char *list, const char *range, double **budgets, size_t *n,
                         zs_error *err);

void zs_cli_print_law(FILE *out, const char *label, const zs_chinchilla *law);
/* A header and one row per point; with intervals, a second table of [lo, hi] columns. */
void zs_cli_print_frontier(FILE *out, const zs_frontier_point *points,
                           const zs_frontier_interval *intervals, size_t n, double level);

/* Writes text to path atomically, or to stdout when path is NULL. */
zs_status zs_cli_emit_text(const char *text, size_t len, const char *path, zs_error *err);

#endif
