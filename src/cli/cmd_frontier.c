/* placeholder: replaced by the issue-4 work in progress */
#include "cli/commands.h"

static const zs_opt frontier_opts[] = {ZS_OPT_END};
static const zs_cli_spec frontier_spec = {"frontier", "", "(not yet built)", NULL, frontier_opts, 0, -1};
static int frontier_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&frontier_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", frontier_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_frontier = {&frontier_spec, frontier_run};
