/* The monogenic / polygenic figure (zipscale/figures.h): each class's mean loss against the
 * models' size, from zs_token_classes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "figures/figures_internal.h"

zs_status zs_figure_token_classes(const zs_token_classes *c, const zs_figure_size *size,
                                  zs_plot **out, zs_error *err) {
    *out = NULL;
    if (!c->n_models || !c->n_tokens)
        return zs_fail(err, ZS_ERR_RANGE, "figure: token classes of no model or no token");
    char title[160];
    snprintf(title, sizeof title, "mean loss of each class of tokens against N (%zu tokens)",
             c->n_tokens);
    zs_status s = zs_figure_create(size, title, "parameters N", "mean loss (nats)", ZS_PLOT_LOG10,
                                   ZS_PLOT_LINEAR, out, err);
    double *ys = zs_alloc(c->n_models * sizeof *ys, "figure token classes", err);
    if (!ys) s = ZS_ERR_NOMEM;
    for (int k = 0; !s && k < ZS_TOKEN_N_CLASSES; k++) {
        if (!c->count[k]) continue;
        char label[96];
        snprintf(label, sizeof label, "%s (%zu tokens, %.1f%%)",
                 zs_token_class_name((zs_token_class)k), c->count[k],
                 100.0 * (double)c->count[k] / (double)c->n_tokens);
        for (size_t j = 0; j < c->n_models; j++) ys[j] = c->class_mean_loss[k * c->n_models + j];
        s = zs_plot_add_line(*out, label, c->n_params, ys, c->n_models, err);
    }
    free(ys);
    if (s) {
        zs_plot_free(*out);
        *out = NULL;
    }
    return s;
}
