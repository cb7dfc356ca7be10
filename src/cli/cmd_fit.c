/* placeholder: replaced by the issue-4 work in progress */
#include "cli/commands.h"

static const zs_opt fit_opts[] = {ZS_OPT_END};
static const zs_cli_spec fit_spec = {"fit", "", "(not yet built)", NULL, fit_opts, 0, -1};
static int fit_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&fit_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", fit_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_fit = {&fit_spec, fit_run};
