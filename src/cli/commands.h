/* The subcommands `zipscale` dispatches to; each is defined in its own cmd_*.c file. */
#ifndef ZS_CLI_COMMANDS_H
#define ZS_CLI_COMMANDS_H

#include "cli/args.h"

typedef struct {
    const zs_cli_spec *spec;
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} zs_command;

extern const zs_command zs_cmd_tokens_info;
extern const zs_command zs_cmd_tokens_import;
extern const zs_command zs_cmd_pcfg_generate;
extern const zs_command zs_cmd_pcfg_sample;
extern const zs_command zs_cmd_pcfg_analyse;
extern const zs_command zs_cmd_parity_sample;
extern const zs_command zs_cmd_gzip;
extern const zs_command zs_cmd_fit;
extern const zs_command zs_cmd_powerlaw;
extern const zs_command zs_cmd_frontier;
extern const zs_command zs_cmd_regress;
extern const zs_command zs_cmd_predict;
extern const zs_command zs_cmd_quanta_emergence;
extern const zs_command zs_cmd_quanta_theory;
extern const zs_command zs_cmd_quanta_simulate;
extern const zs_command zs_cmd_quanta_tokens;
extern const zs_command zs_cmd_quanta_qdg;
extern const zs_command zs_cmd_pcfg_paper;
extern const zs_command zs_cmd_demo;
extern const zs_command zs_cmd_plot_gzip;
extern const zs_command zs_cmd_plot_runs;
extern const zs_command zs_cmd_plot_frontier;
extern const zs_command zs_cmd_plot_law;
extern const zs_command zs_cmd_plot_curves;
extern const zs_command zs_cmd_plot_qdg;
extern const zs_command zs_cmd_report;
extern const zs_command zs_cmd_train;
extern const zs_command zs_cmd_eval;
extern const zs_command zs_cmd_sweep_plan;
extern const zs_command zs_cmd_sweep_run;
extern const zs_command zs_cmd_sweep_status;
extern const zs_command zs_cmd_sweep_retry;
extern const zs_command zs_cmd_sweep_merge;
extern const zs_command zs_cmd_sweep_slurm;
extern const zs_command zs_cmd_sweep_export;
extern const zs_command zs_cmd_sweep_analyse;
extern const zs_command zs_cmd_sweep_preset;
extern const zs_command zs_cmd_quanta_parity;
extern const zs_command zs_cmd_quanta_preset;
extern const zs_command zs_cmd_quanta_analyse;
extern const zs_command zs_cmd_quanta_compare;

#endif
