/* The quanta commands' shared glue (quanta_out.c): the analysis of a quanta experiments
 * directory, with its comparison table on stdout. */
#ifndef ZS_CLI_QUANTA_OUT_H
#define ZS_CLI_QUANTA_OUT_H

#include <stdio.h>

#include "cli/args.h"
#include "zipscale/quanta_experiment.h"
#include "zipscale/sweep.h"

/* Analyses DIR (zs_sweep_quanta_analyse) and prints the table; opts NULL = the defaults.
 * Returns an exit code. */
int zs_cli_quanta_analyse(const char *dir, const zs_sweep_quanta_analyse_opts *opts);

/* The comparison table of the result read from (or written to) path: per present axis,
 * points, the fitted exponent with its interval beside the predicted one, rho with its
 * interval, subtasks learned. */
void zs_cli_quanta_table(const char *path, const zs_quanta_result *r, FILE *out);

#endif
