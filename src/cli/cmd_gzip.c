/* placeholder: replaced by the issue-2 work in progress */
#include "cli/commands.h"

static const zs_opt gzip_opts[] = {ZS_OPT_END};
static const zs_cli_spec gzip_spec = {"gzip", "", "(not yet built)", NULL, gzip_opts, 0, -1};
static int gzip_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&gzip_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", gzip_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_gzip = {&gzip_spec, gzip_run};
