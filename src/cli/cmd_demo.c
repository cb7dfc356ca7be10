/* placeholder: replaced by the issue-2 work in progress */
#include "cli/commands.h"

static const zs_opt demo_opts[] = {ZS_OPT_END};
static const zs_cli_spec demo_spec = {"demo", "", "(not yet built)", NULL, demo_opts, 0, -1};
static int demo_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&demo_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", demo_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_demo = {&demo_spec, demo_run};
