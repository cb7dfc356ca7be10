/* The quantization model's experiment result (zipscale/quanta_experiment.h): its memory. */
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta_experiment.h"

void zs_quanta_result_free(zs_quanta_result *r) {
    if (!r) return;
    for (int a = 0; a < ZS_QUANTA_N_AXES; a++) {
        zs_quanta_axis_result *x = &r->axes[a];
        free(x->x);
        free(x->loss_nats);
        free(x->subtask_loss_nats);
        free(x->learning_x);
        free(x->fraction_learned);
    }
    memset(r, 0, sizeof *r);
}
