/* The names of the quantization model's experiment axes (zipscale/quanta_experiment.h). */
#include <string.h>

#include "zipscale/quanta_experiment.h"

static const char *const axis_names[ZS_QUANTA_N_AXES] = {"params", "data", "steps"};

const char *zs_quanta_axis_name(zs_quanta_axis axis) {
    return (unsigned)axis < ZS_QUANTA_N_AXES ? axis_names[axis] : "unknown";
}

zs_status zs_quanta_axis_parse(const char *text, zs_quanta_axis *out, zs_error *err) {
    for (int a = 0; a < ZS_QUANTA_N_AXES; a++)
        if (text && strcmp(text, axis_names[a]) == 0) {
            *out = (zs_quanta_axis)a;
            return ZS_OK;
        }
    return zs_fail(err, ZS_ERR_USAGE, "'%s': expected an experiment axis: params, data or steps",
                   text ? text : "(null)");
}
