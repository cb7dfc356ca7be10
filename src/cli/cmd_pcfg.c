/* placeholder: replaced by the issue-2 work in progress */
#include "cli/commands.h"

static const zs_opt pcfg_generate_opts[] = {ZS_OPT_END};
static const zs_cli_spec pcfg_generate_spec = {"pcfg generate", "", "(not yet built)", NULL, pcfg_generate_opts, 0, -1};
static int pcfg_generate_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&pcfg_generate_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", pcfg_generate_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_pcfg_generate = {&pcfg_generate_spec, pcfg_generate_run};

static const zs_opt pcfg_sample_opts[] = {ZS_OPT_END};
static const zs_cli_spec pcfg_sample_spec = {"pcfg sample", "", "(not yet built)", NULL, pcfg_sample_opts, 0, -1};
static int pcfg_sample_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&pcfg_sample_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", pcfg_sample_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_pcfg_sample = {&pcfg_sample_spec, pcfg_sample_run};

static const zs_opt pcfg_analyse_opts[] = {ZS_OPT_END};
static const zs_cli_spec pcfg_analyse_spec = {"pcfg analyse", "", "(not yet built)", NULL, pcfg_analyse_opts, 0, -1};
static int pcfg_analyse_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&pcfg_analyse_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", pcfg_analyse_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_pcfg_analyse = {&pcfg_analyse_spec, pcfg_analyse_run};
