/* What `sweep run`, `sweep analyse` and `demo` share: running a spec with the progress on
 * stderr, then the analysis and its headline on stdout. */
#ifndef ZS_CLI_SWEEP_OUT_H
#define ZS_CLI_SWEEP_OUT_H

#include "cli/args.h"
#include "zipscale/sweep.h"

/* Runs the spec into dir with opts' jobs, shard, run list and prepare_only (its progress
 * and analysis are set here); unless no_analyse, analyses it once every run has finished
 * and prints the headline (a shard never: it sees only its runs). Returns the exit code
 * (130 interrupted); `spec` (the command) names the flags of field errors. */
int zs_cli_sweep_run(const zs_cli_spec *spec, const char *spec_path, const char *dir,
                     const zs_sweep_run_opts *opts, int quiet, int no_analyse);
/* Analyses dir, prints the headline and where the report is; returns the exit code. */
int zs_cli_sweep_analyse(const char *dir, const zs_sweep_analyse_opts *opts);

#endif
