/* The column-naming options every command that reads a runs CSV shares (fit, powerlaw,
 * plot runs), spelled once. Expands to option-table entries filling a zs_runs_columns. */
#ifndef ZS_CLI_RUNS_OPTS_H
#define ZS_CLI_RUNS_OPTS_H

#include "cli/args.h"
#include "zipscale/fit.h"

/* The targets start at zs_runs_columns_init's names (a spec's .defaults calls it), which
 * the help shows; zs_cli_runs_columns_given then turns those left alone back into NULL,
 * so only a name the user gave must be in the table. */
#define ZS_OPT_RUNS_COLUMNS(cols)                                                                  \
    {"col-N", 0, ZS_OPT_STRING, &(cols).n_params, "NAME", "column of N"},                          \
        {"col-D", 0, ZS_OPT_STRING, &(cols).n_tokens, "NAME", "column of D"},                      \
        {"col-loss", 0, ZS_OPT_STRING, &(cols).loss, "NAME", "column of the loss"},                \
        {"col-dataset", 0, ZS_OPT_STRING, &(cols).dataset, "NAME", "column naming the dataset"},   \
        {"col-H", 0, ZS_OPT_STRING, &(cols).h, "NAME", "column of gzip H"},                        \
        {"col-flops", 0, ZS_OPT_STRING, &(cols).flops, "NAME", "column of compute"},               \
        {"col-seed", 0, ZS_OPT_STRING, &(cols).seed, "NAME", "column of the seed"}, {              \
        "col-e-max", 0, ZS_OPT_STRING, &(cols).e_max, "NAME",                                      \
            "column of an upper bound on E per dataset"                                            \
    }

/* After parsing: NULL for every name still at its default, so zs_runs_read requires only
 * the columns named on the command line (a name given equal to a default still counts). */
void zs_cli_runs_columns_given(zs_runs_columns *cols);

/* The zs_runs_columns fields (as zs_runs_read names them in errors) by their flags; a
 * command lists ZS_CLI_RUNS_COLUMN_FIELDS in its zs_cli_field table. */
#define ZS_CLI_RUNS_COLUMN_FIELDS                                                                  \
    {"columns.n_params", "col-N"}, {"columns.n_tokens", "col-D"}, {"columns.loss", "col-loss"},    \
        {"columns.dataset", "col-dataset"}, {"columns.h", "col-H"},                                \
        {"columns.flops", "col-flops"}, {"columns.seed", "col-seed"},                              \
        {"columns.weight", "col-weight"}, {"columns.steps", "col-steps"}, {                        \
        "columns.e_max", "col-e-max"                                                               \
    }

#endif
