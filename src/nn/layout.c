/* nn: named tensors carved out of one buffer (the layout every model, its gradients and
 * its optimiser moments share), and the precision names. */
#include "zipscale/nn.h"

#include <stdlib.h>
#include <string.h>

void zs_layout_free(zs_layout *layout) {
    if (!layout) return;
    free(layout->tensors);
    layout->tensors = NULL;
    layout->n_tensors = 0;
    layout->numel = 0;
}

const zs_tensor *zs_layout_find(const zs_layout *layout, const char *name) {
    for (size_t i = 0; i < layout->n_tensors; i++)
        if (strcmp(layout->tensors[i].name, name) == 0) return &layout->tensors[i];
    return NULL;
}

const char *zs_precision_name(zs_precision precision) {
    return precision == ZS_PRECISION_BF16 ? "bf16" : "fp32";
}

zs_status zs_precision_parse(const char *text, zs_precision *out, zs_error *err) {
    if (strcmp(text, "fp32") == 0) {
        *out = ZS_PRECISION_FP32;
        return ZS_OK;
    }
    if (strcmp(text, "bf16") == 0) {
        *out = ZS_PRECISION_BF16;
        return ZS_OK;
    }
    return zs_fail(err, ZS_ERR_USAGE, "precision '%s': expected fp32 or bf16", text);
}
