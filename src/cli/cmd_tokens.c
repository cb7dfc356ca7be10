/* placeholder: replaced by the issue-2 work in progress */
#include "cli/commands.h"

static const zs_opt tokens_info_opts[] = {ZS_OPT_END};
static const zs_cli_spec tokens_info_spec = {"tokens info", "", "(not yet built)", NULL, tokens_info_opts, 0, -1};
static int tokens_info_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&tokens_info_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", tokens_info_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_tokens_info = {&tokens_info_spec, tokens_info_run};

static const zs_opt tokens_import_opts[] = {ZS_OPT_END};
static const zs_cli_spec tokens_import_spec = {"tokens import", "", "(not yet built)", NULL, tokens_import_opts, 0, -1};
static int tokens_import_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&tokens_import_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", tokens_import_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_tokens_import = {&tokens_import_spec, tokens_import_run};
