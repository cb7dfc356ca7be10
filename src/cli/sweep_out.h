/* What `sweep run`, `sweep analyse` and `demo` share: running a spec with the progress on
 * stderr, then the analysis and its headline on stdout. */
#ifndef ZS_CLI_SWEEP_OUT_H
#define ZS_CLI_SWEEP_OUT_H

#include "zipscale/sweep.h"

/* Runs the spec into dir (jobs 0: the spec's); unless no_analyse, analyses it once every
 * run has finished and prints the headline. Returns the exit code (130 interrupted). */
int zs_cli_sweep_run(const char *spec_path, const char *dir, int jobs, int quiet, int no_analyse);
/* Analyses dir, prints the headline and where the report is; returns the exit code. */
int zs_cli_sweep_analyse(const char *dir, const zs_sweep_analyse_opts *opts);

#endif
