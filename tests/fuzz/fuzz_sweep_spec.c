/* Fuzzes the sweep spec reader (zs_sweep_spec_parse on the input as YAML, from memory,
 * relative paths under DIR); a spec it accepts is planned too (zs_sweep_plan_build). */
#include "zipscale/sweep.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zs_sweep_spec spec;
    zs_error err;
    if (zs_sweep_spec_parse((const char *)data, size, "fuzz.yaml", fuzz_dir(), &spec, &err))
        return 0;
    zs_sweep_plan plan;
    if (zs_sweep_plan_build(&spec, &plan, &err) == ZS_OK)
        zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    return 0;
}
