/* placeholder: replaced by the issue-2 work in progress */
#include "cli/commands.h"

static const zs_opt parity_sample_opts[] = {ZS_OPT_END};
static const zs_cli_spec parity_sample_spec = {"parity sample", "", "(not yet built)", NULL, parity_sample_opts, 0, -1};
static int parity_sample_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&parity_sample_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    fprintf(stderr, "zipscale: %s is not built yet\n", parity_sample_spec.name);
    return ZS_EXIT_FAILURE;
}
const zs_command zs_cmd_parity_sample = {&parity_sample_spec, parity_sample_run};
